package dev.llama3j.format.hf;

import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.RowPermutedMatrix;

/**
 * The row order of q_proj/k_proj in Hugging Face Llama checkpoints. Meta's RoPE rotates adjacent pairs
 * (rows 2i, 2i+1 of a head); transformers rotates the two halves of a head ("rotate_half"), so its
 * converter reorders each head: HF row {@code j} is Meta row {@code 2j} for {@code j < hd/2} and Meta row
 * {@code 2(j - hd/2) + 1} otherwise. llama3j computes RoPE Meta's way, so it reads those rows back in
 * Meta order.
 */
public final class HfQkOrder {
    private HfQkOrder() {}

    /**
     * For every Meta row {@code m} of a {@code heads * headDim} row matrix, the HF row that holds it.
     * Inverting the converter's map within a head: even {@code m} came from HF row {@code m/2}, odd
     * {@code m} from HF row {@code hd/2 + m/2}.
     */
    public static int[] metaToHfRows(int heads, int headDim) {
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head dimension must be even, got " + headDim);
        }
        int half = headDim / 2;
        int[] perm = new int[Math.multiplyExact(heads, headDim)];
        for (int h = 0; h < heads; h++) {
            for (int m = 0; m < headDim; m++) {
                perm[h * headDim + m] = h * headDim + m / 2 + (m % 2) * half;
            }
        }
        return perm;
    }

    /** {@code hf} (q_proj with n_heads, or k_proj with n_kv_heads) seen with its rows in Meta order. */
    public static Matrix toMetaOrder(Matrix hf, int heads, int headDim) {
        return new RowPermutedMatrix(hf, metaToHfRows(heads, headDim));
    }
}
