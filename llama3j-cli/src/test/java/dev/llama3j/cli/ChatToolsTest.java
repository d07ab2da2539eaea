package dev.llama3j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code chat --tools} on a Llama 3.1-style random-weight model with the real vocabulary (synth's tiny-vocab shape):
 * the prompts, printed by --verbose-prompt, are those of ../shared/llama3/chat-cases-tools.jsonl for the same
 * conversation; a call (forced through --json-schema, as random weights write none alone) prints as a JSON line and
 * its result, read from stdin, goes back as a tool turn; the format's parser decides what is a call.
 */
@Tag("slow")
class ChatToolsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The one call the schema lets the model write: the call of the "tool-result-object" case. */
    static final String CALL_SCHEMA = "{\"type\": \"object\", \"properties\": {\"name\": {\"const\": "
            + "\"get_current_weather\"}, \"parameters\": {\"type\": \"object\", \"properties\": {\"location\": "
            + "{\"const\": \"Paris\"}}, \"required\": [\"location\"], \"additionalProperties\": false}}, "
            + "\"required\": [\"name\", \"parameters\"], \"additionalProperties\": false}";

    @TempDir
    static Path dir;

    static Path model;

    @BeforeAll
    static void synth() {
        model = dir.resolve("tiny-vocab.gguf");
        CliRunner.Run synth = CliRunner.run("synth", "--shape", "tiny-vocab", "--type", "q8_0", "--tokenizer",
                SharedData.require("llama3/tokenizer.model").toString(), "-o", model.toString());
        assertThat(synth.exit()).as(synth.stderr()).isZero();
    }

    static JsonNode toolCase(String tag) throws IOException {
        for (String line : Files.readAllLines(SharedData.require("llama3/chat-cases-tools.jsonl"))) {
            JsonNode c = JSON.readTree(line);
            if (c.get("tag").asText().equals(tag)) {
                return c;
            }
        }
        throw new AssertionError("no case " + tag);
    }

    static Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    /** The prompts --verbose-prompt printed (stderr holds nothing else with --no-timing). */
    static List<String> prompts(CliRunner.Run run) {
        assertThat(run.stderr()).startsWith("llama3j: prompt: ");
        List<String> out = new ArrayList<>(Arrays.asList(run.stderr().split("llama3j: prompt: ", -1)));
        out.removeFirst();
        return out.stream().map(p -> p.substring(0, p.length() - 1)).toList();   // println's line break
    }

    static CliRunner.Run chat(String stdin, String... args) {
        List<String> all = new ArrayList<>(List.of("chat", "-m", model.toString(), "--temperature", "0",
                "--max-seq-len", "1024", "--no-timing", "--verbose-prompt"));
        all.addAll(List.of(args));
        return CliRunner.run(stdin.getBytes(StandardCharsets.UTF_8), all.toArray(String[]::new));
    }

    @Test
    void aCallPrintsAsJsonAndItsResultGoesBackAsAToolTurn() throws Exception {
        JsonNode c = toolCase("tool-result-object");
        Path tools = write("weather-tools.json", c.get("tools").toString());
        Path schema = write("call.json", CALL_SCHEMA);
        CliRunner.Run run = chat("Weather in Paris?\n{\"temperature\": 21}\n", "--tools", tools.toString(),
                "--json-schema", schema.toString(), "--max-gen-len", "120");
        assertThat(run.exit()).as(run.stderr()).isZero();
        List<String> lines = run.stdout().lines().toList();
        assertThat(lines).contains("{\"id\":\"call_1\",\"name\":\"get_current_weather\","
                + "\"arguments\":{\"location\":\"Paris\"}}");
        // the model went on after the result (the schema makes it call again), then stdin ended
        assertThat(run.stdout()).contains("Result call_1: ").contains("Result call_2: ");
        List<String> prompts = prompts(run);
        assertThat(prompts).hasSize(2);
        String expected = c.get("text").asText();
        assertThat(prompts.get(1)).isEqualTo(expected);
        assertThat(expected).startsWith(prompts.get(0));
    }

    @Test
    void anAnswerThatIsNoCallIsPlainTextAndTheFirstPromptIsTheTemplates() throws Exception {
        JsonNode c = toolCase("tools-user-msg");
        Path tools = write("user-msg-tools.json", c.get("tools").toString());
        CliRunner.Run run = chat("What is the weather in Paris?\n", "--tools", tools.toString(), "--max-gen-len", "3");
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(prompts(run)).containsExactly(c.get("text").asText());
        assertThat(run.stdout()).contains("Assistant: ").doesNotContain("Result call_").doesNotContain("\"id\"");
    }

    /** A JSON call is a call in the JSON format and plain text in the function-tag one, which has its own prompt. */
    @Test
    void theToolFormatChoosesThePromptAndTheParser() throws Exception {
        Path tools = write("tools.json", toolCase("tool-result-object").get("tools").toString());
        Path schema = write("call.json", CALL_SCHEMA);
        CliRunner.Run json = chat("Weather in Paris?\n", "--tools", tools.toString(), "--json-schema",
                schema.toString(), "--max-gen-len", "120", "--tool-format", "llama3.1-json");
        assertThat(json.exit()).as(json.stderr()).isZero();
        assertThat(json.stdout()).contains("\"name\":\"get_current_weather\"").contains("Result call_1: ");

        CliRunner.Run tagged = chat("Weather in Paris?\n", "--tools", tools.toString(), "--json-schema",
                schema.toString(), "--max-gen-len", "120", "--tool-format", "function-tag");
        assertThat(tagged.exit()).as(tagged.stderr()).isZero();
        assertThat(tagged.stdout()).doesNotContain("Result call_");
        String out = tagged.stdout();
        int at = out.indexOf("Assistant: ") + "Assistant: ".length();
        String answer = out.substring(at, out.indexOf("\n\nYou: ", at));
        assertThat(JSON.readTree(answer).get("name").asText()).isEqualTo("get_current_weather");
        assertThat(prompts(tagged).getFirst()).contains("\n\nYou have access to the following functions:\n\n"
                + "Use the function 'get_current_weather' to 'Get the current weather in a given location':\n");

        CliRunner.Run pythonic = chat("Weather in Paris?\n", "--tools", tools.toString(), "--max-gen-len", "2",
                "--tool-format", "llama3.2-pythonic");
        assertThat(pythonic.exit()).as(pythonic.stderr()).isZero();
        assertThat(prompts(pythonic).getFirst()).startsWith("<|begin_of_text|><|start_header_id|>system"
                + "<|end_header_id|>\n\nYou are an expert in composing functions.").contains("\"type\": \"dict\"");
    }

    @Test
    void badToolsFilesAndOptionsAreOneLineErrorsNamingThem() throws Exception {
        Path tools = write("ok.json", toolCase("tools-user-msg").get("tools").toString());
        Path notJson = write("oops.json", "[{\"type\": ");
        Path notList = write("object.json", "{\"type\": \"function\"}");
        Path noName = write("noname.json", "[{\"type\": \"function\", \"function\": {\"description\": \"x\"}}]");
        Path badParams = write("params.json", "[{\"type\": \"function\", \"function\": {\"name\": \"f\", "
                + "\"parameters\": \"none\"}}]");
        Path special = write("special.json", "[{\"type\": \"function\", \"function\": {\"name\": \"f\", "
                + "\"description\": \"ends<|eot_id|>\"}}]");
        String m = model.toString();
        String[][] runs = {
                {"chat", "-m", m, "--tools", notJson.toString()},
                {"chat", "-m", m, "--tools", notList.toString()},
                {"chat", "-m", m, "--tools", noName.toString()},
                {"chat", "-m", m, "--tools", badParams.toString()},
                {"chat", "-m", m, "--tools", dir.resolve("none.json").toString()},
                {"chat", "-m", m, "--tools", special.toString()},
                {"chat", "-m", m, "--tools", tools.toString(), "--tool-format", "json"},
                {"chat", "-m", m, "--tool-format", "function-tag"},
                {"chat", "-m", m, "--tools", tools.toString(), "--dialogs", tools.toString()},
                {"chat", "-m", SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf").toString(), "--tools",
                        tools.toString()},
        };
        String[] messages = {
                notJson + ": invalid JSON: ",
                notList + ": expected a JSON list of tools",
                noName + ": tool 1: function.name must be 1 to 64 letters, digits, _ or -, got null",
                badParams + ": tool 1 (f): parameters must be a JSON Schema object, got \"none\"",
                "tools file " + dir.resolve("none.json") + " does not exist",
                special + ": holds the special token <|eot_id|>",
                "--tool-format must be one of auto, llama3.1-json, llama3.1-builtin, function-tag, llama3.2-pythonic,"
                        + " got 'json'",
                "--tool-format needs --tools FILE",
                "--tools works in the interactive chat, not with --dialogs",
                "tools need a Llama 3.1 or later model; this one is Llama 3",
        };
        for (int i = 0; i < runs.length; i++) {
            CliRunner.Run run = CliRunner.run("Hi\n".getBytes(StandardCharsets.UTF_8), runs[i]);
            assertThat(run.exit()).as(String.join(" ", runs[i])).isEqualTo(1);
            assertThat(run.stdout()).as(String.join(" ", runs[i])).isEmpty();
            List<String> errors = run.stderr().lines().filter(l -> !l.startsWith("WARNING")).toList();
            assertThat(errors).as(run.stderr()).hasSize(1);
            assertThat(errors.getFirst()).startsWith("llama3j: " + messages[i]).doesNotContain("Exception");
        }
    }
}
