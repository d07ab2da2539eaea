package dev.llama3j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.LlamaException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a dialog in the JSON shape of the reference cases (and of Meta's Python dicts):
 * <pre>
 * [{"role": "user", "content": "text" | [{"type": "text", "text": "..."}, {"type": "image"}],
 *   "context": "...", "stop_reason": "end_of_message", "tool_calls": [{"tool_name": "...", "arguments": {...}}]}]
 * </pre>
 * Only role and content are required.
 */
public final class DialogJson {
    private DialogJson() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    public static List<Message> parse(JsonNode dialog) {
        if (dialog == null || !dialog.isArray()) {
            throw new LlamaException("\"dialog\" must be an array of messages, got " + brief(dialog));
        }
        List<Message> messages = new ArrayList<>(dialog.size());
        for (int i = 0; i < dialog.size(); i++) {
            messages.add(message(dialog.get(i), i));
        }
        return messages;
    }

    private static Message message(JsonNode m, int index) {
        String where = "dialog[" + index + "]";
        if (!m.isObject()) {
            throw new LlamaException(where + " must be an object with \"role\" and \"content\", got " + brief(m));
        }
        String role = requiredText(m, "role", where);
        JsonNode contentNode = m.get("content");
        List<Message.Content> content = new ArrayList<>();
        if (contentNode != null && contentNode.isTextual()) {
            content.add(new Message.Content.Text(contentNode.textValue()));
        } else if (contentNode != null && contentNode.isArray()) {
            for (JsonNode part : contentNode) {
                content.add(contentPart(part, where));
            }
        } else {
            throw new LlamaException(where + ".content must be a string or an array of parts, got " + brief(contentNode));
        }
        String context = optionalText(m, "context", where);
        String stop = optionalText(m, "stop_reason", where);
        List<Message.ToolCall> calls = new ArrayList<>();
        JsonNode callsNode = m.get("tool_calls");
        if (callsNode != null && !callsNode.isNull()) {
            if (!callsNode.isArray()) {
                throw new LlamaException(where + ".tool_calls must be an array, got " + brief(callsNode));
            }
            for (JsonNode call : callsNode) {
                calls.add(toolCall(call, where));
            }
        }
        return new Message(role, content, context, stop == null ? null : StopReason.fromJsonName(stop), calls);
    }

    private static Message.Content contentPart(JsonNode part, String where) {
        String type = part.isObject() ? optionalText(part, "type", where) : null;
        if ("text".equals(type)) {
            return new Message.Content.Text(requiredText(part, "text", where + ".content"));
        }
        if ("image".equals(type)) {
            return new Message.Content.Image();
        }
        throw new LlamaException(where + ".content part must be {\"type\": \"text\", \"text\": ...} or"
                + " {\"type\": \"image\"}, got " + brief(part));
    }

    @SuppressWarnings("unchecked")
    private static Message.ToolCall toolCall(JsonNode call, String where) {
        if (!call.isObject()) {
            throw new LlamaException(where + ".tool_calls entry must be an object, got " + brief(call));
        }
        String name = requiredText(call, "tool_name", where + ".tool_calls");
        JsonNode args = call.get("arguments");
        if (args == null || !args.isObject()) {
            throw new LlamaException(where + ".tool_calls: \"arguments\" of " + name + " must be an object, got " + brief(args));
        }
        // Jackson keeps the key order (LinkedHashMap), integers as Integer/Long/BigInteger, decimals as Double
        return new Message.ToolCall(name, JSON.convertValue(args, Map.class));
    }

    private static String requiredText(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new LlamaException(where + "." + field + " must be a string, got " + brief(v));
        }
        return v.textValue();
    }

    private static String optionalText(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new LlamaException(where + "." + field + " must be a string, got " + brief(v));
        }
        return v.textValue();
    }

    private static String brief(JsonNode node) {
        if (node == null) {
            return "nothing";
        }
        String s = node.toString();
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
