package dev.llama3j.generate;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.Sequence;
import dev.llama3j.model.Transformer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** generation.py semantics on the tiny-sv fixture (vocabulary 512). */
class GeneratorTest {
    static LlamaWeights weights;
    static final int[] P1 = {432, 326, 280, 22, 132};
    static final int[] P2 = {17, 8, 30, 470, 421, 82, 272, 343, 93, 126, 337, 85};

    @BeforeAll
    static void load() {
        weights = ModelFiles.loadWeights(SharedData.require("fixtures/meta/tiny-sv-meta"));
    }

    @AfterAll
    static void close() {
        if (weights != null) {
            weights.close();
        }
    }

    static Generator.Result run(List<int[]> prompts, int maxGen, float temperature, boolean logprobs, boolean echo,
                                int[] stops, long seed) {
        Transformer model = new Transformer(weights, prompts.size(), 64);
        return new Generator(model, stops).generate(prompts, maxGen, temperature, 0.9f, logprobs, echo,
                new Sampler(seed), TokenListener.NONE);
    }

    /**
     * A sequence kept between turns: on an empty one the answer and its logprobs are generation.py's for that row;
     * the next turn reads only what the sequence does not hold yet, and answers as a fresh run of the whole prompt.
     */
    @Test
    void aSequenceKeepsItsTurnsAndReadsOnlyWhatIsNew() {
        Transformer model = new Transformer(weights, 1, 64);
        Generator g = new Generator(model, new int[0]);
        try (Sequence s = model.newSequence()) {
            Generator.Result first = g.generate(s, P1, 6, 0f, 0.9f, true, new Sampler(1), TokenListener.NONE);
            Generator.Result meta = run(List.of(P1), 6, 0f, true, false, new int[0], 1);
            assertThat(first.tokens().get(0)).containsExactly(meta.tokens().get(0));
            assertThat(first.logprobs().get(0)).containsExactly(meta.logprobs().get(0));
            assertThat(first.stats().reusedTokens()).isZero();
            assertThat(s.length()).isEqualTo(P1.length + 5);

            int[] answer = first.tokens().get(0);
            int[] second = new int[P1.length + answer.length + P2.length];
            System.arraycopy(P1, 0, second, 0, P1.length);
            System.arraycopy(answer, 0, second, P1.length, answer.length);
            System.arraycopy(P2, 0, second, P1.length + answer.length, P2.length);
            Generator.Result turn2 = g.generate(s, second, 4, 0f, 0.9f, false, new Sampler(1), TokenListener.NONE);
            assertThat(turn2.stats().reusedTokens()).isEqualTo(P1.length + 5);
            assertThat(turn2.stats().prefillTokens()).isEqualTo(1 + P2.length);
            assertThat(turn2.tokens().get(0))
                    .containsExactly(run(List.of(second), 4, 0f, false, false, new int[0], 1).tokens().get(0));

            // the same prompt again: all but its last two tokens are kept (read again as a chunk of two, the same
            // bits as in the whole prompt)
            Generator.Result again = g.generate(s, second, 4, 0f, 0.9f, false, new Sampler(1), TokenListener.NONE);
            assertThat(again.stats().reusedTokens()).isEqualTo(second.length - 2);
            assertThat(again.tokens().get(0)).containsExactly(turn2.tokens().get(0));
        }
    }

    @Test
    void eachRowOfABatchEqualsTheSameRowGeneratedAlone() {
        Generator.Result batch = run(List.of(P1, P2), 10, 0f, false, false, new int[0], 1);
        assertThat(batch.tokens().get(0)).containsExactly(run(List.of(P1), 10, 0f, false, false, new int[0], 1).tokens().get(0));
        assertThat(batch.tokens().get(1)).containsExactly(run(List.of(P2), 10, 0f, false, false, new int[0], 1).tokens().get(0));
        assertThat(batch.tokens()).allSatisfy(t -> assertThat(t).hasSize(10));
    }

    @Test
    void sameSeedGivesTheSameSampleAndEchoPrependsThePrompt() {
        Generator.Result a = run(List.of(P1, P2), 12, 1.0f, false, true, new int[0], 7);
        Generator.Result b = run(List.of(P1, P2), 12, 1.0f, false, true, new int[0], 7);
        assertThat(a.tokens().get(0)).containsExactly(b.tokens().get(0));
        assertThat(a.tokens().get(1)).containsExactly(b.tokens().get(1));
        assertThat(Arrays.copyOf(a.tokens().get(1), P2.length)).containsExactly(P2);
        assertThat(a.tokens().get(1)).hasSize(P2.length + 12);
        Generator.Result other = run(List.of(P1, P2), 12, 1.0f, false, true, new int[0], 8);
        assertThat(Arrays.equals(a.tokens().get(0), other.tokens().get(0))
                && Arrays.equals(a.tokens().get(1), other.tokens().get(1))).as("another seed, other tokens").isFalse();
    }

