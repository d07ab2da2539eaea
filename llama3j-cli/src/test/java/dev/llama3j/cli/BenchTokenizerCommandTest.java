package dev.llama3j.cli;

import dev.llama3j.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class BenchTokenizerCommandTest {

    @Test
    void generatedTextIsDeterministicProse() {
        String a = BenchTokenizerCommand.generate(10_000);
        assertThat(a).isEqualTo(BenchTokenizerCommand.generate(10_000));
        assertThat(a.length()).isBetween(10_000, 10_200);
        assertThat(a).contains(". ").contains(", ").matches("(?s)[A-Z][a-z].*");
    }

    @Test
    void aFileThatIsNotUtf8IsNamedWithItsFirstBadByte(@TempDir Path dir) throws IOException {
        String model = SharedData.require("llama3/tokenizer.model").toString();
        Path latin1 = Files.write(dir.resolve("latin1.txt"), "naïve text".getBytes(StandardCharsets.ISO_8859_1));
        CliRunner.Run run = CliRunner.run("bench-tokenizer", "--tokenizer", model,
                "--file", latin1.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr().strip()).isEqualTo("llama3j: " + latin1 + ": invalid UTF-8 at byte 3 (0xef)");
        CliRunner.Run folder = CliRunner.run("bench-tokenizer", "--tokenizer", model,
                "--file", dir.toString());
        assertThat(folder.exit()).isEqualTo(1);
        assertThat(folder.stderr().strip()).isEqualTo("llama3j: " + dir + ": is a folder, expected a UTF-8 text file");
    }

    @Test
    void reportsThroughput() {
        String model = SharedData.require("llama3/tokenizer.model").toString();
        CliRunner.Run run = CliRunner.run("bench-tokenizer", "--tokenizer", model,
                "--mb", "1", "--rounds", "1");
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("tokens/s").contains("MB/s");
        assertThat(run.stdout().getBytes(StandardCharsets.UTF_8).length).isPositive();
    }
}
