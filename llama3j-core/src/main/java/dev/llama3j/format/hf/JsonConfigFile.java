package dev.llama3j.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.llama3j.BoundedJson;
import dev.llama3j.LlamaException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A JSON object read from a small Hugging Face file (config.json, generation_config.json, the shard index),
 * with typed getters whose errors name the file and the field. Absent and {@code null} fields are the same.
 */
final class JsonConfigFile {
    /** Real config files are a few KB, shard indexes well under 1 MB. */
    static final long MAX_BYTES = 16L << 20;

    private final Path file;
    private final String prefix;
    private final JsonNode node;

    private JsonConfigFile(Path file, String prefix, JsonNode node) {
        this.file = file;
        this.prefix = prefix;
        this.node = node;
    }

    static JsonConfigFile read(Path file) {
        return new JsonConfigFile(file, "", BoundedJson.readObject(file, MAX_BYTES, "a JSON config file"));
    }

    Path file() {
        return file;
    }

    boolean has(String field) {
        JsonNode v = node.get(field);
        return v != null && !v.isNull();
    }

    /** The field names of this object, in file order. */
    List<String> fieldNames() {
        List<String> out = new ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** A nested object, or null when absent. */
    JsonConfigFile object(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return null;
        }
        if (!v.isObject()) {
            throw invalid(field, v, "a JSON object");
        }
        return new JsonConfigFile(file, prefix + field + ".", v);
    }

    /** A positive int; LlamaException when absent. */
    int positiveInt(String field) {
        JsonNode v = value(field);
        if (v == null) {
            throw new LlamaException(file + ": missing field " + prefix + field);
        }
        return positiveInt(field, v);
    }

    /** A positive int, or {@code dflt} when absent. */
    int positiveInt(String field, int dflt) {
        JsonNode v = value(field);
        return v == null ? dflt : positiveInt(field, v);
    }

    private int positiveInt(String field, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() <= 0) {
            throw invalid(field, v, "a positive integer");
        }
        return v.intValue();
    }

    /** A non-negative int, or null when absent (token ids). */
    Integer tokenId(String field) {
        JsonNode v = value(field);
        return v == null ? null : tokenId(field, v);
    }

    /** One token id or a list of them; empty when absent. */
    List<Integer> tokenIds(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return List.of();
        }
        if (!v.isArray()) {
            return List.of(tokenId(field, v));
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode e : v) {
            out.add(tokenId(field, e));
        }
        return List.copyOf(out);
    }

    private Integer tokenId(String field, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
            throw invalid(field, v, "a token id (a non-negative integer) or a list of them");
        }
        return v.intValue();
    }

    /** A finite positive number as a float, or {@code dflt} when absent. */
    float positiveFloat(String field, float dflt) {
        JsonNode v = value(field);
        if (v == null) {
            return dflt;
        }
        float f = (float) v.doubleValue();
        if (!v.isNumber() || !(f > 0) || !Float.isFinite(f)) {
            throw invalid(field, v, "a positive number");
        }
        return f;
    }

    /** A finite positive number as a float; LlamaException when absent. */
    float positiveFloat(String field) {
        if (value(field) == null) {
            throw new LlamaException(file + ": missing field " + prefix + field);
        }
        return positiveFloat(field, Float.NaN);
    }

    /** A finite non-negative number, or null when absent. */
    Float nonNegativeFloat(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return null;
        }
        float f = (float) v.doubleValue();
        if (!v.isNumber() || !(f >= 0) || !Float.isFinite(f)) {
            throw invalid(field, v, "a non-negative number");
        }
        return f;
    }

    boolean bool(String field, boolean dflt) {
        JsonNode v = value(field);
        if (v == null) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw invalid(field, v, "true or false");
        }
        return v.booleanValue();
    }

    /** A string, or null when absent. */
    String string(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw invalid(field, v, "a string");
        }
        return v.textValue();
    }

    /** A list of strings; empty when absent. */
    List<String> strings(String field) {
        JsonNode v = value(field);
        if (v == null) {
            return List.of();
        }
        if (!v.isArray()) {
            throw invalid(field, v, "a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw invalid(field, v, "a list of strings");
            }
            out.add(e.textValue());
        }
        return out;
    }

    /** An error about {@code field} of this file, e.g. a value that contradicts another one. */
    LlamaException error(String field, String what) {
        return new LlamaException(file + ": field " + shown(prefix + field) + " " + what);
    }

    private JsonNode value(String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }

    private LlamaException invalid(String field, JsonNode v, String expected) {
        return error(field, "is " + shown(v.toString()) + ", expected " + expected);
    }

    /** A file-supplied string fit for a one-line message: whitespace flattened, long text cut. */
    static String shown(String s) {
        String cut = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return cut.replaceAll("\\s+", " ");
    }
}
