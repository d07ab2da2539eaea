package dev.llama3j.model;

import dev.llama3j.LlamaException;

/**
 * The shape and constants of a Llama 3 transformer, whatever file it came from.
 *
 * @param ropeScaling   Llama 3.1 frequency scaling, or null
 * @param contextLength the longest sequence the model was trained for (8192 for Llama 3, 131072 for 3.1+)
 */
public record ModelConfig(int dim, int nLayers, int nHeads, int nKvHeads, int vocabSize, int ffnDim,
                          float normEps, float ropeTheta, RopeScaling ropeScaling, int contextLength) {

    public ModelConfig {
        check(dim > 0, "dim", dim);
        check(nLayers > 0, "n_layers", nLayers);
        check(nHeads > 0 && dim % nHeads == 0, "n_heads (must divide dim " + dim + ")", nHeads);
        check(nKvHeads > 0 && nHeads % nKvHeads == 0, "n_kv_heads (must divide n_heads " + nHeads + ")", nKvHeads);
        check((dim / nHeads) % 2 == 0, "head dimension (must be even)", dim / nHeads);
        check(vocabSize > 0, "vocab_size", vocabSize);
        check(ffnDim > 0, "FFN hidden size", ffnDim);
        check(normEps > 0 && Float.isFinite(normEps), "norm_eps", normEps);
        check(ropeTheta > 0 && Float.isFinite(ropeTheta), "rope_theta", ropeTheta);
        check(contextLength > 0, "context length", contextLength);
    }

    private static void check(boolean ok, String field, Object value) {
        if (!ok) {
            throw new LlamaException("model config: invalid " + field + ": " + value);
        }
    }

    public int headDim() {
        return dim / nHeads;
    }

    public int kvDim() {
        return nKvHeads * headDim();
    }

    /**
     * Meta's FFN size formula (model.py {@code FeedForward}):
     * {@code h = int(2*4*dim/3); h = int(multiplier*h); h = multiple_of * ceil(h / multiple_of)}.
     */
    public static int metaFfnDim(int dim, int multipleOf, Double ffnDimMultiplier) {
        if (multipleOf <= 0) {
            throw new LlamaException("model config: invalid multiple_of: " + multipleOf);
        }
        long h = (long) (2.0 * (4L * dim) / 3.0);
        if (ffnDimMultiplier != null) {
            h = (long) (ffnDimMultiplier * h);
        }
        h = multipleOf * ((h + multipleOf - 1) / multipleOf);
        if (h <= 0 || h > Integer.MAX_VALUE) {
            throw new LlamaException("model config: FFN hidden size " + h + " is out of range");
        }
        return (int) h;
    }
}
