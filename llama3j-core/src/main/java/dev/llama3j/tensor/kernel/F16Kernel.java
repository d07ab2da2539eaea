package dev.llama3j.tensor.kernel;

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

    /** The native product with this kernel's bits at the Java vectors' width, if one runs here. */
    private static final NativeKernels.Isa NATIVE = NativeKernels.floatFor(F.length());

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

    /** Through {@code vcvtph2ps}, which widens a half in one instruction where this class needs several. */
    @Override
    public boolean nativeMatvec(MemorySegment w, long off, long rowBytes, float[] x, int xOff, int n, float[] out,
                                int outOff, int rows) {
        if (NATIVE == NativeKernels.Isa.NONE) {
            return false;
        }
        NativeKernels.f16Matvec(NATIVE, w.asSlice(off), rowBytes, n, x, xOff, out, outOff, rows);
        return true;
    }

    /**
     * One row as {@link #dot2} of the row with itself: a row gets the same bits alone as paired, from one loop. It
     * runs for the odd row of a matrix-vector range only, where reading the row twice (the second time from L1)
     * costs nothing next to the memory stream.
     */
    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n, float[] prepared) {
        return PairedRowDot.dot(this, w, off, x, xOff, n, prepared);
    }

    /**
     * A core streams two rows from memory faster than one: two rows half a matrix chunk apart, read in the same loop,
     * are two streams for the hardware prefetcher (figures: docs/performance.md).
     */
    @Override
    public boolean pairsRows() {
        return true;
    }

    /**
     * With {@code prepared} the scaled activations: products of exactly the same values as {@link #dot(MemorySegment,
     * long, float[], int, int)} for two rows, two accumulators each, and a running maximum of each row's magnitude
     * bits that sends a row with an infinity or NaN back to the exact path. A row from memory is bound by the core's
     * stream, not by FMA latency: two accumulators per row instead of four have the same speed out of cache, and
     * with four per row C2 compiled this loop into a much slower one.
     */
    @Override
    public void dot2(MemorySegment w, long offA, long offB, float[] x, int xOff, int n, float[] prepared,
                     float[] out, int outA, int outB) {
        if (prepared == null) {
            out[outA] = dot(w, offA, x, xOff, n);
            out[outB] = dot(w, offB, x, xOff, n);
            return;
        }
        int step = F.length();
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F);
        FloatVector b1 = FloatVector.zero(F);
        IntVector magA = IntVector.zero(I);
        IntVector magB = IntVector.zero(I);
        // a plain i < bound loop: C2 then drops the bounds checks from the body (not so with i + 2 * step <= n); long
        // offsets: with offA + 2L * (i + step) the int sum might overflow, and the bounds checks stay
        int bound = n - n % (2 * step);
        int i = 0;
        for (; i < bound; i += 2 * step) {
            long at = offA + 2L * i;
            long bt = offB + 2L * i;
            FloatVector x0 = FloatVector.fromArray(F, prepared, i);
            FloatVector x1 = FloatVector.fromArray(F, prepared, i + step);
            IntVector h0 = halves(w, at);
            IntVector h1 = halves(w, at + 2 * step);
            IntVector g0 = halves(w, bt);
            IntVector g1 = halves(w, bt + 2 * step);
            magA = magA.max(h0.lanewise(VectorOperators.AND, 0x7fff)).max(h1.lanewise(VectorOperators.AND, 0x7fff));
            magB = magB.max(g0.lanewise(VectorOperators.AND, 0x7fff)).max(g1.lanewise(VectorOperators.AND, 0x7fff));
            a0 = scaledDown(h0).fma(x0, a0);
            a1 = scaledDown(h1).fma(x1, a1);
            b0 = scaledDown(g0).fma(x0, b0);
            b1 = scaledDown(g1).fma(x1, b1);
        }
        if (i + step <= n) {
            FloatVector xv = FloatVector.fromArray(F, prepared, i);
            IntVector h = halves(w, offA + 2L * i);
            IntVector g = halves(w, offB + 2L * i);
            magA = magA.max(h.lanewise(VectorOperators.AND, 0x7fff));
            magB = magB.max(g.lanewise(VectorOperators.AND, 0x7fff));
            a0 = scaledDown(h).fma(xv, a0);
            b0 = scaledDown(g).fma(xv, b0);
            i += step;
        }
        float sumA = Vectors.sum(a0.add(a1));
        float sumB = Vectors.sum(b0.add(b1));
        for (; i < n; i++) {
            float xi = x[xOff + i];
            sumA += Float.float16ToFloat(w.get(SHORT_LE, offA + 2L * i)) * xi;
            sumB += Float.float16ToFloat(w.get(SHORT_LE, offB + 2L * i)) * xi;
        }
        out[outA] = magA.reduceLanes(VectorOperators.MAX) >= 0x7c00 ? dot(w, offA, x, xOff, n) : sumA;
        out[outB] = magB.reduceLanes(VectorOperators.MAX) >= 0x7c00 ? dot(w, offB, x, xOff, n) : sumB;
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
        float sum = Vectors.sum(acc0.add(acc1));
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

    /** Through {@code vcvtph2ps}, exact like {@link #load}, in one call for many rows. */
    @Override
    public boolean nativeUnpack(MemorySegment w, long off, long rowBytes, int rows, int n, int depth, float[] dst,
                                int dstOff, int rowStride, int sliceStride) {
        return NativeKernels.unpack(NativeKernels.Unpacked.F16, w.asSlice(off), rowBytes, rows, n, depth, dst, dstOff,
                rowStride, sliceStride);
    }

    @Override
    public void dequantize(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = Float.float16ToFloat(w.get(SHORT_LE, off + 2L * i));
        }
    }
}
