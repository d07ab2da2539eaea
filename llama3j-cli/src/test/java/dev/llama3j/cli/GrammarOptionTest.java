package dev.llama3j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llama3j.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code --grammar FILE} on complete and chat: sampled answers of the random-weight real-vocabulary fixture follow
 * a GBNF grammar (checked against the same language as a regular expression; several prompts in one batch, each
 * under its own constraint); a grammar that cannot be used, or one given beside {@code --json-schema}, is a
 * one-line error before any output.
 */
class GrammarOptionTest {
    static final String GRAMMAR = """
            # a city and its temperature
            root ::= city ": " temp "C"
            city ::= [A-Z] [a-z]{1,11}
            temp ::= "-"? [0-9]{1,2}
            """;
    static final Pattern ORACLE = Pattern.compile("[A-Z][a-z]{1,11}: -?[0-9]{1,2}C");

    @TempDir
    Path dir;

    static String model() {
        return SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf").toString();
    }

    @Test
    void completeAnswersFollowTheGrammar() throws Exception {
        Path grammar = Files.writeString(dir.resolve("weather.gbnf"), GRAMMAR);
        CliRunner.Run run = CliRunner.run("complete", "-m", model(), "--grammar", grammar.toString(),
                "--temperature", "1", "--seed", "3", "--max-gen-len", "100", "--no-timing", "Weather report:",
                "Another one:");
        assertThat(run.exit()).as(run.stderr()).isZero();
        List<String> answers = run.answers();
        assertThat(answers).hasSize(2);
        for (String a : answers) {
            assertThat(a).matches(ORACLE);
        }
        assertThat(answers.get(0)).isNotEqualTo(answers.get(1));
    }

    @Test
    void chatDialogAnswersFollowTheGrammar() throws Exception {
        Path grammar = Files.writeString(dir.resolve("weather.gbnf"), GRAMMAR);
        Path dialogs = Files.writeString(dir.resolve("dialogs.json"),
                "[[{\"role\": \"user\", \"content\": \"The weather in Rome?\"}]]");
        CliRunner.Run run = CliRunner.run("chat", "-m", model(), "--grammar", grammar.toString(), "--temperature", "1",
                "--seed", "5", "--max-gen-len", "100", "--no-timing", "--dialogs", dialogs.toString());
        assertThat(run.exit()).as(run.stderr()).isZero();
        String out = run.stdout();
        int at = out.indexOf("> Assistant: ");
        assertThat(at).as(out).isGreaterThanOrEqualTo(0);
        assertThat(out.substring(at + "> Assistant: ".length(), out.indexOf("\n=====", at)).strip()).matches(ORACLE);
    }

    @Test
    void anUnusableGrammarIsAOneLineErrorNamingTheFileAndPlace() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.gbnf"), "root ::= city\ncity ::= [A-Z] [a-z\n");
        CliRunner.Run run = CliRunner.run("complete", "-m", model(), "--grammar", bad.toString(), "x");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stdout()).isEmpty();
        assertThat(run.stderr().strip()).doesNotContain("\n").isEqualTo("llama3j: " + bad + ": line 2, column 20: "
                + "expected ] to end the class begun at line 2, column 16");
        Path undefined = Files.writeString(dir.resolve("undefined.gbnf"), "root ::= city");
        run = CliRunner.run("chat", "-m", model(), "--grammar", undefined.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr()).contains(undefined + ": line 1, column 10: rule city is not defined");
        run = CliRunner.run("complete", "-m", model(), "--grammar", dir.resolve("none.gbnf").toString(), "x");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr()).contains("none.gbnf: file not found (--grammar)");
    }

    @Test
    void aGrammarAndAJsonSchemaAreExclusive() throws Exception {
        Path grammar = Files.writeString(dir.resolve("weather.gbnf"), GRAMMAR);
        Path schema = Files.writeString(dir.resolve("schema.json"), "{\"type\": \"object\"}");
        CliRunner.Run run = CliRunner.run("complete", "-m", model(), "--grammar", grammar.toString(),
                "--json-schema", schema.toString(), "x");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stdout()).isEmpty();
        assertThat(run.stderr().strip()).doesNotContain("\n").endsWith("--json-schema and --grammar are exclusive: "
                + "give one");
    }
}
