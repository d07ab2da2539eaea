package dev.llama3j.model;

import dev.llama3j.LlamaException;

/**
 * The keys and values of a model's sequences, under one budget of token positions shared by all of them (what
 * llama-server calls the context size). Each {@link Sequence} holds its own, and takes room from the budget as it
 * grows; closing a sequence gives its room back.
 */
public final class KVCache {
    final int layers;
    final int kvDim;
    private final int budget;
    private final int maxSeqLen;
    private int reserved;
    private int live;

    /**
     * @param budget    token positions that all sequences together may hold
     * @param maxSeqLen positions one sequence may hold (the model's RoPE tables reach that far)
     */
    public KVCache(ModelConfig c, int budget, int maxSeqLen) {
        if (budget < 1 || maxSeqLen < 1) {
            throw new LlamaException("the KV cache needs at least one position, got a budget of " + budget
                    + " and a sequence length of " + maxSeqLen);
        }
        if ((long) maxSeqLen * c.kvDim() > Integer.MAX_VALUE - 8) {
            throw new LlamaException("max_seq_len " + maxSeqLen + " is too large for one KV cache row");
        }
        long bytes = bytesFor(c, budget);
        long maxHeap = Runtime.getRuntime().maxMemory();
        if (bytes > maxHeap) {
            throw new LlamaException(String.format(
                    "the KV cache for %d positions needs %.1f GiB, the JVM may use %.1f GiB:"
                            + " lower --max-seq-len/--max-batch-size or raise -Xmx (LLAMA3J_JAVA_OPTS)",
                    budget, bytes / (double) (1L << 30), maxHeap / (double) (1L << 30)));
        }
        this.layers = c.nLayers();
        this.kvDim = c.kvDim();
        this.budget = budget;
        this.maxSeqLen = maxSeqLen;
    }

    /** Bytes of keys and values for {@code positions} positions of model {@code c} (float32). */
    public static long bytesFor(ModelConfig c, long positions) {
        return 2L * c.nLayers() * positions * c.kvDim() * Float.BYTES;
    }

    /** A new, empty sequence. */
    public Sequence newSequence() {
        synchronized (this) {
            live++;
        }
        return new Sequence(this);
    }

    /** Token positions all sequences together may hold. */
    public int budget() {
        return budget;
    }

    /** Token positions one sequence may hold. */
    public int maxSeqLen() {
        return maxSeqLen;
    }

    /** Positions the live sequences have taken from the budget (their capacity, at least their length). */
    public synchronized int reserved() {
        return reserved;
    }

    /** Bytes the budget allows. */
    public long byteSize() {
        return 2L * layers * budget * kvDim * Float.BYTES;
    }

    /**
     * Takes room for {@code wanted} positions, or at least {@code needed} of them when the budget has no more; fails
     * with the sizes involved when not even that is left.
     */
    synchronized int reserve(int needed, int wanted) {
        int free = budget - reserved;
        if (needed > free) {
            throw new LlamaException("the KV cache is full: " + live + " sequence(s) hold " + reserved + " of its "
                    + budget + " positions and one needs " + needed + " more (raise the context size, or end"
                    + " other sequences)");
        }
        int granted = Math.min(wanted, free);
        reserved += granted;
        return granted;
    }

    synchronized void release(int positions, boolean closing) {
        reserved -= positions;
        if (closing) {
            live--;
        }
    }
}
