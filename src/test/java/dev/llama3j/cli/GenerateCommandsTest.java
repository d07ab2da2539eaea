package dev.llama3j.cli;

import dev.llama3j.SharedData;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.TokenListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code complete} and {@code chat} end to end on the real-vocabulary tiny Meta checkpoint. */
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
     * {@code --int8-activations} on a Q8_0 file: the same greedy tokens as the float32 default on this model (its
     * top logits are far apart), log-probabilities within int8 rounding of the default's, and not all identical.
     */
    @Test
    void int8ActivationsStayCloseToTheFloatPath() {
        String model = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf").toString();
        String[] args = {"complete", "-m", model, "--tokenizer-path", SharedData.require("llama3/tokenizer.model").toString(),
                "--temperature", "0", "--max-gen-len", "8", "--logprobs", "--no-timing", "The capital of France is"};
        CliRunner.Run exact = CliRunner.run(args);
        String[] withInt8 = java.util.Arrays.copyOf(args, args.length + 1);
        withInt8[args.length] = "--int8-activations";
        CliRunner.Run fast = CliRunner.run(withInt8);
        assertThat(exact.exit()).as(exact.stderr()).isZero();
        assertThat(fast.exit()).as(fast.stderr()).isZero();
        List<String> a = exact.stdout().lines().filter(l -> l.startsWith("  \"")).toList();
        List<String> b = fast.stdout().lines().filter(l -> l.startsWith("  \"")).toList();
        assertThat(a).hasSize(8);
        assertThat(b).hasSize(a.size());
        int differing = 0;
        for (int i = 0; i < a.size(); i++) {
            int split = a.get(i).lastIndexOf(' ');
            assertThat(b.get(i)).startsWith(a.get(i).substring(0, split));
            double la = Double.parseDouble(a.get(i).substring(split + 1));
            double lb = Double.parseDouble(b.get(i).substring(b.get(i).lastIndexOf(' ') + 1));
            assertThat(lb).isCloseTo(la, org.assertj.core.api.Assertions.within(0.05));
            differing += la != lb ? 1 : 0;
        }
        assertThat(differing).isPositive();
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
                {"chat", "--ckpt-dir", ckpt(), "--dialogs", bad.toString()},
                {"chat", "--ckpt-dir", ckpt(), "--dialogs", dir.resolve("none.json").toString()},
        };
        for (String[] args : cases) {
            CliRunner.Run run = CliRunner.run(args);
            assertThat(run.exit()).as(String.join(" ", args) + "\n" + run.stderr()).isEqualTo(1);
            assertThat(run.stderr().strip().lines().filter(l -> !l.startsWith("WARNING")).toList())
                    .as(String.join(" ", args)).hasSize(1).allSatisfy(l -> assertThat(l).startsWith("llama3j: "));
            assertThat(run.stderr()).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }
}
