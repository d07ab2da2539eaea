package dev.llama3j.tokenizer;

import static dev.llama3j.tokenizer.CharClass.LETTER;
import static dev.llama3j.tokenizer.CharClass.NEWLINE;
import static dev.llama3j.tokenizer.CharClass.NUMBER;
import static dev.llama3j.tokenizer.CharClass.SPACE;

/**
 * The Llama 3 pre-tokenizer, a hand-written scanner equivalent to tiktoken's regex
 * <pre>
 * (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * </pre>
 * run by a backtracking engine (fancy-regex: the first alternative that matches wins) over code points.
 * Every position matches some alternative, so the pieces tile the text; {@link #pieceEnd} returns
 * where the piece starting at a position ends. Written by hand because java.util.regex differs in
 * {@code \s} and in case-insensitive matching, and a scanner is much faster.
 */
public final class PreTokenizer {
    private PreTokenizer() {}

    /** The regex above, as Meta's tokenizer.py and Llama 3's tokenizer.json write it. */
    public static final String PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
            + " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** The end of the piece that starts at {@code i}, in {@code cp[i, end)} with {@code i < end}. */
    static int pieceEnd(int[] cp, int i, int end) {
        int c = cp[i];
        // 1. (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if (c == '\'' && i + 1 < end) {
            int c1 = foldContraction(cp[i + 1]);
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
                return i + 2;
            }
            if (i + 2 < end) {
                int c2 = foldContraction(cp[i + 2]);
                if ((c1 == 'r' || c1 == 'v') && c2 == 'e' || c1 == 'l' && c2 == 'l') {
                    return i + 3;
                }
            }
        }
        int cls = CharClass.of(c);
        // 2. [^\r\n\p{L}\p{N}]?\p{L}+
        if ((cls & LETTER) != 0) {
            return letterRunEnd(cp, i + 1, end);
        }
        if ((cls & (NUMBER | NEWLINE)) == 0 && i + 1 < end && (CharClass.of(cp[i + 1]) & LETTER) != 0) {
            return letterRunEnd(cp, i + 2, end);
        }
        // 3. \p{N}{1,3}
        if ((cls & NUMBER) != 0) {
            int j = i + 1;
            while (j < end && j < i + 3 && (CharClass.of(cp[j]) & NUMBER) != 0) {
                j++;
            }
            return j;
        }
        // 4. ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        int j = c == ' ' ? i + 1 : i;
        if (j < end && isOther(cp[j])) {
            j++;
            while (j < end && isOther(cp[j])) {
                j++;
            }
            while (j < end && (cp[j] == '\r' || cp[j] == '\n')) {
                j++;
            }
            return j;
        }
        // c is whitespace now: every other character matched an alternative above.
        int runEnd = i + 1;
        int lastNewline = (cls & NEWLINE) != 0 ? i : -1;
        while (runEnd < end) {
            int k = CharClass.of(cp[runEnd]);
            if ((k & SPACE) == 0) {
                break;
            }
            if ((k & NEWLINE) != 0) {
                lastNewline = runEnd;
            }
            runEnd++;
        }
        // 5. \s*[\r\n]+ : \s* backtracks to the last newline of the run, [\r\n]+ takes just that one
        if (lastNewline >= 0) {
            return lastNewline + 1;
        }
        // 6. \s+(?!\S) : the whole run at the end of the text, else all but its last character
        if (runEnd == end) {
            return runEnd;
        }
        if (runEnd - i >= 2) {
            return runEnd - 1;
        }
        // 7. \s+ : a single space before a non-space
        return i + 1;
    }

    private static int letterRunEnd(int[] cp, int j, int end) {
        while (j < end && (CharClass.of(cp[j]) & LETTER) != 0) {
            j++;
        }
        return j;
    }

    /** {@code [^\s\p{L}\p{N}]} */
    private static boolean isOther(int c) {
        return (CharClass.of(c) & (LETTER | NUMBER | SPACE)) == 0;
    }

    /**
     * Simple case folding as the Rust regex engine applies it to the contraction letters:
     * ASCII upper case, and U+017F LATIN SMALL LETTER LONG S, which folds to 's'.
     */
    private static int foldContraction(int c) {
        if (c >= 'A' && c <= 'Z') {
            return c + ('a' - 'A');
        }
        return c == 0x17F ? 's' : c;
    }
}
