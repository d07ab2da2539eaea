package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.llama3j.tensor.kernel.QuantBits.F8;
import static dev.llama3j.tensor.kernel.QuantBits.GROUP;
import static dev.llama3j.tensor.kernel.QuantBits.S16;
import static dev.llama3j.tensor.kernel.Vectors.LE;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * Q4_0 ({@code fp16 d, u8 qs[16]}; {@code w = d * (q - 8)}) and Q4_1 ({@code fp16 d, fp16 m, u8 qs[16]};
 * {@code w = d * q + m}), blocks of 32. Element {@code j < 16} is the low nibble of {@code qs[j]},
 * element {@code j + 16} its high nibble.
 */
public final class Q4Kernel extends QuantKernel {
    public static final Q4Kernel Q4_0 = new Q4Kernel(18, false);
    public static final Q4Kernel Q4_1 = new Q4Kernel(20, true);

    private final int blockBytes;
    private final boolean hasMin;
    private final int qs;
    private final int bias;
    private final ByteVector biasVector;

    private Q4Kernel(int blockBytes, boolean hasMin) {
        super(32, blockBytes, 32, hasMin);
        this.blockBytes = blockBytes;
        this.hasMin = hasMin;
        this.qs = hasMin ? 4 : 2;
        this.bias = hasMin ? 0 : 8;
        this.biasVector = ByteVector.broadcast(QuantBits.B, (byte) bias);
    }

    @Override
    int quant(MemorySegment w, long block, int j) {
        return QuantBits.nibble(w, block + qs + (j & 15), (j >>> 4) * 4) - bias;
    }

    @Override
    float scale(MemorySegment w, long block, int sub) {
        return QuantBits.f16(w, block);
    }

    @Override
    float offset(MemorySegment w, long block, int sub) {
        return QuantBits.f16(w, block + 2);
    }

    /** Elements {@code j .. j+16} (j = 0 or 16) of the block: the low, then the high nibbles, minus the bias. */
    private ByteVector quants16(MemorySegment w, long block, int j) {
        return QuantBits.nibbles(w, block + qs, j / 4).sub(biasVector);
    }

    @Override
    void unpack(MemorySegment w, long block, byte[] q, int qOff) {
        for (int j = 0; j < 32; j += GROUP) {
            quants16(w, block, j).intoArray(q, qOff + j);
        }
    }

    /**
     * Like {@link #dot}, one 16-byte load per block gives both halves of the quants, widened and scaled (then
     * offset by the min) in registers: the same float operations as {@link #dequantize}, so the same bits.
     */
    @Override
    public void unpackFloats(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        for (int b = 0; b < n / 32; b++) {
            long block = off + (long) blockBytes * b;
            int db = dstOff + 32 * b;
            FloatVector d = FloatVector.broadcast(Vectors.F, QuantBits.f16(w, block));
            FloatVector m = FloatVector.broadcast(Vectors.F, hasMin ? QuantBits.f16(w, block + 2) : 0f);
            ByteVector packed = QuantBits.load(w, block + qs);
            ByteVector low = packed.and(QuantBits.LOW_4).sub(biasVector);
            ByteVector high = packed.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                    .and(QuantBits.LOW_4).sub(biasVector);
            for (int p = 0; p < GROUP / Vectors.F.length(); p++) {
                FloatVector lo = ((FloatVector) low.convertShape(VectorOperators.B2F, Vectors.F, p)).mul(d);
                FloatVector hi = ((FloatVector) high.convertShape(VectorOperators.B2F, Vectors.F, p)).mul(d);
                if (hasMin) {
                    // only with a min: adding a zero would turn -0.0 into 0.0
                    lo = lo.add(m);
                    hi = hi.add(m);
                }
                lo.intoArray(dst, db + p * Vectors.F.length());
                hi.intoArray(dst, db + GROUP + p * Vectors.F.length());
            }
        }
    }

