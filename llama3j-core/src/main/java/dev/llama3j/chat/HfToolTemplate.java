package dev.llama3j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.LlamaException;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The chat template that Meta's Hugging Face repositories ship for Llama 3.1 and 3.2 ({@code tokenizer_config.json},
 * Jinja), rendered to text for OpenAI-shaped messages and tools: the system header with "Environment: ipython" and
 * the built-in tools, the knowledge and today's dates, the custom tools as JSON (indent 4) in the first user message
 * or in the system message, assistant tool calls as {@code {"name": ..., "parameters": ...}} (3.1's built-in ones
 * as {@code <|python_tag|>NAME.call(...)}), tool results as ipython turns. Python's {@code json.dumps} spacing and
 * {@code str.strip} are followed, since the prompt's tokens depend on every character.
 */
public final class HfToolTemplate {
    private HfToolTemplate() {}

    /** The template's default date when none is given (3.1's; 3.2's transformers fills in today's). */
    public static final String DEFAULT_DATE = "26 Jul 2024";

    /**
     * @param llama32            the 3.2 template (no built-in tools; tool calls always JSON) instead of 3.1's
     * @param messages           OpenAI-shaped messages: role, content (string, object or list), tool_calls
     * @param tools              OpenAI tools (each rendered whole), or null
     * @param builtinTools       3.1's built-in tool names (code_interpreter is not listed), or null
     * @param toolsInUserMessage the tools go into the first user message (the template's default) or the system one
     * @throws LlamaException where the template raises: tools in a user message without one, several tool calls
     */
    public static String render(boolean llama32, JsonNode messages, JsonNode tools, List<String> builtinTools,
                                boolean toolsInUserMessage, String dateString, boolean addGenerationPrompt) {
        List<JsonNode> rest = new ArrayList<>();
        messages.forEach(rest::add);
        boolean hasTools = tools != null && !tools.isNull();
        List<String> builtin = llama32 ? null : builtinTools;
        StringBuilder out = new StringBuilder("<|begin_of_text|>");
        String system = "";
        if (!rest.isEmpty() && "system".equals(rest.getFirst().path("role").asText())) {
            system = text(rest.removeFirst().get("content")).strip();
        }
        out.append("<|start_header_id|>system<|end_header_id|>\n\n");
        if (builtin != null || hasTools) {
            out.append("Environment: ipython\n");
        }
        if (builtin != null) {
            out.append("Tools: ").append(String.join(", ",
                    builtin.stream().filter(t -> !t.equals("code_interpreter")).toList())).append("\n\n");
        }
        out.append("Cutting Knowledge Date: December 2023\n");
        out.append("Today Date: ").append(dateString).append("\n\n");
        if (hasTools && !toolsInUserMessage) {
            out.append("You have access to the following functions. To call a function, please respond with JSON for"
                    + " a function call.");
            out.append("Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and"
                    + " its value}.");
            out.append("Do not use variables.\n\n");
            appendTools(tools, out);
        }
        out.append(system).append("<|eot_id|>");
        if (hasTools && toolsInUserMessage) {
            if (rest.isEmpty()) {
                throw new LlamaException("Cannot put tools in the first user message when there's no first user"
                        + " message!");
            }
            String first = text(rest.removeFirst().get("content")).strip();
            out.append("<|start_header_id|>user<|end_header_id|>\n\n");
            out.append("Given the following functions, please respond with a JSON for a function call ");
            out.append("with its proper arguments that best answers the given prompt.\n\n");
            out.append("Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and"
                    + " its value}.");
            out.append("Do not use variables.\n\n");
            appendTools(tools, out);
            out.append(first).append("<|eot_id|>");
        }
        for (JsonNode m : rest) {
            String role = m.path("role").asText();
            if (m.has("tool_calls")) {
                JsonNode calls = m.get("tool_calls");
                if (calls.size() != 1) {
                    throw new LlamaException("This model only supports single tool-calls at once!");
                }
                JsonNode call = calls.get(0).get("function");
                String name = call.path("name").asText();
                out.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
                if (builtin != null && builtin.contains(name)) {
                    out.append("<|python_tag|>").append(name).append(".call(");
                    boolean firstArg = true;
                    for (Iterator<Map.Entry<String, JsonNode>> it = call.path("arguments").fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> a = it.next();
                        out.append(firstArg ? "" : ", ").append(a.getKey()).append("=\"").append(text(a.getValue()))
                                .append('"');
                        firstArg = false;
                    }
                    out.append(")");
                } else {
                    out.append("{\"name\": \"").append(name).append("\", ");
                    out.append("\"parameters\": ");
                    json(call.get("arguments"), -1, 0, out);
                    out.append("}");
                }
                out.append(builtin != null ? "<|eom_id|>" : "<|eot_id|>");
            } else if (role.equals("tool") || role.equals("ipython")) {
                out.append("<|start_header_id|>ipython<|end_header_id|>\n\n").append(toolResult(m.get("content")))
                        .append("<|eot_id|>");
            } else {
                out.append("<|start_header_id|>").append(role).append("<|end_header_id|>\n\n")
                        .append(text(m.get("content")).strip()).append("<|eot_id|>");
            }
        }
        if (addGenerationPrompt) {
            out.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }
        return out.toString();
    }

