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
 */
public final class F16Kernel implements RowKernel {
    public static final F16Kernel INSTANCE = new F16Kernel();
    private static final float REBIAS = 0x1p112f;

    private F16Kernel() {}

    static FloatVector load(MemorySegment w, long at) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, w, at, LE).convertShape(VectorOperators.S2I, I, 0);
        IntVector sign = h.lanewise(VectorOperators.AND, 0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector mag = h.lanewise(VectorOperators.AND, 0x7fff);
        FloatVector v = mag.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(REBIAS);
        IntVector bits = v.reinterpretAsInts();
        VectorMask<Integer> special = mag.compare(VectorOperators.GE, 0x7c00);
        bits = bits.blend(bits.lanewise(VectorOperators.OR, 0x7f800000), special);
        return bits.lanewise(VectorOperators.OR, sign).reinterpretAsFloats();
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
