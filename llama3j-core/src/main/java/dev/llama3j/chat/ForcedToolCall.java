package dev.llama3j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.LlamaException;

import java.util.HashSet;
import java.util.Set;

/**
 * The JSON Schema of a forced tool call (OpenAI's {@code tool_choice} "required" or a named function): the
 * {@code {"name", "parameters"}} object Meta's 3.1 template asks the model for ({@link ToolFormat#jsonCalls()}), its
 * name one of the functions and its parameters valid for that function's schema.
 */
public final class ForcedToolCall {
    private ForcedToolCall() {}

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    /**
     * anyOf, per allowed function of OpenAI's {@code tools} list, {@code {"name": const, "parameters": its schema}}.
     *
     * @param named the one function allowed, or null for any of them
     * @throws LlamaException when no function is allowed: {@code named} is not among the tools, or none has a name
     */
    public static ObjectNode schema(JsonNode tools, String named) {
        ObjectNode schema = JSON.objectNode();
        ArrayNode anyOf = schema.putArray("anyOf");
        Set<String> names = new HashSet<>();
        for (JsonNode tool : tools == null ? JSON.arrayNode() : tools) {
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
                    ? JSON.objectNode().put("type", "object")
                    : rebased(parameters.deepCopy(), "#/anyOf/" + (anyOf.size() - 1) + "/properties/parameters"));
            call.putArray("required").add("name").add("parameters");
            call.put("additionalProperties", false);
        }
        if (anyOf.isEmpty()) {
            throw new LlamaException(named != null ? "the tool choice names \"" + named + "\", which is not one of"
                    + " the tools" : "no tool is a function with a name");
        }
        return schema;
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
}
