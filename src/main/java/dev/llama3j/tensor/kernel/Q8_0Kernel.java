package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.llama3j.tensor.kernel.QuantBits.GROUP;

/** Q8_0: blocks of 32 as {@code fp16 d, int8 q[32]}; {@code w = d * q}. */
public final class Q8_0Kernel extends QuantKernel {
    public static final Q8_0Kernel INSTANCE = new Q8_0Kernel();

    private Q8_0Kernel() {
        super(DType.Q8_0, 32, false);
    }

    @Override
    int quant(MemorySegment w, long block, int j) {
        return w.get(ValueLayout.JAVA_BYTE, block + 2 + j);
    }

    @Override
    float scale(MemorySegment w, long block, int sub) {
        return QuantBits.f16(w, block);
    }

    @Override
    void unpack(MemorySegment w, long block, byte[] q, int qOff) {
        // the quants already are signed bytes
        for (int j = 0; j < 32; j += GROUP) {
            QuantBits.load(w, block + 2 + j).intoArray(q, qOff + j);
        }
    }

    /** The quants widened and scaled in registers: the same float product as {@link #dequantize}. */
    @Override
    public void unpackFloats(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        for (int b = 0; b < n / 32; b++) {
            long block = off + 34L * b;
            int db = dstOff + 32 * b;
            FloatVector d = FloatVector.broadcast(Vectors.F, QuantBits.f16(w, block));
            for (int h = 0; h < 32; h += GROUP) {
                ByteVector q = QuantBits.load(w, block + 2 + h);
                for (int p = 0; p < GROUP / Vectors.F.length(); p++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, Vectors.F, p)).mul(d)
                            .intoArray(dst, db + h + p * Vectors.F.length());
                }
            }
        }
    }

    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        FloatVector sum = FloatVector.zero(Vectors.F);
        for (int b = 0; b < n / 32; b++) {
            long block = off + 34L * b;
            int xb = xOff + 32 * b;
            FloatVector acc = QuantBits.dot16(QuantBits.load(w, block + 18), x, xb + 16,
                    QuantBits.dot16(QuantBits.load(w, block + 2), x, xb, FloatVector.zero(Vectors.F)));
            sum = acc.fma(FloatVector.broadcast(Vectors.F, QuantBits.f16(w, block)), sum);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }
}
