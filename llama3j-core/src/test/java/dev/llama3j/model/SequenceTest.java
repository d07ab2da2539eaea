package dev.llama3j.model;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.format.gguf.GgufModelLoader;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Sequences in one model: a sequence's logits do not depend on what else is in a step (bit for bit), on being cut
 * back and given the same tokens again, or on being forked; the cache's budget is enforced. On a float model (exact
 * numerics) and on a Q4_0 model with int8 activations (whose decode products take their own path).
 */
class SequenceTest {
    static final int[] P1 = {432, 326, 280, 22, 132};
    static final int[] P2 = {17, 8, 30, 470, 421, 82, 272, 343, 93, 126, 337, 85};
    static final int[] P3 = {5, 301, 77};
    static LlamaWeights exact;
    static LlamaWeights int8;

    @BeforeAll
    static void load() {
        exact = ModelFiles.loadWeights(SharedData.require("fixtures/meta/tiny-sv-meta"));
        int8 = GgufModelLoader.load(SharedData.require("fixtures/gguf/tiny-sv-gguf-q4_0.gguf"), Numerics.INT8);
    }

    @AfterAll
    static void close() {
        for (LlamaWeights w : new LlamaWeights[] {exact, int8}) {
            if (w != null) {
                w.close();
            }
        }
    }

    static Stream<String> models() {
        return Stream.of("exact", "int8");
    }

    static LlamaWeights weights(String name) {
        return name.equals("exact") ? exact : int8;
    }

