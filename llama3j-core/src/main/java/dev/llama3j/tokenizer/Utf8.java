package dev.llama3j.tokenizer;

/** UTF-8 conversions with exactly the behaviour of the Python reference. */
final class Utf8 {
    private Utf8() {}

    /**
     * The code points of {@code text}, each lone surrogate replaced by U+FFFD. tiktoken does the same:
     * a Python str with a lone surrogate cannot be encoded to UTF-8 for the Rust core, so tiktoken
     * re-decodes the text with errors="replace", turning each lone surrogate into one U+FFFD.
     * (A lone surrogate also counts as one character for Meta's length limits, and so does U+FFFD.)
     */
    static int[] codePoints(String text) {
        int n = text.length();
        int[] out = new int[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                    out[count++] = Character.toCodePoint(c, text.charAt(++i));
                } else {
                    out[count++] = 0xFFFD;
                }
            } else {
                out[count++] = c;
            }
        }
        return count == n ? out : java.util.Arrays.copyOf(out, count);
    }

    /** Writes the UTF-8 of {@code cp[from, to)} into {@code out} (room for 4 bytes per code point). */
    static int encode(int[] cp, int from, int to, byte[] out) {
        int n = 0;
        for (int i = from; i < to; i++) {
            int c = cp[i];
            if (c < 0x80) {
                out[n++] = (byte) c;
            } else if (c < 0x800) {
                out[n++] = (byte) (0xC0 | (c >>> 6));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            } else if (c < 0x10000) {
                out[n++] = (byte) (0xE0 | (c >>> 12));
                out[n++] = (byte) (0x80 | ((c >>> 6) & 0x3F));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            } else {
                out[n++] = (byte) (0xF0 | (c >>> 18));
                out[n++] = (byte) (0x80 | ((c >>> 12) & 0x3F));
                out[n++] = (byte) (0x80 | ((c >>> 6) & 0x3F));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return n;
    }

    /**
     * Decodes UTF-8 like Python's {@code bytes.decode("utf-8", errors="replace")}: each maximal
     * subpart of an ill-formed sequence (a valid prefix of a well-formed sequence, or else one byte)
     * becomes one U+FFFD, the Unicode "best practice" that CPython follows. Surrogate code points
     * (ED A0..BF ..), overlong forms (C0, C1, E0 80..9F, F0 80..8F) and values above U+10FFFF
     * (F4 90.., F5..FF) are ill-formed.
     */
    static String decodeReplacing(byte[] b, int length) {
        StringBuilder sb = new StringBuilder(length);
        int i = 0;
        while (i < length) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                sb.append((char) b0);
                i++;
                continue;
            }
            int need;
            int cp;
            int lo = 0x80;
            int hi = 0xBF;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
                cp = b0 & 0x1F;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                cp = b0 & 0x0F;
                if (b0 == 0xE0) {
                    lo = 0xA0;
                } else if (b0 == 0xED) {
                    hi = 0x9F;
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                cp = b0 & 0x07;
                if (b0 == 0xF0) {
                    lo = 0x90;
                } else if (b0 == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                sb.append('\uFFFD');
                i++;
                continue;
            }
            int j = i + 1;
            boolean ok = true;
            for (int k = 0; k < need; k++, j++) {
                if (j >= length) {
                    ok = false;
                    break;
                }
                int c = b[j] & 0xFF;
                if (c < lo || c > hi) {
                    ok = false;
                    break;
                }
                cp = (cp << 6) | (c & 0x3F);
                lo = 0x80;
                hi = 0xBF;
            }
            if (ok) {
                sb.appendCodePoint(cp);
            } else {
                sb.append('\uFFFD'); // the start byte and the valid continuations read so far
            }
            i = j;
        }
        return sb.toString();
    }
}
