package dev.llama3j;

/**
 * An error caused by the user's input: a missing or malformed file, a bad value, a limit exceeded.
 * The message is one line that names the file, field or value and says what was expected;
 * the CLI prints it without a stack trace.
 */
public class LlamaException extends RuntimeException {
    public LlamaException(String message) {
        super(message);
    }

    public LlamaException(String message, Throwable cause) {
        super(message, cause);
    }
}
