package dev.llama3j.format.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.llama3j.LlamaException;
import dev.llama3j.tensor.DType;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The JSON header of a safetensors file: {@code {"name": {"dtype", "shape", "data_offsets"}, ...,
 * "__metadata__": {...}}}. Read with Jackson's streaming parser rather than a tree so a hostile header
 * (millions of shape entries, deep nesting) costs no more heap than its own bytes.
 */
final class SafetensorsHeader {

    /** Entry of one tensor; offsets are relative to the first byte after the header. */
    record Entry(String name, DType type, long[] shape, long begin, long end) {}

    /** Real checkpoints have rank <= 5; a longer shape is hostile. */
    static final int MAX_RANK = 16;

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(64)
                    .maxNumberLength(100)
                    .build())
            .build();

    private final String source;
    private final JsonParser p;

    private SafetensorsHeader(String source, JsonParser p) {
        this.source = source;
        this.p = p;
    }

    /** The tensor entries in header order; {@code __metadata__} is skipped. */
    static List<Entry> parse(String source, byte[] json) {
        try (JsonParser p = JSON.createParser(json)) {
            return new SafetensorsHeader(source, p).entries();
        } catch (JacksonException e) {
            String msg = e.getOriginalMessage() == null ? e.toString() : e.getOriginalMessage();
            String at = e.getLocation() == null ? "" : " at header byte " + e.getLocation().getByteOffset();
            throw new LlamaException(source + ": the safetensors header is not valid JSON (" + shown(msg) + at + ")");
        } catch (IOException e) {
            throw new LlamaException(source + ": cannot read the safetensors header: " + shown(e.toString()));
        }
    }

    private List<Entry> entries() throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw error("the header must be a JSON object");
        }
        List<Entry> out = new ArrayList<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (name.equals("__metadata__")) {
                p.skipChildren();
            } else if (value == JsonToken.START_OBJECT) {
                out.add(entry(name));
            } else {
                throw error("tensor " + shown(name) + ": expected an object {dtype, shape, data_offsets}, got "
                        + kind(value));
            }
        }
        // Jackson guarantees the loop ended on END_OBJECT; only trailing content is left to check.
        if (p.nextToken() != null) {
            throw error("unexpected data after the header object");
        }
        return out;
    }

    private Entry entry(String name) throws IOException {
        String dtype = null;
        long[] shape = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "dtype" -> {
                    if (value != JsonToken.VALUE_STRING) {
                        throw error("tensor " + shown(name) + ": dtype must be a string, got " + kind(value));
                    }
                    dtype = p.getText();
                }
                case "shape" -> shape = longs(name, "shape", MAX_RANK);
                case "data_offsets" -> offsets = longs(name, "data_offsets", 2);
                default -> p.skipChildren(); // unknown keys are ignored, as the reference implementation does
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            String missing = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
            throw error("tensor " + shown(name) + ": missing " + missing);
        }
        if (offsets.length != 2) {
            throw error("tensor " + shown(name) + ": data_offsets must be [begin, end], got " + offsets.length
                    + " numbers");
        }
        return new Entry(name, dtype(name, dtype), shape, offsets[0], offsets[1]);
    }

    /** An array of at most {@code max} non-negative integers that fit in a long. */
    private long[] longs(String tensor, String field, int max) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw error("tensor " + shown(tensor) + ": " + field + " must be an array of integers, got "
                    + kind(p.currentToken()));
        }
        long[] buf = new long[max];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw error("tensor " + shown(tensor) + ": " + field + " must hold integers, got " + kind(t));
            }
            if (n == max) {
                throw error("tensor " + shown(tensor) + ": " + field + " has more than " + max + " entries");
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER || p.getLongValue() < 0) {
                throw error("tensor " + shown(tensor) + ": " + field + " value " + p.getText()
                        + " is out of range (expected 0 .. " + Long.MAX_VALUE + ")");
            }
            buf[n++] = p.getLongValue();
        }
        return Arrays.copyOf(buf, n);
    }

    private DType dtype(String tensor, String name) {
        return switch (name) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            default -> throw error("tensor " + shown(tensor) + " has dtype " + shown(name)
                    + ", which llama3j does not read (expected F32, F16 or BF16)");
        };
    }

    /** A JSON token in words, for messages. */
    private static String kind(JsonToken t) {
        if (t == null) {
            return "the end of the header";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a fractional number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.toString();
        };
    }

    private LlamaException error(String what) {
        return new LlamaException(source + ": safetensors header: " + what);
    }

    /** A file-supplied string fit for a one-line message: whitespace flattened, long text cut. */
    static String shown(String s) {
        String cut = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return cut.replaceAll("\\s+", " ");
    }
}
