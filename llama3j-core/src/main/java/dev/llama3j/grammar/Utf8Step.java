package dev.llama3j.grammar;

/**
 * Byte-at-a-time UTF-8 validation with the state packed in an int, so that frames stay small values. A state is
 * 0 between characters, or a partial character: the bits so far, the bytes still missing and the sequence length.
 * Overlong forms, surrogates and code points past U+10FFFF are rejected at the first byte that rules them out.
 */
final class Utf8Step {
    private Utf8Step() {}

    private static final int[] MIN_BY_LENGTH = {0, 0, 0x80, 0x800, 0x10000};

    /** The state after the non-ASCII byte {@code b} (0x80..0xFF), or -1 when no valid character can follow. */
    static int next(int state, int b) {
        int cp;
        int rem;
        int len;
        if (state == 0) {
            if (b >= 0xC2 && b <= 0xDF) {
                cp = b & 0x1F;
                rem = 1;
                len = 2;
            } else if (b >= 0xE0 && b <= 0xEF) {
                cp = b & 0x0F;
                rem = 2;
                len = 3;
            } else if (b >= 0xF0 && b <= 0xF4) {
                cp = b & 0x07;
                rem = 3;
                len = 4;
            } else {
                return -1;
            }
        } else {
            if ((b & 0xC0) != 0x80) return -1;
            cp = (codeBits(state) << 6) | (b & 0x3F);
            rem = remaining(state) - 1;
            len = length(state);
        }
        int packed = cp | rem << 21 | len << 23;
        return low(packed) <= high(packed) ? packed : -1;
    }

    /**
     * The state of a partial character past its second byte with its bits replaced by fixed ones: every
     * continuation is then equally valid, so where the character's value does not matter (an automaton state that
     * every character leads to the same place) states that differ only in those bits become one.
     */
    static int canonical(int state) {
        int rem = remaining(state);
        int len = length(state);
        if (rem == 0 || rem >= len - 1) return state;
        int bits = len == 3 ? 0x20 : rem == 2 ? 0x10 : 0x400;
        return bits | rem << 21 | len << 23;
    }

    /** Whether a character is under way. */
    static boolean partial(int state) {
        return state != 0 && remaining(state) > 0;
    }

    /** The code point of a state whose character is complete ({@code !partial}). */
    static int codePoint(int state) {
        return codeBits(state);
    }

    /** The smallest code point that the partial character in {@code state} can still become. */
    static int low(int state) {
        int shift = 6 * remaining(state);
        int lo = Math.max(codeBits(state) << shift, MIN_BY_LENGTH[length(state)]);
        return lo >= 0xD800 && lo <= 0xDFFF ? 0xE000 : lo;
    }

    /** The largest code point that the partial character in {@code state} can still become. */
    static int high(int state) {
        int shift = 6 * remaining(state);
        int hi = Math.min((codeBits(state) << shift) | ((1 << shift) - 1), 0x10FFFF);
        return hi >= 0xD800 && hi <= 0xDFFF ? 0xD7FF : hi;
    }

    private static int codeBits(int state) {
        return state & 0x1FFFFF;
    }

    private static int remaining(int state) {
        return (state >>> 21) & 3;
    }

    private static int length(int state) {
        return (state >>> 23) & 7;
    }
}