    /** The logits of {@code prompt} and then of each of {@code next}, one token a step, in a model of its own. */
    static List<float[]> alone(LlamaWeights w, int[] prompt, int[] next) {
        Transformer model = new Transformer(w, 1, 64);
        try (Sequence s = model.newSequence()) {
            List<float[]> out = new ArrayList<>();
            out.add(model.forward(List.of(new Transformer.Entry(s, prompt)))[0].clone());
            for (int t : next) {
                out.add(model.forward(List.of(new Transformer.Entry(s, new int[] {t})))[0].clone());
            }
            return out;
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void aSequencesLogitsDoNotDependOnTheOthersInAStep(String name) {
        LlamaWeights w = weights(name);
        int[] nextA = {7, 99, 250};
        int[] nextB = {31, 400};
        List<float[]> a = alone(w, P1, nextA);
        List<float[]> b = alone(w, P2, nextB);
        List<float[]> c = alone(w, P3, new int[] {12});

        Transformer model = new Transformer(w, 1, 64, 256);
        Sequence sa = model.newSequence();
        Sequence sb = model.newSequence();
        Sequence sc = model.newSequence();
        // two prompts in one tiled product
        float[][] step1 = model.forward(List.of(new Transformer.Entry(sa, P1), new Transformer.Entry(sb, P2)));
        assertThat(step1[0]).as("A's prompt beside B's").containsExactly(a.get(0));
        assertThat(step1[1]).as("B's prompt beside A's").containsExactly(b.get(0));
        // a prompt and two decode steps at other positions
        float[][] step2 = model.forward(List.of(new Transformer.Entry(sb, new int[] {nextB[0]}),
                new Transformer.Entry(sc, P3), new Transformer.Entry(sa, new int[] {nextA[0]})));
        assertThat(step2[0]).as("B's first step").containsExactly(b.get(1));
        assertThat(step2[1]).as("C's prompt").containsExactly(c.get(0));
        assertThat(step2[2]).as("A's first step").containsExactly(a.get(1));
        float[][] step3 = model.forward(List.of(new Transformer.Entry(sa, new int[] {nextA[1]}),
                new Transformer.Entry(sc, new int[] {12}), new Transformer.Entry(sb, new int[] {nextB[1]})));
        assertThat(step3[0]).as("A's second step").containsExactly(a.get(2));
        assertThat(step3[1]).as("C's first step").containsExactly(c.get(1));
        assertThat(step3[2]).as("B's second step").containsExactly(b.get(2));
        float[][] step4 = model.forward(List.of(new Transformer.Entry(sa, new int[] {nextA[2]})));
        assertThat(step4[0]).as("A alone again").containsExactly(a.get(3));
        assertThat(sa.tokens()).containsExactly(432, 326, 280, 22, 132, 7, 99, 250);
    }

    /**
     * A prompt's logits do not depend on how it was split into chunks of several tokens, with int8 activations
     * (through the native batch products where they run, else the float32 tiled one, as for Q8_0; each vector's
     * output is its own in both): Q4_0, the K-quant file's Q4_K and Q6_K, Q8_0. (A chunk of one token takes the
     * decode path, whose attention sums in another order where a prompt's attention runs in blocks; the Engine
     * never makes one of a longer prompt.)
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"fixtures/gguf/tiny-sv-gguf-q4_0.gguf",
            "fixtures/gguf/tiny-k-gguf-q4_k_m.gguf", "fixtures/gguf/tiny-sv-gguf-q8_0.gguf"})
    void aPromptsLogitsDoNotDependOnItsChunksOfSeveralTokens(String file) {
        try (LlamaWeights w = GgufModelLoader.load(SharedData.require(file), Numerics.INT8)) {
            int[] prompt = java.util.Arrays.copyOf(P2, 12);
            float[] whole = alone(w, prompt, new int[0]).getFirst();
            Transformer model = new Transformer(w, 1, 64);
            for (int[] cuts : new int[][] {{5, 12}, {2, 4, 7, 9, 12}, {10, 12}}) {
                try (Sequence s = model.newSequence()) {
                    float[] last = null;
                    int from = 0;
                    for (int to : cuts) {
                        last = model.forward(List.of(new Transformer.Entry(s,
                                java.util.Arrays.copyOfRange(prompt, from, to))))[0];
                        from = to;
                    }
                    assertThat(last).as("%s, chunks ending at %s", file, java.util.Arrays.toString(cuts))
                            .containsExactly(whole);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void truncatingAndAppendingAgainEqualsAFreshRun(String name) {
        LlamaWeights w = weights(name);
        List<float[]> fresh = alone(w, P2, new int[] {3, 4});
        Transformer model = new Transformer(w, 1, 64);
        Sequence s = model.newSequence();
        model.forward(List.of(new Transformer.Entry(s, P2)));
        model.forward(List.of(new Transformer.Entry(s, new int[] {200})));
        model.forward(List.of(new Transformer.Entry(s, new int[] {201})));
        s.truncate(P2.length);
        assertThat(s.length()).isEqualTo(P2.length);
        assertThat(model.forward(List.of(new Transformer.Entry(s, new int[] {3})))[0]).containsExactly(fresh.get(1));
        assertThat(model.forward(List.of(new Transformer.Entry(s, new int[] {4})))[0]).containsExactly(fresh.get(2));
        assertThat(s.commonPrefix(new int[] {17, 8, 30, 1})).isEqualTo(3);
    }

    @ParameterizedTest
    @MethodSource("models")
    void aForkGoesOnFromTheSharedPrefixAndLeavesTheOriginalAlone(String name) {
        LlamaWeights w = weights(name);
        List<float[]> viaX = alone(w, P1, new int[] {10, 11});
        List<float[]> viaY = alone(w, P1, new int[] {20});
        Transformer model = new Transformer(w, 1, 64, 128);
        Sequence original = model.newSequence();
        model.forward(List.of(new Transformer.Entry(original, P1)));
        Sequence fork = original.fork();
        assertThat(fork.tokens()).containsExactly(P1);
        float[][] step = model.forward(List.of(new Transformer.Entry(original, new int[] {10}),
                new Transformer.Entry(fork, new int[] {20})));
        assertThat(step[0]).containsExactly(viaX.get(1));
        assertThat(step[1]).containsExactly(viaY.get(1));
        assertThat(model.forward(List.of(new Transformer.Entry(original, new int[] {11})))[0])
                .containsExactly(viaX.get(2));
    }

    @ParameterizedTest
    @MethodSource("models")
    void allLogitsOfAnEntryEqualThoseOfTheSameTokensAlone(String name) {
        LlamaWeights w = weights(name);
        Transformer solo = new Transformer(w, 1, 64);
        float[] expected = solo.forward(List.of(new Transformer.Entry(solo.newSequence(), P2, true)))[0].clone();
        Transformer model = new Transformer(w, 1, 64, 128);
        float[][] got = model.forward(List.of(new Transformer.Entry(model.newSequence(), P1),
                new Transformer.Entry(model.newSequence(), P2, true)));
        assertThat(got[1]).hasSize(P2.length * w.config().vocabSize()).containsExactly(expected);
    }

    @org.junit.jupiter.api.Test
    void theBudgetIsSharedEnforcedAndGivenBack() {
        Transformer model = new Transformer(exact, 1, 64, 100);
        Sequence a = model.newSequence();
        model.forward(List.of(new Transformer.Entry(a, new int[60])));
        assertThat(model.cache().reserved()).isBetween(60, 100);
        Sequence b = model.newSequence();
        assertThatThrownBy(() -> model.forward(List.of(new Transformer.Entry(b, new int[50]))))
                .isInstanceOf(LlamaException.class)
                .hasMessageContaining("KV cache is full").hasMessageContaining("of its 100 positions");
        assertThat(b.length()).isZero();
        a.close();
        assertThat(model.cache().reserved()).isZero();
        model.forward(List.of(new Transformer.Entry(b, new int[50])));
        assertThat(b.length()).isEqualTo(50);
        assertThatThrownBy(() -> model.forward(List.of(new Transformer.Entry(a, new int[] {1}))))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> model.forward(List.of(new Transformer.Entry(b, new int[] {1}),
                new Transformer.Entry(b, new int[] {2})))).hasMessageContaining("same sequence");
        assertThatThrownBy(() -> model.forward(List.of(new Transformer.Entry(b, new int[15]))))
                .hasMessageContaining("do not fit max_seq_len 64");
    }
}
