package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.llama3j.tensor.kernel.QuantBits.B32;
import static dev.llama3j.tensor.kernel.QuantBits.F8;
import static dev.llama3j.tensor.kernel.QuantBits.GROUP;
import static dev.llama3j.tensor.kernel.QuantBits.S16;
import static dev.llama3j.tensor.kernel.Vectors.LE;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

/** Q8_0: blocks of 32 as {@code fp16 d, int8 q[32]}; {@code w = d * q}. */
public final class Q8_0Kernel extends QuantKernel {
    public static final Q8_0Kernel INSTANCE = new Q8_0Kernel();

    private Q8_0Kernel() {
        super(32, 34, 32, false);
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

    /** Natively, the same products, in one call for many rows. */
    @Override
    public boolean nativeUnpack(MemorySegment w, long off, long rowBytes, int rows, int n, int depth, float[] dst,
                                int dstOff, int rowStride, int sliceStride) {
        return NativeKernels.unpack(NativeKernels.Unpacked.Q8_0, w.asSlice(off), rowBytes, rows, n, depth, dst, dstOff,
                rowStride, sliceStride);
    }

    /**
     * {@code x} reordered for the quads layout (in each 32, element {@code 4i + k} moves to {@code 8k + i}), the
     * elements that meet byte 0 of a lane times 2^-24 (see {@link #dot2}; exact, a power of two, unless
     * {@code |x| < 2^-102}, where the scaled value loses bits below 2^-149: an error under 2^-118 per weight), in a
     * per-thread buffer valid until the next prepare on the same thread.
     */
    @Override
    public float[] prepare(float[] x, int xOff, int n) {
        float[] p = QuantBits.preparedBuffer(n);
        // one pass, spelled out per block of 32: a general loop nest over lanes and fields ran slower in C2
        for (int c = 0; c < n; c += 32) {
            int src = xOff + c;
            for (int i = 0; i < 8; i++) {
                p[c + i] = x[src + 4 * i] * 0x1p-24f;
                p[c + 8 + i] = x[src + 4 * i + 1];
                p[c + 16 + i] = x[src + 4 * i + 2];
                p[c + 24 + i] = x[src + 4 * i + 3];
            }
        }
        return p;
    }

    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        return dot(w, off, x, xOff, n, prepare(x, xOff, n));
    }

    /**
     * One row as {@link #dot2} of the row with itself: a row gets the same bits alone as paired, from one loop. It
     * runs for the odd row of a matrix-vector range and for a single row's dot, off the decode path.
     */
    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n, float[] p) {
        return PairedRowDot.dot(this, w, off, x, xOff, n, p);
    }

    /**
     * Two rows in one loop are two memory streams, a little faster out of cache (the dot's arithmetic, not the
     * stream, sets most of its pace; figures: docs/performance.md).
     */
    @Override
    public boolean pairsRows() {
        return true;
    }

    /**
     * Two rows' dots with the prepared x. Byte k of each quad lane as a signed value: byte 3 by an arithmetic right
     * shift, bytes 1 and 2 by a left then an arithmetic right shift, and byte 0 by a left shift alone, which leaves
     * it at the top of the lane: the quant times 2^24, exactly, which the prepared x undoes (6 shifts per block
     * instead of 7; figures: docs/performance.md).
     */
    @Override
    public void dot2(MemorySegment w, long offA, long offB, float[] x, int xOff, int n, float[] p, float[] out,
                     int outA, int outB) {
        FloatVector sumA = FloatVector.zero(F8);
        FloatVector sumB = FloatVector.zero(F8);
        for (int b = 0; b < n / 32; b++) {
            long blockA = offA + 34L * b;
            long blockB = offB + 34L * b;
            int xb = 32 * b;
            FloatVector x0 = FloatVector.fromArray(F8, p, xb);
            FloatVector x1 = FloatVector.fromArray(F8, p, xb + 8);
            FloatVector x2 = FloatVector.fromArray(F8, p, xb + 16);
            FloatVector x3 = FloatVector.fromArray(F8, p, xb + 24);
            IntVector qa = ByteVector.fromMemorySegment(B32, w, blockA + 2, LE).reinterpretAsInts();
            IntVector qb = ByteVector.fromMemorySegment(B32, w, blockB + 2, LE).reinterpretAsInts();
            FloatVector accA = ((FloatVector) qa.lanewise(LSHL, 24).convert(I2F, 0)).mul(x0);
            FloatVector accB = ((FloatVector) qb.lanewise(LSHL, 24).convert(I2F, 0)).mul(x0);
            accA = ((FloatVector) qa.lanewise(LSHL, 16).lanewise(ASHR, 24).convert(I2F, 0)).fma(x1, accA);
            accB = ((FloatVector) qb.lanewise(LSHL, 16).lanewise(ASHR, 24).convert(I2F, 0)).fma(x1, accB);
            accA = ((FloatVector) qa.lanewise(LSHL, 8).lanewise(ASHR, 24).convert(I2F, 0)).fma(x2, accA);
            accB = ((FloatVector) qb.lanewise(LSHL, 8).lanewise(ASHR, 24).convert(I2F, 0)).fma(x2, accB);
            accA = ((FloatVector) qa.lanewise(ASHR, 24).convert(I2F, 0)).fma(x3, accA);
            accB = ((FloatVector) qb.lanewise(ASHR, 24).convert(I2F, 0)).fma(x3, accB);
            sumA = accA.fma(FloatVector.broadcast(F8, QuantBits.f16(w, blockA)), sumA);
            sumB = accB.fma(FloatVector.broadcast(F8, QuantBits.f16(w, blockB)), sumB);
        }
        out[outA] = Vectors.sum8(sumA);
        out[outB] = Vectors.sum8(sumB);
    }

    @Override
    public boolean hasInt8Dot() {
        return true;
    }

    /**
     * Both halves of a block widened to 16 bits and multiplied: |w x| <= 128 * 127, and a lane's two products, fit;
     * four of them need not, so the lanes are widened before the pairs are added.
     */
    @Override
    public float dot(MemorySegment w, long off, Int8Activations x, int n) {
        short[] xq = x.q;
        float[] xd = x.d;
        FloatVector sum = FloatVector.zero(F8);
        for (int b = 0; b < n / 32; b++) {
            long block = off + 34L * b;
            ShortVector w0 = (ShortVector) QuantBits.load(w, block + 2).convertShape(B2S, S16, 0);
            ShortVector w1 = (ShortVector) QuantBits.load(w, block + 18).convertShape(B2S, S16, 0);
            ShortVector p = w0.mul(ShortVector.fromArray(S16, xq, 32 * b))
                    .add(w1.mul(ShortVector.fromArray(S16, xq, 32 * b + 16)));
            float scale = QuantBits.f16(w, block) * xd[b];
            sum = ((FloatVector) Int8Activations.pairSums(p).convert(I2F, 0)).fma(FloatVector.broadcast(F8, scale), sum);
        }
        return Vectors.sum8(sum);
    }
}
