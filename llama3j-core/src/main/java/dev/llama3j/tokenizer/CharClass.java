package dev.llama3j.tokenizer;

/**
 * The character classes the Llama 3 pre-tokenizer and Meta's Python code test, by code point.
 * <p>
 * Two different notions of whitespace matter and neither is Java's {@link Character#isWhitespace}:
 * the regex {@code \s} of tiktoken's Rust regex engine is the Unicode White_Space property, while
 * Meta's Python code ({@code str.isspace}, {@code str.strip}) also counts U+001C..U+001F as space.
 * Letters are general category L*, numbers N* (Nd, Nl, No), as {@code \p{L}} and {@code \p{N}}.
 */
final class CharClass {
    private CharClass() {}

    static final int LETTER = 1;
    static final int NUMBER = 2;
    /** Regex {@code \s}: Unicode White_Space. */
    static final int SPACE = 4;
    /** {@code \r} or {@code \n}. */
    static final int NEWLINE = 8;
    /** Python {@code str.isspace()}. */
    static final int PY_SPACE = 16;

    private static final byte[] BMP = new byte[0x10000];

    static {
        for (int c = 0; c < BMP.length; c++) {
            BMP[c] = (byte) categoryClass(c);
        }
        int[] whiteSpace = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680,
                0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
                0x2028, 0x2029, 0x202F, 0x205F, 0x3000};
        for (int c : whiteSpace) {
            BMP[c] |= SPACE | PY_SPACE;
        }
        for (int c = 0x1C; c <= 0x1F; c++) {
            BMP[c] |= PY_SPACE; // information separators: space to Python, not to the regex
        }
        BMP['\r'] |= NEWLINE;
        BMP['\n'] |= NEWLINE;
    }

    private static int categoryClass(int c) {
        return switch (Character.getType(c)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> 0;
        };
    }

    /** The class bits of a code point. No supplementary code point is whitespace. */
    static int of(int c) {
        return c < 0x10000 ? BMP[c] : categoryClass(c);
    }

    static boolean isPythonSpace(int c) {
        return c < 0x10000 && (BMP[c] & PY_SPACE) != 0;
    }
}
