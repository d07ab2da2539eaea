package dev.llama3j.model;

import dev.llama3j.tensor.VectorMath;

/** Meta's RMSNorm: {@code x * rsqrt(mean(x^2) + eps) * weight}, the mean of squares summed in double. */
public final class RmsNorm {
    private RmsNorm() {}

    /** {@code out[outOff ..] = rmsnorm(x[xOff .. xOff + weight.length))}; out may be x. */
    public static void apply(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff) {
        int dim = weight.length;
        double ss = VectorMath.sumOfSquares(x, xOff, dim);
        float scale = (float) (1.0 / Math.sqrt((float) (ss / dim) + eps));
        VectorMath.scaleMul(x, xOff, scale, weight, out, outOff, dim);
    }
}
