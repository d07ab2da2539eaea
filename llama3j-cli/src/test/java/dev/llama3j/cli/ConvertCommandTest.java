package dev.llama3j.cli;

import dev.llama3j.SharedData;
import dev.llama3j.format.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code llama3j convert} and {@code llama3j synth} on the command line: output, summary, and one-line errors. */
class ConvertCommandTest {
    @TempDir
    Path dir;

    @Test
    void convertsAFixtureAndReportsIt() throws Exception {
        Path src = SharedData.require("fixtures/meta/tiny-sv-meta");
        Path out = dir.resolve("m.gguf");
        CliRunner.Run r = CliRunner.run("convert", src.toString(), "-o", out.toString(), "--type", "q8_0",
                "--name", "tiny-sv-gguf-q8_0", "--no-tokenizer");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stderr()).contains("llama3j: wrote " + out).contains("META -> q8_0");
        assertThat(Files.mismatch(out, SharedData.require("fixtures/gguf/tiny-sv-gguf-q8_0.gguf"))).isEqualTo(-1L);
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.metadata().getString("general.name")).isEqualTo("tiny-sv-gguf-q8_0");
        }

        CliRunner.Run again = CliRunner.run("convert", src.toString(), "-o", out.toString(), "--type", "q8_0");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.stderr().strip()).isEqualTo("llama3j: " + out + ": already exists (use --force to overwrite it)");
        CliRunner.Run forced = CliRunner.run("convert", src.toString(), "-o", out.toString(), "--type", "f16", "--force",
                "--no-tokenizer");
        assertThat(forced.exit()).isZero();
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.metadata().getString("general.name")).isEqualTo("tiny-sv-meta");
            assertThat(f.metadata().getInt("general.file_type")).isEqualTo(1);
        }
    }

    @Test
    void userErrorsAreOneLineAndWriteNothing() {
        Path src = SharedData.require("fixtures/meta/tiny-sv-meta");
        Path out = dir.resolve("x.gguf");
        CliRunner.Run bad = CliRunner.run("convert", src.toString(), "-o", out.toString(), "--type", "q3_k");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.stderr().strip()).isEqualTo(
                "llama3j: unknown type 'q3_k' (expected one of f32, f16, bf16, q8_0, q4_0, q4_k_m)");
        Path noDir = dir.resolve("missing").resolve("x.gguf");
        CliRunner.Run unwritable = CliRunner.run("convert", src.toString(), "-o", noDir.toString());
        assertThat(unwritable.exit()).isEqualTo(1);
        assertThat(unwritable.stderr().strip()).startsWith("llama3j: " + noDir + ": the folder ").endsWith("does not exist");
        CliRunner.Run missing = CliRunner.run("convert", dir.resolve("nothing").toString(), "-o", out.toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.stderr().strip()).isEqualTo("llama3j: model path " + dir.resolve("nothing") + " does not exist");
        CliRunner.Run gguf = CliRunner.run("convert", SharedData.require("fixtures/gguf/tiny-sv-gguf-f32.gguf").toString(),
                "-o", out.toString());
        assertThat(gguf.exit()).isEqualTo(1);
        assertThat(gguf.stderr()).contains("is already a GGUF file");
        CliRunner.Run shape = CliRunner.run("synth", "--shape", "llama-4", "-o", out.toString());
        assertThat(shape.exit()).isEqualTo(1);
        assertThat(shape.stderr().strip()).isEqualTo("llama3j: unknown shape 'llama-4' (expected one of llama-3.2-1b,"
                + " llama-3.2-3b, llama-3-8b, llama-3-70b, llama-3.1-8b, tiny, tiny-vocab)");
        assertThat(out).doesNotExist();
        assertThat(dir.resolve("x.gguf.tmp")).doesNotExist();
    }

    /** Every shape --shape accepts is listed in the help. */
    @Test
    void synthHelpListsEveryShape() {
        CliRunner.Run help = CliRunner.run("synth", "--help");
        assertThat(help.exit()).isZero();
        String text = help.stdout().replaceAll("\\s+", " ");
        for (dev.llama3j.convert.SynthShape s : dev.llama3j.convert.SynthShape.values()) {
            assertThat(text).contains(s.cliName);
        }
        assertThat(text).contains("--shape=SHAPE one of llama-3.2-1b, llama-3.2-3b, llama-3-8b, llama-3-70b, llama-3.1-8b, tiny, tiny-vocab");
    }

    @Test
    void synthWritesALoadableFile() throws Exception {
        Path out = dir.resolve("s.gguf");
        CliRunner.Run r = CliRunner.run("synth", "--shape", "tiny", "--type", "q4_k_m", "--seed", "5", "-o", out.toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stderr()).contains("tiny q4_k_m, seed 5");
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.metadata().getInt("general.file_type")).isEqualTo(15);
            assertThat(f.metadata().getInt("llama.context_length")).isEqualTo(131072);
            assertThat(f.tensorCount()).isEqualTo(22);
        }
    }
}
