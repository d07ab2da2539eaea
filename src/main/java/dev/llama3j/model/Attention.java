package dev.llama3j.model;

import dev.llama3j.tensor.VectorMath;

import java.util.Arrays;

/** One query head attending over cached positions: {@code softmax(q . k / scale) . v} in float32, as model.py. */
public final class Attention {
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
        float max = Float.NEGATIVE_INFINITY;
        for (p = 0; p < len; p++) {
            scores[p] /= scale;
            max = Math.max(max, scores[p]);
        }
        VectorMath.expShifted(scores, max, len);
        float sum = 0f;
        for (p = 0; p < len; p++) {
            sum += scores[p];
        }
        Arrays.fill(out, outOff, outOff + hd, 0f);
        for (p = 0; p < len; p++) {
            VectorMath.axpy(scores[p] / sum, values, p * kvDim + kvOff, out, outOff, hd);
        }
    }
}
