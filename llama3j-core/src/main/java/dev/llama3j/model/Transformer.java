package dev.llama3j.model;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Parallel;
import dev.llama3j.tensor.ParallelMatmul;
import dev.llama3j.tensor.VectorMath;
import dev.llama3j.tensor.kernel.ScratchFloats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Meta's {@code Transformer.forward} over sequences ({@link Sequence}): RMSNorm, attention with RoPE and grouped KV
 * heads over each sequence's causal KV cache, SwiGLU feed-forward, final norm and output projection.
 *
 * <p>One step ({@link #forward(List)}) appends tokens to several sequences, each at its own position. The prompts'
 * vectors go through each weight matrix together, as a matrix-matrix product; the decoding sequences' single tokens
 * each take a matrix-vector product, all of them over the same rows while those are in cache. Which of the two a
 * vector takes depends only on its own entry, so a sequence's results never depend on the rest of the step. Meta's
 * lock-step batch ({@link #forward(int[][], int, boolean)}) is such a step over its rows' sequences.
 *
 * <p>Weights that are one rank's part of a model split over processes ({@link ModelSplit}) make this the rank's
 * part of the model: its query and KV heads, FFN units and vocabulary rows, the partial sums of wo and w2 and the
 * embeddings added over the ranks ({@link RankGroup#allReduce}), the logits gathered on rank 0.
 */
public final class Transformer implements AutoCloseable {
    private final LlamaWeights w;
    private final ModelConfig c;
    private final KVCache cache;
    private final int maxBatch;
    /** the sequences of {@link #forward(int[][], int, boolean)}'s rows, made when first used */
    private final Sequence[] rows;
    private final Rope rope;
    private final float attentionScale;
    /** per layer, the matrices that read the same normalized input: {wq, wk, wv} and {w1, w3} */
    private final Matrix[][] qkvWeights;
    private final Matrix[][] upWeights;
    private final Matrix[][] woWeights;
    private final Matrix[][] downWeights;
    private final Matrix[] outputWeights;
    /** per layer, whether w1, w3 and w2 all take the tiled product, so that a prompt's FFN can stay packed */
    private final boolean[] packedFfn;
    /** Whether every layer matrix takes prompts in int8 batches, each vector with its matrix-vector product's bits. */
    private final boolean int8Prompts;
    /** This process's part of a model split over ranks, and how it reaches the others; null for a whole model. */
    private final ModelSplit split;
    private final RankGroup group;
    /** The query and KV heads this process computes (all of them for a whole model), and their vector sizes. */
    private final int qHeads;
    private final int kvHeads;
    private final int qDim;
    private final int kvDim;
    /** Per (local) KV head, its first query head and how many of the query heads read it. */
    private final int[] kvFirstQuery;
    private final int[] kvQueries;
    private final int maxQueries;
    private final int vocab;
    /** A split model's own vocabulary rows' logits, reused across steps. */
    private final float[][] partLogits = {new float[0]};
    /** The threads of this model's steps, or null for the process's. */
    private final Parallel.Workers workers;

    /**
     * A model for Meta's lock-step batches ({@link #forward(int[][], int, boolean)}: up to {@code maxBatch} rows of
     * up to {@code maxSeqLen} positions) and for sequences ({@link #newSequence}), which share a KV cache budget of
     * {@code maxBatch * maxSeqLen} positions.
     */
    public Transformer(LlamaWeights weights, int maxBatch, int maxSeqLen) {
        this(weights, maxBatch, maxSeqLen, (int) Math.min(Integer.MAX_VALUE, (long) maxBatch * maxSeqLen));
    }

    /**
     * A model whose sequences share a KV cache budget of {@code contextSize} positions, each sequence at most
     * {@code maxSeqLen}; {@code maxBatch} rows are there for {@link #forward(int[][], int, boolean)}.
     */
    public Transformer(LlamaWeights weights, int maxBatch, int maxSeqLen, int contextSize) {
        this(weights, maxBatch, maxSeqLen, contextSize, CacheType.F32, CacheType.F32);
    }

    /** {@link #Transformer(LlamaWeights, int, int, int)} with keys and values cached in the given types. */
    public Transformer(LlamaWeights weights, int maxBatch, int maxSeqLen, int contextSize, CacheType keyType,
                       CacheType valueType) {
        this(weights, maxBatch, maxSeqLen, contextSize, keyType, valueType, null);
    }

    /** {@link #Transformer(LlamaWeights, int, int, int, CacheType, CacheType)} whose steps run on {@code workers}. */
    public Transformer(LlamaWeights weights, int maxBatch, int maxSeqLen, int contextSize, CacheType keyType,
                       CacheType valueType, Parallel.Workers workers) {
        this.workers = workers;
        this.w = weights;
        this.c = weights.config();
        this.split = weights.split();
        this.group = split == null ? null : split.group();
        this.qHeads = split == null ? c.nHeads() : split.headTo() - split.headFrom();
        this.kvHeads = split == null ? c.nKvHeads() : split.kvHeadTo() - split.kvHeadFrom();
        this.qDim = qHeads * c.headDim();
        this.kvDim = kvHeads * c.headDim();
        this.kvFirstQuery = new int[kvHeads];
        this.kvQueries = new int[kvHeads];
        int most = 0;
        for (int kv = 0; kv < kvHeads; kv++) {
            kvFirstQuery[kv] = split == null ? kv * (qHeads / kvHeads) : split.firstQuery(kv);
            kvQueries[kv] = split == null ? qHeads / kvHeads : split.queries(kv);
            most = Math.max(most, kvQueries[kv]);
        }
        this.maxQueries = most;
        this.vocab = split == null ? weights.output().rows() : c.vocabSize();
        this.cache = new KVCache(c, kvHeads, contextSize, maxSeqLen, keyType, valueType);
        this.maxBatch = maxBatch;
        this.rows = new Sequence[maxBatch];
        this.rope = new Rope(c, weights.ropeFreqDivisors(), maxSeqLen);
        this.attentionScale = (float) Math.sqrt(c.headDim());
        this.qkvWeights = weights.layers().stream().map(l -> new Matrix[] {l.wq(), l.wk(), l.wv()})
                .toArray(Matrix[][]::new);
        this.upWeights = weights.layers().stream().map(l -> new Matrix[] {l.w1(), l.w3()}).toArray(Matrix[][]::new);
        this.woWeights = weights.layers().stream().map(l -> new Matrix[] {l.wo()}).toArray(Matrix[][]::new);
        this.downWeights = weights.layers().stream().map(l -> new Matrix[] {l.w2()}).toArray(Matrix[][]::new);
        this.outputWeights = new Matrix[] {weights.output()};
        this.packedFfn = new boolean[weights.layers().size()];
        for (int l = 0; l < packedFfn.length; l++) {
            LayerWeights lw = weights.layers().get(l);
            packedFfn[l] = ParallelMatmul.isTiled(lw.w1(), lw.w3(), lw.w2());
        }
        boolean all = true;
        for (LayerWeights lw : weights.layers()) {
            for (Matrix m : new Matrix[] {lw.wq(), lw.wk(), lw.wv(), lw.wo(), lw.w1(), lw.w2(), lw.w3()}) {
                all &= m.takesInt8Prompts();
            }
        }
        this.int8Prompts = all;
        if (group != null && group.rank() == 0) {
            cache.tell(group, this);
            group.created(this, maxBatch, maxSeqLen, contextSize, keyType, valueType);
        }
    }

    public ModelConfig config() {
        return c;
    }

    /** The weights this model computes with (of a split model, this rank's part). */
    public LlamaWeights weights() {
        return w;
    }

    public KVCache cache() {
        return cache;
    }

    /** Rows of {@link #forward(int[][], int, boolean)}. */
    public int maxBatch() {
        return maxBatch;
    }

    /** Positions one sequence may hold. */
    public int maxSeqLen() {
        return cache.maxSeqLen();
    }

    /**
     * Frees the KV memory of the lock-step rows ({@link #forward(int[][], int, boolean)}); the sequences of
     * {@link #newSequence} are their users' to close. The weights stay open.
     */
    @Override
    public void close() {
        for (int b = 0; b < rows.length; b++) {
            if (rows[b] != null) {
                rows[b].close();
                rows[b] = null;
            }
        }
    }

    /** A new, empty sequence in this model's KV cache; close it to give its room back. */
    public Sequence newSequence() {
        return cache.newSequence();
    }

    /**
     * Tokens to append to a sequence in one {@link #forward(List)} step.
     *
     * @param allLogits logits for every one of the tokens, not only the last
     */
    public record Entry(Sequence sequence, int[] tokens, boolean allLogits) {
        public Entry(Sequence sequence, int[] tokens) {
            this(sequence, tokens, false);
        }
    }

    /**
     * Runs {@code tokens[b]} (all rows the same length T) at positions {@code startPos .. startPos+T-1} of row b's
     * sequence (cut back to {@code startPos} first), Meta's lock-step batch.
     *
     * @param allPositions logits for every position ({@code [B][T*vocab]}, fresh arrays) or only the last
     *                     ({@code [B][vocab]}, reused buffers valid until the next call)
     */
    public float[][] forward(int[][] tokens, int startPos, boolean allPositions) {
        int batch = tokens.length;
        if (batch == 0 || batch > maxBatch) {
            throw new LlamaException("batch of " + batch + " rows, the KV cache holds " + maxBatch);
        }
        int seq = tokens[0].length;
        if (seq == 0 || startPos < 0 || startPos + seq > cache.maxSeqLen()) {
            throw new LlamaException("positions " + startPos + ".." + (startPos + seq - 1)
                    + " do not fit max_seq_len " + cache.maxSeqLen());
        }
        List<Entry> entries = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            if (tokens[b].length != seq) {
                throw new IllegalArgumentException("batch rows differ in length");
            }
            if (rows[b] == null) {
                rows[b] = cache.newSequence();
            }
            if (rows[b].length() < startPos) {
                throw new IllegalArgumentException("row " + b + " holds " + rows[b].length()
                        + " positions: it cannot go on at position " + startPos);
            }
            rows[b].truncate(startPos);
            entries.add(new Entry(rows[b], tokens[b], allPositions));
        }
        return forward(entries);
    }

    /**
     * One step over several sequences: each entry's tokens go at its sequence's next positions, and are appended to
     * it. Entries of several tokens (prompts) go through the weights together in the tiled product, entries of one
     * token (decoding) each through its own matrix-vector product; where every product is an int8 batch (each
     * vector the bits of its own matrix-vector product), all of them in one pass over the weights. Attention is per
     * entry, over its own sequence. So an entry's logits are the same, bit for bit, whatever else is in the step.
     *
     * @return per entry, the logits of its last token ({@code [vocab]}, reused buffers valid until the next call),
     *         or of all its tokens ({@code [T*vocab]}, fresh arrays) where it asks for them
     */
    public float[][] forward(List<Entry> entries) {
        int count = entries.size();
        if (count == 0) {
            throw new IllegalArgumentException("no entries");
        }
        int prompts = 0;
        for (int i = 0; i < count; i++) {
            Entry e = entries.get(i);
            checkEntry(e, entries, i);
            prompts += e.tokens().length > 1 ? 1 : 0;
        }
        for (Entry e : entries) {
            e.sequence().ensureCapacity(e.sequence().length() + e.tokens().length);
        }
        float[][] logits = new float[count][];
        int promptCount = prompts;
        Runnable step = () -> Parallel.using(workers, () -> compute(entries, promptCount, logits));
        if (group != null) {
            group.step(this, entries, step);
        } else {
            step.run();
        }
        for (Entry e : entries) {
            e.sequence().appended(e.tokens());
        }
        return logits;
    }

    /** The step's products and attention, its logits into {@code logits}; the sequences not yet appended to. */
    private void compute(List<Entry> entries, int prompts, float[][] logits) {
        int count = entries.size();
        int[] several = members(entries, true);
        int[] single = members(entries, false);
        if (int8Prompts && prompts > 0 && prompts < count) {
            // every product gives each vector its own bits: prompts and decoding in one pass over the weights
            int[] all = Arrays.copyOf(several, count);
            System.arraycopy(single, 0, all, prompts, single.length);
            run(entries, all, prompts, logits);
        } else {
            if (prompts > 0) {
                run(entries, several, prompts, logits);
            }
            if (prompts < count) {
                run(entries, single, 0, logits);
            }
        }
    }

    private void checkEntry(Entry e, List<Entry> entries, int index) {
        Sequence s = e.sequence();
        if (!s.belongsTo(cache)) {
            throw new IllegalArgumentException("the sequence of entry " + index + " belongs to another model");
        }
        s.checkOpen();
        for (int j = 0; j < index; j++) {
            if (entries.get(j).sequence() == s) {
                throw new IllegalArgumentException("entries " + j + " and " + index + " are the same sequence");
            }
        }
        int len = e.tokens().length;
        if (len == 0) {
            throw new LlamaException("entry " + index + " has no tokens");
        }
        if (s.length() + len > cache.maxSeqLen()) {
            throw new LlamaException("positions " + s.length() + ".." + (s.length() + len - 1)
                    + " do not fit max_seq_len " + cache.maxSeqLen());
        }
        for (int id : e.tokens()) {
            if (id < 0 || id >= vocab) {
                throw new LlamaException("token id " + id + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
        }
    }

    /** The indices of the entries of several tokens (prompts) or of those of one. */
    private static int[] members(List<Entry> entries, boolean several) {
        int[] out = new int[entries.size()];
        int g = 0;
        for (int i = 0; i < entries.size(); i++) {
            if ((entries.get(i).tokens().length > 1) == several) {
                out[g++] = i;
            }
        }
        return Arrays.copyOf(out, g);
    }

    /**
     * The entries at {@code members} (the first {@code prompts} of them of several tokens, the rest of one): every
     * layer for all their vectors, then their logits into {@code logits} at the entries' indices.
     */
    private void run(List<Entry> entries, int[] members, int prompts, float[][] logits) {
        int groupSize = members.length;
        boolean tiled = prompts > 0;
        int n = 0;
        for (int member : members) {
            n += entries.get(member).tokens().length;
        }
        int dim = c.dim();
        Buffers buf = buffers(n);
        float[] x = buf.x;
        float[] xb = buf.xb;
        float[] q = buf.q;
        float[] k = buf.k;
        float[] v = buf.v;
        Sequence[] vecSeq = buf.vecSeq;
        int[] vecPos = buf.vecPos;
        int[] firstVec = new int[groupSize + 1];
        for (int g = 0, i = 0; g < groupSize; g++) {
            Entry e = entries.get(members[g]);
            firstVec[g] = i;
            int start = e.sequence().length();
            for (int t = 0; t < e.tokens().length; t++, i++) {
                vecSeq[i] = e.sequence();
                vecPos[i] = start + t;
                embed(e.tokens()[t], x, i * dim);
            }
            firstVec[g + 1] = i;
        }
        reduce(x, n * dim);
        // the element-wise steps between the matrix products run in parallel over vectors, each fused with its
        // neighbours into one parallel region (residual add + next norm), so that a prompt has no serial stretch
        List<LayerWeights> layers = w.layers();
        float[] firstNorm = layers.getFirst().attentionNorm();
        int vectors = n;
        Parallel.forRange(n, (s, e) -> rmsNorm(x, firstNorm, xb, s, e));
        for (int l = 0; l < layers.size(); l++) {
            LayerWeights lw = layers.get(l);
            int layer = l;
            product(qkvWeights[l], xb, n, buf.qkv, tiled);
            Parallel.forRange(n, (s, e) -> rotateAndCache(layer, q, k, v, vecSeq, vecPos, s, e));
            if (prompts > 0) {
                attention(l, q, buf.att, vecSeq, vecPos, firstVec, 0, prompts, true);
            }
            if (prompts < groupSize) {
                attention(l, q, buf.att, vecSeq, vecPos, firstVec, prompts, groupSize, false);
            }
            product(woWeights[l], buf.att, n, buf.outs, tiled);
            reduce(buf.out, n * dim);
            Parallel.forRange(n, (s, e) -> {
                add(x, buf.out, s * dim, e * dim);
                rmsNorm(x, lw.ffnNorm(), xb, s, e);
            });
            int ffn = lw.w1().rows();
            if (tiled && packedFfn[l]) {
                // the hidden vectors stay in the tiled product's packed layout from w1/w3 through SwiGLU into w2: no
                // transposing store of the largest outputs, no packing of the widest input, and w2 no longer goes
                // through in passes of 256 tokens that each unpack all its weights (figures: docs/performance.md)
                ParallelMatmul.matmulToPacked(upWeights[l], xb, n, buf.h13);
                ParallelMatmul.forPackedRange(ffn, n, (s, e) -> VectorMath.swiglu(buf.h1, buf.h3, s, e));
                ParallelMatmul.matmulPacked(lw.w2(), buf.h1, n, buf.out);
            } else {
                product(upWeights[l], xb, n, buf.h13, tiled);
                Parallel.forRange(n, (s, e) -> VectorMath.swiglu(buf.h1, buf.h3, s * ffn, e * ffn));
                product(downWeights[l], buf.h1, n, buf.outs, tiled);
            }
            reduce(buf.out, n * dim);
            float[] nextNorm = l + 1 < layers.size() ? layers.get(l + 1).attentionNorm() : null;
            Parallel.forRange(n, (s, e) -> {
                add(x, buf.out, s * dim, e * dim);
                if (nextNorm != null) {
                    rmsNorm(x, nextNorm, xb, s, e);
                }
            });
        }
        outputLogits(entries, members, firstVec, vectors, buf, tiled, logits);
    }

    /** Token {@code id}'s embedding into {@code x[off ..]}: of a split model, zeros where another rank holds it. */
    private void embed(int id, float[] x, int off) {
        if (split == null) {
            w.tokenEmbeddings().row(id, x, off);
        } else if (id >= split.vocabFrom() && id < split.vocabTo()) {
            w.tokenEmbeddings().row(id - split.vocabFrom(), x, off);
        } else {
            Arrays.fill(x, off, off + c.dim(), 0f);
        }
    }

    /** Of a split model, {@code x[0 .. len)} summed over the ranks; the partial sums of wo and w2 become whole. */
    private void reduce(float[] x, int len) {
        if (group != null) {
            group.allReduce(x, 0, len);
        }
    }

    /**
     * The logits of {@code rows} vectors ({@code x}) through the output matrix into {@code logits}: of a split
     * model, each rank's slice of the vocabulary gathered on rank 0.
     */
    private void logits(float[] x, int rows, float[] logits) {
        if (split == null) {
            ParallelMatmul.matvecs(outputWeights, x, rows, new float[][] {logits});
            return;
        }
        int size = rows * w.output().rows();
        if (partLogits[0].length < size) {
            partLogits[0] = new float[size];
        }
        ParallelMatmul.matvecs(outputWeights, x, rows, partLogits);
        group.gather(partLogits[0], rows, split.vocabCounts(), logits);
    }

    /**
     * The logits of the group's entries: of their last vectors each through its own matrix-vector product (the same
     * bits whatever else is in the step), or of all an entry's vectors where it asks, from that entry's alone.
     */
    private void outputLogits(List<Entry> entries, int[] members, int[] firstVec, int n, Buffers buf, boolean tiled,
                              float[][] logits) {
        int dim = c.dim();
        int lastOnly = 0;
        boolean anyAll = false;
        for (int member : members) {
            if (entries.get(member).allLogits()) {
                anyAll = true;
            } else {
                lastOnly++;
            }
        }
        if (anyAll) {
            Parallel.forRange(n, (s, e) -> rmsNorm(buf.x, w.norm(), buf.xb, s, e));
            for (int g = 0; g < members.length; g++) {
                Entry e = entries.get(members[g]);
                if (e.allLogits()) {
                    int len = e.tokens().length;
                    float[] xs = Arrays.copyOfRange(buf.xb, firstVec[g] * dim, (firstVec[g] + len) * dim);
                    float[] all = new float[len * vocab];
                    if (split == null) {
                        product(outputWeights, xs, len, new float[][] {all}, tiled);
                    } else {
                        logits(xs, len, all);
                    }
                    logits[members[g]] = all;
                }
            }
        }
        if (lastOnly == 0) {
            return;
        }
        LastBuffers lb = lastBuffers(lastOnly, entries.size());
        int j = 0;
        for (int g = 0; g < members.length; g++) {
            if (!entries.get(members[g]).allLogits()) {
                System.arraycopy(buf.x, (firstVec[g + 1] - 1) * dim, lb.last, j * dim, dim);
                j++;
            }
        }
        rmsNorm(lb.last, w.norm(), lb.lastNorm, 0, lastOnly);
        logits(lb.lastNorm, lastOnly, lb.lastLogits[0]);
        j = 0;
        for (int member : members) {
            if (!entries.get(member).allLogits()) {
                System.arraycopy(lb.lastLogits[0], j * vocab, lb.rowLogits[member], 0, vocab);
                logits[member] = lb.rowLogits[member];
                j++;
            }
        }
    }

    /** Through the tiled product (several vectors of prompts) or one matrix-vector product per vector. */
    private static void product(Matrix[] ms, float[] x, int n, float[][] outs, boolean tiled) {
        if (tiled && n > 1) {
            ParallelMatmul.matmul(ms, x, n, outs);
        } else {
            ParallelMatmul.matvecs(ms, x, n, outs);
        }
    }

    /**
     * Activation buffers, reused across calls so that a decode step allocates nothing; grown when a call brings
     * more vectors than any before.
     */
    private static final class Buffers {
        final int capacity;
        final float[] x, xb, q, k, v, att, out, h1, h3;
        final float[][] qkv, h13, outs;
        final Sequence[] vecSeq;
        final int[] vecPos;
        final int[] blockVec, blockLen;

        Buffers(ModelConfig c, int n, int qDim, int kvDim) {
            capacity = n;
            x = new float[n * c.dim()];
            xb = new float[n * c.dim()];
            q = new float[n * qDim];
            k = new float[n * kvDim];
            v = new float[n * kvDim];
            att = new float[n * qDim];
            out = new float[n * c.dim()];
            // token-major, or in the tiled product's packed layout
            int hidden = Math.max(n * c.ffnDim(), ParallelMatmul.packedSize(c.ffnDim(), n));
            h1 = new float[hidden];
            h3 = new float[hidden];
            qkv = new float[][] {q, k, v};
            h13 = new float[][] {h1, h3};
            outs = new float[][] {out};
            vecSeq = new Sequence[n];
            vecPos = new int[n];
            blockVec = new int[n];
            blockLen = new int[n];
        }
    }

    /** The last vectors of entries and their logits: {@code rowLogits[i]} is what entry i gets back. */
    private static final class LastBuffers {
        final int entries;
        final float[] last, lastNorm;
        final float[][] lastLogits;
        final float[][] rowLogits;

        LastBuffers(ModelConfig c, int entries, int vocab) {
            this.entries = entries;
            last = new float[entries * c.dim()];
            lastNorm = new float[entries * c.dim()];
            lastLogits = new float[][] {new float[entries * vocab]};
            rowLogits = new float[entries][vocab];
        }
    }

    private Buffers buffers;
    private LastBuffers lastBuffers;

    private Buffers buffers(int n) {
        if (buffers == null || buffers.capacity < n) {
            buffers = new Buffers(c, n, qDim, kvDim);
        }
        return buffers;
    }

    private LastBuffers lastBuffers(int lastOnly, int entries) {
        int needed = Math.max(lastOnly, entries);
        if (lastBuffers == null || lastBuffers.entries < needed) {
            lastBuffers = new LastBuffers(c, needed, vocab);
        }
        return lastBuffers;
    }

    /**
     * Causal attention of every (vector, head) over its sequence's cached keys/values up to its position. Query head
     * h reads KV head h / (nHeads / nKvHeads) (Meta's repeat_kv). softmax(q.k / sqrt(hd)) . v, float32. A task is
     * one vector's group of query heads that share a KV head ({@link Attention#group}: they read its keys and values
     * together), or in a prompt a block of an entry's consecutive tokens' groups ({@link Attention#block}: scored
     * together).
     *
     * <p>A vector's cost grows with its position, so the threads' contiguous task ranges walk the vectors (blocks)
     * folded (first, last, second, second to last, ...): every range holds early and late ones alike.
     */
    private void attention(int layer, float[] q, float[] att, Sequence[] vecSeq, int[] vecPos, int[] firstVec,
                           int memberFrom, int memberTo, boolean tiled) {
        int hd = c.headDim();
        int dim = qDim;
        int kvHeads = this.kvHeads;
        int blockTokens = Attention.blockTokens(maxQueries, hd);
        // float32 keys and values are read where they lie; other types are unpacked per head into scratch
        boolean direct = cache.keyType() == CacheType.F32 && cache.valueType() == CacheType.F32;
        if (tiled && blockTokens > 0) {
            // a prompt: blocks of an entry's consecutive tokens, folded as below (Attention.block reads each key and
            // value once per block of tokens; figures: docs/performance.md)
            int[] blockVec = buffers.blockVec;
            int[] blockLen = buffers.blockLen;
            int blocks = 0;
            for (int g = memberFrom; g < memberTo; g++) {
                int len = firstVec[g + 1] - firstVec[g];
                int size = Math.min(len, blockTokens);
                for (int t0 = 0; t0 < len; t0 += size) {
                    blockVec[blocks] = firstVec[g] + t0;
                    blockLen[blocks] = Math.min(size, len - t0);
                    blocks++;
                }
            }
            int total = blocks;
            Parallel.forRange(total * kvHeads, (from, to) -> {
                for (int task = from; task < to; task++) {
                    int kh = task % kvHeads;
                    int j = task / kvHeads;
                    int blk = j % 2 == 0 ? j / 2 : total - 1 - j / 2;
                    int i = blockVec[blk];
                    Sequence s = vecSeq[i];
                    int qOff = i * dim + kvFirstQuery[kh] * hd;
                    int len = vecPos[i] + blockLen[blk];
                    long at = direct ? s.headOffset(layer, kh) : 0;
                    Attention.block(q, qOff, dim, blockLen[blk], kvQueries[kh],
                            direct ? s.keyLayer(layer) : s.keys(layer, kh, len, KEYS),
                            direct ? s.valueLayer(layer) : s.values(layer, kh, len, VALUES), at, hd, hd, vecPos[i],
                            attentionScale, att, qOff);
                }
            });
            return;
        }
        int v0 = firstVec[memberFrom];
        int n = firstVec[memberTo] - v0;
        int longest = 0;
        for (int i = v0; i < v0 + n; i++) {
            longest = Math.max(longest, vecPos[i] + 1);
        }
        int scoresLength = maxQueries * longest;
        Parallel.forRange(n * kvHeads, (from, to) -> {
            float[] scores = SCORES.get(scoresLength);
            for (int task = from; task < to; task++) {
                int kh = task % kvHeads;
                int j = task / kvHeads;
                int i = v0 + (j % 2 == 0 ? j / 2 : n - 1 - j / 2);
                Sequence s = vecSeq[i];
                int qOff = i * dim + kvFirstQuery[kh] * hd;
                int len = vecPos[i] + 1;
                long at = direct ? s.headOffset(layer, kh) : 0;
                Attention.group(q, qOff, kvQueries[kh], direct ? s.keyLayer(layer) : s.keys(layer, kh, len, KEYS),
                        direct ? s.valueLayer(layer) : s.values(layer, kh, len, VALUES), at, hd, hd, len,
                        attentionScale, scores, att, qOff);
            }
        });
    }

    /** Per-thread attention scores: the forward pass allocates nothing per token. */
    private static final ScratchFloats SCORES = new ScratchFloats();
    /** Per-thread keys and values of a quantized cache, unpacked to floats. */
    private static final ScratchFloats KEYS = new ScratchFloats();
    private static final ScratchFloats VALUES = new ScratchFloats();

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

    /** RoPE on the queries and keys of vectors [from, to), whose keys and values then go into their sequences. */
    private void rotateAndCache(int layer, float[] q, float[] k, float[] v, Sequence[] vecSeq, int[] vecPos,
                                int from, int to) {
        for (int i = from; i < to; i++) {
            int pos = vecPos[i];
            rope.apply(q, i * qDim, qHeads, pos);
            rope.apply(k, i * kvDim, kvHeads, pos);
            vecSeq[i].store(layer, pos, k, i * kvDim, v, i * kvDim);
        }
    }
}
