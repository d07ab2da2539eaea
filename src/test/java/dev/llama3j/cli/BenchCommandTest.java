package dev.llama3j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code llama3j bench} on a tiny fixture: the llama-bench table and JSON shapes (no speed is asserted). */
class BenchCommandTest {
    static String model() {
        return SharedData.require("fixtures/gguf/tiny-sv-gguf-q8_0.gguf").toString();
    }

    @Test
    void markdownTableHasOneRowPerTestAndThreadCount() {
        CliRunner.Run run = CliRunner.run("bench", "-m", model(), "-p", "8,16", "-n", "4", "-t", "1,2", "-r", "2");
        assertThat(run.exit()).as(run.stderr()).isZero();
        List<String> lines = run.stdout().lines().toList();
        assertThat(lines).hasSize(2 + 3 * 2);
        assertThat(lines.get(0)).contains("| model").contains(" test |").contains("t/s |");
        for (String row : lines.subList(2, lines.size())) {
            String[] cells = row.split("\\|");
            assertThat(cells).hasSize(8);
            assertThat(cells[1].strip()).matches("llama \\d+[KMB] Q8_0");
            assertThat(cells[7].strip()).matches("\\d+\\.\\d{2} ± +\\d+\\.\\d{2}");
        }
        assertThat(lines.subList(2, lines.size()).stream().map(l -> l.split("\\|")[5].strip() + l.split("\\|")[6].strip()))
                .containsExactly("1pp8", "1pp16", "1tg4", "2pp8", "2pp16", "2tg4");
    }

    /** Every line of the table has its bars at the same columns, whatever the backend name and numbers. */
    @Test
    void markdownTableLinesUp() {
        CliRunner.Run run = CliRunner.run("bench", "-m", model(), "-p", "8,64", "-n", "2", "-t", "1,2", "-r", "3",
                "--exact");
        assertThat(run.exit()).as(run.stderr()).isZero();
        List<String> lines = run.stdout().lines().toList();
        assertThat(lines).hasSize(2 + 3 * 2);
        assertThat(lines.get(2)).contains("| CPU (Java, exact) |");
        List<Integer> bars = bars(lines.get(0));
        assertThat(bars).hasSize(8);
        for (String line : lines) {
            assertThat(bars(line)).as(line).isEqualTo(bars);
        }
        assertThat(lines.get(1)).isEqualTo("| ------------------------------ | ---------: | ---------: | "
                + "----------------- | ------: | --------------: | -------------------: |");
    }

    /** llama-bench's size and params cells switch to GiB and B at a gibibyte and a billion. */
    @Test
    void sizeAndParamsCellsUseLlamaBenchUnits() {
        assertThat(BenchTable.size(1_363_148L)).isEqualTo("1.30 MiB");
        assertThat(BenchTable.size(4_920_734_720L)).isEqualTo("4.58 GiB");
        assertThat(BenchTable.params(176_192L)).isEqualTo("0.18 M");
        assertThat(BenchTable.params(8_030_261_248L)).isEqualTo("8.03 B");
        assertThat(BenchTable.rate(1234.567, 0.5)).isEqualTo("1234.57 ± 0.50");
    }

    private static List<Integer> bars(String line) {
        return java.util.stream.IntStream.range(0, line.length()).filter(i -> line.charAt(i) == '|').boxed().toList();
    }

    @Test
    void jsonCarriesLlamaBenchFieldNames() throws Exception {
        CliRunner.Run run = CliRunner.run("bench", "-m", model(), "-p", "8", "-n", "3", "-t", "2", "-r", "3", "-o", "json");
        assertThat(run.exit()).as(run.stderr()).isZero();
        JsonNode arr = new ObjectMapper().readTree(run.stdout());
        assertThat(arr).hasSize(2);
        JsonNode pp = arr.get(0);
        assertThat(pp.get("n_prompt").asInt()).isEqualTo(8);
        assertThat(pp.get("n_gen").asInt()).isZero();
        assertThat(pp.get("n_threads").asInt()).isEqualTo(2);
        assertThat(pp.get("samples_ns")).hasSize(3);
        assertThat(pp.get("avg_ts").asDouble()).isPositive();
        // tensor bytes as llama-bench counts them: Q8_0 matrices (34 bytes per 32 weights) and F32 norms
        long q8 = (2 * 512 * 64 + 2 * (64 * 64 * 2 + 64 * 32 * 2 + 3 * 64 * 224)) / 32 * 34;
        assertThat(pp.get("model_size").asLong()).isEqualTo(q8 + 4 * (64 + 2 * 2 * 64));
        // llama-bench's params: embeddings + output + 2 layers of (4 attention + 3 FFN matrices + 2 norms) + norm
        long dim = 64, ffn = 224, vocab = 512, kv = 32;
        long perLayer = dim * dim * 2 + dim * kv * 2 + 3 * dim * ffn + 2 * dim;
        assertThat(pp.get("model_n_params").asLong()).isEqualTo(2 * vocab * dim + 2 * perLayer + dim);
        assertThat(arr.get(1).get("n_gen").asInt()).isEqualTo(3);
        assertThat(arr.get(1).get("stddev_ts").asDouble()).isNotNegative();
    }

    @Test
    void badListsAreOneLineErrors() {
        CliRunner.Run run = CliRunner.run("bench", "-m", model(), "-p", "8,x");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr()).contains("--n-prompt").doesNotContain("Exception");
        CliRunner.Run nothing = CliRunner.run("bench", "-m", model(), "-p", "0", "-n", "0");
        assertThat(nothing.exit()).isEqualTo(1);
        assertThat(nothing.stdout()).isEmpty();
        assertThat(nothing.stderr().strip())
                .isEqualTo("llama3j: nothing to measure: every --n-prompt and --n-gen length is 0");
    }
}
