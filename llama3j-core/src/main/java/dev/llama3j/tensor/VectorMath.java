package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.Vectors;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vectorized float32 loops on activations (heap arrays): exp, axpy, scale, SwiGLU. */
public final class VectorMath {
    private static final VectorSpecies<Float> F = Vectors.F;

    private VectorMath() {}

    /** {@code x[off+i] = exp(x[off+i] - shift)} for i in [0, n), by {@link Exp} (the same bits in any lane). */
    public static void expShifted(float[] x, int off, float shift, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            Exp.vector(FloatVector.fromArray(F, x, off + i).sub(shift)).intoArray(x, off + i);
        }
        for (; i < n; i++) {
            x[off + i] = Exp.scalar(x[off + i] - shift);
        }
    }

    /** {@code y[yo+i] += alpha * x[xo+i]} for i in [0, n). */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        if (n >= F.length()) {
            FloatVector va = FloatVector.broadcast(F, alpha);
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                FloatVector.fromArray(F, x, xo + i).fma(va, FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    /** {@code sum x[xo+i]^2}, accumulated in float lanes then summed in double. */
    public static double sumOfSquares(float[] x, int xo, int n) {
        int i = 0;
        double sum = 0;
        if (n >= F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                FloatVector v = FloatVector.fromArray(F, x, xo + i);
                acc = v.fma(v, acc);
            }
            sum = Vectors.sum(acc);
        }
        for (; i < n; i++) {
            sum += x[xo + i] * x[xo + i];
        }
        return sum;
    }

    /** {@code out[oo+i] = x[xo+i] * scale * w[i]} for i in [0, n) (RMSNorm's last step). */
    public static void scaleMul(float[] x, int xo, float scale, float[] w, float[] out, int oo, int n) {
        int i = 0;
        if (n >= F.length()) {
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                FloatVector.fromArray(F, x, xo + i).mul(scale).mul(FloatVector.fromArray(F, w, i)).intoArray(out, oo + i);
            }
        }
        for (; i < n; i++) {
            out[oo + i] = (x[xo + i] * scale) * w[i];
        }
    }

    /**
     * SwiGLU's gate, {@code a[i] = silu(a[i]) * b[i] = a[i] / (1 + exp(-a[i])) * b[i]} for i in [from, to), exp by
     * {@link Exp} (within 2 ulps of {@link Math#exp}, far inside float tolerances; the same bits in any lane).
     */
    public static void swiglu(float[] a, float[] b, int from, int to) {
        int i = from;
        for (int bound = from + F.loopBound(to - from); i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, a, i);
            g.div(Exp.vector(g.neg()).add(1f)).mul(FloatVector.fromArray(F, b, i)).intoArray(a, i);
        }
        for (; i < to; i++) {
            float g = a[i];
            a[i] = g / (1.0f + Exp.scalar(-g)) * b[i];
        }
    }
}
