package dev.llama3j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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

    /**
     * Every line of the table has its bars at the same columns, whatever the backend name and numbers, but for a
     * t/s cell wider than its column, which widens its own row only.
     */
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
            List<Integer> got = bars(line);
            assertThat(got).as(line).hasSize(8);
            assertThat(got.subList(0, 7)).as(line).isEqualTo(bars.subList(0, 7));
            // a t/s cell longer than its column (a tiny model's rate with a wide spread) widens its row only, as
            // in llama-bench; the others line up
            int tps = line.substring(got.get(6) + 1, got.get(7)).strip().length();
            assertThat(got.get(7)).as(line).isEqualTo(Math.max(bars.get(7), got.get(6) + tps + 3));
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

    /** llama-batched-bench's table: its header as its source prints it, one row per (pp, tg, pl). */
    @Test
    void batchedTableHasLlamaBatchedBenchColumns() {
        CliRunner.Run run = CliRunner.run("bench", "--batched", "-m", model(), "-npp", "8,16", "-ntg", "4",
                "-npl", "1,3", "-t", "2");
        assertThat(run.exit()).as(run.stderr()).isZero();
        List<String> table = run.stdout().lines().filter(l -> l.startsWith("|")).toList();
        assertThat(table.get(0)).isEqualTo("|    PP |     TG |    B |   N_KV |   T_PP s | S_PP t/s |   T_TG s |"
                + " S_TG t/s |      T s |    S t/s |");
        assertThat(table.get(1)).isEqualTo("|-------|--------|------|--------|----------|----------|----------|"
                + "----------|----------|----------|");
        assertThat(table.subList(2, table.size()).stream()
                .map(l -> l.split("\\|")[1].strip() + "/" + l.split("\\|")[3].strip() + "/" + l.split("\\|")[4].strip()))
                .containsExactly("8/1/12", "8/3/36", "16/1/20", "16/3/60");
        assertThat(run.stdout()).contains("n_kv_max = 60");
    }

    @Test
    void batchedJsonLinesCarryItsFieldNames() throws Exception {
        CliRunner.Run run = CliRunner.run("bench", "--batched", "-m", model(), "-npp", "8", "-ntg", "5", "-npl", "2",
                "--output-format", "jsonl");
        assertThat(run.exit()).as(run.stderr()).isZero();
        List<String> lines = run.stdout().lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).hasSize(1);
        JsonNode o = new ObjectMapper().readTree(lines.get(0));
        assertThat(o.get("pp").asInt()).isEqualTo(8);
        assertThat(o.get("tg").asInt()).isEqualTo(5);
        assertThat(o.get("pl").asInt()).isEqualTo(2);
        assertThat(o.get("n_kv").asInt()).isEqualTo(26);
        assertThat(o.get("speed_tg").asDouble()).isCloseTo(10 / o.get("t_tg").asDouble(), within(1e-6));
        assertThat(o.get("speed_pp").asDouble()).isCloseTo(16 / o.get("t_pp").asDouble(), within(1e-6));
        assertThat(o.get("t").asDouble()).isCloseTo(o.get("t_pp").asDouble() + o.get("t_tg").asDouble(), within(1e-9));
        assertThat(o.get("speed").asDouble()).isCloseTo(26 / o.get("t").asDouble(), within(1e-6));
        CliRunner.Run bad = CliRunner.run("bench", "--batched", "-m", model(), "--output-format", "csv");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.stderr().strip()).isEqualTo("llama3j: --output-format must be md or jsonl, got 'csv'");
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
