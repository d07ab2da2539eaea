package dev.llama3j.grammar;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a JSON Schema (the subset described in {@link JsonSchema}) into shapes, one compiler per schema so that
 * {@code $ref}s to the same place share one shape and may recurse.
 */
final class SchemaCompiler {
    private static final Set<String> ANNOTATIONS = Set.of("description", "title", "default", "examples", "$schema",
            "$comment", "$id", "deprecated", "readOnly", "writeOnly", "$defs", "definitions");
    /** The keywords that apply to one type, and that type (a schema without "type" is given their types). */
    private static final Map<String, String> TYPED_KEYWORDS = Map.ofEntries(
            Map.entry("properties", "object"), Map.entry("required", "object"),
            Map.entry("additionalProperties", "object"), Map.entry("items", "array"),
            Map.entry("prefixItems", "array"), Map.entry("minItems", "array"), Map.entry("maxItems", "array"),
            Map.entry("minLength", "string"), Map.entry("maxLength", "string"), Map.entry("pattern", "string"),
            Map.entry("format", "string"), Map.entry("minimum", "integer"), Map.entry("maximum", "integer"),
            Map.entry("exclusiveMinimum", "integer"), Map.entry("exclusiveMaximum", "integer"));
    private static final Set<String> OTHER_KEYWORDS = Set.of("type", "enum", "const", "anyOf", "oneOf", "allOf",
            "$ref");
    private static final List<String> TYPES = List.of("object", "array", "string", "integer", "number", "boolean",
            "null");

    /** Any JSON value, and any JSON object, built once (they refer to themselves). */
    static final Shape ANY;
    static final Shape.ObjectShape ANY_OBJECT;

    static {
        Shape.Ref any = new Shape.Ref("/");
        ANY_OBJECT = new Shape.ObjectShape(List.of(), any);
        any.target(new Shape.Choice(List.of(ANY_OBJECT, new Shape.ArrayShape(List.of(), any, 0, -1),
                new Shape.StringShape(CodePointDfa.anyString()), new Shape.NumberShape(false, 0, 0),
                literal(List.of("true", "false", "null"))), "/"));
        any.alternatives();
        ANY = any;
    }

    private final JsonNode root;
    private final Map<String, Shape.Ref> refs = new HashMap<>();
    private final List<Shape> indirect = new ArrayList<>();

    private SchemaCompiler(JsonNode root) {
        this.root = root;
    }

    /** The shape of {@code schema}; every reference resolved and checked. */
    static Shape compile(JsonNode schema) {
        SchemaCompiler c = new SchemaCompiler(schema);
        Shape shape = c.schema(schema, "");
        for (Shape s : c.indirect) s.alternatives();
        return shape;
    }

