package dev.llama3j.generate;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.format.gguf.GgufModelLoader;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.Sequence;
import dev.llama3j.model.Transformer;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Continuous batching on the tiny Q4_0 fixture with int8 activations (vocabulary 512). */
class EngineTest {
    static final int[][] PROMPTS = {
            {432, 326, 280, 22, 132},
            {17, 8, 30, 470, 421, 82, 272, 343, 93, 126, 337, 85},
            {5, 301, 77},
            {99},
    };
    static LlamaWeights weights;

    @BeforeAll
    static void load() {
        weights = GgufModelLoader.load(SharedData.require("fixtures/gguf/tiny-sv-gguf-q4_0.gguf"), Numerics.INT8);
    }

    @AfterAll
    static void close() {
        if (weights != null) {
            weights.close();
        }
    }

    static Engine.Request request(int i, boolean cachePrompt) {
        return new Engine.Request(PROMPTS[i], 6 + 2 * i, i == 1 ? 0f : 0.8f, 0.9f, 100 + i, true, cachePrompt);
    }

    static Engine.Completion await(Engine.Handle h) throws Exception {
        return h.result().get(60, TimeUnit.SECONDS);
    }

    /** Each request alone, one after another, in an engine of its own. */
    static List<Engine.Completion> alone() throws Exception {
        List<Engine.Completion> out = new ArrayList<>();
        try (Engine engine = new Engine(new Transformer(weights, 1, 64), new int[0], 1)) {
            for (int i = 0; i < PROMPTS.length; i++) {
                out.add(await(engine.submit(request(i, false), TokenListener.NONE)));
            }
        }
        return out;
    }

    @Test
    void answersUnderLoadEqualEachAloneBitForBit() throws Exception {
        List<Engine.Completion> alone = alone();
        // two requests start; the other two join once the first has generated a token (mid-generation), and with
        // room for three at once the last one waits for a slot
        try (Engine engine = new Engine(new Transformer(weights, 1, 64, 256), new int[0], 3)) {
            CountDownLatch firstToken = new CountDownLatch(1);
            List<Engine.Handle> handles = new ArrayList<>();
            handles.add(engine.submit(request(0, false), (row, token) -> firstToken.countDown()));
            handles.add(engine.submit(request(1, false), TokenListener.NONE));
            assertThat(firstToken.await(60, TimeUnit.SECONDS)).isTrue();
            Thread other = Thread.ofPlatform().start(() -> handles.add(engine.submit(request(2, false), TokenListener.NONE)));
            other.join();
            handles.add(engine.submit(request(3, false), TokenListener.NONE));
            for (int i = 0; i < PROMPTS.length; i++) {
                Engine.Completion c = await(handles.get(i));
                assertThat(c.tokens()).as("request %d", i).containsExactly(alone.get(i).tokens());
                assertThat(c.logprobs()).as("request %d", i).containsExactly(alone.get(i).logprobs());
                assertThat(c.finish()).isEqualTo(Engine.Finish.LENGTH);
                assertThat(c.tokens()).hasSize(6 + 2 * i);
                assertThat(c.promptTokens()).isEqualTo(PROMPTS[i].length);
            }
        }
    }

    /** The engine samples as the single-sequence generator does (same seed, same logits path). */
    @Test
    void aloneEqualsTheGeneratorOnASequence() throws Exception {
        List<Engine.Completion> alone = alone();
        Transformer model = new Transformer(weights, 1, 64);
        Generator g = new Generator(model, new int[0]);
        for (int i = 0; i < PROMPTS.length; i++) {
            Engine.Request r = request(i, false);
            try (Sequence s = model.newSequence()) {
                Generator.Result expected = g.generate(s, r.prompt(), r.maxTokens(), r.temperature(), r.topP(), false,
                        new Sampler(r.seed()), TokenListener.NONE);
                assertThat(alone.get(i).tokens()).as("request %d", i).containsExactly(expected.tokens().get(0));
            }
        }
    }

