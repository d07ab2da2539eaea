package dev.llama3j.grammar;

/**
 * A JSON Schema that this package cannot turn into a grammar: a keyword outside the supported subset, a regular
 * expression it cannot compile, or a schema that no value satisfies. The message is one line and names the JSON
 * pointer of the offending schema.
 */
public final class UnsupportedSchemaException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public UnsupportedSchemaException(String message) {
        super(message);
    }

    /** The message for a keyword outside the subset, e.g. {@code unsupported JSON Schema keyword "if" at /a}. */
    static UnsupportedSchemaException keyword(String keyword, String pointer) {
        return new UnsupportedSchemaException(
                "unsupported JSON Schema keyword \"" + keyword + "\" at " + shown(pointer));
    }

    /** A problem with the schema at {@code pointer}. */
    static UnsupportedSchemaException at(String pointer, String problem) {
        return new UnsupportedSchemaException(problem + " at " + shown(pointer));
    }

    private static String shown(String pointer) {
        return pointer.isEmpty() ? "/" : pointer;
    }
}
