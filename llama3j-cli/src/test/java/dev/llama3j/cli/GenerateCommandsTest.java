package dev.llama3j.cli;

import dev.llama3j.SharedData;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.TokenListener;
import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.kernel.NativeKernels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code complete} and {@code chat} end to end on the real-vocabulary tiny Meta checkpoint. */
@Tag("slow")
class GenerateCommandsTest {
    @TempDir
    Path dir;

    static String ckpt() {
        return SharedData.require("fixtures/meta/tiny-meta").toString();
    }

    @Test
    void completeStreamsOnePromptAndPrintsWhatTheApiGenerates() {
        String prompt = "I believe the meaning of life is";
        CliRunner.Run run = CliRunner.run("complete", "--ckpt-dir", ckpt(), "--temperature", "0", "--max-gen-len", "12",
                prompt);
        assertThat(run.exit()).as(run.stderr()).isZero();
        String expected;
        try (Llama llama = Llama.build(Path.of(ckpt()), null, 128, 1, 1)) {
            expected = llama.textCompletion(List.of(prompt), 0f, 0.9f, 12, false, false, TokenListener.NONE)
                    .get(0).generation();
        }
        assertThat(expected).isNotEmpty();
        assertThat(run.stdout()).startsWith(prompt + "\n> " + expected + "\n");
        assertThat(run.stderr()).contains("tokens/s");
    }

    /**
     * Meta's text_completion with echo returns the prompt's tokens decoded, &lt;|begin_of_text|&gt; included; one
     * streamed prompt prints the same as that prompt in a batch (greedy rows do not depend on each other).
     */
    @Test
    void echoPrintsThePromptTokensWithBeginOfTextStreamedOrNot() {
        String[] common = {"complete", "--ckpt-dir", ckpt(), "--temperature", "0", "--max-gen-len", "4", "--echo",
                "--no-timing"};
        CliRunner.Run alone = CliRunner.run(concat(common, "Hello world"));
        CliRunner.Run batch = CliRunner.run(concat(common, "Hello world", "Simply put"));
        assertThat(alone.exit()).as(alone.stderr()).isZero();
        assertThat(batch.exit()).as(batch.stderr()).isZero();
        String expected;
        try (Llama llama = Llama.build(Path.of(ckpt()), null, 128, 1, 1)) {
            expected = llama.textCompletion(List.of("Hello world"), 0f, 0.9f, 4, false, true, TokenListener.NONE)
                    .get(0).generation();
        }
        assertThat(expected).startsWith("<|begin_of_text|>Hello world").hasSizeGreaterThan(28);
        assertThat(alone.stdout()).startsWith("Hello world\n> " + expected + "\n");
        String separator = "==================================";
        assertThat(batch.stdout().split(separator)[0]).isEqualTo(alone.stdout().split(separator)[0]);
    }

    /** The timing line counts generated tokens, not the long prompt's positions filled by the generation steps. */
    @Test
    void timingCountsGeneratedTokensOnly() {
        CliRunner.Run batch = CliRunner.run("complete", "--ckpt-dir", ckpt(), "--temperature", "0", "--max-gen-len", "2",
                "Hi", "word ".repeat(60));
        assertThat(batch.exit()).as(batch.stderr()).isZero();
        assertThat(batch.stderr()).containsPattern("\\| prompt 4 tokens, [0-9.]+ tokens/s \\| generation 4 tokens, ");
        CliRunner.Run one = CliRunner.run("complete", "--ckpt-dir", ckpt(), "--max-gen-len", "1", "Hi");
        assertThat(one.exit()).as(one.stderr()).isZero();
        assertThat(one.stderr()).contains("| generation 1 token\n"); // no rate: no step generated a token
    }

