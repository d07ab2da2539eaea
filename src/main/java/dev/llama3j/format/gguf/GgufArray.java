package dev.llama3j.format.gguf;

/**
 * A GGUF metadata array. {@code values} is a primitive array matching the element type ({@code byte[]} for
 * (u)int8, {@code short[]}, {@code int[]}, {@code long[]} for wider integers, unsigned ones keeping their
 * bits; {@code float[]}, {@code double[]}, {@code boolean[]}), a {@code String[]}, or a {@code GgufArray[]}
 * for nested arrays.
 */
public record GgufArray(GgufType elementType, Object values) {

    public int length() {
        return java.lang.reflect.Array.getLength(values);
    }
}
