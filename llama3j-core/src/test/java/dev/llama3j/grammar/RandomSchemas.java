package dev.llama3j.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Random;

/** Random schemas from the supported subset, for the property tests; small enough that random walks end. */
final class RandomSchemas {
    private RandomSchemas() {}

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final List<String> NAMES = List.of("name", "age", "tags", "id", "ok", "note", "é", "a\"b");
    private static final List<String> PATTERNS = List.of("^[a-z]{2,5}$", "^\\d{3}-\\d{4}$", "^(yes|no|maybe)$",
            "^[A-Z][a-z]*( [A-Z][a-z]*)?$", "^\\w+@\\w+\\.com$", "^x", "\\d$", "^[^\"\\\\]{0,8}$", "^.?\\s?$");
    private static final List<String> FORMATS = List.of("date", "date-time", "time", "uuid");

    /** A schema whose nesting stops at {@code depth}; sometimes the root refers to itself. */
    static JsonNode schema(Random r, int depth) {
        int kinds = depth <= 0 ? 9 : 14;
        ObjectNode s = F.objectNode();
        switch (r.nextInt(kinds)) {
            case 0 -> {
                s.put("type", "string");
                if (r.nextBoolean()) s.put("maxLength", r.nextInt(6));
                if (r.nextBoolean()) s.put("minLength", r.nextInt(3));
                if (s.has("maxLength") && s.has("minLength") && s.get("minLength").intValue() > s.get("maxLength")
                        .intValue()) {
                    s.remove("minLength");
                }
            }
            case 1 -> s.put("type", "string").put("pattern", PATTERNS.get(r.nextInt(PATTERNS.size())));
            case 2 -> s.put("type", "string").put("format", FORMATS.get(r.nextInt(FORMATS.size())));
            case 3 -> {
                s.put("type", "integer");
                if (r.nextBoolean()) s.put("minimum", r.nextInt(200) - 100);
                if (r.nextBoolean()) s.put(r.nextBoolean() ? "maximum" : "exclusiveMaximum",
                        s.path("minimum").asInt(-100) + 1 + r.nextInt(300));
            }
            case 4 -> s.put("type", "number");
            case 5 -> s.put("type", r.nextBoolean() ? "boolean" : "null");
            case 6 -> {
                ArrayNode values = s.putArray("enum");
                values.add("red").add(1).add(12).add(2.5).add(F.nullNode()).add("é\n\"");
                values.addObject().put("k", true).putArray("l").add(1);
                if (r.nextBoolean()) s.put("type", "string");
            }
            case 7 -> s.set("const", r.nextBoolean() ? F.textNode("fixed") : F.numberNode(-7));
            case 8 -> s.putArray("type").add("string").add("null").add(r.nextBoolean() ? "integer" : "boolean");
            case 9, 10 -> object(r, depth, s);
            case 11, 12 -> {
                s.put("type", "array");
                s.set("items", schema(r, depth - 1));
                if (r.nextInt(3) == 0) s.putArray("prefixItems").add(schema(r, depth - 1));
                if (r.nextBoolean()) s.put("minItems", r.nextInt(2));
                if (r.nextBoolean()) s.put("maxItems", 2 + r.nextInt(3));
            }
            default -> {
                if (r.nextInt(4) == 0) return r.nextBoolean() ? F.objectNode() : F.booleanNode(true);
                // anyOf only: oneOf compiles as anyOf, which may produce a value that both alternatives match
                ArrayNode options = s.putArray("anyOf");
                options.add(schema(r, depth - 1));
                options.add(schema(r, depth - 1));
                s.put("description", "either");
            }
        }
        return s;
    }

    private static void object(Random r, int depth, ObjectNode s) {
        s.put("type", "object");
        ObjectNode properties = s.putObject("properties");
        ArrayNode required = F.arrayNode();
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            String name = NAMES.get(r.nextInt(NAMES.size()));
            if (properties.has(name)) continue;
            properties.set(name, schema(r, depth - 1));
            if (r.nextBoolean()) required.add(name);
        }
        if (!required.isEmpty()) s.set("required", required);
        switch (r.nextInt(4)) {
            case 0 -> s.put("additionalProperties", false);
            case 1 -> s.put("additionalProperties", true);
            case 2 -> s.putObject("additionalProperties").put("type", "integer");
            default -> { }
        }
    }

    /** A recursive schema: a tree of nodes through $defs, or an object that may hold itself through #. */
    static JsonNode recursive(Random r) {
        if (r.nextBoolean()) {
            return GrammarAssert.json("""
                    {"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
                      "kids":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},"required":["v"]}},
                     "$ref":"#/$defs/node"}""");
        }
        return GrammarAssert.json("""
                {"type":"object","properties":{"label":{"type":"string","maxLength":4},"next":{"$ref":"#"}},
                 "required":["label"]}""");
    }
}
