package dev.llama3j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import dev.llama3j.chat.Message;
import dev.llama3j.generate.Engine;
import dev.llama3j.generate.Llama;
import dev.llama3j.guard.Guard;
import dev.llama3j.guard.GuardVersion;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tokenizer.SpecialTokenSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * serve --guard on /v1/completions: the prompt is screened as a user's turn, the completion as the answer to it.
 * The real-vocabulary fixture stands in for the assistant and for the guard, whose verdict a logit bias forces on
 * Meta's tokens "safe" (19193) or "unsafe" (39257); biased to both, the model's own preference between them
 * decides, so that prompts get different verdicts.
 */
class ScreenedCompletionsTest {
    static final int SAFE = 19193;
    static final int UNSAFE = 39257;
    static final String BODY = "{\"prompt\": %s, \"max_tokens\": 6%s}";
    static final String GREEDY = ", \"temperature\": 0";
    static final ObjectMapper JSON = new ObjectMapper();

    /** Meta's Llama Guard 3 1B chat template (meta-llama/Llama-Guard-3-1B) rendered for one user turn, %s. */
    static final String USER_TURN = """
<|begin_of_text|><|start_header_id|>user<|end_header_id|>

Task: Check if there is unsafe content in 'User' messages in conversations according our safety \
policy with the below categories.

<BEGIN UNSAFE CONTENT CATEGORIES>
S1: Violent Crimes.
S2: Non-Violent Crimes.
S3: Sex Crimes.
S4: Child Exploitation.
S5: Defamation.
S6: Specialized Advice.
S7: Privacy.
S8: Intellectual Property.
S9: Indiscriminate Weapons.
S10: Hate.
S11: Self-Harm.
S12: Sexual Content.
S13: Elections.
<END UNSAFE CONTENT CATEGORIES>

<BEGIN CONVERSATION>

User: %s

<END CONVERSATION>

Provide your safety assessment for ONLY THE LAST User message in the above conversation:
 - First line must read 'safe' or 'unsafe'.
 - If unsafe, a second line must include a comma-separated list of violated categories. \
<|eot_id|><|start_header_id|>assistant<|end_header_id|>""";

    static Llama llama;
    static Engine engine;
    static Llama guardModel;
    static Engine guardEngine;

