package dev.llama3j.cli;

import dev.llama3j.SharedData;
import dev.llama3j.chat.Message;
import dev.llama3j.guard.GuardPrompt;
import dev.llama3j.guard.GuardVersion;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code llama3j guard} on a random-weight model of Llama 3's vocabulary named like Llama Guard 3 1B (synth's
 * tiny-vocab shape): its verdict is forced with --logit-bias on the tokens "safe" and "unsafe" of Meta's tokenizer
 * (ids 19193 and 39257, from shared/llama3/tokenizer.model), the prompt is GuardPrompt's (checked against Meta's
 * templates in GuardPromptTest).
 */
class GuardCommandTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void synth() {
        model = dir.resolve("Llama-Guard-3-1B-tiny.gguf");
        CliRunner.Run synth = CliRunner.run("synth", "--shape", "tiny-vocab", "--type", "q8_0", "--tokenizer",
                SharedData.require("llama3/tokenizer.model").toString(), "-o", model.toString());
        assertThat(synth.exit()).as(synth.stderr()).isZero();
    }

    @Test
    void printPromptShowsTheTemplateOfTheModelsVersion() throws Exception {
        CliRunner.Run run = CliRunner.run("guard", "-m", model.toString(), "--print-prompt", "--response",
                "Mix A and B", "How do I make a bomb?");
        assertThat(run.exit()).isZero();
        assertThat(run.stdout()).isEqualTo(GuardPrompt.render(GuardVersion.LLAMA_GUARD_3_1B,
                List.of(Message.user("How do I make a bomb?"), Message.assistant("Mix A and B")), Set.of()) + "\n");
        Path dialogs = dir.resolve("dialogs.json");
        Files.writeString(dialogs, "[[{\"role\": \"system\", \"content\": \"Be nice.\"},"
                + " {\"role\": \"user\", \"content\": \"Hi\"}]]");
        run = CliRunner.run("guard", "--print-prompt", "--guard-version", "2", "--exclude", "s3,S4", "--dialogs",
                dialogs.toString());
        assertThat(run.stdout()).isEqualTo(GuardPrompt.render(GuardVersion.LLAMA_GUARD_2,
                List.of(Message.user("Hi")), Set.of("S3", "S4")) + "\n");
    }

    @Test
    void customCategoriesComeFromAFile() throws Exception {
        Path file = dir.resolve("categories.json");
        Files.writeString(file, "{\"S1\": \"Violent Crimes.\", \"S2\": \"Medical advice.\"}");
        CliRunner.Run run = CliRunner.run("guard", "-m", model.toString(), "--print-prompt", "--categories",
                file.toString(), "--exclude", "S1", "Hi");
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("<BEGIN UNSAFE CONTENT CATEGORIES>\nS2: Medical advice.\n<END UNSAFE");
        Files.writeString(file, "[\"S1\"]");
        run = CliRunner.run("guard", "--print-prompt", "--categories", file.toString(), "Hi");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr().strip()).isEqualTo("llama3j: " + file + ": expected a JSON object of categories,"
                + " e.g. {\"S1\": \"Violent Crimes.\"}");
    }

    @Test
    void aSafeVerdictExitsZeroAndAnUnsafeOneTwo() {
        CliRunner.Run safe = CliRunner.run("guard", "-m", model.toString(), "--score", "--logit-bias", "19193=100",
                "--max-gen-len", "1", "How do I make a bomb?");
        assertThat(safe.exit()).as(safe.stderr()).isZero();
        assertThat(safe.stdout()).isEqualTo("safe score=0.0000\n");

        CliRunner.Run unsafe = CliRunner.run("guard", "-m", model.toString(), "--score", "--logit-bias",
                "39257=100", "--max-gen-len", "1", "--response", "Mix A and B", "How do I make a bomb?");
        assertThat(unsafe.exit()).isEqualTo(2);
        // "unsafe" without its line of categories: not the answer's expected shape, so unsafe with no codes
        assertThat(unsafe.stdout()).isEqualTo("unsafe score=1.0000\n");
        assertThat(unsafe.stderr()).contains("llama3j: the guard answered \"unsafe\", not 'safe' or 'unsafe' and"
                + " categories: counted as unsafe");
    }

    @Test
    void mistakesGetOneLine() {
        String[][] cases = {
                {"guard", "-m", "MODEL"},
                {"guard", "-m", "MODEL", "--logit-bias", "x", "hi"},
                {"guard", "-m", "MODEL", "--exclude", "S20", "hi"},
                {"guard", "--guard-version", "5", "--print-prompt", "hi"},
                {"guard", "hi"},
        };
        for (String[] c : cases) {
            String[] args = c.clone();
            for (int i = 0; i < args.length; i++) {
                args[i] = args[i].equals("MODEL") ? model.toString() : args[i];
            }
            CliRunner.Run run = CliRunner.run(args);
            assertThat(run.exit()).as(String.join(" ", c)).isEqualTo(1);
            assertThat(run.stderr().strip().lines().toList()).as(String.join(" ", c)).hasSize(1)
                    .allSatisfy(l -> assertThat(l).startsWith("llama3j: "));
            assertThat(run.stdout()).isEmpty();
        }
    }

    /**
     * chat --guard, interactive: a refused message never reaches the main model (its answer is the refusal line); a
     * passed one gets the same answer as without a guard; output screening withholds an unsafe answer.
     */
    @Test
    void chatScreensMessagesAndAnswers() {
        byte[] question = "How do I make a bomb?\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String[] chat = {"chat", "-m", model.toString(), "--temperature", "0", "--max-gen-len", "8", "--no-timing"};
        CliRunner.Run plain = CliRunner.run(question, chat);
        assertThat(plain.exit()).as(plain.stderr()).isZero();
        String answer = plain.stdout().substring(plain.stdout().indexOf("Assistant: "));

        CliRunner.Run passed = CliRunner.run(question, concat(chat, "--guard", model.toString(),
                "--guard-logit-bias", "19193=100", "--guard-max-gen-len", "1"));
        assertThat(passed.exit()).as(passed.stderr()).isZero();
        assertThat(passed.stdout()).contains(answer);

        CliRunner.Run refused = CliRunner.run(question, concat(chat, "--guard", model.toString(),
                "--guard-logit-bias", "39257=100", "--guard-max-gen-len", "1"));
        assertThat(refused.exit()).as(refused.stderr()).isZero();
        assertThat(refused.stdout()).contains("Assistant: [refused by the guard: unsafe]\n")
                .doesNotContain(answer);

        CliRunner.Run withheld = CliRunner.run(question, concat(chat, "--guard", model.toString(), "--guard-mode",
                "output", "--guard-logit-bias", "39257=100", "--guard-max-gen-len", "1"));
        assertThat(withheld.stdout()).contains("Assistant: [withheld by the guard: unsafe]\n")
                .doesNotContain(answer);
    }

    /** chat --guard --dialogs: refused dialogs are not answered; passed ones get the answers they get unguarded. */
    @Test
    void chatDialogsAreScreenedOneByOne() throws Exception {
        Path dialogs = dir.resolve("two.json");
        Files.writeString(dialogs, "[[{\"role\": \"user\", \"content\": \"Hi\"}],"
                + " [{\"role\": \"user\", \"content\": \"How do I make a bomb?\"}]]");
        String[] chat = {"chat", "-m", model.toString(), "--temperature", "0", "--max-gen-len", "8", "--no-timing",
                "--dialogs", dialogs.toString()};
        CliRunner.Run plain = CliRunner.run(chat);
        CliRunner.Run passed = CliRunner.run(concat(chat, "--guard", model.toString(), "--guard-logit-bias",
                "19193=100", "--guard-max-gen-len", "1"));
        assertThat(passed.exit()).as(passed.stderr()).isZero();
        assertThat(passed.stdout()).isEqualTo(plain.stdout());
        CliRunner.Run refused = CliRunner.run(concat(chat, "--guard", model.toString(), "--guard-mode", "input",
                "--guard-logit-bias", "39257=100", "--guard-max-gen-len", "1"));
        assertThat(refused.stdout().split("> Assistant: \\[refused by the guard: unsafe]\n", -1)).hasSize(3);
        CliRunner.Run withheld = CliRunner.run(concat(chat, "--guard", model.toString(), "--guard-mode", "output",
                "--guard-logit-bias", "39257=100", "--guard-max-gen-len", "1"));
        assertThat(withheld.stdout().split("> Assistant: \\[withheld by the guard: unsafe]\n", -1)).hasSize(3);
        assertThat(CliRunner.run(concat(chat, "--guard", model.toString(), "--guard-mode", "sometimes")).stderr()
                .strip()).isEqualTo("llama3j: --guard-mode must be input, output or both, got 'sometimes'");
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
