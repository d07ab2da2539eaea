package dev.llama3j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code llama3j conformance --out}: a folder, reused or created; a file there is a one-line error. */
class ConformanceCommandTest {
    @TempDir
    Path dir;

    private static CliRunner.Run run(Path out) {
        return CliRunner.run("conformance", "--fixtures", SharedData.require("fixtures").toString(), "--out",
                out.toString(), "--fixture", "tiny-sv-meta");
    }

    @Test
    void anExistingFolderIsReusedAndItsOutputsOverwritten() throws IOException {
        Path stale = Files.writeString(dir.resolve("tiny-sv-meta.json"), "stale");
        CliRunner.Run run = run(dir);
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("PASS  tiny-sv-meta").contains("outputs in " + dir);
        assertThat(new ObjectMapper().readTree(stale.toFile()).isObject()).isTrue();
    }

    @Test
    void aMissingFolderIsCreated() {
        Path out = dir.resolve("a").resolve("b");
        CliRunner.Run run = run(out);
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(out.resolve("tiny-sv-meta.json")).isRegularFile();
    }

    @Test
    void aFileIsAOneLineErrorAndStaysAsItWas() throws IOException {
        Path file = Files.writeString(dir.resolve("results.txt"), "keep me");
        CliRunner.Run run = run(file);
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr().strip())
                .isEqualTo("llama3j: --out " + file + " is a file; expected a folder (a missing one is created)");
        assertThat(run.stdout()).isEmpty();
        assertThat(Files.readString(file)).isEqualTo("keep me");

        CliRunner.Run below = run(file.resolve("sub"));
        assertThat(below.exit()).isEqualTo(1);
        assertThat(below.stderr().strip()).startsWith("llama3j: --out " + file.resolve("sub") + ": cannot create the folder")
                .doesNotContain("\n");
    }
}