    /** logprobs reported while decoding step by step equal log_softmax of one full forward over the same tokens. */
    @Test
    void logprobsEqualLogSoftmaxOfAFullForward() {
        Generator.Result r = run(List.of(P1, P2), 6, 0.8f, true, true, new int[0], 3);
        for (int row = 0; row < 2; row++) {
            int[] seq = r.tokens().get(row);
            float[] lp = r.logprobs().get(row);
            assertThat(lp).hasSize(seq.length);
            assertThat(lp[0]).isZero(); // nothing predicts the first token
            float[] logits = new Transformer(weights, 1, seq.length).forward(new int[][] {seq}, 0, true)[0];
            int vocab = weights.config().vocabSize();
            for (int i = 1; i < seq.length; i++) {
                assertThat((double) lp[i]).as("row %d position %d", row, i)
                        .isCloseTo(Sampler.logProb(logits, (i - 1) * vocab, vocab, seq[i]), within(2e-5));
            }
        }
    }

    @Test
    void aRowStopsAtItsFirstGeneratedStopTokenAndOthersGoOn() {
        int[] greedy = run(List.of(P1), 10, 0f, false, false, new int[0], 1).tokens().get(0);
        int stop = greedy[3];
        int firstStop = 0;
        while (greedy[firstStop] != stop) {
            firstStop++;
        }
        Generator.Result r = run(List.of(P1, P2), 10, 0f, false, false, new int[] {stop}, 1);
        assertThat(r.tokens().get(0)).containsExactly(Arrays.copyOf(greedy, firstStop));
        int[] alone = run(List.of(P2), 10, 0f, false, false, new int[] {stop}, 1).tokens().get(0);
        assertThat(r.tokens().get(1)).containsExactly(alone);
    }

    /**
     * The stats count generated tokens only: P1 (5 tokens) and P2 (12) with max_gen_len 3 run 9 steps after the
     * first forward, 6 of them filling P2's prompt; 3 tokens are generated per row, P1's first by the first forward.
     */
    @Test
    void statsCountGeneratedTokensNotPromptPositionsFilledByTheSteps() {
        Generator.Stats s = run(List.of(P1, P2), 3, 0f, false, false, new int[0], 1).stats();
        assertThat(s.prefillTokens()).isEqualTo(2 * P1.length);
        assertThat(s.steps()).isEqualTo(P2.length + 3 - P1.length - 1);
        assertThat(s.generatedTokens()).isEqualTo(2 * 3);
        assertThat(s.stepTokens()).isEqualTo(2 * 3 - 1);
        // a stop token ends a row: it counts (it was sampled), nothing after it does
        int[] greedy = run(List.of(P1), 10, 0f, false, false, new int[0], 1).tokens().get(0);
        int firstStop = 0;
        while (greedy[firstStop] != greedy[2]) {
            firstStop++;
        }
        Generator.Stats stopped = run(List.of(P1), 10, 0f, false, false, new int[] {greedy[2]}, 1).stats();
        assertThat(stopped.generatedTokens()).isEqualTo(firstStop + 1);
    }

    @Test
    void limitsAreCheckedWithClearErrors() {
        Transformer model = new Transformer(weights, 1, 8);
        Generator g = new Generator(model, new int[0]);
        assertThatThrownBy(() -> g.generate(List.of(P1, P2), 4, 0f, 0.9f, false, false, new Sampler(1), TokenListener.NONE))
                .isInstanceOf(LlamaException.class).hasMessageContaining("max_batch_size is 1");
        assertThatThrownBy(() -> g.generate(List.of(P2), 4, 0f, 0.9f, false, false, new Sampler(1), TokenListener.NONE))
                .isInstanceOf(LlamaException.class).hasMessageContaining("more than max_seq_len 8");
        assertThatThrownBy(() -> g.generate(List.of(new int[0]), 4, 0f, 0.9f, false, false, new Sampler(1), TokenListener.NONE))
                .isInstanceOf(LlamaException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> g.generate(List.of(new int[] {512}), 4, 0f, 0.9f, false, false, new Sampler(1),
                TokenListener.NONE)).isInstanceOf(LlamaException.class).hasMessageContaining("outside the vocabulary");
    }

    @Test
    void generationIsCutAtMaxSeqLen() {
        Transformer model = new Transformer(weights, 1, 8);
        Generator.Result r = new Generator(model, new int[0]).generate(List.of(P1), 100, 0f, 0.9f, false, false,
                new Sampler(1), TokenListener.NONE);
        assertThat(r.tokens().get(0)).hasSize(8 - P1.length);
    }
}
