package dev.llama3j.model;

import dev.llama3j.tensor.Matrix;

/**
 * One transformer block. wq/wk rows are in Meta's order (RoPE on adjacent pairs); a loader whose file
 * permutes them (Hugging Face) hands in a view that undoes the permutation.
 */
public record LayerWeights(float[] attentionNorm, Matrix wq, Matrix wk, Matrix wv, Matrix wo,
                           float[] ffnNorm, Matrix w1, Matrix w2, Matrix w3) {
}