    private Shape schema(JsonNode node, String path) {
        if (node.isBoolean()) {
            if (node.booleanValue()) return ANY;
            throw UnsupportedSchemaException.at(path, "schema false allows no value");
        }
        if (!node.isObject()) throw UnsupportedSchemaException.at(path, "a schema must be an object or a boolean");
        List<String> constraints = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (ANNOTATIONS.contains(k)) continue;
            if (!TYPED_KEYWORDS.containsKey(k) && !OTHER_KEYWORDS.contains(k)) {
                throw UnsupportedSchemaException.keyword(k, path);
            }
            constraints.add(k);
        }
        for (String combinator : List.of("$ref", "anyOf", "oneOf", "allOf")) {
            if (!node.has(combinator)) continue;
            for (String other : constraints) {
                if (!other.equals(combinator)) {
                    throw UnsupportedSchemaException.at(path, "unsupported JSON Schema keyword \"" + other
                            + "\" beside \"" + combinator + "\"");
                }
            }
            return switch (combinator) {
                case "$ref" -> ref(node.get("$ref"), path);
                case "allOf" -> allOf(node.get("allOf"), path);
                default -> choice(node.get(combinator), path + "/" + combinator);
            };
        }
        Set<String> types = types(node, path, constraints);
        if (node.has("enum") || node.has("const")) return enumeration(node, path, types, constraints);
        if (constraints.isEmpty()) return ANY;
        List<Shape> shapes = new ArrayList<>();
        for (String type : types) {
            switch (type) {
                case "object" -> shapes.add(object(node, path));
                case "array" -> shapes.add(array(node, path));
                case "string" -> shapes.add(string(node, path));
                case "integer" -> {
                    if (!types.contains("number")) shapes.add(integer(node, path));
                }
                case "number" -> {
                    for (String k : List.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")) {
                        if (node.has(k)) {
                            throw UnsupportedSchemaException.at(path, "unsupported JSON Schema keyword \"" + k
                                    + "\" for type number (bounds are supported for type integer)");
                        }
                    }
                    shapes.add(new Shape.NumberShape(false, 0, 0));
                }
                case "boolean" -> shapes.add(literal(List.of("true", "false")));
                default -> shapes.add(literal(List.of("null")));
            }
        }
        return shapes.size() == 1 ? shapes.getFirst() : indirect(new Shape.Choice(shapes, path));
    }

    /** The types the schema allows: its "type", else those its typed keywords belong to, else all. */
    private static Set<String> types(JsonNode node, String path, List<String> constraints) {
        Set<String> types = new LinkedHashSet<>();
        JsonNode type = node.get("type");
        if (type != null) {
            for (JsonNode t : type.isArray() ? type : List.of(type)) {
                if (!t.isTextual() || !TYPES.contains(t.textValue())) {
                    throw UnsupportedSchemaException.at(path + "/type", "unknown type " + t);
                }
                types.add(t.textValue());
            }
            if (types.isEmpty()) throw UnsupportedSchemaException.at(path + "/type", "empty type list");
            return types;
        }
        for (String k : constraints) {
            if (TYPED_KEYWORDS.containsKey(k)) types.add(TYPED_KEYWORDS.get(k));
        }
        return types.isEmpty() ? new LinkedHashSet<>(TYPES) : types;
    }

    private Shape ref(JsonNode target, String path) {
        if (!target.isTextual() || !target.textValue().startsWith("#")) {
            throw UnsupportedSchemaException.at(path + "/$ref", "only local references (#...) are supported, not "
                    + target);
        }
        String pointer = target.textValue().substring(1);
        Shape.Ref existing = refs.get(pointer);
        if (existing != null) return existing;
        JsonNode node;
        try {
            node = root.at(JsonPointer.compile(pointer));
        } catch (IllegalArgumentException e) {
            throw UnsupportedSchemaException.at(path + "/$ref", "bad JSON pointer " + target);
        }
        if (node.isMissingNode()) {
            throw UnsupportedSchemaException.at(path + "/$ref", "$ref " + target + " points at nothing");
        }
        Shape.Ref ref = new Shape.Ref(path);
        refs.put(pointer, ref);
        indirect.add(ref);
        ref.target(schema(node, pointer));
        return ref;
    }

    private Shape allOf(JsonNode list, String path) {
        if (!list.isArray() || list.size() != 1) {
            throw UnsupportedSchemaException.at(path + "/allOf", "allOf with other than one schema is not supported");
        }
        return schema(list.get(0), path + "/allOf/0");
    }

    private Shape choice(JsonNode list, String path) {
        if (!list.isArray() || list.isEmpty()) throw UnsupportedSchemaException.at(path, "expected a non-empty list");
        List<Shape> options = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) options.add(schema(list.get(i), path + "/" + i));
        return indirect(new Shape.Choice(options, path));
    }

    private Shape indirect(Shape shape) {
        indirect.add(shape);
        return shape;
    }

    private Shape enumeration(JsonNode node, String path, Set<String> types, List<String> constraints) {
        for (String k : constraints) {
            if (!k.equals("enum") && !k.equals("const") && !k.equals("type")) {
                throw UnsupportedSchemaException.at(path, "unsupported JSON Schema keyword \"" + k
                        + "\" beside enum or const");
            }
        }
        List<JsonNode> values = new ArrayList<>();
        JsonNode list = node.get("enum");
        if (list != null && !list.isArray()) throw UnsupportedSchemaException.at(path + "/enum", "expected a list");
        if (node.has("const")) {
            if (list == null || contains(list, node.get("const"))) values.add(node.get("const"));
        } else {
            list.forEach(values::add);
        }
        List<String> kept = new ArrayList<>();
        for (JsonNode v : values) {
            if (node.has("type") && !types.contains(typeOf(v)) && !(types.contains("number") && v.isNumber())
                    && !(types.contains("integer") && isIntegral(v))) {
                continue;
            }
            kept.add(Literals.toJson(v));
        }
        if (kept.isEmpty()) throw UnsupportedSchemaException.at(path, "no value satisfies enum, const and type");
        return literal(kept);
    }

    private static boolean contains(JsonNode list, JsonNode value) {
        for (JsonNode v : list) {
            if (v.equals(value)) return true;
        }
        return false;
    }

    private static String typeOf(JsonNode v) {
        return switch (v.getNodeType()) {
            case OBJECT -> "object";
            case ARRAY -> "array";
            case STRING -> "string";
            case NUMBER -> v.isIntegralNumber() ? "integer" : "number";
            case BOOLEAN -> "boolean";
            default -> "null";
        };
    }

    private static boolean isIntegral(JsonNode v) {
        return v.isIntegralNumber() || v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0;
    }

    private static Shape.LiteralShape literal(List<String> serializations) {
        return new Shape.LiteralShape(ByteTrie.of(serializations.stream().map(Literals::utf8).toList()));
    }

    private Shape object(JsonNode node, String path) {
        JsonNode properties = node.get("properties");
        JsonNode required = node.get("required");
        JsonNode extra = node.get("additionalProperties");
        if (properties != null && !properties.isObject()) {
            throw UnsupportedSchemaException.at(path + "/properties", "expected an object");
        }
        Set<String> requiredNames = new LinkedHashSet<>();
        if (required != null) {
            if (!required.isArray()) throw UnsupportedSchemaException.at(path + "/required", "expected a list");
            for (JsonNode r : required) {
                if (!r.isTextual()) throw UnsupportedSchemaException.at(path + "/required", "expected names");
                requiredNames.add(r.textValue());
            }
        }
        Shape additional;
        if (extra == null) {
            additional = properties == null ? ANY : null;
        } else if (extra.isBoolean()) {
            additional = extra.booleanValue() ? ANY : null;
        } else {
            additional = schema(extra, path + "/additionalProperties");
        }
        List<Shape.Property> list = new ArrayList<>();
        Set<String> declared = new LinkedHashSet<>();
        if (properties != null) {
            for (Map.Entry<String, JsonNode> e : properties.properties()) {
                String name = e.getKey();
                declared.add(name);
                Shape value = schema(e.getValue(), path + "/properties/" + escape(name));
                list.add(new Shape.Property(name, value, requiredNames.contains(name)));
            }
        }
        for (String name : requiredNames) {
            if (declared.contains(name)) continue;
            if (extra != null && additional == null) {
                throw UnsupportedSchemaException.at(path, "required property \"" + name
                        + "\" is not allowed by additionalProperties false");
            }
            list.add(new Shape.Property(name, additional != null ? additional : ANY, true));
        }
        return new Shape.ObjectShape(list, additional);
    }

    private Shape array(JsonNode node, String path) {
        List<Shape> prefix = new ArrayList<>();
        JsonNode items = node.get("items");
        JsonNode prefixItems = node.get("prefixItems");
        if (prefixItems != null) {
            if (!prefixItems.isArray()) throw UnsupportedSchemaException.at(path + "/prefixItems", "expected a list");
            for (int i = 0; i < prefixItems.size(); i++) {
                prefix.add(schema(prefixItems.get(i), path + "/prefixItems/" + i));
            }
        }
        Shape rest;
        if (items == null) {
            rest = ANY;
        } else if (items.isArray()) {
            if (prefixItems != null) throw UnsupportedSchemaException.at(path + "/items", "list beside prefixItems");
            for (int i = 0; i < items.size(); i++) prefix.add(schema(items.get(i), path + "/items/" + i));
            rest = ANY;
        } else if (items.isBoolean() && !items.booleanValue()) {
            rest = null;
        } else {
            rest = schema(items, path + "/items");
        }
        int min = count(node, "minItems", path, 0);
        int max = count(node, "maxItems", path, -1);
        int reachable = rest == null ? (max < 0 ? prefix.size() : Math.min(max, prefix.size())) : max;
        if (reachable >= 0 && min > reachable) {
            throw UnsupportedSchemaException.at(path, "no array satisfies minItems " + min);
        }
        return new Shape.ArrayShape(prefix, rest, min, max);
    }

    private Shape string(JsonNode node, String path) {
        try {
            CodePointDfa dfa = null;
            if (node.has("minLength") || node.has("maxLength")) {
                dfa = CodePointDfa.lengths(count(node, "minLength", path, 0), count(node, "maxLength", path, -1));
            }
            JsonNode pattern = node.get("pattern");
            if (pattern != null) {
                if (!pattern.isTextual()) throw UnsupportedSchemaException.at(path + "/pattern", "expected a string");
                dfa = both(dfa, PatternCompiler.compile(pattern.textValue(), path + "/pattern"));
            }
            JsonNode format = node.get("format");
            if (format != null) {
                String p = Formats.pattern(format.asText());
                if (p == null) {
                    throw UnsupportedSchemaException.at(path + "/format", "unsupported format " + format
                            + " (supported: date, date-time, time, uuid)");
                }
                dfa = both(dfa, PatternCompiler.compile(p, path + "/format"));
            }
            if (dfa == null) dfa = CodePointDfa.anyString();
            if (dfa.isEmpty()) throw UnsupportedSchemaException.at(path, "no string satisfies this schema");
            return new Shape.StringShape(dfa);
        } catch (UnsupportedSchemaException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw UnsupportedSchemaException.at(path, e.getMessage());
        }
    }

    private static CodePointDfa both(CodePointDfa a, CodePointDfa b) {
        return a == null ? b : a.intersect(b);
    }

    private Shape integer(JsonNode node, String path) {
        long min = -Shape.NumberShape.LIMIT;
        long max = Shape.NumberShape.LIMIT;
        if (node.has("minimum")) min = Math.max(min, bound(node, "minimum", path, RoundingMode.CEILING));
        if (node.has("exclusiveMinimum")) {
            min = Math.max(min, bound(node, "exclusiveMinimum", path, RoundingMode.FLOOR) + 1);
        }
        if (node.has("maximum")) max = Math.min(max, bound(node, "maximum", path, RoundingMode.FLOOR));
        if (node.has("exclusiveMaximum")) {
            max = Math.min(max, bound(node, "exclusiveMaximum", path, RoundingMode.CEILING) - 1);
        }
        if (min > max) throw UnsupportedSchemaException.at(path, "no integer satisfies minimum and maximum");
        return new Shape.NumberShape(true, min, max);
    }

    private static long bound(JsonNode node, String keyword, String path, RoundingMode rounding) {
        JsonNode v = node.get(keyword);
        if (!v.isNumber()) throw UnsupportedSchemaException.at(path + "/" + keyword, "expected a number");
        BigDecimal limit = BigDecimal.valueOf(Shape.NumberShape.LIMIT + 1);
        BigDecimal d = v.decimalValue().setScale(0, rounding).max(limit.negate()).min(limit);
        return d.longValueExact();
    }

    private static int count(JsonNode node, String keyword, String path, int absent) {
        JsonNode v = node.get(keyword);
        if (v == null) return absent;
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < 0) {
            throw UnsupportedSchemaException.at(path + "/" + keyword, "expected a non-negative integer");
        }
        return v.intValue();
    }

    private static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }
}
