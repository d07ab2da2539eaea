package dev.llama3j.grammar;

/**
 * The bounds that keep every constrained output finite and natural, beyond what the schema itself says. JSON
 * allows any amount of whitespace and any number of digits; a sampler left free there can loop forever.
 */
public final class JsonLimits {
    private JsonLimits() {}

    /**
     * Most whitespace bytes (space, newline, tab) in one gap between two JSON tokens: enough to pretty-print four
     * levels deep with four-space indents. None before the top-level value and none after it.
     */
    public static final int MAX_WHITESPACE = 20;
    /** Most digits before a number's decimal point. */
    public static final int MAX_INTEGER_DIGITS = 15;
    /** Most digits after a number's decimal point. */
    public static final int MAX_FRACTION_DIGITS = 15;
    /** Most digits in a number's exponent: two keep every number within a double's range, which validators use. */
    public static final int MAX_EXPONENT_DIGITS = 2;

    /** The whitespace bytes allowed between JSON tokens (JSON's carriage return is not produced). */
    static boolean isWhitespace(int b) {
        return b == ' ' || b == '\n' || b == '\t';
    }
}
