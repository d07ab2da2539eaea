package dev.llama3j.model;

import dev.llama3j.tensor.ScratchFloats;
import dev.llama3j.tensor.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/** Query heads attending over cached positions: {@code softmax(q . k / scale) . v} in float32, as model.py. */
public final class Attention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Attention() {}

    /**
     * Head {@code q[qOff .. qOff + hd)} over positions {@code 0 .. len} of a cache laid out position-major
     * ({@code kvDim} floats per position, this head's KV slice at {@code kvOff}); the result goes to
     * {@code out[outOff .. outOff + hd)}. {@code scores} is scratch of at least len floats. Keys are scored four at a
     * time ({@link VectorMath#dot4}, bit-identical to one by one).
     */
    public static void head(float[] q, int qOff, float[] keys, float[] values, int kvOff, int kvDim, int hd, int len,
                            float scale, float[] scores, float[] out, int outOff) {
        int p = 0;
        for (; p + 4 <= len; p += 4) {
            VectorMath.dot4(q, qOff, keys, p * kvDim + kvOff, kvDim, hd, scores, p);
        }
        for (; p < len; p++) {
            scores[p] = VectorMath.dot(q, qOff, keys, p * kvDim + kvOff, hd);
        }
        softmax(scores, 0, len, scale);
        Arrays.fill(out, outOff, outOff + hd, 0f);
        for (p = 0; p < len; p++) {
            VectorMath.axpy(scores[p], values, p * kvDim + kvOff, out, outOff, hd);
        }
    }

    /**
     * {@link #head} for the {@code heads} query heads that share one KV head (grouped-query attention), at
     * {@code q[qOff + g * hd ..]} and {@code out[outOff + g * hd ..]}; {@code scores} holds at least
     * {@code heads * len} floats. Bit-identical to calling {@link #head} per head, but four heads at a time read each
     * key and value once instead of four times: a prompt's attention is bound by those reads (a head's keys and
     * values come from L2, one 256-byte slice every 2 KB), not by its arithmetic. Four heads of 64 or 128, 512
     * positions, one thread: x1.38-1.41 over four head() calls (paired rounds in one JVM).
     */
    public static void group(float[] q, int qOff, int heads, float[] keys, float[] values, int kvOff, int kvDim,
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
    private static void quad(float[] q, int qOff, float[] keys, float[] values, int kvOff, int kvDim, int hd,
                             int len, float scale, float[] scores, float[] out, int outOff) {
        // one key against the four queries: dot4 with the roles swapped sums the same products in the same order
        // as dot(query, key) (an FMA's product does not depend on the order of its factors)
        for (int p = 0; p < len; p++) {
            VectorMath.dot4(keys, p * kvDim + kvOff, q, qOff, hd, hd, scores, 4 * p);
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
        // weighted sum: two vectors of the four outputs stay in registers over all positions, each value vector is
        // loaded once for the four heads; every output element is the FMA chain of head()'s axpy calls, in order
        int l0 = 0, l1 = len, l2 = 2 * len, l3 = 3 * len;
        for (int c = 0; c < hd; c += 2 * F.length()) {
            FloatVector a0 = FloatVector.zero(F), b0 = FloatVector.zero(F);
            FloatVector a1 = FloatVector.zero(F), b1 = FloatVector.zero(F);
            FloatVector a2 = FloatVector.zero(F), b2 = FloatVector.zero(F);
            FloatVector a3 = FloatVector.zero(F), b3 = FloatVector.zero(F);
            for (int p = 0; p < len; p++) {
                int v = p * kvDim + kvOff + c;
                FloatVector va = FloatVector.fromArray(F, values, v);
                FloatVector vb = FloatVector.fromArray(F, values, v + F.length());
                FloatVector w = FloatVector.broadcast(F, s[l0 + p]);
                a0 = va.fma(w, a0);
                b0 = vb.fma(w, b0);
                w = FloatVector.broadcast(F, s[l1 + p]);
                a1 = va.fma(w, a1);
                b1 = vb.fma(w, b1);
                w = FloatVector.broadcast(F, s[l2 + p]);
                a2 = va.fma(w, a2);
                b2 = vb.fma(w, b2);
                w = FloatVector.broadcast(F, s[l3 + p]);
                a3 = va.fma(w, a3);
                b3 = vb.fma(w, b3);
            }
            int o = outOff + c;
            a0.intoArray(out, o);
            b0.intoArray(out, o + F.length());
            a1.intoArray(out, o + hd);
            b1.intoArray(out, o + hd + F.length());
            a2.intoArray(out, o + 2 * hd);
            b2.intoArray(out, o + 2 * hd + F.length());
            a3.intoArray(out, o + 3 * hd);
            b3.intoArray(out, o + 3 * hd + F.length());
        }
    }

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
}