    /** Meta's example command lines, with llama3j in place of the script: Meta's option spellings are aliases. */
    @Test
    void metasOptionSpellingsWork() throws IOException {
        String tokenizer = ckpt() + "/tokenizer.model";
        CliRunner.Run meta = CliRunner.run("complete", "--ckpt_dir", ckpt(), "--tokenizer_path", tokenizer,
                "--max_seq_len", "128", "--max_batch_size", "4", "--max_gen_len", "3", "--top_p", "0.5", "--no-timing");
        CliRunner.Run ours = CliRunner.run("complete", "--ckpt-dir", ckpt(), "--tokenizer-path", tokenizer,
                "--max-seq-len", "128", "--max-batch-size", "4", "--max-gen-len", "3", "--top-p", "0.5", "--no-timing");
        assertThat(meta.exit()).as(meta.stderr()).isZero();
        assertThat(meta.stdout()).isEqualTo(ours.stdout()).contains(CompleteCommand.META_EXAMPLE_PROMPTS.get(0));
        CliRunner.Run tooLong = CliRunner.run("complete", "--ckpt_dir", ckpt(), "--max_seq_len=4", "a b c d e f");
        assertThat(tooLong.stderr()).contains("more than --max-seq-len 4");

        Path dialogs = dir.resolve("dialogs.json");
        Files.writeString(dialogs, "[[{\"role\": \"user\", \"content\": \"hi\"}]]");
        CliRunner.Run chat = CliRunner.run("chat", "--ckpt_dir", ckpt(), "--tokenizer_path", tokenizer,
                "--max_seq_len", "512", "--max_batch_size", "4", "--max_gen_len", "2", "--dialogs", dialogs.toString());
        assertThat(chat.exit()).as(chat.stderr()).isZero();
        assertThat(chat.stdout()).contains("User: hi\n\n> Assistant: ");
    }

