package dev.llama3j.tokenizer.vocab;

/**
 * GPT-2's reversible byte-to-character mapping, used to write token bytes as text in GGUF
 * ({@code tokenizer.ggml.tokens}, {@code merges}) and Hugging Face {@code tokenizer.json}: printable Latin-1 bytes
 * ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves, the other 68 bytes map to U+0100 and up, in byte order.
 */
public final class Gpt2Bytes {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[0x200];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (0x100 + next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private Gpt2Bytes() {}

    /** Token bytes as GPT-2 text. */
    public static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xff];
        }
        return new String(out);
    }

    /**
     * GPT-2 text given as UTF-8 ({@code utf8[from, to)}) back to bytes, written to {@code out} at {@code at},
     * without making a String: the bytes the characters of the decoded text stand for. Returns the
     * position after the last byte written, or -1 if a character is not in the mapping (or the UTF-8 is
     * malformed, which decodes to U+FFFD, not in the mapping either). {@code out} has room for
     * {@code to - from} bytes: each character takes one or two UTF-8 bytes and gives one byte.
     */
    static int decodeUtf8(byte[] utf8, int from, int to, byte[] out, int at) {
        int i = from;
        while (i < to) {
            int lead = utf8[i] & 0xFF;
            int c;
            if (lead < 0x80) {
                c = lead;
                i++;
            } else if (lead >= 0xC2 && lead <= 0xC7 && i + 1 < to && (utf8[i + 1] & 0xC0) == 0x80) {
                // two-byte sequences up to U+01FF: the only non-ASCII characters the mapping uses
                c = ((lead & 0x1F) << 6) | (utf8[i + 1] & 0x3F);
                i += 2;
            } else {
                return -1;
            }
            int b = CHAR_TO_BYTE[c];
            if (b < 0) {
                return -1;
            }
            out[at++] = (byte) b;
        }
        return at;
    }
}
