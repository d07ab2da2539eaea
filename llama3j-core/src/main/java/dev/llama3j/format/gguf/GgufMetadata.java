package dev.llama3j.format.gguf;

import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.vocab.GgufTokenizer;
import dev.llama3j.tokenizer.vocab.Utf8Strings;

import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order, with typed getters that fail with one clear line
 * naming the file and key. Scalars are held as {@code Long} (every integer type; a UINT64 keeps its bits),
 * {@code Float}, {@code Double}, {@code Boolean}, {@code String}; arrays as {@link GgufArray}.
 */
public final class GgufMetadata implements GgufTokenizer.Metadata {
    record Entry(GgufType type, Object value) {}

    private final String source;
    private final Map<String, Entry> entries;

    GgufMetadata(String source, Map<String, Entry> entries) {
        this.source = source;
        this.entries = entries;
    }

    /** Keys in file order. */
    public Set<String> keys() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    public int size() {
        return entries.size();
    }

    public boolean has(String key) {
        return entries.containsKey(key);
    }

    /** The type of {@code key}'s value. */
    public GgufType type(String key) {
        return entry(key).type();
    }

    /** The raw value (see the class comment for the Java types). */
    public Object get(String key) {
        return entry(key).value();
    }

    public String getString(String key) {
        return (String) expect(key, GgufType.STRING, "a string").value();
    }

    public String getString(String key, String defaultValue) {
        return has(key) ? getString(key) : defaultValue;
    }

    public boolean getBoolean(String key) {
        return (Boolean) expect(key, GgufType.BOOL, "a bool").value();
    }

    /** Any integer type whose value fits a Java long. */
    public long getLong(String key) {
        Entry e = entry(key);
        if (!e.type().isInteger()) {
            throw wrongType(key, e.type(), "an integer");
        }
        long v = (Long) e.value();
        if (e.type() == GgufType.UINT64 && v < 0) {
            throw new LlamaException(source + ": metadata " + key + " = " + Long.toUnsignedString(v)
                    + " is too large (expected at most " + Long.MAX_VALUE + ")");
        }
        return v;
    }

    public long getLong(String key, long defaultValue) {
        return has(key) ? getLong(key) : defaultValue;
    }

    /** Any integer type whose value fits a Java int. */
    public int getInt(String key) {
        long v = getLong(key);
        if (v != (int) v) {
            throw new LlamaException(source + ": metadata " + key + " = " + v + " is out of the int range");
        }
        return (int) v;
    }

    public int getInt(String key, int defaultValue) {
        return has(key) ? getInt(key) : defaultValue;
    }

    /** A float32 or float64 value (float64 rounded to float), or an integer. */
    public float getFloat(String key) {
        return (float) getDouble(key);
    }

    public float getFloat(String key, float defaultValue) {
        return has(key) ? getFloat(key) : defaultValue;
    }

    public double getDouble(String key) {
        Entry e = entry(key);
        return switch (e.value()) {
            case Float f -> f;
            case Double d -> d;
            case Long l when e.type().isInteger() -> e.type() == GgufType.UINT64 && l < 0
                    ? Math.scalb((double) (l >>> 1), 1) : (double) l;
            default -> throw wrongType(key, e.type(), "a number");
        };
    }

    /** Length of the array at {@code key}. */
    public int arrayLength(String key) {
        return array(key).length();
    }

    public GgufArray getArray(String key) {
        return array(key);
    }

    /** A copy of the array of strings at {@code key}. */
    public String[] getStringArray(String key) {
        GgufArray a = array(key);
        if (a.elementType() != GgufType.STRING) {
            throw wrongType(key, a.elementType(), "an array of strings", true);
        }
        return ((String[]) a.values()).clone();
    }

    /** The array of strings at {@code key} as UTF-8, not decoded (as a tokenizer reads a vocabulary). */
    public Utf8Strings getUtf8StringArray(String key) {
        GgufArray a = array(key);
        if (a.elementType() != GgufType.STRING) {
            throw wrongType(key, a.elementType(), "an array of strings", true);
        }
        return a.utf8Strings();
    }

    /** The array of any integer type at {@code key} as ints (each value must fit). */
    public int[] getIntArray(String key) {
        GgufArray a = array(key);
        GgufType t = a.elementType();
        Object v = a.values();
        return switch (v) {
            case int[] ints when t == GgufType.INT32 -> ints.clone();
            case byte[] bytes -> {
                int[] out = new int[bytes.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = t.isUnsigned() ? bytes[i] & 0xFF : bytes[i];
                }
                yield out;
            }
            case short[] shorts -> {
                int[] out = new int[shorts.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = t.isUnsigned() ? shorts[i] & 0xFFFF : shorts[i];
                }
                yield out;
            }
            case int[] uints -> {
                int[] out = new int[uints.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = intElement(key, i, Integer.toUnsignedLong(uints[i]));
                }
                yield out;
            }
            case long[] longs -> {
                int[] out = new int[longs.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = intElement(key, i, t == GgufType.UINT64 && longs[i] < 0 ? Long.MAX_VALUE : longs[i]);
                }
                yield out;
            }
            default -> throw wrongType(key, t, "an array of integers", true);
        };
    }

    /** The float32 (or float64, rounded) array at {@code key}. */
    public float[] getFloatArray(String key) {
        GgufArray a = array(key);
        return switch (a.values()) {
            case float[] floats -> floats.clone();
            case double[] doubles -> {
                float[] out = new float[doubles.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) doubles[i];
                }
                yield out;
            }
            default -> throw wrongType(key, a.elementType(), "an array of floats", true);
        };
    }

    private int intElement(String key, int i, long v) {
        if (v != (int) v) {
            throw new LlamaException(source + ": metadata " + key + "[" + i + "] = " + v + " is out of the int range");
        }
        return (int) v;
    }

    private GgufArray array(String key) {
        return (GgufArray) expect(key, GgufType.ARRAY, "an array").value();
    }

    private Entry expect(String key, GgufType type, String what) {
        Entry e = entry(key);
        if (e.type() != type) {
            throw wrongType(key, e.type(), what);
        }
        return e;
    }

    private Entry entry(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            throw new LlamaException(source + ": metadata key " + key + " is missing");
        }
        return e;
    }

    private LlamaException wrongType(String key, GgufType actual, String expected) {
        return wrongType(key, actual, expected, false);
    }

    private LlamaException wrongType(String key, GgufType actual, String expected, boolean elements) {
        return new LlamaException(source + ": metadata " + key + " is " + (elements ? "an array of " : "")
                + actual + ", expected " + expected);
    }
}
