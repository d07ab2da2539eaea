package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.llama3j.tensor.kernel.Vectors.F;
import static dev.llama3j.tensor.kernel.Vectors.LE;
import static dev.llama3j.tensor.kernel.Vectors.S;
import static dev.llama3j.tensor.kernel.Vectors.SHORT_LE;

/** bfloat16 weights: the top 16 bits of a float32, so widening is a 16-bit left shift. */
public final class BF16Kernel implements RowKernel {
    public static final BF16Kernel INSTANCE = new BF16Kernel();

    /** The native product with this kernel's bits at the Java vectors' width, if one runs here. */
    private static final NativeKernels.Isa NATIVE = NativeKernels.floatFor(F.length());

    private BF16Kernel() {}

    public static float toFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** {@code F.length()} bf16 values at byte offset {@code at}, widened to floats. */
    static FloatVector load(MemorySegment w, long at) {
        // the cast matters: with only the Vector interface type, C2 (JDK 25) can take the lanes for floats once other
        // code converts to floats, and fails compiling the shift ("LSHIFT: float")
        IntVector bits = (IntVector) ShortVector.fromMemorySegment(S, w, at, LE).convertShape(VectorOperators.S2I, Vectors.I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * Four accumulators (two FMAs a cycle, four cycles each), and the loop written {@code i < bound} with long byte
     * offsets: C2 then proves the accesses in bounds once, before the loop, instead of checking each load.
     */
    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        int step = F.length();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int bound = n - n % (4 * step);
        int i = 0;
        for (; i < bound; i += 4 * step) {
            long at = off + 2L * i;
            int xi = xOff + i;
            acc0 = load(w, at).fma(FloatVector.fromArray(F, x, xi), acc0);
            acc1 = load(w, at + 2 * step).fma(FloatVector.fromArray(F, x, xi + step), acc1);
            acc2 = load(w, at + 4 * step).fma(FloatVector.fromArray(F, x, xi + 2 * step), acc2);
            acc3 = load(w, at + 6 * step).fma(FloatVector.fromArray(F, x, xi + 3 * step), acc3);
        }
        for (; i + step <= n; i += step) {
            acc0 = load(w, off + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
        }
        float sum = Vectors.sum(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < n; i++) {
            sum += toFloat(w.get(SHORT_LE, off + 2L * i)) * x[xOff + i];
        }
        return sum;
    }

    /**
     * In C, the same operations in the same order: the Java loop widens with a convert and a shift per vector and
     * runs below the memory's pace (figures: docs/performance.md).
     */
    @Override
    public boolean nativeMatvec(MemorySegment w, long off, long rowBytes, float[] x, int xOff, int n, float[] out,
                                int outOff, int rows) {
        if (NATIVE == NativeKernels.Isa.NONE) {
            return false;
        }
        NativeKernels.bf16Matvec(NATIVE, w.asSlice(off), rowBytes, n, x, xOff, out, outOff, rows);
        return true;
    }

    /**
     * Two rows in one loop are two memory streams for the hardware prefetcher, as for F16, so rows from memory
     * stream faster (figures: docs/performance.md). A bfloat16 checkpoint (Meta's, Hugging Face's) decodes from
     * memory.
     */
    @Override
    public boolean pairsRows() {
        return true;
    }

    /** {@link #dot} of two rows in one loop, each with its own four accumulators: the same bits. */
    @Override
    public void dot2(MemorySegment w, long offA, long offB, float[] x, int xOff, int n, float[] prepared,
                     float[] out, int outA, int outB) {
        int step = F.length();
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F);
        FloatVector b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        int bound = n - n % (4 * step);
        int i = 0;
        for (; i < bound; i += 4 * step) {
            long at = offA + 2L * i;
            long bt = offB + 2L * i;
            int xi = xOff + i;
            FloatVector x0 = FloatVector.fromArray(F, x, xi);
            a0 = load(w, at).fma(x0, a0);
            b0 = load(w, bt).fma(x0, b0);
            FloatVector x1 = FloatVector.fromArray(F, x, xi + step);
            a1 = load(w, at + 2 * step).fma(x1, a1);
            b1 = load(w, bt + 2 * step).fma(x1, b1);
            FloatVector x2 = FloatVector.fromArray(F, x, xi + 2 * step);
            a2 = load(w, at + 4 * step).fma(x2, a2);
            b2 = load(w, bt + 4 * step).fma(x2, b2);
            FloatVector x3 = FloatVector.fromArray(F, x, xi + 3 * step);
            a3 = load(w, at + 6 * step).fma(x3, a3);
            b3 = load(w, bt + 6 * step).fma(x3, b3);
        }
        for (; i + step <= n; i += step) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
            a0 = load(w, offA + 2L * i).fma(xv, a0);
            b0 = load(w, offB + 2L * i).fma(xv, b0);
        }
        float sumA = Vectors.sum(a0.add(a1).add(a2.add(a3)));
        float sumB = Vectors.sum(b0.add(b1).add(b2.add(b3)));
        for (; i < n; i++) {
            sumA += toFloat(w.get(SHORT_LE, offA + 2L * i)) * x[xOff + i];
            sumB += toFloat(w.get(SHORT_LE, offB + 2L * i)) * x[xOff + i];
        }
        out[outA] = sumA;
        out[outB] = sumB;
    }

    @Override
    public void unpackFloats(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            load(w, off + 2L * i).intoArray(dst, dstOff + i);
        }
        dequantize(w, off + 2L * i, dst, dstOff + i, n - i);
    }

    /** Natively, the same shift, in one call for many rows. */
    @Override
    public boolean nativeUnpack(MemorySegment w, long off, long rowBytes, int rows, int n, int depth, float[] dst,
                                int dstOff, int rowStride, int sliceStride) {
        return NativeKernels.unpack(NativeKernels.Unpacked.BF16, w.asSlice(off), rowBytes, rows, n, depth, dst, dstOff,
                rowStride, sliceStride);
    }

    @Override
    public void dequantize(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = toFloat(w.get(SHORT_LE, off + 2L * i));
        }
    }
}
