package dev.llama3j;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the ground-truth folder {@code ../shared} beside the repository (the build passes it as
 * {@code -Dllama3j.shared=DIR}; without it, relative to a module's folder). Tests that need it call {@link #require}, which skips the test with a
 * visible message when it is absent instead of failing.
 */
public final class SharedData {
    private SharedData() {}

    public static Path root() {
        String override = System.getProperty("llama3j.shared");
        return (override != null ? Path.of(override) : Path.of("..", "..", "shared")).toAbsolutePath().normalize();
    }

    /** {@code root().resolve(relative)}, or skips the calling test (with a message on stderr) if it is missing. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            String msg = "SKIPPED: ground truth " + p + " is absent (tests that need ../shared are skipped)";
            System.err.println(msg);
            Assumptions.assumeTrue(false, msg);
        }
        return p;
    }
}