    /**
     * Each block's 16 bytes are loaded once and widened to pairs; the low nibbles of both bytes of a lane and then
     * the high nibbles are 4 groups of 8. The low nibbles are taken out with one AND each and left at their bit
     * position (0 or 16), the high nibbles the same way after one shift of the lane by 4, and each is converted: the
     * quant times 2^position, exactly, which the prepared x undoes with the matching 2^-position (1, 2^-16, 1, 2^-16
     * for the four runs of 8 of a block), so the products are the same as with the bare quant (unless
     * |x| < 2^-110, where the scaled x loses bits below 2^-149: an error under 2^-129 per weight). Two masks, not
     * one per nibble position: with four, C2 ran out of registers in the unrolled loop and re-broadcast them from
     * memory 11 times per 4 blocks (figures: docs/performance.md). Q4_1's min multiplies the prepared lane sums of
     * x, which stay unscaled; for Q4_0 they are prepared times -8.
     */
    @Override
    public float[] prepare(float[] x, int xOff, int n) {
        float[] p = QuantBits.preparedBuffer(n + n / 4);
        // Q4_0's -8 applied here once, not per row: exact (a power of two), so the dot's add rounds like an FMA
        float sumFactor = hasMin ? 1f : -bias;
        // the pairs layout (in each 16, element 2i + j moves to 8j + i: lane i meets elements 2i and 2i+1 of each
        // half of a block) and the scaling in one pass, spelled out per block of 32: a general loop nest over lanes,
        // fields and a table of scales ran much slower in C2 (figures: docs/performance.md)
        for (int c = 0; c < n; c += 32) {
            int src = xOff + c;
            int sums = n + c / 4;
            for (int i = 0; i < 8; i++) {
                float a0 = x[src + 2 * i];
                float a1 = x[src + 2 * i + 1];
                float b0 = x[src + 16 + 2 * i];
                float b1 = x[src + 17 + 2 * i];
                p[c + i] = a0;
                p[c + 8 + i] = a1 * 0x1p-16f;
                p[c + 16 + i] = b0;
                p[c + 24 + i] = b1 * 0x1p-16f;
                p[sums + i] = (a0 + a1 + b0 + b1) * sumFactor;
            }
        }
        return p;
    }

    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        return dot(w, off, x, xOff, n, prepare(x, xOff, n));
    }

    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n, float[] p) {
        FloatVector sum = FloatVector.zero(F8);
        FloatVector mins = FloatVector.zero(F8);
        // broadcast here, not read from static vectors: C2 reloads a static vector's payload in every iteration
        IntVector bits0 = IntVector.broadcast(QuantBits.I8, 0xF);
        IntVector bits16 = IntVector.broadcast(QuantBits.I8, 0xF << 16);
        for (int b = 0; b < n / 32; b++) {
            // literal strides under a loop-invariant test, which C2 hoists out of the loop (one copy per type): with
            // the blockBytes field the block address took a multiply and the range checks stayed in a loop that C2
            // did not unroll (figures: docs/performance.md)
            long block = hasMin ? off + 20L * b : off + 18L * b;
            long quants = hasMin ? block + 4 : block + 2;
            IntVector q = ((ShortVector) ByteVector.fromMemorySegment(QuantBits.B, w, quants, LE)
                    .convertShape(B2S, S16, 0)).reinterpretAsInts();
            IntVector high = q.lanewise(LSHR, 4);
            int xb = 32 * b;
            FloatVector acc = ((FloatVector) q.and(bits0).convert(I2F, 0)).mul(FloatVector.fromArray(F8, p, xb));
            acc = ((FloatVector) q.and(bits16).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 8), acc);
            acc = ((FloatVector) high.and(bits0).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 16), acc);
            acc = ((FloatVector) high.and(bits16).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 24), acc);
            FloatVector xs = FloatVector.fromArray(F8, p, n + 8 * b);
            if (hasMin) {
                mins = xs.fma(FloatVector.broadcast(F8, QuantBits.f16(w, block + 2)), mins);
            } else {
                acc = acc.add(xs);
            }
            sum = acc.fma(FloatVector.broadcast(F8, QuantBits.f16(w, block)), sum);
        }
        return Vectors.sum8(sum.add(mins));
    }
}
