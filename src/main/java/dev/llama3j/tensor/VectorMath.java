package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.Vectors;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vectorized float32 loops on activations (heap arrays): dot, axpy, scale. */
public final class VectorMath {
    private static final VectorSpecies<Float> F = Vectors.F;

    private VectorMath() {}

    /** {@code sum a[ao+i] * b[bo+i]} for i in [0, n). */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        float sum = 0f;
        if (n >= F.length()) {
            FloatVector acc = FloatVector.zero(F);
            for (int bound = F.loopBound(n); i < bound; i += F.length()) {
                acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
            }
            sum = Vectors.sum(acc);
        }
        for (; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /**
     * {@code out[oo + j] = dot(a, ao, b, bo + j * stride, n)} for j in [0, 4), each summed in exactly the order of
     * {@link #dot} (so bit-identical to it): four independent FMA chains instead of one, which would wait on the FMA
     * latency at every step (attention's query against four keys).
     */
    public static void dot4(float[] a, int ao, float[] b, int bo, int stride, int n, float[] out, int oo) {
        if (n < F.length()) {
            for (int j = 0; j < 4; j++) {
                out[oo + j] = dot(a, ao, b, bo + j * stride, n);
            }
            return;
        }
        int b1 = bo + stride, b2 = b1 + stride, b3 = b2 + stride;
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F), acc3 = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector va = FloatVector.fromArray(F, a, ao + i);
            acc0 = va.fma(FloatVector.fromArray(F, b, bo + i), acc0);
            acc1 = va.fma(FloatVector.fromArray(F, b, b1 + i), acc1);
            acc2 = va.fma(FloatVector.fromArray(F, b, b2 + i), acc2);
            acc3 = va.fma(FloatVector.fromArray(F, b, b3 + i), acc3);
        }
        float s0 = Vectors.sum(acc0), s1 = Vectors.sum(acc1);
        float s2 = Vectors.sum(acc2), s3 = Vectors.sum(acc3);
        for (; i < n; i++) {
            s0 += a[ao + i] * b[bo + i];
            s1 += a[ao + i] * b[b1 + i];
            s2 += a[ao + i] * b[b2 + i];
            s3 += a[ao + i] * b[b3 + i];
        }
        out[oo] = s0;
        out[oo + 1] = s1;
        out[oo + 2] = s2;
        out[oo + 3] = s3;
    }

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
