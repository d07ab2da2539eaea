package dev.llama3j.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import dev.llama3j.chat.Message;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * LangChain4j's messages and tool specifications as the OpenAI-shaped JSON that llama3j's tool formats read (the
 * server's wire format, call arguments as objects), and answered calls back as LangChain4j's tool requests.
 */
final class Llama3jToolJson {
    private Llama3jToolJson() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** OpenAI's {@code tools}: each a function with its name, description and parameters' JSON Schema. */
    static ArrayNode tools(List<ToolSpecification> specifications) {
        ArrayNode out = JSON.createArrayNode();
        for (ToolSpecification s : specifications) {
            ObjectNode fn = out.addObject().put("type", "function").putObject("function").put("name", s.name());
            if (s.description() != null) {
                fn.put("description", s.description());
            }
            if (s.parameters() != null) {
                // LangChain4j's own translation of its schema elements, as for JSON response formats
                fn.set("parameters", JSON.valueToTree(JsonSchemaElementUtils.toMap(s.parameters())));
            }
        }
        return out;
    }

    /** OpenAI's {@code messages}: tool requests as an assistant's {@code tool_calls}, results as "tool" messages. */
    static ArrayNode messages(List<ChatMessage> messages) {
        ArrayNode out = JSON.createArrayNode();
        for (ChatMessage m : messages) {
            switch (m) {
                case SystemMessage s -> out.addObject().put("role", "system").put("content", s.text());
                case UserMessage u -> out.addObject().put("role", "user").put("content", Llama3jMessages.text(u));
                case AiMessage a -> {
                    ObjectNode o = out.addObject().put("role", "assistant").put("content", a.text() == null ? ""
                            : a.text());
                    if (a.hasToolExecutionRequests()) {
                        ArrayNode calls = o.putArray("tool_calls");
                        for (ToolExecutionRequest r : a.toolExecutionRequests()) {
                            ObjectNode call = calls.addObject().put("id", r.id()).put("type", "function");
                            call.putObject("function").put("name", r.name()).set("arguments", arguments(r));
                        }
                    }
                }
                case ToolExecutionResultMessage t -> {
                    if (t.text() == null) {
                        throw new UnsupportedFeatureException("llama3j reads a tool's result as text only");
                    }
                    out.addObject().put("role", "tool").put("tool_call_id", t.id()).put("content", t.text());
                }
                default -> throw new UnsupportedFeatureException("llama3j cannot read a " + m.type() + " message");
            }
        }
        return out;
    }

    /** A request's arguments (a JSON object in a string; empty: none) as the object the template writes. */
    static JsonNode arguments(ToolExecutionRequest r) {
        String text = r.arguments() == null || r.arguments().isBlank() ? "{}" : r.arguments();
        try {
            JsonNode node = JSON.readTree(text);
            if (node.isObject()) {
                return node;
            }
        } catch (JsonProcessingException e) {
            // said below
        }
        throw new InvalidRequestException("the arguments of tool call " + r.id() + " (" + r.name()
                + ") are not a JSON object: " + text);
    }

    /** A call as llama3j's chat message holds it (what the token count estimator renders). */
    static Message.ToolCall call(ToolExecutionRequest r) {
        @SuppressWarnings("unchecked")
        Map<String, Object> args = JSON.convertValue(arguments(r), Map.class);
        return new Message.ToolCall(r.name(), args);
    }

    /** The calls of an answer as tool requests, ids {@code prefix_0}, {@code prefix_1}, ..., arguments as JSON text. */
    static List<ToolExecutionRequest> requests(List<Message.ToolCall> calls, String prefix) {
        List<ToolExecutionRequest> out = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            Message.ToolCall c = calls.get(i);
            try {
                out.add(ToolExecutionRequest.builder().id(prefix + "_" + i).name(c.toolName())
                        .arguments(JSON.writeValueAsString(c.arguments())).build());
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);   // parsed from JSON or Python literals: always writable
            }
        }
        return out;
    }
}