    private static void appendTools(JsonNode tools, StringBuilder out) {
        for (JsonNode t : tools) {
            json(t, 4, 0, out);
            out.append("\n\n");
        }
    }

    /** A tool result as the template writes it: a number as it is, anything else (a string too) through tojson. */
    static String toolResult(JsonNode content) {
        // Jinja: a mapping or an iterable (a string is one) goes through tojson
        if (content != null && content.isNumber()) {
            return content.isIntegralNumber() ? content.asText() : PythonLiterals.floatRepr(content.asDouble());
        }
        StringBuilder out = new StringBuilder();
        json(content, -1, 0, out);
        return out.toString();
    }

    /** A message content as text: a string as it is, text parts joined, anything else as JSON. */
    static String text(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder b = new StringBuilder();
        json(content, -1, 0, b);
        return b.toString();
    }

    /**
     * Python's {@code json.dumps(value, ensure_ascii=False, indent=indent)} ({@code indent} -1: none, with ", " and
     * ": " separators; else one item per line and "," then the line break).
     */
    static void json(JsonNode n, int indent, int level, StringBuilder out) {
        if (n == null || n.isNull()) {
            out.append("null");
        } else if (n.isTextual()) {
            PythonLiterals.appendJsonString(n.asText(), false, out);
        } else if (n.isBoolean()) {
            out.append(n.asBoolean() ? "true" : "false");
        } else if (n.isIntegralNumber()) {
            out.append(n.bigIntegerValue());
        } else if (n.isNumber()) {
            out.append(PythonLiterals.floatRepr(n.asDouble()));
        } else if (n.isObject() || n.isArray()) {
            boolean object = n.isObject();
            if (n.isEmpty()) {
                out.append(object ? "{}" : "[]");
                return;
            }
            out.append(object ? '{' : '[');
            boolean first = true;
            Iterator<Map.Entry<String, JsonNode>> fields = object ? n.fields() : null;
            Iterator<JsonNode> elements = object ? null : n.elements();
            while (object ? fields.hasNext() : elements.hasNext()) {
                out.append(first ? "" : indent < 0 ? ", " : ",");
                first = false;
                if (indent >= 0) {
                    out.append('\n').append(" ".repeat(indent * (level + 1)));
                }
                JsonNode value;
                if (object) {
                    Map.Entry<String, JsonNode> e = fields.next();
                    PythonLiterals.appendJsonString(e.getKey(), false, out);
                    out.append(": ");
                    value = e.getValue();
                } else {
                    value = elements.next();
                }
                json(value, indent, level + 1, out);
            }
            if (indent >= 0) {
                out.append('\n').append(" ".repeat(indent * level));
            }
            out.append(object ? '}' : ']');
        } else {
            out.append(n.asText());
        }
    }
}
