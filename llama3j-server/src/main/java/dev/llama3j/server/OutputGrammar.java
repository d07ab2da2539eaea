package dev.llama3j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.grammar.JsonGrammar;
import dev.llama3j.grammar.JsonSchema;

import java.util.HashSet;
import java.util.Set;

/**
 * The grammar a request's answer must follow, or null: a call of one of its tools where {@code tool_choice} is
 * {@code "required"} or names a function (the {@code {"name", "parameters"}} object Meta's tool template asks the
 * model for, its parameters valid for that function's schema), else its {@code response_format}'s JSON.
 */
final class OutputGrammar {
    private OutputGrammar() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Whether {@code tool_choice} is "required" or names a function. */
    static boolean forcesCall(JsonNode body) {
        JsonNode choice = body.get("tool_choice");
        return choice != null && (choice.isObject() || "required".equals(choice.asText()));
    }

    /** @param tools the request's tools when they are in use, else null */
    static JsonGrammar of(JsonNode body, JsonNode tools) {
        JsonNode choice = body.get("tool_choice");
        if (forcesCall(body)) {
            if (tools == null) {
                throw new BadRequest("'tool_choice' asks for a tool call, but the request has no 'tools'");
            }
            return toolCall(tools, choice);
        }
        if (choice != null && !choice.isNull() && !Set.of("auto", "none").contains(choice.asText())) {
            throw new BadRequest("'tool_choice' must be \"none\", \"auto\", \"required\" or {\"type\": \"function\", "
                    + "\"function\": {\"name\": ...}}, got " + choice);
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

    /** anyOf, per allowed function, {"name": const, "parameters": its schema}. */
    private static JsonGrammar toolCall(JsonNode tools, JsonNode choice) {
        String named = null;
        if (choice.isObject()) {
            named = choice.path("function").path("name").asText(null);
            if (named == null) {
                throw new BadRequest("'tool_choice' must name a function: {\"type\": \"function\", \"function\": "
                        + "{\"name\": ...}}");
            }
        }
        ObjectNode schema = JSON.createObjectNode();
        ArrayNode anyOf = schema.putArray("anyOf");
        Set<String> names = new HashSet<>();
        for (JsonNode tool : tools) {
            JsonNode fn = tool.path("function");
            String name = fn.path("name").asText(null);
            if (name == null || (named != null && !named.equals(name)) || !names.add(name)) {
                continue;
            }
            ObjectNode call = anyOf.addObject().put("type", "object");
            ObjectNode properties = call.putObject("properties");
            properties.putObject("name").put("const", name);
            JsonNode parameters = fn.get("parameters");
            properties.set("parameters", parameters == null || parameters.isNull()
                    ? JSON.createObjectNode().put("type", "object")
                    : rebased(parameters.deepCopy(), "#/anyOf/" + (anyOf.size() - 1) + "/properties/parameters"));
            call.putArray("required").add("name").add("parameters");
            call.put("additionalProperties", false);
        }
        if (anyOf.isEmpty()) {
            throw new BadRequest(named != null ? "'tool_choice' names \"" + named + "\", which is not in 'tools'"
                    : "'tools' has no function with a name");
        }
        return compile(schema, "tools");
    }

    /**
     * {@code schema} with its local {@code $ref}s ({@code #} and {@code #/...}, written against the tool's own
     * parameters) pointing at where the parameters now sit, {@code root}, in place.
     */
    private static JsonNode rebased(JsonNode schema, String root) {
        if (schema.isObject()) {
            ObjectNode o = (ObjectNode) schema;
            JsonNode ref = o.get("$ref");
            if (ref != null && ref.isTextual() && (ref.asText().equals("#") || ref.asText().startsWith("#/"))) {
                o.put("$ref", root + ref.asText().substring(1));
            }
            o.properties().forEach(e -> rebased(e.getValue(), root));
        } else if (schema.isArray()) {
            schema.forEach(e -> rebased(e, root));
        }
        return schema;
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
