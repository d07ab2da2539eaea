package dev.llama3j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.chat.Message;

import java.io.IOException;
import java.util.List;

/** Tool calls between OpenAI's JSON and the chat package: the messages the template takes, the calls answered. */
final class ToolCallsJson {
    private ToolCallsJson() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Whether the dialog has tool calls or tool results, which only the tool template renders. */
    static boolean hasToolTurns(JsonNode messages) {
        for (JsonNode m : messages) {
            String role = m.path("role").asText();
            if (m.hasNonNull("tool_calls") || role.equals("tool") || role.equals("ipython")) {
                return true;
            }
        }
        return false;
    }

    /** The messages as the template takes them: text parts joined, tool call arguments as objects. */
    static JsonNode normalized(JsonNode messages) {
        ArrayNode out = JSON.createArrayNode();
        for (JsonNode m : messages) {
            ObjectNode copy = m.deepCopy();
            JsonNode content = m.get("content");
            if (content != null && content.isArray()) {
                StringBuilder b = new StringBuilder();
                content.forEach(part -> b.append(part.path("text").asText()));
                copy.put("content", b.toString());
            }
            if (copy.has("tool_calls") && copy.get("tool_calls").isNull()) {
                copy.remove("tool_calls");
            }
            for (JsonNode call : copy.path("tool_calls")) {
                JsonNode fn = call.get("function");
                if (fn != null && fn.path("arguments").isTextual()) {
                    try {
                        ((ObjectNode) fn).set("arguments", JSON.readTree(fn.get("arguments").asText()));
                    } catch (IOException e) {
                        throw new BadRequest("tool call arguments must be JSON: " + fn.get("arguments").asText());
                    }
                }
            }
            out.add(copy);
        }
        return out;
    }

    /**
     * OpenAI's tool_calls for the calls in an answer ({@code ToolCallParser}): each with an id, type function, and
     * its arguments as a JSON string.
     */
    static ArrayNode toJson(List<Message.ToolCall> calls, String idPrefix) {
        ArrayNode out = JSON.createArrayNode();
        for (int i = 0; i < calls.size(); i++) {
            Message.ToolCall c = calls.get(i);
            ObjectNode o = out.addObject().put("id", idPrefix + "-" + i).put("type", "function");
            try {
                o.putObject("function").put("name", c.toolName())
                        .put("arguments", JSON.writeValueAsString(c.arguments()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    /** A whole answer's choice made the calls: no content, the calls, finish_reason "tool_calls". */
    static void setCalls(ObjectNode choice, List<Message.ToolCall> calls, String idPrefix) {
        ObjectNode message = (ObjectNode) choice.get("message");
        message.putNull("content");
        message.set("tool_calls", toJson(calls, idPrefix));
        choice.put("finish_reason", "tool_calls");
    }

    /** A streamed chunk's delta of the calls, as OpenAI streams them: each whole in one delta, with its index. */
    static ObjectNode delta(List<Message.ToolCall> calls, String idPrefix) {
        ArrayNode deltas = toJson(calls, idPrefix);
        for (int i = 0; i < deltas.size(); i++) {
            ((ObjectNode) deltas.get(i)).put("index", i);
        }
        ObjectNode delta = JSON.createObjectNode();
        delta.set("tool_calls", deltas);
        return delta;
    }
}
