package dev.llama3j.model;

import dev.llama3j.LlamaException;

/**
 * Keys and values of every layer for every batch row, preallocated for max_batch_size x max_seq_len as Meta's
 * {@code Attention} does. Layout per (layer, row): position-major, {@code [pos][kvHead][headDim]}, so attention reads
 * consecutive positions sequentially.
 */
public final class KVCache {
    final int maxBatch;
    final int maxSeqLen;
    final int kvDim;
    final float[][][] keys;   // [layer][row] -> maxSeqLen * kvDim
    final float[][][] values;

    public KVCache(ModelConfig c, int maxBatch, int maxSeqLen) {
        long floats = 2L * c.nLayers() * maxBatch * maxSeqLen * c.kvDim();
        if ((long) maxSeqLen * c.kvDim() > Integer.MAX_VALUE - 8) {
            throw new LlamaException("max_seq_len " + maxSeqLen + " is too large for one KV cache row");
        }
        long maxHeap = Runtime.getRuntime().maxMemory();
        if (floats * 4 > maxHeap) {
            throw new LlamaException(String.format(
                    "the KV cache for max_batch_size %d x max_seq_len %d needs %.1f GiB, the JVM may use %.1f GiB:"
                            + " lower --max-seq-len/--max-batch-size or raise -Xmx (LLAMA3J_JAVA_OPTS)",
                    maxBatch, maxSeqLen, floats * 4 / (double) (1L << 30), maxHeap / (double) (1L << 30)));
        }
        this.maxBatch = maxBatch;
        this.maxSeqLen = maxSeqLen;
        this.kvDim = c.kvDim();
        this.keys = new float[c.nLayers()][maxBatch][];
        this.values = new float[c.nLayers()][maxBatch][];
        for (int l = 0; l < c.nLayers(); l++) {
            for (int b = 0; b < maxBatch; b++) {
                keys[l][b] = new float[maxSeqLen * kvDim];
                values[l][b] = new float[maxSeqLen * kvDim];
            }
        }
    }

    public int maxBatch() {
        return maxBatch;
    }

    public int maxSeqLen() {
        return maxSeqLen;
    }

    public long byteSize() {
        return 2L * keys.length * maxBatch * maxSeqLen * kvDim * 4;
    }
}
