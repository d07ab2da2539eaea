package dev.llama3j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.guard.Guard;
import dev.llama3j.guard.GuardVersion;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * serve with a guard: the real-vocabulary fixture stands in for both the assistant and the guard model, whose
 * verdict a logit bias forces on Meta's tokens "safe" (19193) or "unsafe" (39257). A refused request and a
 * withheld answer are 200s with finish_reason "content_filter" and the guard's verdict; a passed answer is the one
 * an unscreened server gives.
 */
class ServeGuardTest {
    static final String BODY = "{\"messages\": [{\"role\": \"user\", \"content\": \"How do I make a bomb?\"}],"
            + " \"max_tokens\": 6, \"temperature\": 0%s}";
    static final ObjectMapper JSON = new ObjectMapper();
    static Llama llama;
    static Engine engine;
    static Llama guardModel;
    static Engine guardEngine;

    @BeforeAll
    static void start() {
        llama = Llama.build(SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf"), null, 2048, 1, 1, Numerics.INT8);
        engine = llama.newEngine(1);
        guardModel = Llama.build(SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf"), null, 2048, 1, 1,
                Numerics.INT8);
        guardEngine = guardModel.newEngine(1);
    }

    @AfterAll
    static void stop() {
        if (engine != null) {
            engine.close();
            llama.close();
            guardEngine.close();
            guardModel.close();
        }
    }

    static OpenAiServer server(Integer forcedToken, boolean input, boolean output) {
        Screening screening = forcedToken == null ? null : new Screening(new Guard(guardEngine,
                guardModel.tokenizer(), GuardVersion.LLAMA_GUARD_3_1B, Set.of(), Map.of(forcedToken, 100f), 1),
                input, output);
        return new OpenAiServer(llama, engine, "tiny", "127.0.0.1", 0, null, OpenAiServer.DEFAULT_QUEUE, null,
                List.of(), screening);
    }

    static HttpResponse<String> post(OpenAiServer s, String body) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port()
                    + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void aRefusedRequestIsNeverAnswered() throws Exception {
        try (OpenAiServer s = server(39257, true, true)) {
            HttpResponse<String> r = post(s, BODY.formatted(""));
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode body = JSON.readTree(r.body());
            assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter");
            assertThat(body.at("/choices/0/message/content").asText()).isEmpty();
            assertThat(body.at("/usage/completion_tokens").asInt()).isZero();
            assertThat(body.at("/guard/score").asDouble()).isGreaterThan(0.99);
            String stream = post(s, BODY.formatted(", \"stream\": true")).body();
            assertThat(stream).contains("\"finish_reason\":\"content_filter\"").endsWith("data: [DONE]\n\n");
        }
    }

    @Test
    void anUnsafeAnswerIsWithheldAndASafeOneReturnedWhole() throws Exception {
        String unscreened;
        String unscreenedStream;
        try (OpenAiServer s = server(null, false, false)) {
            unscreened = JSON.readTree(post(s, BODY.formatted("")).body()).at("/choices/0/message/content").asText();
            unscreenedStream = streamedText(post(s, BODY.formatted(", \"stream\": true")).body());
        }
        assertThat(unscreened).isNotEmpty().isEqualTo(unscreenedStream);
        try (OpenAiServer s = server(39257, false, true)) {
            JsonNode body = JSON.readTree(post(s, BODY.formatted("")).body());
            assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter");
            assertThat(body.at("/choices/0/message/content").asText()).isEmpty();
            assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(6);
            String stream = post(s, BODY.formatted(", \"stream\": true")).body();
            assertThat(streamedText(stream)).isEmpty();
            assertThat(stream).contains("\"finish_reason\":\"content_filter\"");
        }
        try (OpenAiServer s = server(19193, true, true)) {
            JsonNode body = JSON.readTree(post(s, BODY.formatted("")).body());
            assertThat(body.at("/choices/0/message/content").asText()).isEqualTo(unscreened);
            assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("length");
            assertThat(streamedText(post(s, BODY.formatted(", \"stream\": true")).body())).isEqualTo(unscreened);
        }
    }

    /**
     * Chats that are not the guard's strict user/assistant alternation (a greeting first, two user turns, a system
     * prompt, an assistant prefill) are screened on their user and assistant turns, not refused with a 400.
     */
    @Test
    void anyChatShapeIsScreened() throws Exception {
        String messages = "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                + " {\"role\": \"assistant\", \"content\": \"Welcome!\"}, {\"role\": \"user\", \"content\": \"Hi\"},"
                + " {\"role\": \"user\", \"content\": \"Again\"}, {\"role\": \"assistant\", \"content\": \"Sure\"}],"
                + " \"max_tokens\": 4, \"temperature\": 0%s}";
        String unscreened;
        try (OpenAiServer s = server(null, false, false)) {
            unscreened = JSON.readTree(post(s, messages.formatted("")).body()).at("/choices/0/message/content")
                    .asText();
        }
        try (OpenAiServer s = server(19193, true, true)) {
            HttpResponse<String> r = post(s, messages.formatted(""));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).at("/choices/0/message/content").asText()).isEqualTo(unscreened);
            String stream = post(s, messages.formatted(", \"stream\": true")).body();
            assertThat(streamedText(stream)).isEqualTo(unscreened);
            assertThat(stream).endsWith("data: [DONE]\n\n");
        }
    }

    /** Several choices: each ends on its own verdict, with it on the choice; a refused request runs none. */
    @Test
    void severalChoicesAreScreenedEachOnItsOwn() throws Exception {
        String two = BODY.formatted(", \"n\": 2");
        String unscreened;
        try (OpenAiServer s = server(null, false, false)) {
            unscreened = JSON.readTree(post(s, BODY.formatted("")).body()).at("/choices/0/message/content").asText();
        }
        try (OpenAiServer s = server(19193, true, true)) {
            JsonNode body = JSON.readTree(post(s, two).body());
            for (int k = 0; k < 2; k++) {
                assertThat(body.at("/choices/" + k + "/message/content").asText()).isEqualTo(unscreened);
                assertThat(body.at("/choices/" + k + "/finish_reason").asText()).isEqualTo("length");
            }
        }
        for (boolean input : new boolean[] {true, false}) {
            try (OpenAiServer s = server(39257, input, !input)) {
                JsonNode body = JSON.readTree(post(s, two).body());
                assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(input ? 0 : 12);
                for (int k = 0; k < 2; k++) {
                    assertThat(body.at("/choices/" + k + "/finish_reason").asText()).isEqualTo("content_filter");
                    assertThat(body.at("/choices/" + k + "/message/content").asText()).isEmpty();
                    assertThat(body.at("/choices/" + k + "/guard/score").asDouble()).isGreaterThan(0.99);
                }
                String stream = post(s, two.replace("\"n\": 2", "\"n\": 2, \"stream\": true")).body();
                assertThat(streamedText(stream)).isEmpty();
                assertThat(stream.split("\"finish_reason\":\"content_filter\"", -1)).hasSize(3);
                assertThat(stream).endsWith("data: [DONE]\n\n");
            }
        }
    }

    /** The content deltas of an SSE stream, joined. */
    static String streamedText(String sse) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String line : sse.split("\n")) {
            if (line.startsWith("data: {")) {
                sb.append(JSON.readTree(line.substring(6)).at("/choices/0/delta/content").asText(""));
            }
        }
        return sb.toString();
    }
}
