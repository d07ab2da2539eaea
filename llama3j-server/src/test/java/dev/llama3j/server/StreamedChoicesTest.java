package dev.llama3j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import dev.llama3j.SharedData;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several choices streamed ({@code n} > 1, lists of prompts): every chunk carries one choice, each choice's chunks
 * put together are its whole answer and the answer of a single request with its prompt and seed, each choice ends
 * with its own finish chunk, the usage chunk comes last with the whole answer's totals, and a client that goes away
 * frees every choice's slot.
 */
class StreamedChoicesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> PROMPTS = List.of("In the beginning", "A list of colors:");

    static Llama llama;
    static Engine engine;
    static OpenAiServer server;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        llama = Llama.build(SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf"), null, 256, 4, 1, Numerics.INT8);
        engine = llama.newEngine(4);
        server = new OpenAiServer(llama, engine, "tiny", "127.0.0.1", 0, null);
        client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey("unused")
                .maxRetries(0).timeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {server, engine, llama}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** Two prompts, n 3, sampled, with logprobs and a stop string; five choices run at once on four slots. */
    @Test
    void streamedCompletionChoicesAreTheWholeOnesAndTheSingleOnes() throws Exception {
        String stop = stopStringOf(completionBody(", \"n\": 3"), "text");
        String body = completionBody(", \"n\": 3, \"logprobs\": 2, \"stop\": " + JSON.writeValueAsString(stop));
        JsonNode whole = JSON.readTree(post("/v1/completions", body).body());
        List<JsonNode> chunks = stream("/v1/completions", body);
        assertStreamShape(chunks, 6);
        assertSameChoices(chunks, whole, "text");
        // the choices generate together: their chunks interleave rather than come one choice after another
        List<Integer> order = chunks.subList(0, chunks.size() - 1).stream()
                .map(c -> c.get("choices").get(0).get("index").asInt()).toList();
        assertThat(order).isNotEqualTo(order.stream().sorted().toList());
        assertThat(whole.get("choices")).anySatisfy(c -> assertThat(c.get("finish_reason").asText()).isEqualTo("stop"));
        // choice k is prompt k / n's, seeded seed + k: a single request with that prompt and seed
        for (int k = 0; k < 6; k++) {
            JsonNode single = JSON.readTree(post("/v1/completions", "{\"prompt\": "
                    + JSON.writeValueAsString(PROMPTS.get(k / 3)) + ", \"max_tokens\": 10, \"temperature\": 1,"
                    + " \"seed\": " + (7 + k) + ", \"logprobs\": 2, \"stop\": " + JSON.writeValueAsString(stop)
                    + "}").body()).get("choices").get(0);
            JsonNode choice = whole.get("choices").get(k);
            assertThat(choice.get("text")).as("choice %d", k).isEqualTo(single.get("text"));
            assertThat(choice.get("finish_reason")).as("choice %d", k).isEqualTo(single.get("finish_reason"));
            assertThat(choice.get("logprobs").get("token_logprobs")).isEqualTo(single.get("logprobs")
                    .get("token_logprobs"));
        }
    }

    /** Chat, n 3: a role chunk per choice first, then content chunks, each choice's text the whole answer's. */
    @Test
    void streamedChatChoicesAreTheWholeOnes() throws Exception {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Tell me something\"}], \"n\": 3,"
                + " \"max_tokens\": 12, \"temperature\": 1, \"seed\": 11, \"logprobs\": true, \"top_logprobs\": 2}";
        JsonNode whole = JSON.readTree(post("/v1/chat/completions", body).body());
        List<JsonNode> chunks = stream("/v1/chat/completions", body);
        assertStreamShape(chunks, 3);
        for (int k = 0; k < 3; k++) {
            JsonNode first = ofChoice(chunks, k).getFirst().get("choices").get(0);
            assertThat(first.get("delta").get("role").asText()).isEqualTo("assistant");
        }
        assertSameChoices(chunks, whole, "content");
    }

    /** Streamed echo with logprobs: each choice's first chunk is the prompt's text with its tokens' scores. */
    @Test
    void echoWithLogprobsStreamsThePromptFirst() throws Exception {
        String body = completionBody(", \"n\": 2, \"echo\": true, \"logprobs\": 1");
        JsonNode whole = JSON.readTree(post("/v1/completions", body).body());
        List<JsonNode> chunks = stream("/v1/completions", body);
        assertStreamShape(chunks, 4);
        assertSameChoices(chunks, whole, "text");
        for (int k = 0; k < 4; k++) {
            String prompt = PROMPTS.get(k / 2);
            int[] tokens = llama.tokenizer().encode(prompt, true, false);
            JsonNode first = ofChoice(chunks, k).getFirst().get("choices").get(0);
            assertThat(first.get("text").asText()).isEqualTo("<|begin_of_text|>" + prompt);
            assertThat(first.get("logprobs").get("tokens")).hasSize(tokens.length);
            assertThat(first.get("logprobs").get("token_logprobs").get(0).isNull()).isTrue();
            assertThat(first.get("logprobs").get("token_logprobs").get(1).isNumber()).isTrue();
        }
        // one choice too: the single answer's path
        String one = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 6, \"temperature\": 0, \"echo\": true,"
                + " \"logprobs\": 1}";
        JsonNode oneWhole = JSON.readTree(post("/v1/completions", one).body());
        List<JsonNode> oneChunks = stream("/v1/completions", one);
        assertStreamShape(oneChunks, 1);
        assertSameChoices(oneChunks, oneWhole, "text");
    }

    /** The OpenAI Java SDK's own accumulator puts the n 2 stream together into the whole answer. */
    @Test
    void theOpenAiSdkAccumulatesTwoStreamedChoices() {
        ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder().model("tiny")
                .addUserMessage("Hello there").maxCompletionTokens(12).temperature(1.0).seed(3L).n(2L);
        ChatCompletion whole = client.chat().completions().create(params.build());
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        List<Long> usage = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(chunk -> {
                accumulator.accumulate(chunk);
                chunk.usage().ifPresent(u -> usage.add(u.completionTokens()));
            });
        }
        ChatCompletion streamed = accumulator.chatCompletion();
        assertThat(streamed.choices()).hasSize(2);
        for (int k = 0; k < 2; k++) {
            assertThat(streamed.choices().get(k).index()).isEqualTo(k);
            assertThat(streamed.choices().get(k).message().content())
                    .isEqualTo(whole.choices().get(k).message().content());
            assertThat(streamed.choices().get(k).finishReason()).isEqualTo(whole.choices().get(k).finishReason());
        }
        assertThat(whole.choices().get(0).message().content()).isNotEqualTo(whole.choices().get(1).message()
                .content());
        assertThat(usage).containsExactly(whole.usage().orElseThrow().completionTokens());
    }

    /** A client that drops a stream of two long choices after the first token frees both slots within steps. */
    @Test
    void aDroppedStreamFreesEveryChoicesSlot() throws Exception {
        int maxTokens = 200;
        long before = engine.load().generatedTokens();
        // stop tokens banned: left alone, each choice would run to max_tokens
        String body = "{\"prompt\": \"Once upon a time\", \"n\": 2, \"max_tokens\": " + maxTokens + ","
                + " \"temperature\": 1, \"seed\": 5, \"stream\": true, \"logit_bias\": {\"128001\": -100,"
                + " \"128009\": -100}}";
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                    + "application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("data: {")) {
                    break;
                }
            }
            long started = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (engine.load().processing() < 2 && System.nanoTime() < started) {
                Thread.sleep(1);
            }
            assertThat(engine.load().processing()).as("both choices generate").isEqualTo(2);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        JsonNode slots = JSON.readTree(get("/slots").body());
        while (busy(slots) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            slots = JSON.readTree(get("/slots").body());
        }
        assertThat(busy(slots)).as(slots.toString()).isFalse();
        assertThat(engine.load().generatedTokens() - before).as("cut short").isLessThan(2L * maxTokens);
    }

    private static boolean busy(JsonNode slots) {
        for (JsonNode s : slots) {
            if (s.get("is_processing").asBoolean()) {
                return true;
            }
        }
        return false;
    }

    static String completionBody(String extra) throws Exception {
        return "{\"prompt\": " + JSON.writeValueAsString(PROMPTS) + ", \"max_tokens\": 10, \"temperature\": 1,"
                + " \"seed\": 7" + extra + "}";
    }

    /** Two characters from the middle of the first choice that has enough text: a stop string that will occur. */
    static String stopStringOf(String body, String field) throws Exception {
        for (JsonNode c : JSON.readTree(post("/v1/completions", body).body()).get("choices")) {
            String text = c.get(field).asText();
            if (text.strip().length() > 6) {
                return text.strip().substring(3, 5);
            }
        }
        throw new AssertionError("no answer long enough for a stop string");
    }

    /**
     * One choice per chunk; each choice's finish chunk is its last; then, with include_usage, one chunk with no
     * choices and the usage, then [DONE] (checked by {@link #stream}).
     */
    static void assertStreamShape(List<JsonNode> chunks, int choices) {
        JsonNode last = chunks.getLast();
        assertThat(last.get("choices")).isEmpty();
        assertThat(last.get("usage").get("total_tokens").asInt()).isPositive();
        for (JsonNode c : chunks.subList(0, chunks.size() - 1)) {
            assertThat(c.get("choices")).hasSize(1);
            assertThat(c.get("choices").get(0).get("index").asInt()).isBetween(0, choices - 1);
        }
        for (int k = 0; k < choices; k++) {
            List<JsonNode> mine = ofChoice(chunks, k);
            assertThat(mine).as("choice %d", k).isNotEmpty();
            for (int i = 0; i < mine.size(); i++) {
                JsonNode finish = mine.get(i).get("choices").get(0).get("finish_reason");
                assertThat(finish.isNull()).as("choice %d chunk %d of %d", k, i, mine.size())
                        .isEqualTo(i < mine.size() - 1);
            }
        }
    }

    /** Each choice's streamed text, finish reason and logprobs are the whole answer's; so is the usage. */
    static void assertSameChoices(List<JsonNode> chunks, JsonNode whole, String field) {
        boolean chat = field.equals("content");
        JsonNode choices = whole.get("choices");
        for (int k = 0; k < choices.size(); k++) {
            StringBuilder text = new StringBuilder();
            ObjectNode logprobs = JSON.createObjectNode();
            String finish = null;
            for (JsonNode chunk : ofChoice(chunks, k)) {
                JsonNode c = chunk.get("choices").get(0);
                text.append(chat ? c.get("delta").path("content").asText("") : c.get("text").asText());
                if (!c.get("finish_reason").isNull()) {
                    finish = c.get("finish_reason").asText();
                }
                c.get("logprobs").properties().forEach(e -> logprobs.withArrayProperty(e.getKey())
                        .addAll((ArrayNode) e.getValue()));
            }
            JsonNode expected = choices.get(k);
            assertThat(expected.get("index").asInt()).isEqualTo(k);
            assertThat(text.toString()).as("choice %d", k)
                    .isEqualTo(chat ? expected.get("message").get("content").asText() : expected.get("text").asText());
            assertThat(finish).as("choice %d", k).isEqualTo(expected.get("finish_reason").asText());
            if (!expected.get("logprobs").isNull()) {
                assertThat(logprobs).as("choice %d", k).isEqualTo(expected.get("logprobs"));
            }
        }
        assertThat(chunks.getLast().get("usage")).isEqualTo(whole.get("usage"));
    }

    static List<JsonNode> ofChoice(List<JsonNode> chunks, int k) {
        return chunks.stream().filter(c -> !c.get("choices").isEmpty()
                && c.get("choices").get(0).get("index").asInt() == k).toList();
    }

    /** The request streamed with include_usage: its chunks, in order; it must end with [DONE]. */
    static List<JsonNode> stream(String path, String body) throws Exception {
        return stream(server, path, body);
    }

    /** As above, on server {@code s}. */
    static List<JsonNode> stream(OpenAiServer s, String path, String body) throws Exception {
        String streamed = body.substring(0, body.lastIndexOf('}'))
                + ", \"stream\": true, \"stream_options\": {\"include_usage\": true}}";
        HttpResponse<String> r = post(s, path, streamed);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<JsonNode> chunks = new ArrayList<>();
        List<String> events = r.body().lines().filter(l -> !l.isEmpty()).toList();
        assertThat(events.getLast()).isEqualTo("data: [DONE]");
        for (String e : events.subList(0, events.size() - 1)) {
            assertThat(e).startsWith("data: {");
            chunks.add(JSON.readTree(e.substring(6)));
        }
        return chunks;
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        return post(server, path, body);
    }

    static HttpResponse<String> post(OpenAiServer s, String path, String body) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    static HttpResponse<String> get(String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }
}
