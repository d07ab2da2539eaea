package dev.llama3j.model;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Parallel;

import java.util.List;

/**
 * Meta's {@code Transformer.forward} for a batch of rows that advance in lock step: RMSNorm, attention with RoPE and
 * grouped KV heads over a causal KV cache, SwiGLU feed-forward, final norm and output projection; float32 throughout.
 *
 * <p>All B x T input vectors of a call go through each weight matrix together (one read of the weights per call), so a
 * prompt is processed as a matrix-matrix product rather than token by token.
 */
public final class Transformer {
    private final LlamaWeights w;
    private final ModelConfig c;
    private final KVCache cache;
    private final Rope rope;
    private final float attentionScale;

    public Transformer(LlamaWeights weights, int maxBatch, int maxSeqLen) {
        this.w = weights;
        this.c = weights.config();
        this.cache = new KVCache(c, maxBatch, maxSeqLen);
        this.rope = new Rope(c, weights.ropeFreqDivisors(), maxSeqLen);
        this.attentionScale = (float) Math.sqrt(c.headDim());
    }

    public ModelConfig config() {
        return c;
    }

    public KVCache cache() {
        return cache;
    }

    /**
     * Runs {@code tokens[b]} (all rows the same length T) at positions {@code startPos .. startPos+T-1}, writing their
     * keys and values into the cache rows 0..B-1.
     *
     * @param allPositions logits for every position ({@code [B][T*vocab]}) or only the last ({@code [B][vocab]})
     */
    public float[][] forward(int[][] tokens, int startPos, boolean allPositions) {
        int batch = tokens.length;
        int seq = tokens[0].length;
        checkInput(tokens, startPos, batch, seq);
        int n = batch * seq;
        int dim = c.dim();
        int kvDim = c.kvDim();
        int hd = c.headDim();

        float[] x = new float[n * dim];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                w.tokenEmbeddings().row(tokens[b][t], x, (b * seq + t) * dim);
            }
        }
        float[] xb = new float[n * dim];
        float[] q = new float[n * dim];
        float[] k = new float[n * kvDim];
        float[] v = new float[n * kvDim];
        float[] att = new float[n * dim];
        float[] out = new float[n * dim];
        float[] h1 = new float[n * c.ffnDim()];
        float[] h3 = new float[n * c.ffnDim()];

        List<LayerWeights> layers = w.layers();
        for (int l = 0; l < layers.size(); l++) {
            LayerWeights lw = layers.get(l);
            rmsNorm(x, lw.attentionNorm(), xb, n);
            Parallel.matmul(lw.wq(), xb, n, q);
            Parallel.matmul(lw.wk(), xb, n, k);
            Parallel.matmul(lw.wv(), xb, n, v);
            for (int b = 0; b < batch; b++) {
                float[] kc = cache.keys[l][b];
                float[] vc = cache.values[l][b];
                for (int t = 0; t < seq; t++) {
                    int i = b * seq + t;
                    rope.apply(q, i * dim, c.nHeads(), startPos + t);
                    rope.apply(k, i * kvDim, c.nKvHeads(), startPos + t);
                    System.arraycopy(k, i * kvDim, kc, (startPos + t) * kvDim, kvDim);
                    System.arraycopy(v, i * kvDim, vc, (startPos + t) * kvDim, kvDim);
                }
            }
            attention(l, q, att, batch, seq, startPos, hd);
            Parallel.matmul(lw.wo(), att, n, out);
            add(x, out);

            rmsNorm(x, lw.ffnNorm(), xb, n);
            Parallel.matmul(lw.w1(), xb, n, h1);
            Parallel.matmul(lw.w3(), xb, n, h3);
            swiglu(h1, h3);
            Parallel.matmul(lw.w2(), h1, n, out);
            add(x, out);
        }

        Matrix output = w.output();
        int vocab = output.rows();
        float[][] logits = new float[batch][];
        if (allPositions) {
            rmsNorm(x, w.norm(), xb, n);
            float[] all = new float[n * vocab];
            Parallel.matmul(output, xb, n, all);
            for (int b = 0; b < batch; b++) {
                logits[b] = java.util.Arrays.copyOfRange(all, b * seq * vocab, (b + 1) * seq * vocab);
            }
        } else {
            float[] last = new float[batch * dim];
            for (int b = 0; b < batch; b++) {
                System.arraycopy(x, ((b + 1) * seq - 1) * dim, last, b * dim, dim);
            }
            float[] lastNorm = new float[batch * dim];
            rmsNorm(last, w.norm(), lastNorm, batch);
            float[] all = new float[batch * vocab];
            Parallel.matmul(output, lastNorm, batch, all);
            for (int b = 0; b < batch; b++) {
                logits[b] = java.util.Arrays.copyOfRange(all, b * vocab, (b + 1) * vocab);
            }
        }
        return logits;
    }

    private void checkInput(int[][] tokens, int startPos, int batch, int seq) {
        if (batch == 0 || batch > cache.maxBatch) {
            throw new LlamaException("batch of " + batch + " rows, the KV cache holds " + cache.maxBatch);
        }
        if (seq == 0 || startPos < 0 || startPos + seq > cache.maxSeqLen) {
            throw new LlamaException("positions " + startPos + ".." + (startPos + seq - 1)
                    + " do not fit max_seq_len " + cache.maxSeqLen);
        }
        int vocab = w.tokenEmbeddings().rows();
        for (int[] row : tokens) {
            if (row.length != seq) {
                throw new IllegalArgumentException("batch rows differ in length");
            }
            for (int id : row) {
                if (id < 0 || id >= vocab) {
                    throw new LlamaException("token id " + id + " is outside the vocabulary (0.." + (vocab - 1) + ")");
                }
            }
        }
    }

    /**
     * Causal attention of every (row, position, head) over the cached keys/values 0..startPos+t. Query head h reads
     * KV head h / (nHeads / nKvHeads) (Meta's repeat_kv). softmax(q.k / sqrt(hd)) . v, float32.
     */
    private void attention(int layer, float[] q, float[] att, int batch, int seq, int startPos, int hd) {
        int nHeads = c.nHeads();
        int group = nHeads / c.nKvHeads();
        int dim = c.dim();
        int kvDim = c.kvDim();
        int tasks = batch * seq * nHeads;
        Parallel.forRange(tasks, (from, to) -> {
            float[] scores = new float[startPos + seq];
            for (int task = from; task < to; task++) {
                int h = task % nHeads;
                int i = task / nHeads;       // vector index b * seq + t
                int b = i / seq;
                int t = i % seq;
                int len = startPos + t + 1;
                float[] kc = cache.keys[layer][b];
                float[] vc = cache.values[layer][b];
                int qOff = i * dim + h * hd;
                int kvOff = (h / group) * hd;
                float max = Float.NEGATIVE_INFINITY;
                for (int p = 0; p < len; p++) {
                    float s = 0f;
                    int ko = p * kvDim + kvOff;
                    for (int d = 0; d < hd; d++) {
                        s += q[qOff + d] * kc[ko + d];
                    }
                    s /= attentionScale;
                    scores[p] = s;
                    max = Math.max(max, s);
                }
                float sum = 0f;
                for (int p = 0; p < len; p++) {
                    float e = (float) Math.exp(scores[p] - max);
                    scores[p] = e;
                    sum += e;
                }
                int oOff = i * dim + h * hd;
                java.util.Arrays.fill(att, oOff, oOff + hd, 0f);
                for (int p = 0; p < len; p++) {
                    float a = scores[p] / sum;
                    int vo = p * kvDim + kvOff;
                    for (int d = 0; d < hd; d++) {
                        att[oOff + d] += a * vc[vo + d];
                    }
                }
            }
        });
    }

    /** Meta's RMSNorm: {@code x * rsqrt(mean(x^2) + eps) * weight}, per vector of length dim. */
    private void rmsNorm(float[] x, float[] weight, float[] out, int n) {
        int dim = weight.length;
        float eps = c.normEps();
        for (int i = 0; i < n; i++) {
            int o = i * dim;
            double ss = 0;
            for (int j = 0; j < dim; j++) {
                ss += x[o + j] * x[o + j];
            }
            float scale = (float) (1.0 / Math.sqrt((float) (ss / dim) + eps));
            for (int j = 0; j < dim; j++) {
                out[o + j] = (x[o + j] * scale) * weight[j];
            }
        }
    }

    /** {@code a = silu(a) * b}, elementwise. */
    private static void swiglu(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            float g = a[i];
            a[i] = g / (1.0f + (float) Math.exp(-g)) * b[i];
        }
    }

    private static void add(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }
}
