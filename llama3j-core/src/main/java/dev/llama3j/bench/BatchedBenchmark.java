package dev.llama3j.bench;

import dev.llama3j.model.CacheType;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.Sequence;
import dev.llama3j.model.Transformer;
import dev.llama3j.tensor.Parallel;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * llama.cpp's {@code llama-batched-bench} on a loaded model: for {@code pl} parallel sequences, one step with each
 * sequence's {@code pp}-token prompt (all of them together), then {@code tg} steps that each add one token to every
 * sequence. Speeds count the tokens of all sequences, as that tool does.
 */
public final class BatchedBenchmark {

    /** One row of llama-batched-bench's table. */
    public record Result(int pp, int tg, int pl, double promptSeconds, double generationSeconds) {
        /** Positions the sequences hold at the end (llama-batched-bench's N_KV). */
        public int nKv() {
            return pl * (pp + tg);
        }

        public double promptSpeed() {
            return pl * pp / promptSeconds;
        }

        public double generationSpeed() {
            return pl * tg / generationSeconds;
        }

        public double seconds() {
            return promptSeconds + generationSeconds;
        }

        public double speed() {
            return nKv() / seconds();
        }
    }

    private final Transformer model;
    private final int vocab;
    private final SplittableRandom random = new SplittableRandom(42);

    /** A model whose KV cache holds {@code contextSize} positions, each sequence at most {@code maxSeqLen}. */
    public BatchedBenchmark(LlamaWeights weights, int maxSeqLen, int contextSize, int threads, CacheType keyType,
                            CacheType valueType) {
        Parallel.setThreads(threads);
        this.model = new Transformer(weights, 1, maxSeqLen, contextSize, keyType, valueType);
        this.vocab = weights.config().vocabSize();
    }

    /** {@code pl} sequences of a {@code pp}-token prompt and {@code tg} generated tokens, timed. */
    public Result run(int pp, int tg, int pl) {
        List<Sequence> sequences = new ArrayList<>(pl);
        try {
            List<Transformer.Entry> prompts = new ArrayList<>(pl);
            for (int j = 0; j < pl; j++) {
                Sequence s = model.newSequence();
                sequences.add(s);
                prompts.add(new Transformer.Entry(s, randomTokens(pp)));
            }
            long t0 = System.nanoTime();
            if (pp > 0) {
                model.forward(prompts);
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < tg; i++) {
                List<Transformer.Entry> step = new ArrayList<>(pl);
                for (Sequence s : sequences) {
                    step.add(new Transformer.Entry(s, randomTokens(1)));
                }
                model.forward(step);
            }
            long t2 = System.nanoTime();
            return new Result(pp, tg, pl, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        } finally {
            sequences.forEach(Sequence::close);
        }
    }

    private int[] randomTokens(int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = random.nextInt(vocab);
        }
        return t;
    }
}
