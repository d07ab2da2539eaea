package dev.llama3j.cli;

import dev.llama3j.SharedData;
import org.junit.jupiter.api.Test;

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
    void reportsThroughput() {
        String model = SharedData.require("llama3/tokenizer.model").toString();
        TokenizeCommandTest.Run run = TokenizeCommandTest.run(new byte[0], "bench-tokenizer", "--tokenizer", model,
                "--mb", "1", "--rounds", "1");
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("tokens/s").contains("MB/s");
        assertThat(run.stdout().getBytes(StandardCharsets.UTF_8).length).isPositive();
    }
}
