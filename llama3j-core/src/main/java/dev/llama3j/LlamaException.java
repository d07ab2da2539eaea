package dev.llama3j;

import java.util.regex.Pattern;

/**
 * An error caused by the user's input: a missing or malformed file, a bad value, a limit exceeded.
 * The message is one line that names the file, field or value and says what was expected;
 * the CLI prints it without a stack trace.
 */
public class LlamaException extends RuntimeException {
    public LlamaException(String message) {
        super(oneLine(message));
    }

    public LlamaException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /** Names and values quoted from a file may hold line breaks; they become spaces so the message stays one line. */
    private static String oneLine(String message) {
        return message == null ? null : LINE_BREAK.matcher(message).replaceAll(" ");
    }

    private static final Pattern LINE_BREAK = Pattern.compile("\\R");
}
