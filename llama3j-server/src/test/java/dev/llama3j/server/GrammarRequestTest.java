package dev.llama3j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.SharedData;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Pattern;

/**
 * llama-server's {@code grammar} field (GBNF text) on /v1/chat/completions and /v1/completions, on a random-weight
 * model that writes no such answer alone: answers, whole, streamed and several at once, are in the grammar's
 * language (the same language as a regular expression) and stop where it ends; a grammar that does not compile, or
 * one given beside a JSON {@code response_format}, is a 400 that says why.
 */
class GrammarRequestTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String GRAMMAR = "root ::= item (\", \" item){0,3} \".\"\nitem ::= [a-z]{2,8} | [0-9]{1,3}";
    static final Pattern ORACLE = Pattern.compile("(?:[a-z]{2,8}|[0-9]{1,3})(?:, (?:[a-z]{2,8}|[0-9]{1,3})){0,3}\\.");

    static Llama llama;
    static Engine engine;
    static OpenAiServer server;

    @BeforeAll
    static void start() {
        llama = Llama.build(SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf"), null, 512, 2, 1, Numerics.INT8);
        engine = llama.newEngine(2);
        server = new OpenAiServer(llama, engine, "tiny", "127.0.0.1", 0, null);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {server, engine, llama}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** The status and body of a POST to {@code path}. */
    static JsonNode post(String path, ObjectNode body) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + path)).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
            // a streamed answer is the text of its events
            JsonNode json = r.body().startsWith("{") ? JSON.readTree(r.body())
                    : JSON.getNodeFactory().textNode(r.body());
            return JSON.createObjectNode().put("status", r.statusCode()).set("body", json);
        }
    }

    static ObjectNode chat(long seed) {
        ObjectNode body = JSON.createObjectNode().put("max_tokens", 200).put("temperature", 1.0).put("seed", seed)
                .put("grammar", GRAMMAR);
        body.putArray("messages").addObject().put("role", "user").put("content", "List a few things.");
        return body;
    }

    static ObjectNode completion(long seed) {
        return JSON.createObjectNode().put("prompt", "A list:").put("max_tokens", 200).put("temperature", 1.0)
                .put("seed", seed).put("grammar", GRAMMAR);
    }

    @Test
    void chatAndCompletionAnswersAreInTheGrammar() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            JsonNode choice = post("/v1/chat/completions", chat(seed)).get("body").get("choices").get(0);
            assertThat(choice.get("message").get("content").asText()).matches(ORACLE);
            assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
            choice = post("/v1/completions", completion(seed)).get("body").get("choices").get(0);
            assertThat(choice.get("text").asText()).matches(ORACLE);
            assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
        }
    }

    @Test
    void streamedAndSeveralAnswersAreInTheGrammar() throws Exception {
        String whole = post("/v1/chat/completions", chat(7)).get("body").get("choices").get(0).get("message")
                .get("content").asText();
        String sse = post("/v1/chat/completions", chat(7).put("stream", true)).get("body").asText();
        StringBuilder streamed = new StringBuilder();
        for (String line : sse.split("\n")) {
            if (line.startsWith("data: {")) {
                streamed.append(JSON.readTree(line.substring(6)).path("choices").path(0).path("delta")
                        .path("content").asText(""));
            }
        }
        assertThat(streamed.toString()).isEqualTo(whole).matches(ORACLE);
        JsonNode choices = post("/v1/completions", completion(8).put("n", 3)).get("body").get("choices");
        assertThat(choices).hasSize(3);
        for (JsonNode c : choices) {
            assertThat(c.get("text").asText()).matches(ORACLE);
        }
    }

    @Test
    void badGrammarsAndTwoConstraintsAre400s() throws Exception {
        JsonNode r = post("/v1/chat/completions", chat(1).put("grammar", "root ::= item\nitem ::= [a-z"));
        assertThat(r.get("status").asInt()).isEqualTo(400);
        assertThat(r.get("body").get("error").get("message").asText()).isEqualTo("'grammar': line 2, column 14: "
                + "at the end: expected ] to end the class begun at line 2, column 10");
        r = post("/v1/completions", completion(1).put("grammar", "start ::= \"a\""));
        assertThat(r.get("status").asInt()).isEqualTo(400);
        assertThat(r.get("body").get("error").get("message").asText()).contains("no rule named root");
        ObjectNode both = chat(1);
        both.putObject("response_format").put("type", "json_object");
        r = post("/v1/chat/completions", both);
        assertThat(r.get("status").asInt()).isEqualTo(400);
        assertThat(r.get("body").get("error").get("message").asText())
                .isEqualTo("'grammar' and 'response_format' are exclusive: give one");
        r = post("/v1/completions", completion(1).put("grammar", 3));
        assertThat(r.get("status").asInt()).isEqualTo(400);
        assertThat(r.get("body").get("error").get("message").asText())
                .isEqualTo("'grammar' must be a GBNF grammar in a string, got 3");
        // a text response format is no constraint: it goes with a grammar
        ObjectNode text = chat(2);
        text.putObject("response_format").put("type", "text");
        r = post("/v1/chat/completions", text);
        assertThat(r.get("status").asInt()).isEqualTo(200);
        assertThat(r.get("body").get("choices").get(0).get("message").get("content").asText()).matches(ORACLE);
    }
}