    /** A prompt longer than a chunk is read over several steps, beside another request, as the generator reads it. */
    @Test
    void longPromptsAreReadInChunksBesideOthers() throws Exception {
        int[] prompt = new int[Engine.PROMPT_CHUNK + 45];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 131 + 7) % 512;
        }
        Engine.Request longOne = new Engine.Request(prompt, 5, 0.7f, 0.95f, 11, true, false);
        Transformer model = new Transformer(weights, 1, 400, 800);
        int[] expected;
        try (Sequence s = model.newSequence()) {
            expected = new Generator(model, new int[0]).generate(s, prompt, 5, 0.7f, 0.95f, false, new Sampler(11),
                    TokenListener.NONE).tokens().get(0);
        }
        try (Engine engine = new Engine(model, new int[0], 2)) {
            Engine.Handle shortOne = engine.submit(request(0, false), TokenListener.NONE);
            Engine.Completion c = await(engine.submit(longOne, TokenListener.NONE));
            assertThat(c.tokens()).containsExactly(expected);
            assertThat(c.promptTokens()).isEqualTo(prompt.length);
            assertThat(await(shortOne).tokens()).containsExactly(alone().get(0).tokens());
        }
    }

    /**
     * The prompt's own log-probabilities (Meta's text_completion echo + logprobs): those of one full forward pass over
     * the prompt, bit for bit when it is read in one chunk, within float rounding when read in two.
     */
    @Test
    void promptLogprobsAreThoseOfAFullForwardPass() throws Exception {
        int[] longPrompt = new int[Engine.PROMPT_CHUNK + 20];
        for (int i = 0; i < longPrompt.length; i++) {
            longPrompt[i] = (i * 97 + 3) % 512;
        }
        Transformer model = new Transformer(weights, 1, 400, 800);
        try (Engine engine = new Engine(model, new int[0], 2)) {
            // the third would reuse the first's sequence, were the prompt's own logprobs not asked for
            for (int[] prompt : new int[][] {PROMPTS[1], longPrompt, PROMPTS[1]}) {
                // the listener hears them once, before the first token
                List<Object> heard = new ArrayList<>();
                Engine.Completion c = await(engine.submit(new Engine.Request(prompt, 2, 0f, 1f, 1, true, true, 2, true),
                        new Engine.Listener() {
                            @Override
                            public void onToken(Engine.Token token) {
                                heard.add(token);
                            }

                            @Override
                            public void onPrompt(List<Engine.Token> scores) {
                                heard.add(scores);
                            }
                        }));
                assertThat(heard).hasSize(3);
                assertThat(heard.getFirst()).isEqualTo(c.promptLogprobs());
                Transformer solo = new Transformer(weights, 1, 400);
                float[] logits = solo.forward(new int[][] {prompt}, 0, true)[0];
                int vocab = weights.config().vocabSize();
                assertThat(c.promptLogprobs()).hasSize(prompt.length - 1);
                for (int i = 1; i < prompt.length; i++) {
                    Engine.Token t = c.promptLogprobs().get(i - 1);
                    float expected = Sampler.logProb(logits, (i - 1) * vocab, vocab, prompt[i]);
                    assertThat(t.id()).isEqualTo(prompt[i]);
                    if (prompt.length <= Engine.PROMPT_CHUNK) {
                        assertThat(t.logprob()).as("position %d", i).isEqualTo(expected);
                    } else {
                        assertThat(t.logprob()).as("position %d", i)
                                .isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-4f));
                    }
                    assertThat(t.topIds()).hasSize(2);
                    // the most likely token's log-probability is at least the prompt token's
                    assertThat(t.topLogprobs()[0]).isGreaterThanOrEqualTo(t.topLogprobs()[1])
                            .isGreaterThanOrEqualTo(t.logprob());
                }
                assertThat(c.reusedTokens()).isZero();
                assertThat(c.tokens()).hasSize(2);
            }
        }
    }

    /** OpenAI's penalties: a large logit bias forces its token; a large frequency penalty forbids repeats. */
    @Test
    void penaltiesAndLogitBiasShapeTheAnswer() throws Exception {
        try (Engine engine = new Engine(new Transformer(weights, 1, 64), new int[0], 2)) {
            Engine.Completion forced = await(engine.submit(new Engine.Request(PROMPTS[0], 6, 0f, 1f, 1, false, false, 0,
                    false, new Engine.Penalties(0f, 0f, java.util.Map.of(77, 100f))), TokenListener.NONE));
            assertThat(forced.tokens()).containsOnly(77).hasSize(6);
            Engine.Completion free = await(engine.submit(new Engine.Request(PROMPTS[3], 30, 0f, 1f, 1, false, false),
                    TokenListener.NONE));
            Engine.Completion penalized = await(engine.submit(new Engine.Request(PROMPTS[3], 30, 0f, 1f, 1, false,
                    false, 0, false, new Engine.Penalties(0f, 100f, java.util.Map.of())), TokenListener.NONE));
            assertThat(java.util.Arrays.stream(free.tokens()).distinct().count()).as("greedy repeats itself")
                    .isLessThan(30);
            assertThat(java.util.Arrays.stream(penalized.tokens()).distinct().count()).isEqualTo(30);
            Engine.Completion present = await(engine.submit(new Engine.Request(PROMPTS[3], 30, 0f, 1f, 1, false,
                    false, 0, false, new Engine.Penalties(100f, 0f, java.util.Map.of())), TokenListener.NONE));
            assertThat(java.util.Arrays.stream(present.tokens()).distinct().count()).isEqualTo(30);
        }
    }

    @Test
    void aLaterPromptReusesAnIdleSequence() throws Exception {
        try (Engine engine = new Engine(new Transformer(weights, 1, 64), new int[0], 2)) {
            Engine.Completion first = await(engine.submit(request(0, true), TokenListener.NONE));
            assertThat(first.reusedTokens()).isZero();
            int[] answer = first.tokens();
            int[] next = new int[PROMPTS[0].length + answer.length + PROMPTS[2].length];
            System.arraycopy(PROMPTS[0], 0, next, 0, PROMPTS[0].length);
            System.arraycopy(answer, 0, next, PROMPTS[0].length, answer.length);
            System.arraycopy(PROMPTS[2], 0, next, PROMPTS[0].length + answer.length, PROMPTS[2].length);
            Engine.Completion second = await(engine.submit(
                    new Engine.Request(next, 4, 0f, 1f, 1, false, true), TokenListener.NONE));
            // the sequence holds the prompt and all but the last answer token
            assertThat(second.reusedTokens()).isEqualTo(PROMPTS[0].length + answer.length - 1);
            assertThat(second.promptTokens()).isEqualTo(1 + PROMPTS[2].length);
            assertThat(second.tokens()).hasSize(4);
            assertThat(second.logprobs()).isNull();
        }
    }

    @Test
    void cancelEndsARequestWithTheTokensSoFar() throws Exception {
        try (Engine engine = new Engine(new Transformer(weights, 1, 64), new int[0], 2)) {
            AtomicReference<Engine.Handle> handle = new AtomicReference<>();
            CountDownLatch submitted = new CountDownLatch(1);
            int[] seen = new int[1];
            handle.set(engine.submit(new Engine.Request(PROMPTS[1], 40, 0.5f, 1f, 3, false, false), (row, token) -> {
                try {
                    submitted.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (++seen[0] == 2) {
                    handle.get().cancel();
                }
            }));
            submitted.countDown();
            Engine.Completion c = await(handle.get());
            assertThat(c.finish()).isEqualTo(Engine.Finish.CANCELLED);
            assertThat(c.tokens()).hasSize(2);
        }
    }

    /** Requests that end before they run (cancelled while they wait, or with nothing to generate) count as ended. */
    @Test
    void requestsEndedBeforeTheyRanAreCounted() throws Exception {
        try (Engine engine = new Engine(new Transformer(weights, 1, 64), new int[0], 1)) {
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch queued = new CountDownLatch(1);
            // a holds the one slot, and the engine thread in its first token until the others wait
            Engine.Handle a = engine.submit(new Engine.Request(PROMPTS[0], 20, 0f, 1f, 1, false, false),
                    (row, token) -> {
                        running.countDown();
                        try {
                            queued.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
            Engine.Handle b = engine.submit(new Engine.Request(PROMPTS[1], 20, 0f, 1f, 1, false, false),
                    TokenListener.NONE);
            b.cancel();
            Engine.Handle none = engine.submit(new Engine.Request(PROMPTS[2], 0, 0f, 1f, 1, false, false),
                    TokenListener.NONE);
            a.cancel();
            queued.countDown();
            assertThat(await(b).finish()).isEqualTo(Engine.Finish.CANCELLED);
            assertThat(await(b).tokens()).isEmpty();
            assertThat(await(none).tokens()).isEmpty();
            assertThat(await(a).finish()).isEqualTo(Engine.Finish.CANCELLED);
            assertThat(engine.load().finished()).isEqualTo(3);
        }
    }

    @Test
    void requestsWaitForRoomAndImpossibleOnesFailClearly() throws Exception {
        // a budget of 64 positions: one request of 63 at a time, the second admitted when the first is done
        try (Engine engine = new Engine(new Transformer(weights, 1, 64, 64), new int[0], 4)) {
            Engine.Handle a = engine.submit(new Engine.Request(PROMPTS[0], 100, 0f, 1f, 1, false, false),
                    TokenListener.NONE);
            Engine.Handle b = engine.submit(new Engine.Request(PROMPTS[2], 100, 0f, 1f, 1, false, false),
                    TokenListener.NONE);
            assertThat(await(a).tokens()).hasSize(64 - PROMPTS[0].length);
            assertThat(await(b).tokens()).hasSize(64 - PROMPTS[2].length);
            assertThat(await(b).finish()).isEqualTo(Engine.Finish.LENGTH);
            assertThatThrownBy(() -> engine.submit(new Engine.Request(new int[65], 1, 0f, 1f, 1, false, false),
                    TokenListener.NONE)).isInstanceOf(LlamaException.class).hasMessageContaining("more than the 64");
            assertThatThrownBy(() -> engine.submit(new Engine.Request(new int[] {512}, 1, 0f, 1f, 1, false, false),
                    TokenListener.NONE)).hasMessageContaining("token id 512 is outside the vocabulary");
            assertThatThrownBy(() -> new Engine.Request(new int[] {1}, 1, -1f, 1f, 1, false, false))
                    .hasMessageContaining("temperature must be a finite number >= 0");
            Engine.Completion none = await(engine.submit(new Engine.Request(PROMPTS[3], 0, 0f, 1f, 1, false, false),
                    TokenListener.NONE));
            assertThat(none.tokens()).isEmpty();
        }
    }

    /**
     * Clients cancel their requests at random moments of the engine's steps, as dropped streams do, all with one
     * prompt so that they take each other's idle sequences: each request ends once, and none fails. (A cancel that
     * came while a step was put together ended its request twice and left its sequence idle twice: two later
     * requests got it at once, "entries i and j are the same sequence", or one got it closed.)
     */
    @Test
    void cancelsRacingTheStepsEndEachRequestOnce() throws Exception {
        int clients = 16;
        int perClient = 100;
        try (Engine engine = new Engine(new Transformer(weights, 1, 64, clients * 64), new int[0], clients);
             ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            List<Future<?>> runs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                SplittableRandom random = new SplittableRandom(c);
                runs.add(pool.submit(() -> {
                    for (int r = 0; r < perClient; r++) {
                        cancelAtRandom(engine, random);
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get(120, TimeUnit.SECONDS);
            }
            // every request was admitted (it heard a token or failed), so each ended exactly once
            assertThat(engine.load().finished()).isEqualTo((long) clients * perClient);
        }
    }

    /** A request cancelled up to 20 µs after its first token; it must end, not fail. */
    private static void cancelAtRandom(Engine engine, SplittableRandom random) throws Exception {
        CompletableFuture<Void> firstToken = new CompletableFuture<>();
        Engine.Handle h = engine.submit(new Engine.Request(PROMPTS[1], 30, 0f, 1f, 1, false, true),
                (row, token) -> firstToken.complete(null));
        // a request that fails hears no token
        CompletableFuture.anyOf(firstToken, h.result()).exceptionally(e -> null).get(30, TimeUnit.SECONDS);
        spin(random.nextLong(20_000));
        h.cancel();
        h.result().get(30, TimeUnit.SECONDS);
    }

    /** Busy-waits about {@code nanos}: a sleep is too coarse to land inside a step. */
    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }
}
