package dev.llama3j.grammar;

/**
 * A GBNF grammar that this package cannot use: a syntax error, an undefined or missing rule, left recursion, a
 * size past {@link GbnfLimits}, or (while matching) an output read in too many ways at once. The message is one
 * line and, where the problem has a place in the text, starts with its line and column.
 */
public final class GbnfException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    GbnfException(String message) {
        super(message);
    }

    /** A problem at {@code line}, {@code column} (both from 1). */
    static GbnfException at(int line, int column, String problem) {
        return new GbnfException("line " + line + ", column " + column + ": " + problem);
    }
}
