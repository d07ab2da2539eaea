package dev.llama3j.generate;

import java.io.ByteArrayOutputStream;
import java.util.function.Function;

/**
 * Turns a stream of token bytes into text without ever splitting a multi-byte character: bytes that may still
 * become a complete UTF-8 sequence are held back until the next token (or {@link #flush}).
 */
public final class Utf8Stream {
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final Function<byte[], String> decoder;

    /** @param decoder bytes to text for complete chunks (the tokenizer's Python-compatible "replace" decoding) */
    public Utf8Stream(Function<byte[], String> decoder) {
        this.decoder = decoder;
    }

    /** Adds bytes; returns the text that is now complete (possibly empty). */
    public String push(byte[] bytes) {
        pending.writeBytes(bytes);
        byte[] all = pending.toByteArray();
        int cut = completePrefix(all);
        pending.reset();
        pending.write(all, cut, all.length - cut);
        return cut == 0 ? "" : decoder.apply(java.util.Arrays.copyOf(all, cut));
    }

    /** Whatever is held back, decoded as it is (an incomplete sequence becomes U+FFFD). */
    public String flush() {
        byte[] all = pending.toByteArray();
        pending.reset();
        return all.length == 0 ? "" : decoder.apply(all);
    }

    /**
     * Length of the prefix that ends on a character boundary: a trailing lead byte followed by fewer continuation
     * bytes than it announces is held back; anything else (including invalid bytes) is passed on.
     */
    static int completePrefix(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int lead = b[n - back] & 0xff;
            if ((lead & 0xc0) == 0x80) {
                continue; // continuation byte: look further back for its lead
            }
            int need = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xc2 && lead <= 0xdf ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }
}
