package dev.llama3j.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The custom-tool instructions of llama-models' {@code prompt_templates/system_prompts.py} for the function-tag
 * and 3.2 pythonic formats, for OpenAI tools: each JSON Schema property becomes one of llama-models' parameters
 * (its "type" as param_type, its description, whether "required" names it, its default). The texts are those the
 * llama-models prompt format docs show for 3.1 and 3.2.
 */
final class CustomToolPrompts {
    private CustomToolPrompts() {}

    /** {@code FunctionTagCustomToolGenerator}: each function as Jinja's tojson writes it, then the rules. */
    static String functionTag(JsonNode tools) {
        StringBuilder out = new StringBuilder("You have access to the following functions:\n\n");
        for (JsonNode t : tools) {
            JsonNode fn = t.path("function");
            String name = fn.path("name").asText();
            String description = fn.path("description").asText("");
            // Jinja's tojson: keys sorted, default left out, ASCII only, HTML characters escaped
            Map<String, Object> params = new TreeMap<>();
            for (Parameter p : parameters(fn)) {
                Map<String, Object> param = new TreeMap<>();
                param.put("description", p.description());
                param.put("param_type", p.type());
                param.put("required", p.required());
                params.put(p.name(), param);
            }
            out.append("Use the function '").append(name).append("' to '").append(description).append("':\n");
            out.append("{\"name\": \"").append(name).append("\", \"description\": \"").append(description)
                    .append("\", \"parameters\": ").append(htmlSafe(PythonLiterals.jsonDumps(params))).append("}\n\n");
        }
        out.append("""
                Think very carefully before calling functions.
                If you choose to call a function ONLY reply in the following format with no prefix or suffix:

                <function=example_function_name>{"example_name": "example_value"}</function>

                Reminder:
                - If looking for real time information use relevant functions before falling back to brave_search
                - Function calls MUST follow the specified format, start with <function= and end with </function>
                - Required parameters MUST be specified
                - Only call one function at a time
                - Put the entire function call reply on one line""");
        return out.toString();
    }

    /** {@code PythonListCustomToolGenerator}'s default system prompt with the functions as indented JSON. */
    static String pythonic(JsonNode tools) {
        ArrayNode list = JsonNodeFactory.instance.arrayNode();
        for (JsonNode t : tools) {
            JsonNode fn = t.path("function");
            ObjectNode f = list.addObject().put("name", fn.path("name").asText())
                    .put("description", fn.path("description").asText(""));
            ObjectNode params = f.putObject("parameters").put("type", "dict");
            ArrayNode required = params.putArray("required");
            ObjectNode properties = params.putObject("properties");
            for (Parameter p : parameters(fn)) {
                if (p.required()) {
                    required.add(p.name());
                }
                ObjectNode property = properties.putObject(p.name()).put("type", p.type())
                        .put("description", p.description());
                if (p.defaultValue() != null && !p.defaultValue().isNull()) {
                    property.set("default", p.defaultValue());
                }
            }
        }
        StringBuilder out = new StringBuilder("""
                You are an expert in composing functions. You are given a question and a set of possible functions.
                Based on the question, you will need to make one or more function/tool calls to achieve the purpose.
                If none of the function can be used, point it out. If the given question lacks the parameters \
                required by the function,
                also point it out. You should only return the function call in tools call sections.

                If you decide to invoke any of the function(s), you MUST put it in the format of \
                [func_name1(params_name1=params_value1, params_name2=params_value2...), func_name2(params)]
                You SHOULD NOT include any other text in the response.

                Here is a list of functions in JSON format that you can invoke.

                """);
        HfToolTemplate.json(list, 4, 0, out);
        return out.toString();
    }

    /** One JSON Schema property of a function's parameters, as llama-models' ToolParamDefinition holds it. */
    private record Parameter(String name, String type, String description, boolean required, JsonNode defaultValue) {}

    private static List<Parameter> parameters(JsonNode fn) {
        JsonNode schema = fn.path("parameters");
        List<String> required = new ArrayList<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        Map<String, JsonNode> properties = new LinkedHashMap<>();
        schema.path("properties").properties().forEach(e -> properties.put(e.getKey(), e.getValue()));
        List<Parameter> out = new ArrayList<>();
        properties.forEach((name, p) -> out.add(new Parameter(name, p.path("type").isTextual()
                ? p.get("type").asText() : "any", p.path("description").asText(""), required.contains(name),
                p.get("default"))));
        return out;
    }

    /** Jinja's {@code htmlsafe_json_dumps}: the characters HTML gives a meaning, as JSON escapes. */
    private static String htmlSafe(String json) {
        return json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                .replace("'", "\\u0027");
    }
}
