package dev.llama3j.tokenizer.vocab;

import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.RankTable;
import dev.llama3j.tokenizer.SpecialTokenNames;
import dev.llama3j.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a tiktoken BPE file ({@code tokenizer.model}): one {@code base64(token bytes) rank} per line.
 * The ranks must be exactly 0..n-1 (any order), the token bytes distinct, and every single byte must be
 * a token (otherwise some text could not be encoded at all).
 */
public final class TiktokenFile {
    private TiktokenFile() {}

    /** Loads a tiktoken {@code tokenizer.model} with the Llama 3 special-token names. */
    public static Tokenizer load(Path tokenizerModel) {
        return load(tokenizerModel, SpecialTokenNames.LLAMA_3);
    }

    /** Loads a tiktoken {@code tokenizer.model}; {@code naming} picks the special-token names (3 or 3.1+). */
    public static Tokenizer load(Path tokenizerModel, SpecialTokenNames naming) {
        return Tokenizer.fromRanks(read(tokenizerModel), naming);
    }

    /** Far above the real file (2.2 MB); refuses to read a hostile multi-gigabyte file onto the heap. */
    private static final long MAX_FILE_BYTES = 64L << 20;

    static RankTable read(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new LlamaException("tokenizer model not found: " + path
                    + " (expected a tiktoken tokenizer.model file)");
        }
        byte[] data;
        try {
            long size = Files.size(path);
            if (size > MAX_FILE_BYTES) {
                throw new LlamaException(path + ": " + size + " bytes is too large for a tiktoken tokenizer.model"
                        + " (at most " + MAX_FILE_BYTES + ")");
            }
            data = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new LlamaException("cannot read tokenizer model " + path + ": " + e.getMessage(), e);
        }
        return parse(path, data);
    }

    static RankTable parse(Path path, byte[] data) {
        int entries = 0;
        for (int pos = 0; pos < data.length; ) {
            int eol = lineEnd(data, pos);
            if (contentEnd(data, pos, eol) > pos) {
                entries++;
            }
            pos = eol + 1;
        }
        if (entries == 0) {
            throw new LlamaException(path + ": no tokens (expected lines of 'base64-token rank')");
        }
        // base64 never decodes to more bytes than its text, so the file size bounds the token bytes
        byte[] decoded = new byte[data.length];
        int[] start = new int[entries];
        int[] length = new int[entries];
        int[] lineOf = new int[entries];
        int used = 0;
        int line = 0;
        for (int pos = 0; pos < data.length; ) {
            int eol = lineEnd(data, pos);
            line++;
            int end = contentEnd(data, pos, eol);
            int lineStart = pos;
            pos = eol + 1;
            if (end == lineStart) {
                continue;
            }
            int sep = lineStart;
            while (sep < end && !isBlank(data[sep])) {
                sep++;
            }
            int rankStart = sep;
            while (rankStart < end && isBlank(data[rankStart])) {
                rankStart++;
            }
            if (sep == lineStart || rankStart == end) {
                throw malformed(path, line, "expected 'base64-token rank'");
            }
            int rank = 0;
            for (int i = rankStart; i < end; i++) {
                int d = data[i] - '0';
                if (d < 0 || d > 9 || rank > (Integer.MAX_VALUE - d) / 10) {
                    throw malformed(path, line, "rank '" + text(data, rankStart, end)
                            + "' is not a non-negative integer (expected 'base64-token rank')");
                }
                rank = rank * 10 + d;
            }
            if (rank >= entries) {
                throw new LlamaException(path + ": line " + line + ": rank " + rank + " leaves a gap: the "
                        + entries + " ranks must be exactly 0.." + (entries - 1));
            }
            if (lineOf[rank] != 0) {
                throw new LlamaException(path + ": line " + line + ": duplicate rank " + rank
                        + " (already at line " + lineOf[rank] + ")");
            }
            int decodedLength = decodeBase64(data, lineStart, sep, decoded, used);
            if (decodedLength < 0) {
                throw malformed(path, line, "bad base64 '" + text(data, lineStart, sep) + "'");
            }
            if (decodedLength == 0) {
                throw malformed(path, line, "empty token");
            }
            start[rank] = used;
            length[rank] = decodedLength;
            lineOf[rank] = line;
            used += length[rank];
        }
        // lay the tokens out in rank order so that rank r spans offsets[r]..offsets[r+1]
        byte[] pool = new byte[used];
        int[] offsets = new int[entries + 1];
        int at = 0;
        for (int r = 0; r < entries; r++) {
            offsets[r] = at;
            System.arraycopy(decoded, start[r], pool, at, length[r]);
            at += length[r];
        }
        offsets[entries] = at;
        RankTable table;
        try {
            table = new RankTable(pool, offsets);
        } catch (RankTable.DuplicateTokenException e) {
            throw new LlamaException(path + ": line " + lineOf[e.secondRank] + ": rank " + e.secondRank
                    + " has the same token bytes as rank " + e.firstRank + " (line " + lineOf[e.firstRank] + ")");
        }
        int missing = table.firstMissingByte();
        if (missing >= 0) {
            throw new LlamaException(path + ": no token for the single byte 0x" + String.format("%02x", missing)
                    + " (every byte must be a token)");
        }
        return table;
    }

    private static final byte[] BASE64_VALUES = new byte[256];

    static {
        Arrays.fill(BASE64_VALUES, (byte) -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.length(); i++) {
            BASE64_VALUES[alphabet.charAt(i)] = (byte) i;
        }
    }

    /**
     * Decodes standard padded base64 {@code src[from, to)} into {@code dst} at {@code at}; returns the number
     * of bytes, or -1 if the text is not base64. Hand-written because the JDK decoder needs a buffer
     * per call, which made loading 128,000 lines several times slower.
     */
    static int decodeBase64(byte[] src, int from, int to, byte[] dst, int at) {
        int len = to - from;
        if (len % 4 != 0) {
            return -1;
        }
        int padding = len == 0 ? 0 : (src[to - 1] == '=' ? (src[to - 2] == '=' ? 2 : 1) : 0);
        int out = at;
        for (int i = from; i < to; i += 4) {
            boolean last = i + 4 == to;
            int chars = last ? 4 - padding : 4;
            int bits = 0;
            for (int k = 0; k < 4; k++) {
                int v = k < chars ? BASE64_VALUES[src[i + k] & 0xFF] : 0;
                if (v < 0) {
                    return -1;
                }
                bits = (bits << 6) | v;
            }
            dst[out++] = (byte) (bits >>> 16);
            if (chars > 2) {
                dst[out++] = (byte) (bits >>> 8);
            }
            if (chars > 3) {
                dst[out++] = (byte) bits;
            }
        }
        return out - at;
    }

    private static int lineEnd(byte[] data, int pos) {
        int eol = pos;
        while (eol < data.length && data[eol] != '\n') {
            eol++;
        }
        return eol;
    }

    /** The end of the line's content: trailing blanks and a CR of a CRLF line dropped. */
    private static int contentEnd(byte[] data, int from, int eol) {
        int end = eol;
        while (end > from && (isBlank(data[end - 1]) || data[end - 1] == '\r')) {
            end--;
        }
        return end;
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t';
    }

    private static LlamaException malformed(Path path, int line, String what) {
        return new LlamaException(path + ": line " + line + ": " + what);
    }

    private static String text(byte[] data, int from, int to) {
        int shown = Math.min(to - from, 60);
        return new String(data, from, shown, java.nio.charset.StandardCharsets.UTF_8) + (shown < to - from ? "..." : "");
    }
}
