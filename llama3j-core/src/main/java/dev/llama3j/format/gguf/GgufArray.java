package dev.llama3j.format.gguf;

import dev.llama3j.tokenizer.vocab.Utf8Strings;

/**
 * A GGUF metadata array. {@code values} is a primitive array matching the element type ({@code byte[]} for
 * (u)int8, {@code short[]}, {@code int[]}, {@code long[]} for wider integers, unsigned ones keeping their
 * bits; {@code float[]}, {@code double[]}, {@code boolean[]}), a {@code String[]}, or a {@code GgufArray[]}
 * for nested arrays.
 * <p>
 * A string array read from a file keeps the file's UTF-8 bytes ({@link #utf8Strings}) and makes its
 * {@code String[]} only when {@link #values} is first asked for: the tokenizer reads the 408,000 strings of
 * a Llama 3 vocabulary from the bytes, and making a String of each is a noticeable part of a cold start.
 */
public final class GgufArray {
    private final GgufType elementType;
    private final Utf8Strings utf8;
    private Object values;

    public GgufArray(GgufType elementType, Object values) {
        this.elementType = elementType;
        this.utf8 = null;
        this.values = values;
    }

    /** A string array as read from a file. */
    GgufArray(Utf8Strings strings) {
        this.elementType = GgufType.STRING;
        this.utf8 = strings;
    }

    public GgufType elementType() {
        return elementType;
    }

    /** The elements (see the class comment for the Java types); the caller must not modify the array. */
    public synchronized Object values() {
        if (values == null) {
            values = utf8.toArray();
        }
        return values;
    }

    public int length() {
        return utf8 != null ? utf8.size() : java.lang.reflect.Array.getLength(values);
    }

    /** The elements of a string array as UTF-8 (those of a file without decoding them). */
    public Utf8Strings utf8Strings() {
        if (elementType != GgufType.STRING) {
            throw new IllegalStateException("not a string array: " + elementType);
        }
        return utf8 != null ? utf8 : Utf8Strings.of((String[]) values);
    }
}
