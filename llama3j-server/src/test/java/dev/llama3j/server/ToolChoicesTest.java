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
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import dev.llama3j.SharedData;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.guard.Guard;
import dev.llama3j.guard.GuardVersion;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several choices of a chat request with tools, on a random-weight Llama 3.1 model with Meta's vocabulary: each
 * choice is the single request's answer with its seed, read for calls as that one is (forced calls are valid for
 * their tool's parameters), streamed as OpenAI streams calls, and screened on its own.
 */
class ToolChoicesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TIME = "{\"type\": \"object\", \"properties\": {\"zone\": {\"enum\": [\"CET\", \"UTC\"]}},"
            + " \"required\": [\"zone\"], \"additionalProperties\": false}";
    static final String TOOLS = "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": "
            + ConstrainedOutputTest.WEATHER + "}}, {\"type\": \"function\", \"function\": {\"name\": \"get_time\","
            + " \"parameters\": " + TIME + "}}]";

    @TempDir
    static Path dir;
    static Llama llama;
    static Engine engine;
    static OpenAiServer server;
    static OpenAIClient client;
    static Llama guardModel;
    static Engine guardEngine;

    @BeforeAll
    static void start() {
        llama = Llama.build(ConstrainedOutputTest.tiny31(dir), null, 1024, 4, 1, Numerics.INT8);
        engine = llama.newEngine(4);
        server = new OpenAiServer(llama, engine, "tiny31", "127.0.0.1", 0, null);
        client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey("unused")
                .maxRetries(0).timeout(Duration.ofSeconds(120)).build();
        guardModel = Llama.build(SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf"), null, 2048, 2, 1,
                Numerics.INT8);
        guardEngine = guardModel.newEngine(2);
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {server, engine, llama, guardEngine, guardModel}) {
            if (c != null) {
                c.close();
            }
        }
    }

    static String body(String toolChoice, String extra) {
        return "{\"messages\": [{\"role\": \"user\", \"content\": \"What is the weather in Paris?\"}],"
                + " \"max_tokens\": 300, \"tools\": " + TOOLS + ", \"tool_choice\": " + toolChoice + extra + "}";
    }

    static ChatCompletionCreateParams.Builder params() throws Exception {
        return ChatCompletionCreateParams.builder().model("tiny31").addUserMessage("What is the weather in Paris?")
                .maxCompletionTokens(300).temperature(0.0)
                .addTool(ConstrainedOutputTest.tool("get_weather", ConstrainedOutputTest.WEATHER))
                .addTool(ConstrainedOutputTest.tool("get_time", TIME));
    }

    /** A choice's calls as name and arguments (ids left out: they name the request). */
    static List<List<String>> calls(ChatCompletion.Choice choice) {
        return choice.message().toolCalls().orElseThrow().stream().map(ChatCompletionMessageToolCall::asFunction)
                .map(c -> List.of(c.function().name(), c.function().arguments())).toList();
    }

    /** Greedy: each of the n 2 choices makes the single request's call, "required" and a named function alike. */
    @Test
    void greedyChoicesMakeTheSingleRequestsCall() throws Exception {
        List<ChatCompletionToolChoiceOption> choices = List.of(
                ChatCompletionToolChoiceOption.ofAuto(ChatCompletionToolChoiceOption.Auto.REQUIRED),
                ChatCompletionToolChoiceOption.ofNamedToolChoice(ChatCompletionNamedToolChoice.builder()
                        .function(ChatCompletionNamedToolChoice.Function.builder().name("get_time").build()).build()));
        for (ChatCompletionToolChoiceOption toolChoice : choices) {
            ChatCompletion one = client.chat().completions().create(params().toolChoice(toolChoice).build());
            ChatCompletion two = client.chat().completions().create(params().toolChoice(toolChoice).n(2).build());
            List<List<String>> expected = calls(one.choices().getFirst());
            assertThat(expected).hasSize(1);
            String name = expected.getFirst().get(0);
            ConstrainedOutputTest.assertValid(name.equals("get_time") ? TIME : ConstrainedOutputTest.WEATHER,
                    expected.getFirst().get(1));
            assertThat(two.choices()).hasSize(2);
            Set<String> ids = new HashSet<>();
            for (int k = 0; k < 2; k++) {
                ChatCompletion.Choice choice = two.choices().get(k);
                assertThat(choice.index()).isEqualTo(k);
                assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
                assertThat(choice.message().content()).isEmpty();
                assertThat(calls(choice)).isEqualTo(expected);
                choice.message().toolCalls().orElseThrow().forEach(c -> ids.add(c.asFunction().id()));
            }
            assertThat(ids).as("call ids distinct across choices").hasSize(2);
            assertThat(two.usage().orElseThrow().promptTokens()).isEqualTo(one.usage().orElseThrow().promptTokens());
            assertThat(two.usage().orElseThrow().completionTokens())
                    .isEqualTo(2 * one.usage().orElseThrow().completionTokens());
        }
    }

    /**
     * Sampled, the call forced on get_weather (whose city is free text): choice k is the single request seeded
     * seed + k, and its call is valid for the tool.
     */
    @Test
    void sampledChoicesAreTheSingleRequestsWithTheirSeeds() throws Exception {
        String weather = "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}";
        JsonNode three = post(body(weather, ", \"n\": 3, \"temperature\": 1, \"seed\": 5"));
        assertThat(three.get("choices")).hasSize(3);
        Set<String> answers = new HashSet<>();
        for (int k = 0; k < 3; k++) {
            JsonNode single = post(body(weather, ", \"temperature\": 1, \"seed\": " + (5 + k)))
                    .get("choices").get(0);
            JsonNode choice = three.get("choices").get(k);
            assertThat(choice.get("finish_reason").asText()).isEqualTo("tool_calls");
            assertThat(withoutIds(choice.at("/message/tool_calls"))).as("choice %d", k)
                    .isEqualTo(withoutIds(single.at("/message/tool_calls")));
            JsonNode fn = choice.at("/message/tool_calls/0/function");
            assertThat(fn.get("name").asText()).isEqualTo("get_weather");
            ConstrainedOutputTest.assertValid(ConstrainedOutputTest.WEATHER, fn.get("arguments").asText());
            answers.add(fn.toString());
        }
        assertThat(answers).as("the seeds differ, and so do the calls").hasSizeGreaterThan(1);
    }

    /** Streamed n 2: per choice a role chunk, one chunk with its calls, a "tool_calls" finish; the whole answer's. */
    @Test
    void streamedCallsAreTheWholeOnes() throws Exception {
        String body = body("\"required\"", ", \"n\": 2, \"temperature\": 1, \"seed\": 9");
        JsonNode whole = post(body);
        List<JsonNode> chunks = StreamedChoicesTest.stream(server, "/v1/chat/completions", body);
        StreamedChoicesTest.assertStreamShape(chunks, 2);
        assertThat(chunks.getLast().get("usage")).isEqualTo(whole.get("usage"));
        for (int k = 0; k < 2; k++) {
            List<JsonNode> mine = StreamedChoicesTest.ofChoice(chunks, k);
            assertThat(mine).hasSize(3);
            assertThat(mine.get(0).at("/choices/0/delta/role").asText()).isEqualTo("assistant");
            JsonNode calls = mine.get(1).at("/choices/0/delta/tool_calls");
            assertThat(calls).hasSize(1);
            assertThat(calls.get(0).get("index").asInt()).isZero();
            assertThat(calls.get(0).get("id").asText()).startsWith("call-" + chunks.getFirst().get("id").asText()
                    + "-" + k + "-");
            ObjectNode call = calls.get(0).deepCopy();
            call.remove("index");
            assertThat(withoutIds(JSON.createArrayNode().add(call)))
                    .isEqualTo(withoutIds(whole.at("/choices/" + k + "/message/tool_calls")));
            assertThat(mine.get(2).at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
        }
        // the OpenAI Java SDK puts the stream together into the whole answer
        ChatCompletionCreateParams params = params().temperature(1.0).seed(9L).n(2L).toolChoice(
                ChatCompletionToolChoiceOption.Auto.REQUIRED).build();
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            s.stream().forEach(accumulator::accumulate);
        }
        ChatCompletion streamed = accumulator.chatCompletion();
        ChatCompletion sdkWhole = client.chat().completions().create(params);
        assertThat(streamed.choices()).hasSize(2);
        for (int k = 0; k < 2; k++) {
            assertThat(streamed.choices().get(k).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason
                    .TOOL_CALLS);
            assertThat(calls(streamed.choices().get(k))).isEqualTo(calls(sdkWhole.choices().get(k)));
        }
    }

    /** With tool_choice "auto" the random model answers text: each choice the single request's, streamed too. */
    @Test
    void textChoicesWithToolsAreTheSingleOnes() throws Exception {
        String extra = ", \"temperature\": 0, \"max_tokens\": 12";
        JsonNode one = post(body("\"auto\"", extra)).get("choices").get(0);
        JsonNode two = post(body("\"auto\"", extra + ", \"n\": 2"));
        for (int k = 0; k < 2; k++) {
            JsonNode choice = two.get("choices").get(k);
            assertThat(choice.get("message")).isEqualTo(one.get("message"));
            assertThat(choice.get("finish_reason")).isEqualTo(one.get("finish_reason"));
        }
        List<JsonNode> chunks = StreamedChoicesTest.stream(server, "/v1/chat/completions", body("\"auto\"",
                extra + ", \"n\": 2"));
        StreamedChoicesTest.assertStreamShape(chunks, 2);
        StreamedChoicesTest.assertSameChoices(chunks, two, "content");
    }

    /** With a guard, each choice's call is screened on its own: withheld when unsafe, the unscreened one when safe. */
    @Test
    void eachChoiceIsScreened() throws Exception {
        String body = body("\"required\"", ", \"n\": 2, \"temperature\": 0");
        JsonNode unscreened = post(body);
        // Meta's tokens "safe" (19193) and "unsafe" (39257) forced on the guard's verdict
        for (int verdict : new int[] {19193, 39257}) {
            Screening screening = new Screening(new Guard(guardEngine, guardModel.tokenizer(),
                    GuardVersion.LLAMA_GUARD_3_1B, Set.of(), Map.of(verdict, 100f), 1), false, true);
            try (OpenAiServer screened = new OpenAiServer(llama, engine, "tiny31", "127.0.0.1", 0, null,
                    OpenAiServer.DEFAULT_QUEUE, null, List.of(), screening)) {
                JsonNode answer = post(screened, body);
                List<JsonNode> chunks = StreamedChoicesTest.stream(screened, "/v1/chat/completions", body);
                for (int k = 0; k < 2; k++) {
                    JsonNode choice = answer.get("choices").get(k);
                    List<JsonNode> mine = StreamedChoicesTest.ofChoice(chunks, k);
                    if (verdict == 19193) {
                        assertThat(withoutIds(choice.at("/message/tool_calls")))
                                .isEqualTo(withoutIds(unscreened.at("/choices/" + k + "/message/tool_calls")));
                        assertThat(mine.get(1).at("/choices/0/delta/tool_calls")).hasSize(1);
                        assertThat(mine.getLast().at("/choices/0/finish_reason").asText()).isEqualTo("tool_calls");
                    } else {
                        assertThat(choice.get("finish_reason").asText()).isEqualTo("content_filter");
                        assertThat(choice.has("guard")).isTrue();
                        assertThat(choice.at("/message/tool_calls").isMissingNode()).isTrue();
                        assertThat(mine).noneMatch(c -> c.at("/choices/0/delta").has("tool_calls"));
                        assertThat(mine.getLast().at("/choices/0/finish_reason").asText())
                                .isEqualTo("content_filter");
                    }
                }
            }
        }
    }

    /**
     * A streamed answer with tools is held back (nothing but the role chunks written until it ends): a client that
     * closes its connection meanwhile still frees both choices' slots within steps.
     */
    @Test
    void aDroppedStreamOfHeldChoicesFreesTheirSlots() throws Exception {
        int maxTokens = 600;
        StringBuilder noStops = new StringBuilder();
        for (int id : llama.stopTokens()) {
            noStops.append(noStops.isEmpty() ? "" : ", ").append('"').append(id).append("\": -100");
        }
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"What is the weather in Paris?\"}],"
                + " \"tools\": " + TOOLS + ", \"n\": 2, \"max_tokens\": " + maxTokens + ", \"temperature\": 1,"
                + " \"seed\": 1, \"stream\": true, \"logit_bias\": {" + noStops + "}}";
        long generated = engine.load().generatedTokens();
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write(ClosedConnectionTest.request("/v1/chat/completions", body));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            int roles = 0;
            for (String line; roles < 2 && (line = in.readLine()) != null; ) {
                roles += line.startsWith("data: {") && line.contains("\"role\":\"assistant\"") ? 1 : 0;
            }
            assertThat(roles).isEqualTo(2);
            ClosedConnectionTest.awaitTrue(() -> engine.load().processing() == 2
                    && engine.load().generatedTokens() > generated, "both choices generate");
        }
        ClosedConnectionTest.awaitTrue(() -> engine.load().processing() == 0, "both slots idle");
        assertThat(engine.load().generatedTokens() - generated).as("cut short").isLessThan(maxTokens / 2);
    }

    /** Tool calls without their ids (which name the request), as a list of {type, function}. */
    static JsonNode withoutIds(JsonNode calls) {
        ArrayNode out = JSON.createArrayNode();
        for (JsonNode c : calls) {
            ObjectNode copy = c.deepCopy();
            assertThat(copy.remove("id").asText()).startsWith("call-");
            out.add(copy);
        }
        return out;
    }

    static JsonNode post(String body) throws Exception {
        return post(server, body);
    }

    static JsonNode post(OpenAiServer s, String body) throws Exception {
        JsonNode r = ConstrainedOutputTest.post(s, body);
        assertThat(r.get("status").asInt()).as(r.toString()).isEqualTo(200);
        return r.get("body");
    }
}