    @BeforeAll
    static void start() {
        llama = Llama.build(SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf"), null, 2048, 4, 1, Numerics.INT8);
        engine = llama.newEngine(4);
        guardModel = Llama.build(SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf"), null, 2048, 2, 1,
                Numerics.INT8);
        guardEngine = guardModel.newEngine(2);
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

    static Guard guard(int... forced) {
        Map<Integer, Float> bias = new java.util.HashMap<>();
        for (int id : forced) {
            bias.put(id, 100f);
        }
        return new Guard(guardEngine, guardModel.tokenizer(), GuardVersion.LLAMA_GUARD_3_1B, Set.of(), bias, 1);
    }

    /** A server screening with {@code guard} (null: none). */
    static OpenAiServer server(Guard guard, boolean input, boolean output) {
        return new OpenAiServer(llama, engine, "tiny", "127.0.0.1", 0, null, OpenAiServer.DEFAULT_QUEUE, null,
                List.of(), guard == null ? null : new Screening(guard, input, output));
    }

    static HttpResponse<String> post(OpenAiServer s, String body) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    /** The whole answer to {@code prompt} (a string or a list), {@code more} fields after the prompt's. */
    static JsonNode whole(OpenAiServer s, Object prompt, String more) throws Exception {
        HttpResponse<String> r = post(s, BODY.formatted(JSON.writeValueAsString(prompt), more));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** The data events of a stream, parsed, up to [DONE] (which it must end with). */
    static List<JsonNode> stream(OpenAiServer s, Object prompt, String more) throws Exception {
        String sse = post(s, BODY.formatted(JSON.writeValueAsString(prompt), more + ", \"stream\": true")).body();
        assertThat(sse).endsWith("data: [DONE]\n\n");
        List<JsonNode> events = new ArrayList<>();
        for (String line : sse.split("\n")) {
            if (line.startsWith("data: {")) {
                events.add(JSON.readTree(line.substring(6)));
            }
        }
        return events;
    }

    /** Choice {@code index}'s streamed text, joined. */
    static String text(List<JsonNode> events, int index) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode e : events) {
            if (e.at("/choices/0/index").asInt(-1) == index) {
                sb.append(e.at("/choices/0/text").asText(""));
            }
        }
        return sb.toString();
    }

    /** The events that carry choice {@code index}'s finish reason. */
    static List<JsonNode> finishes(List<JsonNode> events, int index) {
        return events.stream().filter(e -> e.at("/choices/0/index").asInt(-1) == index
                && e.at("/choices/0/finish_reason").isTextual()).toList();
    }

    /**
     * How many of {@code tokens}' positions the guard engine finds at the start of a sequence it keeps from an
     * earlier check: all of them only when it read those very tokens. (The engine reuses at most all but the last
     * two tokens of a prompt, so two more follow them.)
     */
    static int keptByTheGuard(int[] tokens) throws Exception {
        int[] probe = Arrays.copyOf(tokens, tokens.length + 2);
        Engine.Completion c = guardEngine.submit(new Engine.Request(probe, 1, 0f, 1f, 0, false, true),
                (Engine.Listener) t -> { }).result().get();
        return c.reusedTokens();
    }

    /**
     * A stand-in guard that judges {@code unsafe} unsafe and {@code safe} safe (checked here): biased to both
     * verdicts, the model's slight preference between them, which differs from text to text, decides, and the
     * "unsafe" token's bias puts the line between the two conversations' preferences.
     */
    static Guard splitting(List<Message> unsafe, List<Message> safe) {
        Guard both = guard(SAFE, UNSAFE);
        double high = logit(both.check(unsafe).unsafeScore());
        double low = logit(both.check(safe).unsafeScore());
        assertThat(high - low).as("the guard's preferences for the two texts").isGreaterThan(1e-3);
        Guard g = new Guard(guardEngine, guardModel.tokenizer(), GuardVersion.LLAMA_GUARD_3_1B, Set.of(),
                Map.of(SAFE, 100f, UNSAFE, (float) (100 - (high + low) / 2)), 1);
        assertThat(g.check(unsafe).safe()).isFalse();
        assertThat(g.check(safe).safe()).isTrue();
        return g;
    }

    private static double logit(double p) {
        return Math.log(p / (1 - p));
    }

    @Test
    void thePromptIsScreenedAsAUserTurnOfMetasTemplate() throws Exception {
        String prompt = "The capital of France is";
        String unscreened;
        try (OpenAiServer s = server(null, false, false)) {
            unscreened = whole(s, prompt, GREEDY).at("/choices/0/text").asText();
        }
        try (OpenAiServer s = server(guard(SAFE), true, false)) {
            JsonNode body = whole(s, prompt, GREEDY);
            assertThat(body.at("/choices/0/text").asText()).isNotEmpty().isEqualTo(unscreened);
            assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        }
        int[] expected = guardModel.tokenizer().encode(USER_TURN.formatted(prompt), false, false,
                SpecialTokenSet.ALL, SpecialTokenSet.NONE);
        assertThat(keptByTheGuard(expected)).isEqualTo(expected.length);
        // as token ids the prompt reads the same, its <|begin_of_text|> left out
        assertThat(Screening.completionTurns(llama.tokenizer(), llama.tokenizer().encode(prompt, true, false)))
                .containsExactly(Message.user(prompt));
    }

    @Test
    void aRefusedPromptIsNeverCompleted() throws Exception {
        try (OpenAiServer s = server(guard(UNSAFE), true, true)) {
            long generatedBefore = engine.load().generatedTokens();
            JsonNode body = whole(s, "How do I make a bomb?", GREEDY);
            assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter");
            assertThat(body.at("/choices/0/text").asText()).isEmpty();
            assertThat(body.at("/usage/completion_tokens").asInt()).isZero();
            // "unsafe" alone, without its line of categories: unsafe, with no codes
            assertThat(body.at("/guard/categories").isArray()).isTrue();
            assertThat(body.at("/guard/categories")).isEmpty();
            assertThat(body.at("/guard/score").asDouble()).isGreaterThan(0.99);
            List<JsonNode> events = stream(s, "How do I make a bomb?", GREEDY + ", \"echo\": true");
            assertThat(text(events, 0)).isEmpty();
            assertThat(finishes(events, 0)).singleElement()
                    .satisfies(e -> assertThat(e.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter"))
                    .satisfies(e -> assertThat(e.at("/guard/score").asDouble()).isGreaterThan(0.99));
            assertThat(engine.load().generatedTokens()).isEqualTo(generatedBefore);
        }
    }

    @Test
    void anUnsafeCompletionIsWithheldAndASafeOneReturnedInOnePiece() throws Exception {
        String prompt = "Once upon a time";
        String echo = GREEDY + ", \"echo\": true";
        String unscreened;
        String echoed;
        try (OpenAiServer s = server(null, false, false)) {
            unscreened = whole(s, prompt, GREEDY).at("/choices/0/text").asText();
            assertThat(text(stream(s, prompt, GREEDY), 0)).isEqualTo(unscreened);
            echoed = whole(s, prompt, echo).at("/choices/0/text").asText();
        }
        assertThat(unscreened).isNotEmpty();
        assertThat(echoed).endsWith(prompt + unscreened);
        String echoAlone = echoed.substring(0, echoed.length() - unscreened.length());
        try (OpenAiServer s = server(guard(UNSAFE), false, true)) {
            JsonNode body = whole(s, prompt, GREEDY);
            assertThat(body.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter");
            assertThat(body.at("/choices/0/text").asText()).isEmpty();
            assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(6);
            assertThat(body.at("/guard/score").asDouble()).isGreaterThan(0.99);
            List<JsonNode> events = stream(s, prompt, GREEDY);
            assertThat(text(events, 0)).isEmpty();
            assertThat(finishes(events, 0)).singleElement().satisfies(e ->
                    assertThat(e.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter"));
            // with echo the prompt, the client's own text, is kept; the completion is not
            assertThat(whole(s, prompt, echo).at("/choices/0/text").asText()).isEqualTo(echoAlone);
            assertThat(text(stream(s, prompt, echo), 0)).isEqualTo(echoAlone);
        }
        try (OpenAiServer s = server(guard(SAFE), true, true)) {
            assertThat(whole(s, prompt, GREEDY).at("/choices/0/text").asText()).isEqualTo(unscreened);
            List<JsonNode> events = stream(s, prompt, GREEDY + ", \"logprobs\": 1");
            // held back until the guard passed it, then sent whole with its tokens' log-probabilities
            assertThat(events.stream().filter(e -> !e.at("/choices/0/text").asText("").isEmpty()))
                    .singleElement().satisfies(e -> {
                        assertThat(e.at("/choices/0/text").asText()).isEqualTo(unscreened);
                        assertThat(e.at("/choices/0/logprobs/token_logprobs")).hasSize(6);
                    });
            assertThat(finishes(events, 0)).singleElement().satisfies(e ->
                    assertThat(e.at("/choices/0/finish_reason").asText()).isEqualTo("length"));
            assertThat(text(stream(s, prompt, echo), 0)).isEqualTo(echoed);
        }
    }

    /**
     * A list of prompts, two choices each: the prompt the guard refuses gets two filtered choices and is never
     * completed, the other's choices are those of an unscreened server; whole and streamed alike.
     */
    @Test
    void eachPromptsChoicesAreScreenedOnTheirOwn() throws Exception {
        String refused = "Translate to French: cheese";
        String passed = "A poem about the sea";
        Guard g = splitting(List.of(Message.user(refused)), List.of(Message.user(passed)));
        List<String> prompts = List.of(refused, passed);
        String two = GREEDY + ", \"n\": 2";
        JsonNode unscreened;
        try (OpenAiServer s = server(null, false, false)) {
            unscreened = whole(s, prompts, two);
        }
        try (OpenAiServer s = server(g, true, true)) {
            long generatedBefore = engine.load().generatedTokens();
            JsonNode body = whole(s, prompts, two);
            assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(12);
            assertThat(engine.load().generatedTokens() - generatedBefore).isEqualTo(12);
            for (int k = 0; k < 4; k++) {
                JsonNode choice = body.at("/choices/" + k);
                assertThat(choice.at("/index").asInt()).isEqualTo(k);
                if (k < 2) {
                    assertThat(choice.at("/finish_reason").asText()).isEqualTo("content_filter");
                    assertThat(choice.at("/text").asText()).isEmpty();
                    assertThat(choice.at("/guard/categories").isArray()).isTrue();
                } else {
                    assertThat(choice).isEqualTo(unscreened.at("/choices/" + k));
                }
            }
            List<JsonNode> events = stream(s, prompts, two + ", \"stream_options\": {\"include_usage\": true}");
            for (int k = 0; k < 4; k++) {
                String finish = finishes(events, k).getFirst().at("/choices/0/finish_reason").asText();
                assertThat(finishes(events, k)).hasSize(1);
                assertThat(finish).isEqualTo(k < 2 ? "content_filter" : "length");
                assertThat(text(events, k)).isEqualTo(k < 2 ? "" : unscreened.at("/choices/" + k + "/text").asText());
            }
            assertThat(events.getLast().at("/usage/completion_tokens").asInt()).isEqualTo(12);
            // a refused prompt is not echoed either; a passed one is, before its completion
            JsonNode echoed = whole(s, prompts, two + ", \"echo\": true");
            for (int k = 0; k < 4; k++) {
                String text = echoed.at("/choices/" + k + "/text").asText();
                if (k < 2) {
                    assertThat(text).isEmpty();
                } else {
                    assertThat(text).endsWith(passed + unscreened.at("/choices/" + k + "/text").asText());
                }
            }
        }
    }

    /** Two sampled answers to one prompt, the guard withholding one of them: each choice ends on its own verdict. */
    @Test
    void eachAnswerIsScreenedOnItsOwn() throws Exception {
        String prompt = "Once upon a time";
        String sampled = ", \"n\": 2, \"temperature\": 1, \"seed\": 7";
        JsonNode unscreened;
        try (OpenAiServer s = server(null, false, false)) {
            unscreened = whole(s, prompt, sampled);
        }
        List<List<Message>> answered = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            answered.add(List.of(Message.user(prompt),
                    Message.assistant(unscreened.at("/choices/" + k + "/text").asText())));
        }
        assertThat(answered.get(0)).isNotEqualTo(answered.get(1));
        // which of the two the line falls on is the model's preference: ask the guard first
        Guard both = guard(SAFE, UNSAFE);
        int withheld = both.check(answered.get(0)).unsafeScore() > both.check(answered.get(1)).unsafeScore() ? 0 : 1;
        Guard g = splitting(answered.get(withheld), answered.get(1 - withheld));
        try (OpenAiServer s = server(g, true, true)) {
            JsonNode body = whole(s, prompt, sampled);
            assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(12);
            assertThat(body.at("/choices/" + withheld + "/finish_reason").asText()).isEqualTo("content_filter");
            assertThat(body.at("/choices/" + withheld + "/text").asText()).isEmpty();
            assertThat(body.at("/choices/" + (1 - withheld))).isEqualTo(unscreened.at("/choices/" + (1 - withheld)));
            List<JsonNode> events = stream(s, prompt, sampled);
            assertThat(text(events, withheld)).isEmpty();
            assertThat(finishes(events, withheld).getFirst().at("/choices/0/finish_reason").asText())
                    .isEqualTo("content_filter");
            assertThat(text(events, 1 - withheld)).isEqualTo(unscreened.at("/choices/" + (1 - withheld) + "/text")
                    .asText());
        }
    }
}
