package dev.llama3j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/** Shared by the Jazzer fuzz targets (*JazzerFuzzTest): the clean-rejection check and the scratch files. */
public final class FuzzTargets {
    private FuzzTargets() {}

    private static final Pattern LINE_BREAK = Pattern.compile("\\R");

    /**
     * Fails the input unless the rejection is the one-line error every malformed file must give (a
     * {@link LlamaException}, or a {@code GbnfException} for grammars).
     */
    public static void requireOneLine(RuntimeException e) {
        String message = e.getMessage();
        if (message == null || message.isBlank() || LINE_BREAK.matcher(message).find()) {
            throw new AssertionError("not a one-line error: " + message, e);
        }
    }

    /** A scratch folder for one fuzz target, deleted when the JVM exits. */
    public static Path scratchDir(String name) {
        try {
            Path dir = Files.createTempDirectory("llama3j-fuzz-" + name);
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code bytes} as {@code dir/name} (replacing the last input), marked for deletion at exit. */
    public static Path write(Path dir, String name, byte[] bytes) {
        try {
            Path file = Files.write(dir.resolve(name), bytes);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
