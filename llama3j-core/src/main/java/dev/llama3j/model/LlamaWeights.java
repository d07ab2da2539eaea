package dev.llama3j.model;

import dev.llama3j.tensor.Matrix;

import java.util.List;

/**
 * Everything the transformer reads, independent of the file format. Matrices stay in the mapped file.
 *
 * @param ropeFreqDivisors per-frequency divisors from a GGUF {@code rope_freqs} tensor (Llama 3.1), or null
 * @param resources        what to close when the model is no longer used (mapped files)
 * @param split            where this is one rank's part of a model split over processes, which part; else null
 *                         (the matrices are then that part's rows or columns, the config the whole model's)
 */
public record LlamaWeights(ModelConfig config, Matrix tokenEmbeddings, List<LayerWeights> layers,
                           float[] norm, Matrix output, float[] ropeFreqDivisors,
                           AutoCloseable resources, ModelSplit split) implements AutoCloseable {

    /** A whole model. */
    public LlamaWeights(ModelConfig config, Matrix tokenEmbeddings, List<LayerWeights> layers, float[] norm,
                        Matrix output, float[] ropeFreqDivisors, AutoCloseable resources) {
        this(config, tokenEmbeddings, layers, norm, output, ropeFreqDivisors, resources, null);
    }

    /** Releases the mapped files; the matrices must not be read afterwards. */
    @Override
    public void close() {
        if (split != null && split.group() != null) {
            split.group().dropped(this);
        }
        if (resources != null) {
            try {
                resources.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("closing model files: " + e.getMessage(), e);
            }
        }
    }

    /** Llama 3.1+ conventions: scaled RoPE in the config, or GGUF's rope_freqs divisors. */
    public boolean isLlama31() {
        return config.ropeScaling() != null || ropeFreqDivisors != null;
    }

    /** Bytes of weights (what one decode step streams from memory). */
    public long byteSize() {
        long n = tokenEmbeddings.byteSize() + (output == tokenEmbeddings ? 0 : output.byteSize());
        for (LayerWeights l : layers) {
            n += l.wq().byteSize() + l.wk().byteSize() + l.wv().byteSize() + l.wo().byteSize()
                    + l.w1().byteSize() + l.w2().byteSize() + l.w3().byteSize();
        }
        return n;
    }
}
