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
