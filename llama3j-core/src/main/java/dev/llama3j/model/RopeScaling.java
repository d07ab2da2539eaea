package dev.llama3j.model;

/**
 * Llama 3.1 RoPE frequency scaling (meta-llama/llama-models {@code apply_scaling}; HF
 * {@code rope_scaling: {rope_type: llama3, ...}}).
 */
public record RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalMaxPositions) {
    /** The values Meta hard-codes for {@code use_scaled_rope: true}. */
    public static final RopeScaling LLAMA_3_1 = new RopeScaling(8f, 1f, 4f, 8192);
}
