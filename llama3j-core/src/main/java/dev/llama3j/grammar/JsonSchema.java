package dev.llama3j.grammar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Compiles OpenAI's {@code response_format} JSON Schemas into grammars. The supported subset:
 * <ul>
 * <li>{@code type} (a name or a list); without it, the types of the typed keywords present (so
 *     {@code {"properties": ...}} means an object), else any value;</li>
 * <li>objects: {@code properties}, {@code required}, {@code additionalProperties} (false, true or a schema).
 *     Declared properties come in the order of {@code properties} (required names not declared there after
 *     them), each at most once, optional ones skippable. Where {@code properties} is given and
 *     {@code additionalProperties} is not, only the declared properties are produced (a subset of what JSON Schema
 *     allows, to keep outputs bounded and natural); otherwise other names may follow the declared ones once the
 *     required ones are out, without escapes in those names;</li>
 * <li>arrays: {@code items} (a schema, or false; a list as in draft 7 means {@code prefixItems}),
 *     {@code prefixItems}, {@code minItems}, {@code maxItems};</li>
 * <li>strings: {@code minLength}, {@code maxLength} (code points), {@code pattern} (see {@link PatternCompiler}:
 *     literals, classes, {@code \d \w \s}, {@code .}, groups with {@code |}, quantifiers, anchors at the ends) and
 *     {@code format} {@code date}, {@code date-time}, {@code time}, {@code uuid} (other formats are rejected);</li>
 * <li>{@code integer} with {@code minimum}, {@code maximum}, {@code exclusiveMinimum}, {@code exclusiveMaximum};
 *     {@code number} without bounds; {@code boolean}; {@code null};</li>
 * <li>{@code enum} and {@code const} of any JSON values (beside {@code type} only), produced in Jackson's compact
 *     serialization;</li>
 * <li>{@code anyOf}, {@code oneOf} (treated as anyOf: an output matching several alternatives is not excluded),
 *     {@code allOf} of exactly one schema, {@code $ref} to any local pointer ({@code #}, {@code #/$defs/x},
 *     {@code #/definitions/x}), recursion included; each of these alone beside annotations;</li>
 * <li>{@code {}} and {@code true}: any JSON value.</li>
 * </ul>
 * Annotations (description, title, default, examples, $schema, $comment, $id, deprecated, readOnly, writeOnly,
 * $defs, definitions) are ignored; any other keyword is an {@link UnsupportedSchemaException} naming it and its
 * JSON pointer. Outputs are further bounded by {@link JsonLimits}. A schema whose only values are infinitely
 * deep (a required property referring to its own object) compiles, but no output of it ends.
 */
public final class JsonSchema {
    private JsonSchema() {}

    private static final JsonGrammar JSON_OBJECT = new JsonGrammar(SchemaCompiler.ANY_OBJECT);
    private static final JsonGrammar ANY_VALUE = new JsonGrammar(SchemaCompiler.ANY);

    /** The grammar of {@code schema}'s instances; throws {@link UnsupportedSchemaException} outside the subset. */
    public static JsonGrammar compile(JsonNode schema) {
        return new JsonGrammar(SchemaCompiler.compile(schema));
    }

    /**
     * The grammar of the schema written in {@code json}; text that is not JSON is an IllegalArgumentException
     * saying so, a schema outside the subset an {@link UnsupportedSchemaException} (one of those too).
     */
    public static JsonGrammar compile(String json) {
        JsonNode schema;
        try {
            schema = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        return compile(schema);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Any JSON object: {@code response_format} {@code {"type": "json_object"}}. */
    public static JsonGrammar jsonObject() {
        return JSON_OBJECT;
    }

    /** Any JSON value. */
    public static JsonGrammar anyValue() {
        return ANY_VALUE;
    }
}
