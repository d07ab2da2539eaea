package dev.llama3j.grammar;

/**
 * The bounds on a GBNF grammar, so that a hostile one (a request's) can exhaust neither memory nor time: its text,
 * the nesting the parser recurses into, its compiled size once repetitions are expanded, and the parses a matcher
 * follows at once. A grammar past one is a {@link GbnfException} naming it.
 */
public final class GbnfLimits {
    private GbnfLimits() {}

    /** Most characters of grammar text. */
    public static final int MAX_TEXT = 1 << 20;
    /** Most nested groups and postfix operators around one expression. */
    public static final int MAX_NESTING = 100;
    /** Largest count in a repetition {@code {m,n}}. */
    public static final int MAX_REPETITION = 10_000;
    /** Most rules, those that groups and repetitions add included. */
    public static final int MAX_RULES = 100_000;
    /** Most symbols in all the rules' alternatives together, once repetitions are expanded. */
    public static final int MAX_SYMBOLS = 1_000_000;
    /** Most parse stacks a state may hold: more means the grammar is too ambiguous to follow. */
    public static final int MAX_STACKS = 1024;
    /** Most rule expansions for one character, a second bound on ambiguity. */
    public static final int MAX_EXPANSIONS = 100_000;
}
