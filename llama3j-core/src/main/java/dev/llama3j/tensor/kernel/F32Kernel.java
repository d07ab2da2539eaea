package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

import static dev.llama3j.tensor.kernel.Vectors.F;
import static dev.llama3j.tensor.kernel.Vectors.FLOAT_LE;
import static dev.llama3j.tensor.kernel.Vectors.LE;

/** float32 little-endian weights. */
public final class F32Kernel implements RowKernel {
    public static final F32Kernel INSTANCE = new F32Kernel();

    private F32Kernel() {}

    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        int step = F.length();
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        int i = 0;
        for (; i + 2 * step <= n; i += 2 * step) {
            acc0 = FloatVector.fromMemorySegment(F, w, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
            acc1 = FloatVector.fromMemorySegment(F, w, off + 4L * (i + step), LE)
                    .fma(FloatVector.fromArray(F, x, xOff + i + step), acc1);
        }
        for (; i + step <= n; i += step) {
            acc0 = FloatVector.fromMemorySegment(F, w, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
        }
        float sum = Vectors.sum(acc0.add(acc1));
        for (; i < n; i++) {
            sum += w.get(FLOAT_LE, off + 4L * i) * x[xOff + i];
        }
        return sum;
    }

    @Override
    public void unpackFloats(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        int i = 0;
        for (; i + F.length() <= n; i += F.length()) {
            FloatVector.fromMemorySegment(F, w, off + 4L * i, LE).intoArray(dst, dstOff + i);
        }
        dequantize(w, off + 4L * i, dst, dstOff + i, n - i);
    }

    @Override
    public void dequantize(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = w.get(FLOAT_LE, off + 4L * i);
        }
    }
}
