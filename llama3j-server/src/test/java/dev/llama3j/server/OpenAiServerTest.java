package dev.llama3j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import dev.llama3j.SharedData;
import dev.llama3j.chat.Message;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.generate.Sampler;
import dev.llama3j.generate.TokenListener;
import dev.llama3j.model.Sequence;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The server on loopback, driven by the official OpenAI Java SDK, on the fixture with Llama 3's real vocabulary:
 * greedy answers equal the generator's for the same prompt tokens, streamed equals whole, errors are OpenAI's.
 */
class OpenAiServerTest {
    static Llama llama;
    static Engine engine;
    static OpenAiServer server;
    static OpenAiServer keyed;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        llama = Llama.build(SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf"), null, 256, 2, 1, Numerics.INT8);
        engine = llama.newEngine(2);
        server = new OpenAiServer(llama, engine, "tiny", "127.0.0.1", 0, null);
        keyed = new OpenAiServer(llama, engine, "tiny", "127.0.0.1", 0, "sesame");
        client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey("unused")
                .maxRetries(0).timeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {server, keyed, engine, llama}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // closing what the tests opened
            }
        }
    }

    /** The greedy answer the generator gives for these prompt tokens, as text (stop tokens excluded). */
    static String generatorAnswer(int[] prompt, int maxTokens) {
        try (Sequence s = llamaModel().newSequence()) {
            int[] tokens = new dev.llama3j.generate.Generator(llamaModel(), llama.stopTokens())
                    .generate(s, prompt, maxTokens, 0f, 1f, false, new Sampler(1), TokenListener.NONE).tokens().get(0);
            return llama.tokenizer().decode(tokens);
        }
    }

    private static dev.llama3j.model.Transformer model;

    static dev.llama3j.model.Transformer llamaModel() {
        if (model == null) {
            model = new dev.llama3j.model.Transformer(llama.weights(), 1, 256);
        }
        return model;
    }

    static ChatCompletionCreateParams.Builder chat(String text) {
        return ChatCompletionCreateParams.builder().model("tiny").addUserMessage(text).maxCompletionTokens(12)
                .temperature(0.0).seed(3L);
    }

    @Test
    void chatAnswerEqualsTheGeneratorsAndStreamingEqualsWhole() {
        ChatCompletion whole = client.chat().completions().create(chat("Hello there").build());
        String text = whole.choices().get(0).message().content().orElseThrow();
        int[] prompt = llama.chatFormat().encodeDialogPrompt(List.of(Message.user("Hello there")));
        assertThat(text).isEqualTo(generatorAnswer(prompt, 12));
        assertThat(whole.usage().orElseThrow().promptTokens()).isEqualTo(prompt.length);
        assertThat(whole.choices().get(0).finishReason().asString()).isIn("stop", "length");

        StringBuilder streamed = new StringBuilder();
        AtomicReference<Long> usage = new AtomicReference<>();
        AtomicReference<String> finish = new AtomicReference<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(chat("Hello there")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(chunk -> {
                chunk.choices().forEach(c -> {
                    c.delta().content().ifPresent(streamed::append);
                    c.finishReason().ifPresent(f -> finish.set(f.asString()));
                });
                chunk.usage().ifPresent(u -> usage.set(u.completionTokens()));
            });
        }
        assertThat(streamed.toString()).isEqualTo(text);
        assertThat(finish.get()).isEqualTo(whole.choices().get(0).finishReason().asString());
        assertThat(usage.get()).isEqualTo(whole.usage().orElseThrow().completionTokens());
    }

    /**
     * Chat logprobs: each token's log-probability is the generator's (the first comes from another product of the
     * output matrix: the prompt's float one, where the generator's is the decode step's, so within float rounding,
     * or int8 rounding where the output matrix takes int8 activations, as with the native kernels), the greedy token
     * is the most likely of its alternatives, sorted, and the streamed ones equal the whole answer's.
     */
    @Test
    void chatLogprobsAreTheModelsAndStreamedEqualWhole() {
        ChatCompletion whole = client.chat().completions().create(chat("Hello there").logprobs(true).topLogprobs(3)
                .build());
        var entries = whole.choices().get(0).logprobs().orElseThrow().content().orElseThrow();
        int[] prompt = llama.chatFormat().encodeDialogPrompt(List.of(Message.user("Hello there")));
        float[] expected;
        try (Sequence s = llamaModel().newSequence()) {
            expected = new dev.llama3j.generate.Generator(llamaModel(), llama.stopTokens())
                    .generate(s, prompt, 12, 0f, 1f, true, new Sampler(1), TokenListener.NONE).logprobs().get(0);
        }
        assertThat(entries).hasSize(expected.length);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < entries.size(); i++) {
            var e = entries.get(i);
            double tolerance = llama.weights().output().takesInt8() ? 5e-3 : 1e-4;
            assertThat(e.logprob()).as("token %d", i).isCloseTo(expected[i],
                    org.assertj.core.api.Assertions.within(tolerance));
            assertThat(e.topLogprobs()).hasSize(3);
            assertThat(e.topLogprobs().get(0).token()).isEqualTo(e.token());
            assertThat(e.topLogprobs().get(0).logprob()).isEqualTo(e.logprob());
            assertThat(e.topLogprobs().get(1).logprob()).isLessThanOrEqualTo(e.topLogprobs().get(0).logprob());
            assertThat(e.topLogprobs().get(2).logprob()).isLessThanOrEqualTo(e.topLogprobs().get(1).logprob());
            text.append(e.token());
        }
        assertThat(text.toString()).isEqualTo(whole.choices().get(0).message().content().orElseThrow());

        List<Double> streamed = new java.util.ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(chat("Hello there")
                .logprobs(true).topLogprobs(3).build())) {
            s.stream().forEach(chunk -> chunk.choices().forEach(c -> c.logprobs()
                    .flatMap(l -> l.content()).ifPresent(l -> l.forEach(e -> streamed.add(e.logprob())))));
        }
        assertThat(streamed).containsExactlyElementsOf(entries.stream().map(e -> e.logprob()).toList());
    }

    /** Legacy completions: "logprobs": N gives tokens, token_logprobs, top_logprobs and text_offset; echo prepends. */
    @Test
    void completionLogprobsAndEcho() throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 5,"
                + " \"temperature\": 0, \"logprobs\": 2}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode choice = new ObjectMapper().readTree(r.body()).get("choices").get(0);
        JsonNode lp = choice.get("logprobs");
        assertThat(lp.get("tokens")).hasSize(5);
        assertThat(lp.get("token_logprobs")).hasSize(5);
        assertThat(lp.get("top_logprobs").get(0).size()).isBetween(1, 2);
        assertThat(lp.get("text_offset").get(0).asInt()).isZero();
        StringBuilder joined = new StringBuilder();
        lp.get("tokens").forEach(t -> joined.append(t.asText()));
        assertThat(joined.toString()).isEqualTo(choice.get("text").asText());

        HttpResponse<String> echo = post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 5,"
                + " \"temperature\": 0, \"echo\": true}");
        String echoed = new ObjectMapper().readTree(echo.body()).get("choices").get(0).get("text").asText();
        assertThat(echoed).isEqualTo("<|begin_of_text|>Once upon a time" + choice.get("text").asText());
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
                + " \"top_logprobs\": 3}"), 400, "'top_logprobs' needs 'logprobs': true");

        // echo with logprobs: the prompt's tokens first, the first without a log-probability (Meta's text_completion)
        HttpResponse<String> both = post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 3,"
                + " \"temperature\": 0, \"echo\": true, \"logprobs\": 1}");
        JsonNode lps = new ObjectMapper().readTree(both.body()).get("choices").get(0).get("logprobs");
        int[] prompt = llama.tokenizer().encode("Once upon a time", true, false);
        assertThat(lps.get("tokens")).hasSize(prompt.length + 3);
        assertThat(lps.get("tokens").get(0).asText()).isEqualTo("<|begin_of_text|>");
        assertThat(lps.get("token_logprobs").get(0).isNull()).isTrue();
        assertThat(lps.get("top_logprobs").get(0).isNull()).isTrue();
        float[] logits = llamaModel().forward(new int[][] {prompt}, 0, true)[0];
        int vocab = llama.tokenizer().vocabSize();
        for (int i = 1; i < prompt.length; i++) {
            assertThat(lps.get("token_logprobs").get(i).floatValue()).as("prompt token %d", i)
                    .isEqualTo(Sampler.logProb(logits, (i - 1) * vocab, vocab, prompt[i]));
        }
    }

    @Test
    void textCompletionOfAPromptString() {
        Completion c = client.completions().create(CompletionCreateParams.builder().model("tiny")
                .prompt("Once upon a time").maxTokens(6L).temperature(0.0).build());
        int[] prompt = llama.tokenizer().encode("Once upon a time", true, false);
        assertThat(c.choices().get(0).text()).isEqualTo(generatorAnswer(prompt, 6));
        assertThat(c.usage().orElseThrow().promptTokens()).isEqualTo(prompt.length);
    }

    /**
     * Several prompts and n choices per prompt, answered whole: choice k is prompt k / n's, greedy ones equal the
     * prompt's single answer, sampled ones differ (each its own seed), usage counts each prompt once (streamed:
     * {@code StreamedChoicesTest}).
     */
    @Test
    void severalPromptsAndChoices() throws Exception {
        List<String> texts = List.of("In the beginning", "A list of colors:");
        Completion greedy = client.completions().create(CompletionCreateParams.builder().model("tiny")
                .promptOfArrayOfStrings(texts).n(2L).maxTokens(6L).temperature(0.0).build());
        assertThat(greedy.choices()).hasSize(4);
        int promptTokens = 0;
        for (int k = 0; k < 4; k++) {
            int[] prompt = llama.tokenizer().encode(texts.get(k / 2), true, false);
            promptTokens += k % 2 == 0 ? prompt.length : 0;
            assertThat(greedy.choices().get(k).index()).isEqualTo(k);
            assertThat(greedy.choices().get(k).text()).isEqualTo(generatorAnswer(prompt, 6));
        }
        assertThat(greedy.usage().orElseThrow().promptTokens()).isEqualTo(promptTokens);
        assertThat(greedy.usage().orElseThrow().completionTokens()).isEqualTo(24);

        ChatCompletion sampled = client.chat().completions().create(chat("Tell me something").n(3L)
                .temperature(1.0).seed(11L).build());
        assertThat(sampled.choices()).extracting(ChatCompletion.Choice::index).containsExactly(0L, 1L, 2L);
        List<String> answers = sampled.choices().stream().map(c -> c.message().content().orElse("")).toList();
        assertThat(new java.util.HashSet<>(answers)).as("three samples of one prompt, seeds 11..13").hasSize(3);

        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
                + " \"n\": 17}"), 400, "'n' must be an integer in 1..16");
    }

    @Test
    void theApiKeyGuardsEverythingButHealth() throws Exception {
        OpenAIClient wrong = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + keyed.port() + "/v1")
                .apiKey("wrong").maxRetries(0).build();
        assertThatThrownBy(() -> wrong.models().list()).isInstanceOf(UnauthorizedException.class);
        wrong.close();
        OpenAIClient right = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + keyed.port() + "/v1")
                .apiKey("sesame").maxRetries(0).build();
        assertThat(right.models().list().data()).extracting(m -> m.id()).containsExactly("tiny");
        right.close();
        assertThat(get(keyed.port(), "/health").statusCode()).isEqualTo(200);
    }

    @Test
    void badRequestsGetOpenAiErrors() throws Exception {
        assertError(post("/v1/chat/completions", "{not json"), 400, "not valid JSON");
        assertError(post("/v1/chat/completions", "{\"messages\": []}"), 400, "'messages' must be");
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
                + " \"max_tokens\": -1}"), 400, "'max_tokens' must be an integer >= 0");
        assertError(post("/v1/completions", "{\"prompt\": [1, 2, 999999]}"), 400, "outside the vocabulary");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"temperature\": \"hot\"}"), 400,
                "'temperature' must be a number");
        assertError(get(server.port(), "/v1/nothing"), 404, "no endpoint GET /v1/nothing");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"logit_bias\": {\"999999\": 5}}"), 400,
                "'logit_bias' token id 999999 is outside the vocabulary");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"presence_penalty\": 3}"), 400,
                "must be numbers in [-2, 2]");
        // a body over the limit is refused from its announced length, before it is read
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                    + "application/json\r\nContent-Length: " + (OpenAiServer.MAX_BODY + 10) + "\r\n\r\n{")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII)).readLine();
            assertThat(status).startsWith("HTTP/1.1 413");
        }
    }

    @Test
    void stopStringsEndTheAnswerBeforeThem() {
        String free = client.completions().create(CompletionCreateParams.builder().model("tiny")
                .prompt("Once upon a time").maxTokens(10L).temperature(0.0).build()).choices().get(0).text();
        assertThat(free.length()).isGreaterThan(4);
        String stop = free.substring(2, 4);
        Completion c = client.completions().create(CompletionCreateParams.builder().model("tiny")
                .prompt("Once upon a time").maxTokens(10L).temperature(0.0).stop(stop).build());
        assertThat(c.choices().get(0).text()).isEqualTo(free.substring(0, free.indexOf(stop)));
        assertThat(c.choices().get(0).finishReason().asString()).isEqualTo("stop");
    }

    /** LangChain4j's OpenAI models, unchanged, against the server: the same greedy answer, whole and streamed. */
    @Test
    void langChain4jChatAndStreamingModelsWork() throws Exception {
        String url = "http://127.0.0.1:" + server.port() + "/v1";
        int[] prompt = llama.chatFormat().encodeDialogPrompt(List.of(Message.user("Hello there")));
        String expected = generatorAnswer(prompt, 12);
        dev.langchain4j.model.openai.OpenAiChatModel chat = dev.langchain4j.model.openai.OpenAiChatModel.builder()
                .baseUrl(url).apiKey("unused").modelName("tiny").temperature(0.0).maxTokens(12).maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
        assertThat(chat.chat("Hello there")).isEqualTo(expected);

        dev.langchain4j.model.openai.OpenAiStreamingChatModel streaming =
                dev.langchain4j.model.openai.OpenAiStreamingChatModel.builder().baseUrl(url).apiKey("unused")
                        .modelName("tiny").temperature(0.0).maxTokens(12).timeout(Duration.ofSeconds(60)).build();
        java.util.concurrent.CompletableFuture<dev.langchain4j.model.chat.response.ChatResponse> done =
                new java.util.concurrent.CompletableFuture<>();
        StringBuilder partial = new StringBuilder();
        streaming.chat("Hello there", new dev.langchain4j.model.chat.response.StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String text) {
                partial.append(text);
            }

            @Override
            public void onCompleteResponse(dev.langchain4j.model.chat.response.ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        dev.langchain4j.model.chat.response.ChatResponse response = done.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(partial.toString()).isEqualTo(expected);
        assertThat(response.aiMessage().text()).isEqualTo(expected);
        assertThat(response.tokenUsage().inputTokenCount()).isEqualTo(prompt.length);
    }

    @Test
    void llamaServersTokenizeDetokenizeSlotsAndMetrics() throws Exception {
        HttpResponse<String> t = post("/tokenize", "{\"content\": \"Hello world\", \"add_special\": true}");
        assertThat(t.statusCode()).isEqualTo(200);
        JsonNode tokens = new ObjectMapper().readTree(t.body()).get("tokens");
        int[] expected = llama.tokenizer().encode("Hello world", true, false);
        assertThat(tokens).hasSize(expected.length);
        assertThat(tokens.get(0).asInt()).isEqualTo(128000);
        HttpResponse<String> d = post("/detokenize", "{\"tokens\": " + tokens + "}");
        assertThat(new ObjectMapper().readTree(d.body()).get("content").asText())
                .isEqualTo("<|begin_of_text|>Hello world");
        JsonNode slots = new ObjectMapper().readTree(get(server.port(), "/slots").body());
        assertThat(slots).hasSize(2);
        assertThat(slots.get(1).get("id").asInt()).isEqualTo(1);
        assertThat(slots.get(0).has("is_processing")).isTrue();
        String metrics = get(server.port(), "/metrics").body();
        assertThat(metrics).contains("# TYPE llama3j:prompt_tokens_total counter")
                .contains("llama3j:requests_processing ").contains("llama3j:kv_cache_usage_ratio ");
    }

    /** One log line per request: method, path, status, tokens in and out for generations, milliseconds. */
    @Test
    void eachRequestIsLoggedInOneLine() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.PrintStream log = new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8);
        try (OpenAiServer logged = new OpenAiServer(llama, engine, "tiny", "127.0.0.1", 0, null,
                OpenAiServer.DEFAULT_QUEUE, log)) {
            try (HttpClient http = HttpClient.newHttpClient()) {
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + logged.port() + "/v1/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": [128000, 40], \"max_tokens\": 3,"
                                + " \"temperature\": 0}")).build(), HttpResponse.BodyHandlers.ofString());
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + logged.port() + "/nowhere")).build(),
                        HttpResponse.BodyHandlers.ofString());
            }
        }
        List<String> lines = bytes.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches("llama3j: POST /v1/completions 200 tokens in 2 out [0-3] \\d+ ms");
        assertThat(lines.get(1)).matches("llama3j: GET /nowhere 404 \\d+ ms");
    }

    /** CORS only for the configured origins; their preflights pass without the API key. */
    @Test
    void corsForConfiguredOriginsOnly() throws Exception {
        try (OpenAiServer cors = new OpenAiServer(llama, engine, "tiny", "127.0.0.1", 0, "sesame",
                OpenAiServer.DEFAULT_QUEUE, null, List.of("https://app.example"));
             HttpClient http = HttpClient.newHttpClient()) {
            URI models = URI.create("http://127.0.0.1:" + cors.port() + "/v1/models");
            HttpResponse<String> preflight = http.send(HttpRequest.newBuilder(models)
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "https://app.example")
                    .header("Access-Control-Request-Method", "GET").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(preflight.statusCode()).isEqualTo(204);
            assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example");
            assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers").orElse(""))
                    .contains("Authorization");
            HttpResponse<String> allowed = http.send(HttpRequest.newBuilder(models).header("Origin", "https://app.example")
                    .header("Authorization", "Bearer sesame").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(allowed.statusCode()).isEqualTo(200);
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example");
            HttpResponse<String> other = http.send(HttpRequest.newBuilder(models).header("Origin", "https://evil.example")
                    .header("Authorization", "Bearer sesame").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        }
        assertThat(get(server.port(), "/health").headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    /** Tools need a 3.1+ model (this fixture is Llama 3); calls come back in OpenAI's shape. */
    @Test
    void toolsOnALlama3ModelAreA400AndCallsTakeOpenAisShape() throws Exception {
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
                + " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {}}}]}"),
                400, "tools need a Llama 3.1 or later model");
        JsonNode calls = ToolCallsJson.toJson(dev.llama3j.chat.ToolCallParser.parse(
                "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"days\": 2}}", false).toolCalls(),
                "call-x");
        assertThat(calls).hasSize(1);
        assertThat(calls.get(0).get("id").asText()).isEqualTo("call-x-0");
        assertThat(calls.get(0).get("type").asText()).isEqualTo("function");
        assertThat(calls.get(0).get("function").get("name").asText()).isEqualTo("get_weather");
        assertThat(new ObjectMapper().readTree(calls.get(0).get("function").get("arguments").asText()))
                .isEqualTo(new ObjectMapper().readTree("{\"city\": \"Paris\", \"days\": 2}"));
        // 3.2's Python list: several calls in one answer, each its own entry
        JsonNode two = ToolCallsJson.toJson(dev.llama3j.chat.ToolCallParser.parse(
                "[get_time(zone=\"CET\"), get_weather(city=\"Rome\")]", false).toolCalls(), "c");
        assertThat(two).extracting(c -> c.get("function").get("name").asText())
                .containsExactly("get_time", "get_weather");
        assertThat(two.get(1).get("id").asText()).isEqualTo("c-1");
    }

    static HttpResponse<String> post(String path, String body) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    static HttpResponse<String> get(int port, String path) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    static void assertError(HttpResponse<String> r, int status, String message) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = new ObjectMapper().readTree(r.body()).get("error");
        assertThat(e.get("message").asText()).contains(message);
        assertThat(e.get("type").asText()).isNotEmpty();
    }
}
