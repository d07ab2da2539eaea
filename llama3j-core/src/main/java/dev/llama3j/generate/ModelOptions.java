package dev.llama3j.generate;

import dev.llama3j.model.CacheType;
import dev.llama3j.tensor.Numerics;

/**
 * How {@link Llama#build(java.nio.file.Path, java.nio.file.Path, ModelOptions)} sets a model up: positions per
 * sequence, rows of Meta's lock-step batch (which share maxBatchSize x maxSeqLen positions of KV cache), the
 * sampling seed, the activations' numerics, and the element types of cached keys and values.
 */
public record ModelOptions(int maxSeqLen, int maxBatchSize, long seed, Numerics numerics, CacheType keyType,
                           CacheType valueType) {

    public ModelOptions {
        if (numerics == null || keyType == null || valueType == null) {
            throw new NullPointerException("numerics and cache types are required");
        }
    }

    /** Exact float32 activations and cache, seed 1. */
    public static ModelOptions of(int maxSeqLen, int maxBatchSize) {
        return new ModelOptions(maxSeqLen, maxBatchSize, 1, Numerics.EXACT, CacheType.F32, CacheType.F32);
    }

    public ModelOptions withSeed(long s) {
        return new ModelOptions(maxSeqLen, maxBatchSize, s, numerics, keyType, valueType);
    }

    public ModelOptions withNumerics(Numerics n) {
        return new ModelOptions(maxSeqLen, maxBatchSize, seed, n, keyType, valueType);
    }

    /** Keys and values cached in these types ({@link CacheType}). */
    public ModelOptions withCacheTypes(CacheType keys, CacheType values) {
        return new ModelOptions(maxSeqLen, maxBatchSize, seed, numerics, keys, values);
    }
}
