package dev.llama3j.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.LlamaException;
import dev.llama3j.chat.ForcedToolCall;
import dev.llama3j.grammar.GbnfGrammar;
import dev.llama3j.grammar.Grammar;
import dev.llama3j.grammar.JsonGrammar;
import dev.llama3j.grammar.JsonSchema;

import java.util.Set;

/**
 * The grammar a request's answer must follow, or null: a call of one of its tools where {@code tool_choice} is
 * {@code "required"} or names a function (the {@code {"name", "parameters"}} object Meta's tool template asks the
 * model for, its parameters valid for that function's schema), else its {@code grammar} (a GBNF grammar, as
 * llama-server takes it) or its {@code response_format}'s JSON, one of the three at most.
 */
final class OutputGrammar {
    private OutputGrammar() {}

    /** Whether {@code tool_choice} is "required" or names a function. */
    static boolean forcesCall(JsonNode body) {
        JsonNode choice = body.get("tool_choice");
        return choice != null && (choice.isObject() || "required".equals(choice.asText()));
    }

    /** @param tools the request's tools when they are in use, else null */
    static Grammar of(JsonNode body, JsonNode tools) {
        JsonNode choice = body.get("tool_choice");
        JsonNode gbnf = body.get("grammar");
        boolean hasGrammar = gbnf != null && !gbnf.isNull();
        if (forcesCall(body)) {
            if (hasGrammar) {
                throw new BadRequest("'grammar' and a 'tool_choice' that forces a call are exclusive: give one");
            }
            if (tools == null) {
                throw new BadRequest("'tool_choice' asks for a tool call, but the request has no 'tools'");
            }
            return toolCall(tools, choice);
        }
        if (choice != null && !choice.isNull() && !Set.of("auto", "none").contains(choice.asText())) {
            throw new BadRequest("'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", "
                    + "\"function\": {\"name\": ...}}, got " + choice);
        }
        if (hasGrammar) {
            return gbnf(body, gbnf);
        }
        JsonNode format = body.get("response_format");
        if (format == null || format.isNull()) {
            return null;
        }
        String type = format.path("type").asText("");
        return switch (type) {
            case "text" -> null;
            case "json_object" -> JsonSchema.jsonObject();
            case "json_schema" -> {
                JsonNode schema = format.path("json_schema").get("schema");
                if (schema == null || !(schema.isObject() || schema.isBoolean())) {
                    throw new BadRequest("'response_format.json_schema.schema' must be a JSON Schema object");
                }
                yield compile(schema, "response_format.json_schema.schema");
            }
            default -> throw new BadRequest("'response_format.type' must be \"text\", \"json_object\" or "
                    + "\"json_schema\", got response_format " + format);
        };
    }

    /** The request's GBNF grammar, which leaves no room for a JSON response format. */
    private static Grammar gbnf(JsonNode body, JsonNode gbnf) {
        if (!gbnf.isTextual()) {
            throw new BadRequest("'grammar' must be a GBNF grammar in a string, got " + gbnf);
        }
        JsonNode format = body.get("response_format");
        if (format != null && !format.isNull() && !"text".equals(format.path("type").asText())) {
            throw new BadRequest("'grammar' and 'response_format' are exclusive: give one");
        }
        try {
            return GbnfGrammar.compile(gbnf.asText());
        } catch (IllegalArgumentException e) {
            // GbnfException among them: the line and column, and what was expected there
            throw new BadRequest("'grammar': " + e.getMessage());
        }
    }

    /** A call of one of the tools, or of the one {@code choice} names ({@link ForcedToolCall}). */
    private static JsonGrammar toolCall(JsonNode tools, JsonNode choice) {
        String named = null;
        if (choice.isObject()) {
            named = choice.path("function").path("name").asText(null);
            if (named == null) {
                throw new BadRequest("'tool_choice' must name a function: {\"type\": \"function\", \"function\": "
                        + "{\"name\": ...}}");
            }
        }
        JsonNode schema;
        try {
            schema = ForcedToolCall.schema(tools, named);
        } catch (LlamaException e) {
            throw new BadRequest("'tool_choice': " + e.getMessage());
        }
        return compile(schema, "tools");
    }

    private static JsonGrammar compile(JsonNode schema, String field) {
        try {
            return JsonSchema.compile(schema);
        } catch (IllegalArgumentException e) {
            // UnsupportedSchemaException among them: the keyword and where it is
            throw new BadRequest("'" + field + "': " + e.getMessage());
        }
    }
}
