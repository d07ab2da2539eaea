package dev.llama3j.model;

import dev.llama3j.tensor.Exp;
import dev.llama3j.tensor.VectorMath;
import dev.llama3j.tensor.kernel.ScratchFloats;
import dev.llama3j.tensor.kernel.Vectors;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Query heads attending over cached positions: {@code softmax(q . k / scale) . v} in float32, as model.py. Keys and
 * values are float32 in memory segments (a sequence's cache, off the Java heap); their offsets and strides count
 * floats.
 */
public final class Attention {
    private static final VectorSpecies<Float> F = Vectors.F;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Attention() {}

    /**
     * Head {@code q[qOff .. qOff + hd)} over positions {@code 0 .. len} of a cache laid out position-major
     * ({@code kvDim} floats per position, this head's KV slice at {@code kvOff}); the result goes to
     * {@code out[outOff .. outOff + hd)}. {@code scores} is scratch of at least len floats. Keys are scored four at a
     * time ({@link #dot4Keys}, bit-identical to one by one).
     */
    public static void head(float[] q, int qOff, MemorySegment keys, MemorySegment values, long kvOff, int kvDim, int hd, int len,
                            float scale, float[] scores, float[] out, int outOff) {
        int p = 0;
        for (; p + 4 <= len; p += 4) {
            dot4Keys(q, qOff, keys, (long) p * kvDim + kvOff, kvDim, hd, scores, p);
        }
        for (; p < len; p++) {
            scores[p] = dot(q, qOff, keys, (long) p * kvDim + kvOff, hd);
        }
        softmax(scores, 0, len, scale);
        Arrays.fill(out, outOff, outOff + hd, 0f);
        for (p = 0; p < len; p++) {
            axpy(scores[p], values, (long) p * kvDim + kvOff, out, outOff, hd);
        }
    }

    /**
     * {@link #head} for the {@code heads} query heads that share one KV head (grouped-query attention), at
     * {@code q[qOff + g * hd ..]} and {@code out[outOff + g * hd ..]}; {@code scores} holds at least
     * {@code heads * len} floats. Bit-identical to calling {@link #head} per head, but four heads at a time read each
     * key and value once instead of four times: a prompt's attention is bound by those reads (a head's keys and
     * values come from L2, one 256-byte slice every 2 KB), not by its arithmetic (figures: docs/performance.md).
     */
    public static void group(float[] q, int qOff, int heads, MemorySegment keys, MemorySegment values, long kvOff, int kvDim,
                             int hd, int len, float scale, float[] scores, float[] out, int outOff) {
        int g = 0;
        if (hd % (2 * F.length()) == 0) {
            for (; g + 4 <= heads; g += 4) {
                quad(q, qOff + g * hd, keys, values, kvOff, kvDim, hd, len, scale, scores, out, outOff + g * hd);
            }
        }
        for (; g < heads; g++) {
            head(q, qOff + g * hd, keys, values, kvOff, kvDim, hd, len, scale, scores, out, outOff + g * hd);
        }
    }

    /**
     * {@link #group} of four heads (hd a multiple of two vectors): their scores land position-major in
     * {@code scores[0 .. 4 len)}, then head-major in a per-thread buffer for the softmax and the weighted sum.
     */
    private static void quad(float[] q, int qOff, MemorySegment keys, MemorySegment values, long kvOff, int kvDim, int hd,
                             int len, float scale, float[] scores, float[] out, int outOff) {
        // one key against the four queries: dot4 with the roles swapped sums the same products in the same order
        // as dot(query, key) (an FMA's product does not depend on the order of its factors)
        for (int p = 0; p < len; p++) {
            dot4Queries(keys, (long) p * kvDim + kvOff, q, qOff, hd, scores, 4 * p);
        }
        // scores arrive position-major (4p + j); each head's softmax wants its own run
        float[] s = SCORES.get(4 * len);
        for (int p = 0; p < len; p++) {
            for (int j = 0; j < 4; j++) {
                s[j * len + p] = scores[4 * p + j];
            }
        }
        for (int j = 0; j < 4; j++) {
            softmax(s, j * len, len, scale);
        }
        weightedSums4(s, 0, len, 1, len, values, kvOff, kvDim, hd, out, outOff, outOff + hd, outOff + 2 * hd,
                outOff + 3 * hd);
    }

    /**
     * The weighted sums of the values for four columns of weights: {@code out[o_i + d] = sum_p s[w0 + i * wStep + p *
     * ws] * values[p * kvDim + kvOff + d]} for p < positions, d < hd and i < 4; a negative {@code o_i} is computed and
     * dropped. Two vectors of each of the four outputs stay in registers over all positions and each value vector is
     * loaded once for the four; every output element is the FMA chain of head()'s axpy calls, in order.
     */
    private static void weightedSums4(float[] s, int w0, int wStep, int ws, int positions, MemorySegment values, long kvOff,
                                      int kvDim, int hd, float[] out, int o0, int o1, int o2, int o3) {
        int lanes = F.length();
        for (int c = 0; c < hd; c += 2 * lanes) {
            FloatVector a0 = FloatVector.zero(F), b0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F), b1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F), b2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F), b3 = FloatVector.zero(F);
            for (int p = 0; p < positions; p++) {
                long v = 4 * (p * (long) kvDim + kvOff + c);
                int w = w0 + p * ws;
                FloatVector va = FloatVector.fromMemorySegment(F, values, v, ORDER);
                FloatVector vb = FloatVector.fromMemorySegment(F, values, v + 4L * lanes, ORDER);
                FloatVector weight = FloatVector.broadcast(F, s[w]);
                a0 = va.fma(weight, a0);
                b0 = vb.fma(weight, b0);
                weight = FloatVector.broadcast(F, s[w + wStep]);
                a1 = va.fma(weight, a1);
                b1 = vb.fma(weight, b1);
                weight = FloatVector.broadcast(F, s[w + 2 * wStep]);
                a2 = va.fma(weight, a2);
                b2 = vb.fma(weight, b2);
                weight = FloatVector.broadcast(F, s[w + 3 * wStep]);
                a3 = va.fma(weight, a3);
                b3 = vb.fma(weight, b3);
            }
            store(a0, b0, out, o0, c);
            store(a1, b1, out, o1, c);
            store(a2, b2, out, o2, c);
            store(a3, b3, out, o3, c);
        }
    }

    private static void store(FloatVector a, FloatVector b, float[] out, int o, int c) {
        if (o >= 0) {
            a.intoArray(out, o + c);
            b.intoArray(out, o + c + F.length());
        }
    }

    /** Query vectors that {@link #block} scores together: two vectors of lanes, the matrix product's tile width. */
    static final int BLOCK_VECTORS = 2 * F.length();

    /**
     * Tokens per {@link #block} for {@code heads} query heads per KV head, or 0 when {@link #block} does not apply
     * (more heads than {@link #BLOCK_VECTORS}, or a head size that is not a multiple of two vectors).
     */
    public static int blockTokens(int heads, int hd) {
        return hd % (2 * F.length()) == 0 ? BLOCK_VECTORS / heads : 0;
    }

    /**
     * A prompt's attention for {@code tokens} consecutive positions {@code pos0 .. pos0 + tokens - 1} of one sequence
     * and the {@code heads} query heads that share one KV head: token i's head g is at
     * {@code q[qOff + i * stride + g * hd ..]}, its result goes to {@code out[outOff + i * stride + g * hd ..]}, and
     * it attends over cached positions {@code 0 .. pos0 + i}. At most {@link #blockTokens} tokens.
     *
     * <p>The same arithmetic as {@link #group} in another order. {@link #group} scores one key at a time against four
     * queries, each score a sum of products across lanes; here the tokens * heads query vectors (up to
     * {@link #BLOCK_VECTORS}) are transposed once so that lane j holds vector j, and four keys at a time meet them in
     * 8 register accumulators, the matrix product's micro-kernel: no horizontal sums, each key element loaded once
     * for all the vectors. The softmax then runs across the vectors, one lane each (a later token's extra positions
     * masked out), and the values are weighted as in {@link #quad} ({@link #weightedSums4}), four vectors at a time.
     */
    public static void block(float[] q, int qOff, int stride, int tokens, int heads, MemorySegment keys,
                             MemorySegment values, long kvOff, int kvDim, int hd, int pos0, float scale, float[] out,
                             int outOff) {
        int width = BLOCK_VECTORS;
        int vectors = tokens * heads;
        int len = pos0 + tokens;
        float[] qt = BLOCK_QUERIES.get(hd * width);
        for (int j = 0; j < width; j++) {
            int src = qOff + j / heads * stride + j % heads * hd;
            for (int d = 0; d < hd; d++) {
                qt[d * width + j] = j < vectors ? q[src + d] : 0f;
            }
        }
        float[] s = BLOCK_SCORES.get(((len + 3) & ~3) * width);
        for (int p = 0; p < len; p += 4) {
            // a last group past len repeats the last key; those scores are never read
            scoreTile(keys, (long) p * kvDim + kvOff, (long) Math.min(p + 1, len - 1) * kvDim + kvOff,
                    (long) Math.min(p + 2, len - 1) * kvDim + kvOff, (long) Math.min(p + 3, len - 1) * kvDim + kvOff,
                    hd, qt, s, p * width);
        }
        softmaxAcross(s, len, pos0, heads, scale);
        for (int j0 = 0; j0 < vectors; j0 += 4) {
            // positions that the last token among these four vectors reads; earlier tokens' extra weights are zero
            int positions = pos0 + Math.min(j0 + 3, vectors - 1) / heads + 1;
            weightedSums4(s, j0, 1, width, positions, values, kvOff, kvDim, hd, out,
                    output(j0, vectors, heads, stride, hd, outOff), output(j0 + 1, vectors, heads, stride, hd, outOff),
                    output(j0 + 2, vectors, heads, stride, hd, outOff),
                    output(j0 + 3, vectors, heads, stride, hd, outOff));
        }
    }

    /** Where query vector j of a {@link #block} puts its result, or -1 for a padding vector. */
    private static int output(int j, int vectors, int heads, int stride, int hd, int outOff) {
        return j < vectors ? outOff + j / heads * stride + j % heads * hd : -1;
    }

    /**
     * {@code s[so + i * width + j] = sum_d keys[k_i + d] * qt[d * width + j]} for the four keys i and the
     * {@link #BLOCK_VECTORS} vectors j: a broadcast key element meets two vectors of queries.
     */
    private static void scoreTile(MemorySegment keys, long k0, long k1, long k2, long k3, int hd, float[] qt,
                                  float[] s, int so) {
        int lanes = F.length();
        int width = BLOCK_VECTORS;
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        for (int d = 0; d < hd; d++) {
            FloatVector x0 = FloatVector.fromArray(F, qt, d * width);
            FloatVector x1 = FloatVector.fromArray(F, qt, d * width + lanes);
            FloatVector v = FloatVector.broadcast(F, keys.getAtIndex(FLOAT, k0 + d));
            c00 = v.fma(x0, c00);
            c01 = v.fma(x1, c01);
            v = FloatVector.broadcast(F, keys.getAtIndex(FLOAT, k1 + d));
            c10 = v.fma(x0, c10);
            c11 = v.fma(x1, c11);
            v = FloatVector.broadcast(F, keys.getAtIndex(FLOAT, k2 + d));
            c20 = v.fma(x0, c20);
            c21 = v.fma(x1, c21);
            v = FloatVector.broadcast(F, keys.getAtIndex(FLOAT, k3 + d));
            c30 = v.fma(x0, c30);
            c31 = v.fma(x1, c31);
        }
        c00.intoArray(s, so);
        c01.intoArray(s, so + lanes);
        c10.intoArray(s, so + width);
        c11.intoArray(s, so + width + lanes);
        c20.intoArray(s, so + 2 * width);
        c21.intoArray(s, so + 2 * width + lanes);
        c30.intoArray(s, so + 3 * width);
        c31.intoArray(s, so + 3 * width + lanes);
    }

    /**
     * {@link #softmax} of every column j of {@code s[p * width + j]}, p in [0, len), the column of token j / heads
     * running to position {@code pos0 + j / heads}: its later positions get weight 0. Lane by lane, each column sees
     * the operations of {@link #softmax} in the same order (divide, max, exp of the difference, a sum from the first
     * position on, divide), exp by {@link Exp}.
     */
    private static void softmaxAcross(float[] s, int len, int pos0, int heads, float scale) {
        int lanes = F.length();
        int width = BLOCK_VECTORS;
        FloatVector max0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        FloatVector max1 = max0;
        for (int p = 0; p < len; p++) {
            FloatVector a = FloatVector.fromArray(F, s, p * width).div(scale);
            FloatVector b = FloatVector.fromArray(F, s, p * width + lanes).div(scale);
            a.intoArray(s, p * width);
            b.intoArray(s, p * width + lanes);
            if (p > pos0) {
                // lane j is past its token's last position pos0 + j / heads exactly when j < (p - pos0) * heads
                a = a.blend(Float.NEGATIVE_INFINITY, F.indexInRange(0, (p - pos0) * heads));
                b = b.blend(Float.NEGATIVE_INFINITY, F.indexInRange(lanes, (p - pos0) * heads));
            }
            max0 = max0.max(a);
            max1 = max1.max(b);
        }
        FloatVector sum0 = FloatVector.zero(F);
        FloatVector sum1 = FloatVector.zero(F);
        for (int p = 0; p < len; p++) {
            FloatVector a = Exp.vector(FloatVector.fromArray(F, s, p * width).sub(max0));
            FloatVector b = Exp.vector(FloatVector.fromArray(F, s, p * width + lanes).sub(max1));
            if (p > pos0) {
                a = a.blend(0f, F.indexInRange(0, (p - pos0) * heads));
                b = b.blend(0f, F.indexInRange(lanes, (p - pos0) * heads));
            }
            a.intoArray(s, p * width);
            b.intoArray(s, p * width + lanes);
            sum0 = sum0.add(a);
            sum1 = sum1.add(b);
        }
        for (int p = 0; p < len; p++) {
            FloatVector.fromArray(F, s, p * width).div(sum0).intoArray(s, p * width);
            FloatVector.fromArray(F, s, p * width + lanes).div(sum1).intoArray(s, p * width + lanes);
        }
    }

    /** Per-thread transposed queries and scores of {@link #block}. */
    private static final ScratchFloats BLOCK_QUERIES = new ScratchFloats();
    private static final ScratchFloats BLOCK_SCORES = new ScratchFloats();

    /** Per-thread reordered scores of {@link #quad}. */
    private static final ScratchFloats SCORES = new ScratchFloats();

    /**
     * {@code x[off .. off + len)} divided by {@code scale}, then softmax'd in place as model.py: exp(x - max), each
     * divided by the sum of them all (added left to right).
     */
    private static void softmax(float[] x, int off, int len, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int p = off; p < off + len; p++) {
            x[p] /= scale;
            max = Math.max(max, x[p]);
        }
        VectorMath.expShifted(x, off, max, len);
        float sum = 0f;
        for (int p = off; p < off + len; p++) {
            sum += x[p];
        }
        for (int p = off; p < off + len; p++) {
            x[p] /= sum;
        }
    }

    /** {@code sum q[qOff + i] * keys[kOff + i]} for i in [0, n), in {@link VectorMath#dot}'s order. */
    static float dot(float[] q, int qOff, MemorySegment keys, long kOff, int n) {
        int i = 0;
        float sum = 0f;
        if (n >= F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                acc = FloatVector.fromArray(F, q, qOff + i).fma(key(keys, kOff + i), acc);
            }
            sum = Vectors.sum(acc);
        }
        for (; i < n; i++) {
            sum += q[qOff + i] * keys.getAtIndex(FLOAT, kOff + i);
        }
        return sum;
    }

    /**
     * {@code out[oo + j] = dot(q, qOff, keys, kOff + j * stride, n)} for j in [0, 4), each summed in exactly the
     * order of {@link #dot}: four independent FMA chains instead of one, which would wait on the FMA latency.
     */
    static void dot4Keys(float[] q, int qOff, MemorySegment keys, long kOff, int stride, int n, float[] out, int oo) {
        if (n < F.length()) {
            for (int j = 0; j < 4; j++) {
                out[oo + j] = dot(q, qOff, keys, kOff + (long) j * stride, n);
            }
            return;
        }
        long k1 = kOff + stride, k2 = k1 + stride, k3 = k2 + stride;
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F), acc3 = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector vq = FloatVector.fromArray(F, q, qOff + i);
            acc0 = vq.fma(key(keys, kOff + i), acc0);
            acc1 = vq.fma(key(keys, k1 + i), acc1);
            acc2 = vq.fma(key(keys, k2 + i), acc2);
            acc3 = vq.fma(key(keys, k3 + i), acc3);
        }
        float s0 = Vectors.sum(acc0), s1 = Vectors.sum(acc1);
        float s2 = Vectors.sum(acc2), s3 = Vectors.sum(acc3);
        for (; i < n; i++) {
            float x = q[qOff + i];
            s0 += x * keys.getAtIndex(FLOAT, kOff + i);
            s1 += x * keys.getAtIndex(FLOAT, k1 + i);
            s2 += x * keys.getAtIndex(FLOAT, k2 + i);
            s3 += x * keys.getAtIndex(FLOAT, k3 + i);
        }
        out[oo] = s0;
        out[oo + 1] = s1;
        out[oo + 2] = s2;
        out[oo + 3] = s3;
    }

    /**
     * {@code out[oo + j] = dot(q, qOff + j * n, keys, kOff, n)} for the four queries j, the same sums in the same
     * order ({@link #dot4Keys} with the roles swapped: an FMA's product does not depend on the order of its factors).
     * Only for n a multiple of the vector length.
     */
    private static void dot4Queries(MemorySegment keys, long kOff, float[] q, int qOff, int n, float[] out, int oo) {
        int q1 = qOff + n, q2 = q1 + n, q3 = q2 + n;
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F), acc3 = FloatVector.zero(F);
        for (int i = 0; i < n; i += F.length()) {
            FloatVector k = key(keys, kOff + i);
            acc0 = k.fma(FloatVector.fromArray(F, q, qOff + i), acc0);
            acc1 = k.fma(FloatVector.fromArray(F, q, q1 + i), acc1);
            acc2 = k.fma(FloatVector.fromArray(F, q, q2 + i), acc2);
            acc3 = k.fma(FloatVector.fromArray(F, q, q3 + i), acc3);
        }
        out[oo] = Vectors.sum(acc0);
        out[oo + 1] = Vectors.sum(acc1);
        out[oo + 2] = Vectors.sum(acc2);
        out[oo + 3] = Vectors.sum(acc3);
    }

    /** {@code y[yo + i] += alpha * x[xo + i]} for i in [0, n), in {@link VectorMath#axpy}'s order. */
    static void axpy(float alpha, MemorySegment x, long xo, float[] y, int yo, int n) {
        int i = 0;
        if (n >= F.length()) {
            FloatVector va = FloatVector.broadcast(F, alpha);
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                key(x, xo + i).fma(va, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) {
            y[yo + i] += alpha * x.getAtIndex(FLOAT, xo + i);
        }
    }

    /** The lanes of {@code seg} from float index {@code at}. */
    private static FloatVector key(MemorySegment seg, long at) {
        return FloatVector.fromMemorySegment(F, seg, 4 * at, ORDER);
    }
}
