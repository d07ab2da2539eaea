package dev.llama3j.chat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tool calls in an assistant's answer, read as llama-models' {@code ChatFormat.decode_assistant_message_from_content}
 * reads them, in its order: a custom call ({@code <function=NAME>{json}}, or the whole answer a JSON object with
 * {@code "name"} and {@code "parameters"}, or a Python list of calls {@code [f(a=1), g(b="x")]}, of which every call
 * is kept where llama-models keeps the first), else a built-in call {@code brave_search.call(query="...")}, else,
 * after {@code <|python_tag|>}, code for code_interpreter. An answer that is none of these is plain text: never an
 * error.
 */
public final class ToolCallParser {
    private ToolCallParser() {}

    /** The answer's text (empty when it holds calls, as in llama-models) and its calls. */
    public record Parsed(String content, List<Message.ToolCall> toolCalls) {
        public boolean hasToolCalls() {
            return !toolCalls.isEmpty();
        }
    }

    /** llama-models' BuiltinTool names. */
    static final Set<String> BUILTIN = Set.of("brave_search", "wolfram_alpha", "photogen", "code_interpreter");

    private static final Pattern FUNCTION_TAG = Pattern.compile("<function=([^}>]+)>");
    private static final Pattern BUILTIN_CALL = Pattern.compile("\\b(\\w+)\\.call\\(query=\"([^\"]*)\"\\)");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.INCLUDE_SOURCE_IN_LOCATION);

    /**
     * @param content   the answer's text, without the stop token
     * @param pythonTag whether the answer began with {@code <|python_tag|>} (not part of {@code content})
     */
    public static Parsed parse(String content, boolean pythonTag) {
        List<Message.ToolCall> calls = custom(content);
        if (calls.isEmpty()) {
            calls = builtin(content, pythonTag);
        }
        return calls.isEmpty() ? new Parsed(content, List.of()) : new Parsed("", calls);
    }

    /** A built-in call {@code NAME.call(query="...")}, else after python_tag the answer as code_interpreter's code. */
    static List<Message.ToolCall> builtin(String content, boolean pythonTag) {
        Matcher m = BUILTIN_CALL.matcher(content);
        if (m.find()) {
            return List.of(call(m.group(1), Map.of("query", m.group(2))));
        }
        return pythonTag ? List.of(call("code_interpreter", Map.of("code", content))) : List.of();
    }

    private static Message.ToolCall call(String name, Map<String, Object> arguments) {
        return new Message.ToolCall(name, new LinkedHashMap<>(arguments));
    }

    /** llama-models {@code maybe_extract_custom_tool_call}, all calls of a Python list kept. */
    private static List<Message.ToolCall> custom(String content) {
        if (FUNCTION_TAG.matcher(content).find()) {
            return functionTag(content);
        }
        List<Message.ToolCall> json = jsonCall(content);
        return json.isEmpty() ? pythonList(content) : json;
    }

    /** {@code <function=NAME>{json}} (the closing tag optional, as in llama-models). */
    static List<Message.ToolCall> functionTag(String content) {
        Matcher tag = FUNCTION_TAG.matcher(content);
        if (!tag.find()) {
            return List.of();
        }
        Map<String, Object> args = jsonObjectAt(content, tag.end());
        if (args == null) {
            // llama-models retries with single quotes made double
            args = jsonObjectAt(content.replace('\'', '"'), tag.end());
        }
        return args == null ? List.of() : List.of(builtinAware(tag.group(1), args));
    }

    /** The whole answer one JSON object with a "name" and its "parameters" (or "arguments"). */
    static List<Message.ToolCall> jsonCall(String content) {
        String trimmed = content.strip();
        if (!trimmed.startsWith("{")) {
            return List.of();
        }
        JsonNode node = readJson(trimmed);
        if (node != null && node.isObject()
                && ("function".equals(node.path("type").asText(null)) || node.has("name"))) {
            JsonNode name = node.get("name");
            JsonNode params = node.has("parameters") ? node.get("parameters") : node.get("arguments");
            if (name != null && name.isTextual() && params != null && params.isObject()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> args = (Map<String, Object>) value(params);
                return List.of(builtinAware(name.asText(), args));
            }
        }
        return List.of();
    }

    /** 3.2's Python list of calls {@code [f(a=1), g(b="x")]}, every call kept. */
    static List<Message.ToolCall> pythonList(String content) {
        String trimmed = content.strip();
        if (!trimmed.startsWith("[")) {
            return List.of();
        }
        List<Message.ToolCall> calls = PythonCalls.parse(trimmed);
        return calls == null ? List.of() : calls;
    }

    /**
     * A built-in tool called in a custom tool's form takes its first argument as the query (llama-models: "agent
     * responds for builtin tool calls in the format of the custom tools").
     */
    private static Message.ToolCall builtinAware(String name, Map<String, Object> args) {
        if (BUILTIN.contains(name) && !args.isEmpty()) {
            Object first = args.values().iterator().next();
            return call(name, Map.of("query", first == null ? "" : first));
        }
        return call(name, args);
    }

    /** The JSON object that starts at {@code from} (whatever follows it), as a map, or null. */
    private static Map<String, Object> jsonObjectAt(String s, int from) {
        if (from >= s.length() || s.charAt(from) != '{') {
            return null;
        }
        try (JsonParser p = JSON.createParser(s.substring(from))) {
            JsonNode node = JSON.readTree(p);
            if (node == null || !node.isObject()) {
                return null;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> map = (Map<String, Object>) value(node);
            return map;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static JsonNode readJson(String s) {
        try {
            return JSON.readTree(s);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** A JSON value as the types {@link Message.ToolCall} holds. */
    static Object value(JsonNode n) {
        if (n.isObject()) {
            Map<String, Object> map = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                map.put(e.getKey(), value(e.getValue()));
            }
            return map;
        }
        if (n.isArray()) {
            List<Object> list = new ArrayList<>();
            n.forEach(v -> list.add(value(v)));
            return list;
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        if (n.isNull()) {
            return null;
        }
        if (n.isIntegralNumber()) {
            BigInteger b = n.bigIntegerValue();
            return b.bitLength() < 32 ? (Object) b.intValue() : b.bitLength() < 64 ? (Object) b.longValue() : b;
        }
        return n.asDouble();
    }
}
