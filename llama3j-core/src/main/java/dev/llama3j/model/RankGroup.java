package dev.llama3j.model;

import java.util.List;

/**
 * How a rank of a model split over processes ({@link ModelSplit}) reaches the others. Rank 0 drives: it tells the
 * others each model it builds, each step it runs and what happens to its sequences, so that they run the same steps
 * on their parts; inside a step every rank makes the same collective calls in the same order. The calls that tell
 * are no-ops on the other ranks.
 */
public interface RankGroup {
    int rank();

    int ranks();

    /** {@code x[off .. off+len)} summed over the ranks in rank order: the same bits on every rank. */
    void allReduce(float[] x, int off, int len);

    /**
     * Each rank's {@code rows} vectors of its {@code counts[rank]} elements ({@code part}, vector-major) joined, on
     * rank 0, into {@code rows} vectors of all ranks' elements in rank order ({@code all}); other ranks' {@code all}
     * is left alone.
     */
    void gather(float[] part, int rows, int[] counts, float[] all);

    /** Every rank's {@code value} (at most 1 KiB of UTF-8), in rank order, on every rank. */
    String[] allGather(String value);

    /**
     * This rank's part is Meta's shard {@code file}, whose fingerprint is {@code fingerprint}: the load compares them
     * over the ranks (a shard copied over another), each rank having read its own only.
     */
    default void identify(String file, String fingerprint) {
    }

    /** Rank 0 closed {@code weights}, and with them the models built on them. */
    default void dropped(LlamaWeights weights) {
    }

    /** Rank 0 built {@code model} (the others build theirs). */
    void created(Transformer model, int maxBatch, int maxSeqLen, int contextSize, CacheType keyType,
                 CacheType valueType);

    /**
     * Runs {@code body}, one step of {@code model} over {@code entries} (each sequence at its present length), as a
     * step of every rank: rank 0 first tells the others, and no other step of any model runs meanwhile.
     */
    void step(Transformer model, List<Transformer.Entry> entries, Runnable body);

    /** Rank 0's {@code copy} was forked from {@code source}, sequences of {@code model}. */
    void forked(Transformer model, Sequence source, Sequence copy);

    /** Rank 0 reserved room for {@code positions} positions in {@code sequence}. */
    void reserved(Transformer model, Sequence sequence, int positions);

    /** Rank 0 closed {@code sequence}. */
    void closed(Transformer model, Sequence sequence);
}