    /**
     * Interactive chat: the start-up timing comes with the first turn only; when the dialog outgrows --max-seq-len
     * the oldest turns go (each later prompt stays within the limit) and stderr says so once.
     */
    @Test
    void chatSaysOnceThatOldTurnsAreDroppedAndTimesEachTurnWithoutStartUp() {
        byte[] stdin = "Hello there\nHow are you today my friend\nAnd again\nOne more time\nLast\n"
                .getBytes(StandardCharsets.UTF_8);
        CliRunner.Run run = CliRunner.run(stdin, "chat", "--ckpt-dir", ckpt(), "--max-seq-len", "40", "--max-gen-len", "4",
                "--temperature", "0");
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdout().split("Assistant: ", -1)).hasSize(6);
        List<String> lines = run.stderr().lines().filter(l -> !l.startsWith("WARNING")).toList();
        List<String> timing = lines.stream().filter(l -> l.contains("| generation ")).toList();
        assertThat(timing).hasSize(5);
        assertThat(timing.get(0)).startsWith("llama3j: load ");
        assertThat(timing.subList(1, 5)).allSatisfy(l -> assertThat(l).startsWith("llama3j: prompt "));
        for (String l : timing) {
            int prompt = Integer.parseInt(l.replaceAll(".*prompt (\\d+) tokens?.*", "$1"));
            assertThat(prompt).as(l).isLessThanOrEqualTo(40 - 10); // --max-seq-len less the room kept for an answer
        }
        assertThat(lines.stream().filter(l -> l.contains("outgrew")))
                .containsExactly("llama3j: the conversation outgrew --max-seq-len 40: its oldest turns are forgotten "
                        + "from now on");
    }

    /** Text that is not UTF-8 is named with its source and first bad byte, never replaced silently. */
    @Test
    void invalidUtf8IsReportedWithItsSource() throws IOException {
        byte[] stdin = {'H', 'i', '\n', 'b', 'a', 'd', ' ', (byte) 0xff, '\n', 'o', 'k', '\n'};
        CliRunner.Run chat = CliRunner.run(stdin, "chat", "--ckpt-dir", ckpt(), "--max-gen-len", "2", "--no-timing");
        assertThat(chat.exit()).isEqualTo(1); // a message was rejected, though the conversation went on
        assertThat(chat.stdout().split("Assistant: ", -1)).hasSize(3);
        assertThat(chat.stderr().lines().filter(l -> !l.startsWith("WARNING")))
                .containsExactly("llama3j: stdin line 2: invalid UTF-8 at byte 5 (0xff); message skipped");

        Path dialogs = dir.resolve("latin1.json");
        Files.write(dialogs, "[[{\"role\": \"user\", \"content\": \"caf\u00e9\"}]]".getBytes(StandardCharsets.ISO_8859_1));
        CliRunner.Run batch = CliRunner.run("chat", "--ckpt-dir", ckpt(), "--dialogs", dialogs.toString());
        assertThat(batch.exit()).isEqualTo(1);
        assertThat(batch.stderr()).contains("llama3j: " + dialogs + ": invalid UTF-8 at byte 35 (0xe9)");
        assertThat(batch.stdout()).isEmpty();
    }

    @Test
    void completeBatchWithLogprobsAndEcho() {
        CliRunner.Run run = CliRunner.run("complete", "--ckpt-dir", ckpt(), "--max-gen-len", "5", "--logprobs", "--echo",
                "--seed", "3", "Hello", "Simply put, the theory");
        assertThat(run.exit()).as(run.stderr()).isZero();
        String[] blocks = run.stdout().split("==================================");
        assertThat(blocks).hasSize(3);
        // echo: the generation starts with the prompt; logprobs: one line per token (BOS, prompt, 5 generated)
        assertThat(blocks[0]).contains("> <|begin_of_text|>Hello");
        assertThat(blocks[0].lines().filter(l -> l.startsWith("  \"")).count()).isEqualTo(1 + 1 + 5);
        assertThat(blocks[1].lines().filter(l -> l.startsWith("  \"")).count()).isEqualTo(1 + 5 + 5); // Simply| put|,| the| theory
    }

    /**
     * On a Q8_0 file the default decodes as {@code --exact} does, bit for bit, where Q8_0 keeps float32 activations
     * (no native kernel); with the native kernels it takes int8 activations: the same tokens here, log-probabilities
     * within int8 rounding. The deprecated {@code --int8-activations} is accepted and changes nothing.
     */
    @Test
    void q8_0DecodesAsTheNumericsSayAndTheOldOptionIsANoOp() {
        String model = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf").toString();
        String[] args = {"complete", "-m", model, "--tokenizer-path", SharedData.require("llama3/tokenizer.model").toString(),
                "--temperature", "0", "--max-gen-len", "8", "--logprobs", "--no-timing", "The capital of France is"};
        CliRunner.Run exact = CliRunner.run(with(args, "--exact"));
        CliRunner.Run fast = CliRunner.run(args);
        CliRunner.Run deprecated = CliRunner.run(with(args, "--int8-activations"));
        assertThat(exact.exit()).as(exact.stderr()).isZero();
        assertThat(exact.stdout().lines().filter(l -> l.startsWith("  \"")).count()).isEqualTo(8);
        assertThat(deprecated.stdout()).isEqualTo(fast.stdout());
        if (NativeKernels.forType(DType.Q8_0.ggmlId, 64) == null) {
            assertThat(fast.stdout()).isEqualTo(exact.stdout());
            return;
        }
        List<String> e = exact.stdout().lines().toList();
        List<String> f = fast.stdout().lines().toList();
        assertThat(f).hasSameSizeAs(e);
        for (int i = 0; i < e.size(); i++) {
            if (e.get(i).startsWith("  \"")) {
                // a token and its log-probability: the token the same, the value within int8 rounding
                int fe = f.get(i).lastIndexOf(' ');
                int ee = e.get(i).lastIndexOf(' ');
                assertThat(f.get(i).substring(0, fe)).isEqualTo(e.get(i).substring(0, ee));
                assertThat(Double.parseDouble(f.get(i).substring(fe + 1)))
                        .isCloseTo(Double.parseDouble(e.get(i).substring(ee + 1)), within(5e-3));
            } else {
                assertThat(f.get(i)).isEqualTo(e.get(i));
            }
        }
    }

    private static String[] with(String[] args, String option) {
        String[] more = java.util.Arrays.copyOf(args, args.length + 1);
        more[args.length] = option;
        return more;
    }

    @Test
    void completeWithoutPromptsRunsMetasFourExamples() {
        CliRunner.Run run = CliRunner.run("complete", "--ckpt-dir", ckpt(), "--max-gen-len", "2");
        assertThat(run.exit()).as(run.stderr()).isZero();
        for (String p : CompleteCommand.META_EXAMPLE_PROMPTS) {
            assertThat(run.stdout()).contains(p + "\n> ");
        }
    }

    @Test
    void chatAnswersEveryDialogOfAFileLikeMetasExample() throws IOException {
        Path dialogs = dir.resolve("dialogs.json");
        Files.writeString(dialogs, """
                [[{"role": "user", "content": "what is the recipe of mayonnaise?"}],
                 [{"role": "system", "content": "Always answer with Haiku"},
                  {"role": "user", "content": "I am going to Paris, what should I see?"}]]
                """);
        CliRunner.Run run = CliRunner.run("chat", "--ckpt-dir", ckpt(), "--max-gen-len", "4", "--dialogs",
                dialogs.toString());
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("User: what is the recipe of mayonnaise?\n\n> Assistant: ")
                .contains("System: Always answer with Haiku\n\nUser: I am going to Paris, what should I see?\n\n> Assistant: ");
    }

    @Test
    void interactiveChatAnswersEachMessageAndResets() {
        byte[] stdin = "Hello\nHow are you?\n/reset\nAgain\n".getBytes(StandardCharsets.UTF_8);
        CliRunner.Run run = CliRunner.run(stdin, "chat", "--ckpt-dir", ckpt(), "--max-gen-len", "3", "--system", "Be brief");
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdout().split("Assistant: ", -1)).hasSize(4);
        assertThat(run.stdout()).contains("(conversation cleared)");
    }

    @Test
    void userMistakesGiveOneLineAndExitOne() throws IOException {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "[[{\"role\": \"user\", \"content\": ");
        String[][] cases = {
                {"complete", "--ckpt-dir", dir.resolve("missing").toString(), "x"},
                {"complete", "--ckpt-dir", ckpt(), "--max-batch-size", "1", "a", "b"},
                {"complete", "--ckpt-dir", ckpt(), "--max-seq-len", "0", "a"},
                {"complete", "--ckpt-dir", ckpt(), "--max-seq-len", "4", "a long prompt that does not fit"},
                {"complete", "--ckpt-dir", ckpt(), "--top-p", "1.5", "a"},
                {"complete", "--ckpt-dir", ckpt(), "--temperature", "-1", "a"},
                {"complete", "--ckpt-dir", ckpt(), "--max-gen-len", "-5", "a"},
                {"chat", "--ckpt-dir", ckpt(), "--temperature", "Infinity"},
                {"chat", "--ckpt-dir", ckpt(), "--dialogs", bad.toString()},
                {"chat", "--ckpt-dir", ckpt(), "--dialogs", dir.resolve("none.json").toString()},
                {"chat", "--ckpt-dir", ckpt(), "--dialogs", dir.toString()},
        };
        for (String[] args : cases) {
            CliRunner.Run run = CliRunner.run(args);
            assertThat(run.exit()).as(String.join(" ", args) + "\n" + run.stderr()).isEqualTo(1);
            assertThat(run.stderr().strip().lines().filter(l -> !l.startsWith("WARNING")).toList())
                    .as(String.join(" ", args)).hasSize(1).allSatisfy(l -> assertThat(l).startsWith("llama3j: "));
            assertThat(run.stderr()).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(run.stdout()).as(String.join(" ", args)).isEmpty(); // checked before any output
        }
    }

    /** Each value is checked before the model loads or anything is printed, with the option's name and range. */
    @Test
    void optionValuesAreCheckedBeforeAnyOutputWithTheirRange() {
        String[][] cases = {
                {"--temperature", "-1", "llama3j: --temperature must be a finite number >= 0, got -1.0"},
                {"--temperature", "Infinity", "llama3j: --temperature must be a finite number >= 0, got Infinity"},
                {"--temperature", "NaN", "llama3j: --temperature must be a finite number >= 0, got NaN"},
                {"--top-p", "1.5", "llama3j: --top-p must be a number in (0, 1], got 1.5"},
                {"--top-p", "0", "llama3j: --top-p must be a number in (0, 1], got 0.0"},
                {"--max-gen-len", "-5", "llama3j: --max-gen-len must be an integer >= 0, got -5"},
                {"--max-seq-len", "4", "llama3j: prompt 1 has 5 tokens (<|begin_of_text|> included), more than "
                        + "--max-seq-len 4"},
                {"--cache-type-k", "q4_0", "llama3j: --cache-type-k: unknown cache type 'q4_0', expected one of f32,"
                        + " f16, q8_0"},
                {"-ctv", "q8_0", "llama3j: a q8_0 KV cache needs a head size that is a multiple of 32; this model's"
                        + " heads have 8"},
        };
        for (String[] c : cases) {
            CliRunner.Run run = CliRunner.run("complete", "--ckpt-dir", ckpt(), c[0], c[1], "hi there you all");
            assertThat(run.exit()).as(c[0] + " " + c[1]).isEqualTo(1);
            assertThat(run.stdout()).as(c[0] + " " + c[1]).isEmpty();
            assertThat(run.stderr().strip()).isEqualTo(c[2]);
        }
        CliRunner.Run chat = CliRunner.run("Hi\n".getBytes(StandardCharsets.UTF_8), "chat", "--ckpt-dir", ckpt(),
                "--top-p", "2");
        assertThat(chat.exit()).isEqualTo(1);
        assertThat(chat.stdout()).isEmpty();
        assertThat(chat.stderr().strip()).isEqualTo("llama3j: --top-p must be a number in (0, 1], got 2.0");
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
