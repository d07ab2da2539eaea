package dev.llama3j.generate;

import dev.llama3j.model.CacheType;
import dev.llama3j.tensor.Numerics;

/**
 * How {@link Llama#build(java.nio.file.Path, java.nio.file.Path, ModelOptions)} sets a model up: positions per
 * sequence, rows of Meta's lock-step batch (which share maxBatchSize x maxSeqLen positions of KV cache), the
 * sampling seed, the activations' numerics, the element types of cached keys and values, and the threads of its
 * forward pass.
 *
 * @param threads worker threads of the model's own (the calling thread among them), or 0 for the process's
 *                ({@link dev.llama3j.tensor.Parallel}): two models in one JVM may use different counts
 */
public record ModelOptions(int maxSeqLen, int maxBatchSize, long seed, Numerics numerics, CacheType keyType,
                           CacheType valueType, int threads) {

    public ModelOptions {
        if (numerics == null || keyType == null || valueType == null) {
            throw new NullPointerException("numerics and cache types are required");
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0: the process's), got " + threads);
        }
    }

    /** On the process's threads. */
    public ModelOptions(int maxSeqLen, int maxBatchSize, long seed, Numerics numerics, CacheType keyType,
                        CacheType valueType) {
        this(maxSeqLen, maxBatchSize, seed, numerics, keyType, valueType, 0);
    }

    /** Exact float32 activations and cache, seed 1. */
    public static ModelOptions of(int maxSeqLen, int maxBatchSize) {
        return new ModelOptions(maxSeqLen, maxBatchSize, 1, Numerics.EXACT, CacheType.F32, CacheType.F32);
    }

    public ModelOptions withSeed(long s) {
        return new ModelOptions(maxSeqLen, maxBatchSize, s, numerics, keyType, valueType, threads);
    }

    public ModelOptions withNumerics(Numerics n) {
        return new ModelOptions(maxSeqLen, maxBatchSize, seed, n, keyType, valueType, threads);
    }

    /** The forward pass on {@code n} threads of the model's own; 0 for the process's. */
    public ModelOptions withThreads(int n) {
        return new ModelOptions(maxSeqLen, maxBatchSize, seed, numerics, keyType, valueType, n);
    }

    /** Keys and values cached in these types ({@link CacheType}). */
    public ModelOptions withCacheTypes(CacheType keys, CacheType values) {
        return new ModelOptions(maxSeqLen, maxBatchSize, seed, numerics, keys, values, threads);
    }
}
