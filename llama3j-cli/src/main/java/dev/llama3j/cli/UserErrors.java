package dev.llama3j.cli;

import dev.llama3j.LlamaException;
import picocli.CommandLine;

import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;

/**
 * Turns exceptions from a command into one clear line on stderr and a non-zero exit.
 * A user's mistake (bad file, bad value) never shows a stack trace; a bug still does,
 * because hiding it would make it impossible to report.
 */
final class UserErrors implements CommandLine.IExecutionExceptionHandler {

    static final int EXIT_USER_ERROR = 1;
    static final int EXIT_BUG = 70;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
        System.out.flush();
        String msg = userMessage(ex);
        if (msg != null) {
            System.err.println("llama3j: " + msg);
            return EXIT_USER_ERROR;
        }
        System.err.println("llama3j: internal error (please report it):");
        ex.printStackTrace(System.err);
        return EXIT_BUG;
    }

    /**
     * A command line picocli cannot parse (unknown option, bad number, missing value): one line naming the problem,
     * picocli's suggestions for a mistyped name, and where the usage is, instead of the whole usage text.
     */
    static int handleParameterException(CommandLine.ParameterException ex, String[] args) {
        StringBuilder line = new StringBuilder("llama3j: ").append(ex.getMessage());
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            line.append("; did you mean ").append(String.join(" or ", u.getSuggestions())).append('?');
        }
        line.append(" (see '").append(ex.getCommandLine().getCommandSpec().qualifiedName()).append(" --help')");
        System.err.println(line);
        return ex.getCommandLine().getCommandSpec().exitCodeOnInvalidInput();
    }

    /** The one-line message for an exception caused by the user's input, or null for a bug. */
    static String userMessage(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof LlamaException) {
                return t.getMessage();
            }
            if (t instanceof NoSuchFileException nsf) {
                return "no such file: " + nsf.getFile();
            }
            if (t instanceof java.nio.file.AccessDeniedException ade) {
                return "permission denied: " + ade.getFile();
            }
            if (t instanceof UncheckedIOException || t instanceof java.io.IOException) {
                return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            }
            if (t instanceof OutOfMemoryError) {
                return "out of memory: " + t.getMessage()
                        + " (give the JVM more heap with LLAMA3J_JAVA_OPTS=-Xmx..., or lower --max-seq-len/--max-batch-size)";
            }
        }
        return null;
    }
}
