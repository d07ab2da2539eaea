package dev.llama3j.tokenizer.vocab;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A list of strings kept as their UTF-8 bytes, laid out as GGUF stores a string array: each string's byte
 * length as a little-endian u64, then its bytes. A GGUF reader copies such an array out of the file in one
 * piece; the tokenizer then reads token and merge texts straight from the bytes instead of making a String
 * of each (Llama 3 has 128,256 tokens and 280,147 merges, and the load runs in a cold JVM, where every
 * object per element counts) and fingerprints a whole list with one digest over its bytes. Immutable.
 */
public final class Utf8Strings {
    private static final int LENGTH_BYTES = 8;

    private final byte[] data;
    /** starts[i]: the first byte of string i; string i ends where string i + 1's length field starts. */
    private final int[] starts;

    private Utf8Strings(byte[] data, int[] starts) {
        this.data = data;
        this.starts = starts;
    }

    /** The strings, each UTF-8 encoded (no element may be null). */
    public static Utf8Strings of(String... strings) {
        byte[][] encoded = new byte[strings.length][];
        long total = 0;
        for (int i = 0; i < strings.length; i++) {
            encoded[i] = strings[i].getBytes(StandardCharsets.UTF_8);
            total += LENGTH_BYTES + encoded[i].length;
        }
        if (total > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(total + " bytes of strings do not fit one array");
        }
        byte[] data = new byte[(int) total];
        int at = 0;
        for (byte[] s : encoded) {
            for (int b = 0; b < LENGTH_BYTES; b++) {
                data[at + b] = (byte) ((long) s.length >>> (8 * b));
            }
            at += LENGTH_BYTES;
            System.arraycopy(s, 0, data, at, s.length);
            at += s.length;
        }
        return layout(data, strings.length);
    }

    /**
     * {@code count} strings in GGUF's array layout, filling {@code data} exactly (the caller hands the array
     * over).
     *
     * @throws IllegalArgumentException when the lengths do not describe exactly {@code count} strings in data
     */
    public static Utf8Strings ofGgufArray(byte[] data, int count) {
        return layout(data, count);
    }

    private static Utf8Strings layout(byte[] data, int count) {
        if (count < 0 || count > data.length / LENGTH_BYTES) {
            throw new IllegalArgumentException(count + " strings cannot fit " + data.length + " bytes");
        }
        int[] starts = new int[count + 1];
        int at = 0;
        for (int i = 0; i < count; i++) {
            if (data.length - at < LENGTH_BYTES) {
                throw new IllegalArgumentException("string " + i + " has no length field");
            }
            long len = littleEndianLong(data, at);
            at += LENGTH_BYTES;
            if (len < 0 || len > data.length - at) {
                throw new IllegalArgumentException("string " + i + " is " + Long.toUnsignedString(len)
                        + " bytes, more than the " + (data.length - at) + " left");
            }
            starts[i] = at;
            at += (int) len;
        }
        if (at != data.length) {
            throw new IllegalArgumentException((data.length - at) + " bytes follow the " + count + " strings");
        }
        starts[count] = at + LENGTH_BYTES;
        return new Utf8Strings(data, starts);
    }

    private static long littleEndianLong(byte[] b, int at) {
        long v = 0;
        for (int i = LENGTH_BYTES - 1; i >= 0; i--) {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }

    public int size() {
        return starts.length - 1;
    }

    /** String {@code i}, decoded (malformed UTF-8 becomes U+FFFD, as {@code new String(bytes, UTF_8)} does). */
    public String get(int i) {
        return new String(data, start(i), end(i) - start(i), StandardCharsets.UTF_8);
    }

    /** Every string, decoded. */
    public String[] toArray() {
        String[] out = new String[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = get(i);
        }
        return out;
    }

    /** The bytes of every string, with the length fields: string i is {@code [start(i), end(i))}. */
    byte[] data() {
        return data;
    }

    int start(int i) {
        return starts[i];
    }

    int end(int i) {
        return starts[i + 1] - LENGTH_BYTES;
    }

    /**
     * SHA-256 of strings {@code [from, to)} in this layout (lengths and bytes): two lists have the same
     * digest exactly when they hold the same strings (up to SHA-256 collisions).
     */
    byte[] sha256(int from, int to) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        if (to > from) {
            int first = starts[from] - LENGTH_BYTES;
            md.update(data, first, end(to - 1) - first);
        }
        return md.digest();
    }
}
