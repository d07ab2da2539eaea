package dev.llama3j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code --json-schema FILE} on complete and chat: sampled answers of the random-weight real-vocabulary fixture,
 * which writes no JSON alone, follow the schema (several prompts in one batch, each under its own constraint); a
 * schema that cannot be used is a one-line error naming the file, before any output.
 */
class JsonSchemaOptionTest {
    static final String SCHEMA = "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\","
            + " \"maxLength\": 12}, \"temp\": {\"type\": \"integer\", \"minimum\": -40, \"maximum\": 50}},"
            + " \"required\": [\"city\", \"temp\"], \"additionalProperties\": false}";

    @TempDir
    Path dir;

    static void assertWeather(String answer) throws Exception {
        JsonNode json = new ObjectMapper().readTree(answer);
        assertThat(json.get("city").isTextual()).as(answer).isTrue();
        String city = json.get("city").asText();
        assertThat(city.codePointCount(0, city.length())).isLessThanOrEqualTo(12);
        assertThat(json.get("temp").asInt()).as(answer).isBetween(-40, 50);
        assertThat(json.size()).isEqualTo(2);
    }

    @Test
    void completeAnswersFollowTheSchema() throws Exception {
        Path schema = Files.writeString(dir.resolve("weather.json"), SCHEMA);
        CliRunner.Run run = CliRunner.run("complete", "-m", SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf")
                .toString(), "--json-schema", schema.toString(), "--temperature", "1", "--seed", "3",
                "--max-gen-len", "300", "--no-timing", "Weather report:", "Another one:");
        assertThat(run.exit()).as(run.stderr()).isZero();
        List<String> answers = run.answers();
        assertThat(answers).hasSize(2);
        for (String a : answers) {
            assertWeather(a);
        }
    }

    @Test
    void chatDialogAnswersFollowTheSchema() throws Exception {
        Path schema = Files.writeString(dir.resolve("weather.json"), SCHEMA);
        Path dialogs = Files.writeString(dir.resolve("dialogs.json"),
                "[[{\"role\": \"user\", \"content\": \"The weather in Rome, as JSON.\"}]]");
        CliRunner.Run run = CliRunner.run("chat", "-m", SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf")
                .toString(), "--json-schema", schema.toString(), "--temperature", "1", "--seed", "5",
                "--max-gen-len", "300", "--no-timing", "--dialogs", dialogs.toString());
        assertThat(run.exit()).as(run.stderr()).isZero();
        String out = run.stdout();
        int at = out.indexOf("> Assistant: ");
        assertThat(at).as(out).isGreaterThanOrEqualTo(0);
        String answer = out.substring(at + "> Assistant: ".length(), out.indexOf("\n=====", at)).strip();
        assertWeather(answer);
    }

    @Test
    void anUnusableSchemaIsAOneLineErrorNamingTheFile() throws Exception {
        String model = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf").toString();
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"type\": \"object\", \"not\": {}}");
        CliRunner.Run run = CliRunner.run("complete", "-m", model, "--json-schema", bad.toString(), "x");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stdout()).isEmpty();
        assertThat(run.stderr().strip()).doesNotContain("\n").contains(bad.toString())
                .contains("unsupported JSON Schema keyword \"not\"");
        Path notJson = Files.writeString(dir.resolve("oops.json"), "{oops");
        run = CliRunner.run("complete", "-m", model, "--json-schema", notJson.toString(), "x");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr()).contains(notJson.toString()).contains("not JSON");
        run = CliRunner.run("complete", "-m", model, "--json-schema", dir.resolve("none.json").toString(), "x");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr()).contains("none.json: file not found");
    }
}
