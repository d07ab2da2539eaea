package dev.llama3j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code llama3j tokenize}: every reference case through {@code --jsonl}, and the error paths. */
class TokenizeCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** The JSON values of a --jsonl run's output, one per line. */
    static List<JsonNode> jsonLines(CliRunner.Run run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : run.stdout().split("\n")) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    static String model() {
        return SharedData.require("llama3/tokenizer.model").toString();
    }

    /** Feeds the requests through --jsonl and returns the answers, one per request. */
    static List<JsonNode> answer(List<JsonNode> requests) throws IOException {
        StringBuilder stdin = new StringBuilder();
        for (JsonNode r : requests) {
            stdin.append(JSON.writeValueAsString(r)).append('\n');
        }
        CliRunner.Run run = CliRunner.run(stdin.toString().getBytes(StandardCharsets.UTF_8), "tokenize", "--tokenizer", model(), "--jsonl");
        assertThat(run.exit()).as(run.stderr()).isZero();
        List<JsonNode> answers = jsonLines(run);
        assertThat(answers).hasSize(requests.size());
        return answers;
    }

    static List<JsonNode> cases(String name) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(SharedData.require("llama3/" + name))) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    /** The request fields of a case: everything except the expected answer and the tag. */
    static JsonNode request(JsonNode c, String... answerFields) {
        ObjectNode r = c.deepCopy();
        r.remove("tag");
        r.remove(List.of(answerFields));
        return r;
    }

    @Test
    void encodeCasesThroughJsonl() throws IOException {
        for (String file : List.of("tokenizer-cases.jsonl", "tokenizer-cases-allowed-special.jsonl")) {
            List<JsonNode> all = cases(file);
            List<JsonNode> requests = all.stream().map(c -> request(c, "ids", "error")).toList();
            List<JsonNode> answers = answer(requests);
            for (int i = 0; i < all.size(); i++) {
                JsonNode expected = all.get(i);
                if (expected.hasNonNull("error")) {
                    assertThat(answers.get(i).has("error")).as(file + " line " + (i + 1)).isTrue();
                    assertThat(answers.get(i).has("ids")).isFalse();
                } else {
                    assertThat(answers.get(i).get("ids")).as(file + " line " + (i + 1)).isEqualTo(expected.get("ids"));
                }
            }
        }
    }

    @Test
    void decodeCasesThroughJsonl() throws IOException {
        List<JsonNode> all = cases("decode-cases.jsonl");
        List<JsonNode> requests = all.stream().map(c -> request(c, "text", "bytes_hex", "text_utf8_hex")).toList();
        List<JsonNode> answers = answer(requests);
        for (int i = 0; i < all.size(); i++) {
            for (String field : List.of("text", "bytes_hex", "text_utf8_hex")) {
                assertThat(answers.get(i).get(field)).as("decode-cases line " + (i + 1) + " " + field)
                        .isEqualTo(all.get(i).get(field));
            }
        }
    }

    @Test
    void chatCasesOfBothFormatsThroughJsonl() throws IOException {
        List<JsonNode> all = new ArrayList<>(cases("chat-cases.jsonl"));
        all.addAll(cases("chat-cases-llama-models.jsonl")); // these carry "format": "llama-models"
        List<JsonNode> answers = answer(all.stream().map(c -> request(c, "ids")).toList());
        for (int i = 0; i < all.size(); i++) {
            assertThat(answers.get(i).get("ids")).as(all.get(i).get("tag").textValue()).isEqualTo(all.get(i).get("ids"));
        }
        assertThat(all).hasSize(62 + 16);
    }

    @Test
    void badRequestsAnswerAnErrorAndTheRunGoesOn() throws IOException {
        ByteArrayOutputStream stdin = new ByteArrayOutputStream();
        stdin.writeBytes("{\"text\":\"Hello world!\",\"bos\":true}\n".getBytes(StandardCharsets.UTF_8));
        stdin.writeBytes(new byte[]{'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC3, '"', '}', '\n'}); // truncated UTF-8
        stdin.writeBytes("{\"text\": oops}\n".getBytes(StandardCharsets.UTF_8));
        stdin.writeBytes("{\"ids\":[9906, 128256]}\n".getBytes(StandardCharsets.UTF_8));
        stdin.writeBytes("{\"text\":\"<|eot_id|>\",\"disallowed_special\":\"all\"}\n".getBytes(StandardCharsets.UTF_8));
        stdin.writeBytes("[1,2]\r\n".getBytes(StandardCharsets.UTF_8));
        stdin.writeBytes("{\"dialog\":[{\"role\":\"user\",\"content\":\"hi\"}],\"format\":\"chatml\"}\n".getBytes(StandardCharsets.UTF_8));
        stdin.writeBytes("{\"ids\":[9906,1917]}".getBytes(StandardCharsets.UTF_8)); // last line without newline
        CliRunner.Run run = CliRunner.run(stdin.toByteArray(), "tokenize", "--tokenizer", model(), "--jsonl");
        assertThat(run.exit()).isZero();
        List<JsonNode> lines = jsonLines(run);
        assertThat(lines).hasSize(8);
        assertThat(lines.get(0).get("ids").toString()).isEqualTo("[128000,9906,1917,0]"); // tokenizer-cases "prose"
        assertThat(lines.get(1).get("error").textValue()).startsWith("line 2: invalid UTF-8 at byte 10");
        assertThat(lines.get(2).get("error").textValue()).startsWith("line 3: invalid JSON");
        assertThat(lines.get(3).get("error").textValue()).isEqualTo("line 4: unknown token id 128256 (expected 0..128255)");
        assertThat(lines.get(4).get("error").textValue()).startsWith("line 5: ").contains("<|eot_id|>");
        assertThat(lines.get(5).get("error").textValue()).isEqualTo("line 6: expected a JSON object, got array");
        assertThat(lines.get(6).get("error").textValue()).contains("unknown chat format 'chatml'");
        assertThat(lines.get(7).get("text").textValue()).isEqualTo("Hello world");
    }

    @Test
    void plainTextModePrintsIdsAndPieces() {
        CliRunner.Run run = CliRunner.run(new byte[0], "tokenize", "--tokenizer", model(), "--bos", "--pieces", "Hello", "world!");
        assertThat(run.exit()).isZero();
        assertThat(run.stdout().split("\n")).containsExactly(
                "128000 9906 1917 0", "128000\t\"<|begin_of_text|>\"", "9906\t\"Hello\"", "1917\t\" world\"", "0\t\"!\"");
    }

    @Test
    void missingTokenizerIsOneLineOnStderr() {
        CliRunner.Run run = CliRunner.run(new byte[0], "tokenize", "--tokenizer", dir.resolve("absent.model").toString(), "x");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr().strip().lines()).hasSize(1);
        assertThat(run.stderr()).startsWith("llama3j: tokenizer ").contains("absent.model").contains("does not exist");
    }

    @Test
    void corruptTokenizerIsOneLineOnStderr() throws IOException {
        Path corrupt = dir.resolve("corrupt.model");
        Files.writeString(corrupt, "QQ== 0\nnot-a-line\n");
        CliRunner.Run run = CliRunner.run(new byte[0], "tokenize", "--tokenizer", corrupt.toString(), "--jsonl");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr().strip()).isEqualTo("llama3j: " + corrupt + ": line 2: expected 'base64-token rank'");
        assertThat(run.stdout()).isEmpty();
    }
}
