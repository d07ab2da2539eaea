package dev.llama3j.convert;

import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.Matrix;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A model of a given shape with random weights: matrices roughly N(0, 0.02^2), norm weights near 1. Every row
 * is computed from the seed, the matrix and the row number alone, so rows can be produced in any order, on
 * any thread, without storing them, and the same seed always gives the same model.
 */
public final class RandomWeights {
    private static final float STD = 0.02f;

    private RandomWeights() {}

    public static LlamaWeights create(ModelConfig c, boolean tiedEmbeddings, long seed) {
        int dim = c.dim();
        int id = 0;
        Matrix embeddings = new RandomMatrix(seed, id++, c.vocabSize(), dim);
        Matrix output = tiedEmbeddings ? embeddings : new RandomMatrix(seed, id++, c.vocabSize(), dim);
        List<LayerWeights> layers = new ArrayList<>();
        for (int i = 0; i < c.nLayers(); i++) {
            layers.add(new LayerWeights(norm(seed, id++, dim),
                    new RandomMatrix(seed, id++, dim, dim),
                    new RandomMatrix(seed, id++, c.kvDim(), dim),
                    new RandomMatrix(seed, id++, c.kvDim(), dim),
                    new RandomMatrix(seed, id++, dim, dim),
                    norm(seed, id++, dim),
                    new RandomMatrix(seed, id++, c.ffnDim(), dim),
                    new RandomMatrix(seed, id++, dim, c.ffnDim()),
                    new RandomMatrix(seed, id++, c.ffnDim(), dim)));
        }
        return new LlamaWeights(c, embeddings, List.copyOf(layers), norm(seed, id, dim), output, null, null);
    }

    private static float[] norm(long seed, int id, int n) {
        float[] v = new float[n];
        fill(rowRandom(seed, id, 0), v, 0, n, 0.05f);
        for (int i = 0; i < n; i++) {
            v[i] += 1;
        }
        return v;
    }

    private static SplittableRandom rowRandom(long seed, int matrix, int row) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + ((long) matrix << 32 | row));
    }

    /**
     * Approximately normal values: the sum of four 16-bit uniforms (Irwin-Hall) scaled to the wanted deviation.
     * One random long per value keeps generation far cheaper than the quantization that follows it.
     */
    private static void fill(SplittableRandom r, float[] dst, int off, int n, float std) {
        // sum of 4 uniforms on [0, 65536): mean 131070, variance 4 * 65536^2 / 12
        float scale = std / (float) Math.sqrt(4.0 * 65536.0 * 65536.0 / 12.0);
        for (int i = 0; i < n; i++) {
            long bits = r.nextLong();
            long sum = (bits & 0xFFFF) + (bits >>> 16 & 0xFFFF) + (bits >>> 32 & 0xFFFF) + (bits >>> 48);
            dst[off + i] = (sum - 131070f) * scale;
        }
    }

    /** A matrix whose rows are generated on demand; it also computes, so a model of it can run directly. */
    private record RandomMatrix(long seed, int id, int rows, int cols) implements Matrix {
        @Override
        public DType type() {
            return DType.F32;
        }

        @Override
        public long byteSize() {
            return 4L * rows * cols;
        }

        @Override
        public void row(int row, float[] dst, int dstOff) {
            fill(rowRandom(seed, id, row), dst, dstOff, cols, STD);
        }

        @Override
        public float dot(int row, float[] x, int xOff) {
            float[] w = new float[cols];
            row(row, w, 0);
            float sum = 0;
            for (int i = 0; i < cols; i++) {
                sum += w[i] * x[xOff + i];
            }
            return sum;
        }
    }
}
