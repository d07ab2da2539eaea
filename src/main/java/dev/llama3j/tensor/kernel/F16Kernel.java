package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.ScratchFloats;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.llama3j.tensor.kernel.Vectors.F;
import static dev.llama3j.tensor.kernel.Vectors.I;
import static dev.llama3j.tensor.kernel.Vectors.LE;
import static dev.llama3j.tensor.kernel.Vectors.S;
import static dev.llama3j.tensor.kernel.Vectors.SHORT_LE;

/**
 * IEEE half-precision weights. The Vector API has no half-to-float conversion, so lanes are widened with
 * the exponent-rebias trick: magnitude bits shifted into float position, times 2^112, which also turns
 * half subnormals into the right float normals; infinities and NaNs get their exponent forced to all ones.
 * <p>
 * A matrix-vector product skips even that: the half's bits moved into float position without the multiply are the
 * weight times 2^-112 exactly (half subnormals become float subnormals, which hold them exactly), so the prepared
 * activations carry the 2^112 instead and every product {@code (w * 2^-112) * (x * 2^112)} is the same real number
 * as {@code w * x}, rounded the same way. Two exceptions take the exact path: activations of magnitude 2^16 or more
 * (their scaled value would overflow) and rows holding an infinity or NaN (which this shortcut turns finite).
 */
public final class F16Kernel implements RowKernel {
    public static final F16Kernel INSTANCE = new F16Kernel();
    private static final float REBIAS = 0x1p112f;

    /** Per-thread buffer for the scaled activations, reused by every matvec on the thread. */
    private static final ScratchFloats PREPARED = new ScratchFloats();

    private F16Kernel() {}

    /**
     * Exact widening: {@link #scaledDown} times 2^112 is every finite half exactly; an infinity or NaN lands at
     * {@code 2^16 <= |v| < 2^17} with its sign and mantissa in place, and gets its exponent forced to all ones.
     */
    static FloatVector load(MemorySegment w, long at) {
        IntVector h = halves(w, at);
        IntVector bits = scaledDown(h).mul(REBIAS).reinterpretAsInts();
        VectorMask<Integer> special = h.lanewise(VectorOperators.AND, 0x7fff).compare(VectorOperators.GE, 0x7c00);
        return bits.blend(bits.lanewise(VectorOperators.OR, 0x7f800000), special).reinterpretAsFloats();
    }

    /** {@code F.length()} halves at byte offset {@code at}, sign-extended to int lanes. */
    private static IntVector halves(MemorySegment w, long at) {
        return (IntVector) ShortVector.fromMemorySegment(S, w, at, LE).convertShape(VectorOperators.S2I, I, 0);
    }

    /**
     * The halves' values times 2^-112, for finite halves: shifting the sign-extended half left by 13 puts its
     * exponent and mantissa in float position and copies of the sign above them, of which the mask keeps the top one.
     */
    private static FloatVector scaledDown(IntVector h) {
        return h.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8FFFFFFF).reinterpretAsFloats();
    }

    /** {@code x * 2^112}, or null (take the exact path) when some {@code |x| >= 2^16} would overflow, or is NaN. */
    @Override
    public float[] prepare(float[] x, int xOff, int n) {
        float[] p = PREPARED.get(n);
        FloatVector max = FloatVector.zero(F);
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, xOff + i);
            max = max.max(v.abs());
            v.mul(REBIAS).intoArray(p, i);
        }
        float m = max.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            m = Math.max(m, Math.abs(x[xOff + i]));
            p[i] = x[xOff + i] * REBIAS;
        }
        return m < 0x1p16f ? p : null;
    }

    /**
     * With {@code prepared} the scaled activations: products of exactly the same values as {@link #dot(MemorySegment,
     * long, float[], int, int)}, four accumulators (two FMAs a cycle of latency four), and a running maximum of the
     * halves' magnitude bits that sends a row with an infinity or NaN back to the exact path.
     */
    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n, float[] prepared) {
        if (prepared == null) {
            return dot(w, off, x, xOff, n);
        }
        int step = F.length();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        IntVector mag = IntVector.zero(I);
        // a plain i < bound loop: C2 then drops the bounds checks from the body (not so with i + 4 * step <= n)
        int bound = n - n % (4 * step);
        int i = 0;
        for (; i < bound; i += 4 * step) {
            // long offsets: with off + 2L * (i + step) the int sum might overflow, and the bounds checks stay
            long at = off + 2L * i;
            IntVector h0 = halves(w, at);
            IntVector h1 = halves(w, at + 2 * step);
            IntVector h2 = halves(w, at + 4 * step);
            IntVector h3 = halves(w, at + 6 * step);
            mag = mag.max(h0.lanewise(VectorOperators.AND, 0x7fff)).max(h1.lanewise(VectorOperators.AND, 0x7fff))
                    .max(h2.lanewise(VectorOperators.AND, 0x7fff)).max(h3.lanewise(VectorOperators.AND, 0x7fff));
            acc0 = scaledDown(h0).fma(FloatVector.fromArray(F, prepared, i), acc0);
            acc1 = scaledDown(h1).fma(FloatVector.fromArray(F, prepared, i + step), acc1);
            acc2 = scaledDown(h2).fma(FloatVector.fromArray(F, prepared, i + 2 * step), acc2);
            acc3 = scaledDown(h3).fma(FloatVector.fromArray(F, prepared, i + 3 * step), acc3);
        }
        for (; i + step <= n; i += step) {
            IntVector h = halves(w, off + 2L * i);
            mag = mag.max(h.lanewise(VectorOperators.AND, 0x7fff));
            acc0 = scaledDown(h).fma(FloatVector.fromArray(F, prepared, i), acc0);
        }
        if (mag.reduceLanes(VectorOperators.MAX) >= 0x7c00) {
            return dot(w, off, x, xOff, n);
        }
        float sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += Float.float16ToFloat(w.get(SHORT_LE, off + 2L * i)) * x[xOff + i];
        }
        return sum;
    }

    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        int step = F.length();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 2 * step <= n; i += 2 * step) {
            acc0 = load(w, off + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
            acc1 = load(w, off + 2L * (i + step)).fma(FloatVector.fromArray(F, x, xOff + i + step), acc1);
        }
        for (; i + step <= n; i += step) {
            acc0 = load(w, off + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += Float.float16ToFloat(w.get(SHORT_LE, off + 2L * i)) * x[xOff + i];
        }
        return sum;
    }

    @Override
    public void unpackFloats(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            load(w, off + 2L * i).intoArray(dst, dstOff + i);
        }
        dequantize(w, off + 2L * i, dst, dstOff + i, n - i);
    }

    @Override
    public void dequantize(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.float16ToFloat(w.get(SHORT_LE, off + 2L * i));
        }
    }
}
