package dev.llama3j.model;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Parallel;
import dev.llama3j.tensor.ParallelMatmul;
import dev.llama3j.tensor.VectorMath;
import dev.llama3j.tensor.kernel.ScratchFloats;

import java.util.Arrays;

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
    /** per layer, the matrices that read the same normalized input: {wq, wk, wv} and {w1, w3} */
    private final Matrix[][] qkvWeights;
    private final Matrix[][] upWeights;
    /** per layer, whether w1, w3 and w2 all take the tiled product, so that a prompt's FFN can stay packed */
    private final boolean[] packedFfn;

    public Transformer(LlamaWeights weights, int maxBatch, int maxSeqLen) {
        this.w = weights;
        this.c = weights.config();
        this.cache = new KVCache(c, maxBatch, maxSeqLen);
        this.rope = new Rope(c, weights.ropeFreqDivisors(), maxSeqLen);
        this.attentionScale = (float) Math.sqrt(c.headDim());
        this.qkvWeights = weights.layers().stream().map(l -> new Matrix[] {l.wq(), l.wk(), l.wv()}).toArray(Matrix[][]::new);
        this.upWeights = weights.layers().stream().map(l -> new Matrix[] {l.w1(), l.w3()}).toArray(Matrix[][]::new);
        this.packedFfn = new boolean[weights.layers().size()];
        for (int l = 0; l < packedFfn.length; l++) {
            LayerWeights lw = weights.layers().get(l);
            packedFfn[l] = ParallelMatmul.isTiled(lw.w1(), lw.w3(), lw.w2());
        }
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
     * @param allPositions logits for every position ({@code [B][T*vocab]}, fresh arrays) or only the last
     *                     ({@code [B][vocab]}, reused buffers valid until the next call)
     */
    public float[][] forward(int[][] tokens, int startPos, boolean allPositions) {
        int batch = tokens.length;
        int seq = tokens[0].length;
        checkInput(tokens, startPos, batch, seq);
        int n = batch * seq;
        int dim = c.dim();
        Buffers buf = buffers(n);
        float[] x = buf.x;
        float[] xb = buf.xb;
        float[] q = buf.q;
        float[] k = buf.k;
        float[] v = buf.v;

        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                w.tokenEmbeddings().row(tokens[b][t], x, (b * seq + t) * dim);
            }
        }
        // the element-wise steps between the matrix products run in parallel over vectors, each fused with its
        // neighbours into one parallel region (residual add + next norm), so that a prompt has no serial stretch
        List<LayerWeights> layers = w.layers();
        float[] firstNorm = layers.getFirst().attentionNorm();
        Parallel.forRange(n, (s, e) -> rmsNorm(x, firstNorm, xb, s, e));
        for (int l = 0; l < layers.size(); l++) {
            LayerWeights lw = layers.get(l);
            int layer = l;
            ParallelMatmul.matmul(qkvWeights[l], xb, n, buf.qkv);
            Parallel.forRange(n, (s, e) -> rotateAndCache(layer, q, k, v, seq, startPos, s, e));
            attention(l, q, buf.att, batch, seq, startPos);
            ParallelMatmul.matmul(lw.wo(), buf.att, n, buf.out);
            Parallel.forRange(n, (s, e) -> {
                add(x, buf.out, s * dim, e * dim);
                rmsNorm(x, lw.ffnNorm(), xb, s, e);
            });
            int ffn = c.ffnDim();
            if (n > 1 && packedFfn[l]) {
                // the hidden vectors stay in the tiled product's packed layout from w1/w3 through SwiGLU into w2: no
                // transposing store of the largest outputs, no packing of the widest input, and w2 no longer goes
                // through in passes of 256 tokens that each unpack all its weights (figures: docs/performance.md)
                ParallelMatmul.matmulToPacked(upWeights[l], xb, n, buf.h13);
                ParallelMatmul.forPackedRange(ffn, n, (s, e) -> VectorMath.swiglu(buf.h1, buf.h3, s, e));
                ParallelMatmul.matmulPacked(lw.w2(), buf.h1, n, buf.out);
            } else {
                ParallelMatmul.matmul(upWeights[l], xb, n, buf.h13);
                Parallel.forRange(n, (s, e) -> VectorMath.swiglu(buf.h1, buf.h3, s * ffn, e * ffn));
                ParallelMatmul.matmul(lw.w2(), buf.h1, n, buf.out);
            }
            float[] nextNorm = l + 1 < layers.size() ? layers.get(l + 1).attentionNorm() : null;
            Parallel.forRange(n, (s, e) -> {
                add(x, buf.out, s * dim, e * dim);
                if (nextNorm != null) {
                    rmsNorm(x, nextNorm, xb, s, e);
                }
            });
        }

        Matrix output = w.output();
        int vocab = output.rows();
        if (allPositions) {
            Parallel.forRange(n, (s, e) -> rmsNorm(x, w.norm(), xb, s, e));
            float[] all = new float[n * vocab];
            ParallelMatmul.matmul(output, xb, n, all);
            float[][] logits = new float[batch][];
            for (int b = 0; b < batch; b++) {
                logits[b] = Arrays.copyOfRange(all, b * seq * vocab, (b + 1) * seq * vocab);
            }
            return logits;
        }
        for (int b = 0; b < batch; b++) {
            System.arraycopy(x, ((b + 1) * seq - 1) * dim, buf.last, b * dim, dim);
        }
        rmsNorm(buf.last, w.norm(), buf.lastNorm, 0, batch);
        ParallelMatmul.matmul(output, buf.lastNorm, batch, buf.lastLogits);
        for (int b = 0; b < batch; b++) {
            System.arraycopy(buf.lastLogits, b * vocab, buf.rowLogits[b], 0, vocab);
        }
        return batch == buf.rowLogits.length ? buf.rowLogits : Arrays.copyOf(buf.rowLogits, batch);
    }

    /**
     * Activation buffers, reused across calls so that a decode step allocates nothing; grown when a call brings
     * more vectors than any before. The last-position logits returned by {@link #forward} live here too: they are
     * valid until the next call.
     */
    private static final class Buffers {
        final int capacity;
        final float[] x, xb, q, k, v, att, out, h1, h3, last, lastNorm, lastLogits;
        final float[][] rowLogits;
        final float[][] qkv;
        final float[][] h13;

        Buffers(ModelConfig c, int n, int maxBatch, int vocab) {
            capacity = n;
            x = new float[n * c.dim()];
            xb = new float[n * c.dim()];
            q = new float[n * c.dim()];
            k = new float[n * c.kvDim()];
            v = new float[n * c.kvDim()];
            att = new float[n * c.dim()];
            out = new float[n * c.dim()];
            // token-major, or in the tiled product's packed layout
            int hidden = Math.max(n * c.ffnDim(), ParallelMatmul.packedSize(c.ffnDim(), n));
            h1 = new float[hidden];
            h3 = new float[hidden];
            last = new float[maxBatch * c.dim()];
            lastNorm = new float[maxBatch * c.dim()];
            lastLogits = new float[maxBatch * vocab];
            rowLogits = new float[maxBatch][vocab];
            qkv = new float[][] {q, k, v};
            h13 = new float[][] {h1, h3};
        }
    }

    private Buffers buffers;

    private Buffers buffers(int n) {
        if (buffers == null || buffers.capacity < n) {
            buffers = new Buffers(c, n, cache.maxBatch, w.output().rows());
        }
        return buffers;
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
     * KV head h / (nHeads / nKvHeads) (Meta's repeat_kv). softmax(q.k / sqrt(hd)) . v, float32. A task is one
     * vector's group of query heads that share a KV head ({@link Attention#group}: they read its keys and values
     * together), or in a prompt a block of consecutive tokens' groups ({@link Attention#block}: scored together).
     *
     * <p>A vector's cost grows with its position, so the threads' contiguous task ranges walk the vectors (blocks)
     * folded (first, last, second, second to last, ...): every range holds early and late ones alike.
     */
    private void attention(int layer, float[] q, float[] att, int batch, int seq, int startPos) {
        int nHeads = c.nHeads();
        int hd = c.headDim();
        int group = nHeads / c.nKvHeads();
        int dim = c.dim();
        int kvDim = c.kvDim();
        int n = batch * seq;
        int kvHeads = c.nKvHeads();
        int blockTokens = Math.min(seq, Attention.blockTokens(group, hd));
        if (seq > 1 && blockTokens > 0) {
            // a prompt: blocks of consecutive tokens of one row, folded as below (Attention.block reads each key and
            // value once per block of tokens; figures: docs/performance.md)
            int blocksPerRow = (seq + blockTokens - 1) / blockTokens;
            int blocks = batch * blocksPerRow;
            Parallel.forRange(blocks * kvHeads, (from, to) -> {
                for (int task = from; task < to; task++) {
                    int kh = task % kvHeads;
                    int j = task / kvHeads;
                    int blk = j % 2 == 0 ? j / 2 : blocks - 1 - j / 2;
                    int b = blk / blocksPerRow;
                    int t0 = blk % blocksPerRow * blockTokens;
                    int qOff = (b * seq + t0) * dim + kh * group * hd;
                    Attention.block(q, qOff, dim, Math.min(blockTokens, seq - t0), group, cache.keys[layer][b],
                            cache.values[layer][b], kh * hd, kvDim, hd, startPos + t0, attentionScale, att, qOff);
                }
            });
            return;
        }
        Parallel.forRange(n * kvHeads, (from, to) -> {
            float[] scores = SCORES.get(group * (startPos + seq));
            for (int task = from; task < to; task++) {
                int kh = task % kvHeads;
                int j = task / kvHeads;
                int i = j % 2 == 0 ? j / 2 : n - 1 - j / 2;       // vector index b * seq + t
                int b = i / seq;
                int len = startPos + i % seq + 1;
                float[] kc = cache.keys[layer][b];
                float[] vc = cache.values[layer][b];
                int qOff = i * dim + kh * group * hd;
                Attention.group(q, qOff, group, kc, vc, kh * hd, kvDim, hd, len, attentionScale, scores, att, qOff);
            }
        });
    }

    /** Per-thread attention scores: the forward pass allocates nothing per token. */
    private static final ScratchFloats SCORES = new ScratchFloats();

    /** Meta's RMSNorm ({@link RmsNorm}) of vectors [from, to). */
    private void rmsNorm(float[] x, float[] weight, float[] out, int from, int to) {
        int dim = weight.length;
        for (int i = from; i < to; i++) {
            RmsNorm.apply(x, i * dim, weight, c.normEps(), out, i * dim);
        }
    }

    /** {@code x += y} over elements [from, to). */
    private static void add(float[] x, float[] y, int from, int to) {
        VectorMath.axpy(1f, y, from, x, from, to - from);
    }

    /** RoPE on the queries and keys of vectors [from, to), whose keys and values then go into the cache. */
    private void rotateAndCache(int layer, float[] q, float[] k, float[] v, int seq, int startPos, int from, int to) {
        int dim = c.dim();
        int kvDim = c.kvDim();
        for (int i = from; i < to; i++) {
            int b = i / seq;
            int pos = startPos + i % seq;
            rope.apply(q, i * dim, c.nHeads(), pos);
            rope.apply(k, i * kvDim, c.nKvHeads(), pos);
            System.arraycopy(k, i * kvDim, cache.keys[layer][b], pos * kvDim, kvDim);
            System.arraycopy(v, i * kvDim, cache.values[layer][b], pos * kvDim, kvDim);
        }
    }
}
