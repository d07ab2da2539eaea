package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.llama3j.tensor.kernel.QuantBits.B32;
import static dev.llama3j.tensor.kernel.QuantBits.F8;
import static dev.llama3j.tensor.kernel.QuantBits.GROUP;
import static dev.llama3j.tensor.kernel.QuantBits.MASK4;
import static dev.llama3j.tensor.kernel.QuantBits.S16;
import static dev.llama3j.tensor.kernel.Vectors.LE;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * Q4_K: blocks of 256 as {@code fp16 d, fp16 dmin, u8 scales[12], u8 qs[128]}, 8 sub-blocks of 32 with
 * 6-bit scale {@code sc} and min {@code m}: {@code w = (d*sc) * q - (dmin*m)}. Sub-blocks {@code 2k} and
 * {@code 2k+1} are the low and high nibbles of {@code qs[32k .. 32k+32)}.
 */
public final class Q4KKernel extends QuantKernel {
    public static final Q4KKernel INSTANCE = new Q4KKernel();

    private static final ShortVector LOW_4_SHORTS = ShortVector.broadcast(S16, (short) 0x0F);

    private Q4KKernel() {
        super(DType.Q4_K, 32, true);
    }

    /** Byte of element {@code j}'s nibble, relative to the block, within a 128-byte nibble array at {@code qs}. */
    static long nibbleByte(int qs, int j) {
        return qs + 32L * (j >>> 6) + (j & 31);
    }

    /** Shift of element {@code j}'s nibble: odd sub-blocks take the high nibbles. */
    static int nibbleShift(int j) {
        return ((j >>> 5) & 1) * 4;
    }

    @Override
    int quant(MemorySegment w, long block, int j) {
        return QuantBits.nibble(w, block + nibbleByte(16, j), nibbleShift(j));
    }

    @Override
    float scale(MemorySegment w, long block, int sub) {
        return QuantBits.f16(w, block) * QuantBits.kScale(w, block + 4, sub);
    }

    @Override
    float offset(MemorySegment w, long block, int sub) {
        return -(QuantBits.f16(w, block + 2) * QuantBits.kMin(w, block + 4, sub));
    }

    /** Elements {@code j .. j+16} (j a multiple of 16) of the block. */
    private static ByteVector quants16(MemorySegment w, long block, int j) {
        return QuantBits.nibbles(w, block + nibbleByte(16, j), nibbleShift(j));
    }

    @Override
    void unpack(MemorySegment w, long block, byte[] q, int qOff) {
        for (int j = 0; j < 256; j += GROUP) {
            quants16(w, block, j).intoArray(q, qOff + j);
        }
    }

    /**
     * Per 64 elements one pair of 16-byte loads serves two sub-blocks (low, then high nibbles), widened, scaled and
     * offset in registers: the same float operations as {@link #dequantize}, so the same bits. The 6-bit scales and
     * mins come from three int loads by shifts ({@link #scaleOf}, {@link #minOf}), without per-byte memory reads.
     */
    @Override
    public void unpackFloats(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        for (int b = 0; b < n / 256; b++) {
            long block = off + 144L * b;
            float d = QuantBits.f16(w, block);
            float dmin = QuantBits.f16(w, block + 2);
            int packed0 = w.get(QuantBits.INT_LE, block + 4);
            int packed1 = w.get(QuantBits.INT_LE, block + 8);
            int packed2 = w.get(QuantBits.INT_LE, block + 12);
            for (int sub = 0; sub < 8; sub += 2) {
                FloatVector scaleLow = FloatVector.broadcast(Vectors.F, d * scaleOf(packed0, packed2, sub));
                FloatVector scaleHigh = FloatVector.broadcast(Vectors.F, d * scaleOf(packed0, packed2, sub + 1));
                FloatVector minLow = FloatVector.broadcast(Vectors.F, -(dmin * minOf(packed1, packed2, sub)));
                FloatVector minHigh = FloatVector.broadcast(Vectors.F, -(dmin * minOf(packed1, packed2, sub + 1)));
                int db = dstOff + 256 * b + 32 * sub;
                for (int h = 0; h < 32; h += GROUP) {
                    ByteVector packed = QuantBits.load(w, block + 16 + 16L * sub + h);
                    ByteVector low = packed.and(QuantBits.LOW_4);
                    ByteVector high = packed.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                            .and(QuantBits.LOW_4);
                    for (int p = 0; p < GROUP / Vectors.F.length(); p++) {
                        int at = db + h + p * Vectors.F.length();
                        ((FloatVector) low.convertShape(VectorOperators.B2F, Vectors.F, p)).mul(scaleLow).add(minLow)
                                .intoArray(dst, at);
                        ((FloatVector) high.convertShape(VectorOperators.B2F, Vectors.F, p)).mul(scaleHigh).add(minHigh)
                                .intoArray(dst, at + 32);
                    }
                }
            }
        }
    }

    /**
     * {@link QuantBits#kScale} of sub-block {@code j} from the scale bytes 0-3 and 8-11 read as little-endian ints:
     * byte {@code j mod 4} of either is at bit {@code 8 * (j mod 4)}.
     */
    private static int scaleOf(int bytes0to3, int bytes8to11, int j) {
        int at = 8 * (j & 3);
        return j < 4
                ? (bytes0to3 >>> at) & 0x3F
                : ((bytes8to11 >>> at) & 0x0F) | ((bytes0to3 >>> (at + 6)) & 3) << 4;
    }

    /** {@link QuantBits#kMin} of sub-block {@code j} from the scale bytes 4-7 and 8-11, as {@link #scaleOf}. */
    private static int minOf(int bytes4to7, int bytes8to11, int j) {
        int at = 8 * (j & 3);
        return j < 4
                ? (bytes4to7 >>> at) & 0x3F
                : ((bytes8to11 >>> (at + 4)) & 0x0F) | ((bytes4to7 >>> (at + 6)) & 3) << 4;
    }

    /**
     * Per 64 elements one 32-byte load of quads: the low nibbles are sub-block 2k, the high nibbles 2k+1. The 8
     * scales and mins come from two loads of the packed bytes; the mins multiply the prepared lane sums of x.
     */
    @Override
    public float[] prepare(float[] x, int xOff, int n) {
        return QuantBits.prepareQuads(x, xOff, n);
    }

    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        return dot(w, off, x, xOff, n, prepare(x, xOff, n));
    }

    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n, float[] p) {
        FloatVector even = FloatVector.zero(F8);
        FloatVector odd = FloatVector.zero(F8);
        FloatVector minTerms = FloatVector.zero(F8);
        // the block's 8 scales and mins decoded once, in straight-line code, into a per-thread buffer
        float[] scales = scratch().scales;
        float[] mins = scratch().offsets;
        for (int b = 0; b < n / 256; b++) {
            long block = off + 144L * b;
            decodeScales(w, block, scales, mins);
            for (int k = 0; k < 4; k++) {
                IntVector q = ByteVector.fromMemorySegment(B32, w, block + 16 + 32L * k, LE).reinterpretAsInts();
                int xk = 256 * b + 64 * k;
                // constant shifts, spelled out: a shift by a loop variable costs C2 several times more
                FloatVector low = FloatVector.zero(F8);
                FloatVector high = FloatVector.zero(F8);
                low = ((FloatVector) q.lanewise(LSHR, 0).and(MASK4).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xk + 0), low);
                high = ((FloatVector) q.lanewise(LSHR, 4).and(MASK4).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xk + 32), high);
                low = ((FloatVector) q.lanewise(LSHR, 8).and(MASK4).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xk + 8), low);
                high = ((FloatVector) q.lanewise(LSHR, 12).and(MASK4).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xk + 40), high);
                low = ((FloatVector) q.lanewise(LSHR, 16).and(MASK4).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xk + 16), low);
                high = ((FloatVector) q.lanewise(LSHR, 20).and(MASK4).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xk + 48), high);
                low = ((FloatVector) q.lanewise(LSHR, 24).and(MASK4).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xk + 24), low);
                high = ((FloatVector) q.lanewise(LSHR, 28).and(MASK4).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xk + 56), high);
                even = low.fma(FloatVector.broadcast(F8, scales[2 * k]), even);
                odd = high.fma(FloatVector.broadcast(F8, scales[2 * k + 1]), odd);
                minTerms = FloatVector.fromArray(F8, p, n + xk / 4)
                        .fma(FloatVector.broadcast(F8, mins[2 * k]), minTerms);
                minTerms = FloatVector.fromArray(F8, p, n + xk / 4 + 8)
                        .fma(FloatVector.broadcast(F8, mins[2 * k + 1]), minTerms);
            }
        }
        return even.add(odd).sub(minTerms).reduceLanes(VectorOperators.ADD);
    }

    /** The block's 8 sub-block factors {@code d * sc} and {@code dmin * m}, in straight-line code. */
    private static void decodeScales(MemorySegment w, long block, float[] scales, float[] mins) {
        float d = QuantBits.f16(w, block);
        float dmin = QuantBits.f16(w, block + 2);
        long lo = w.get(QuantBits.LONG_LE, block + 4);
        int hi = w.get(QuantBits.INT_LE, block + 12);
        for (int sub = 0; sub < 4; sub++) {
            // QuantBits.kScale's packing, without its branches
            scales[sub] = d * ((int) (lo >>> 8 * sub) & 0x3F);
            mins[sub] = dmin * ((int) (lo >>> 8 * sub + 32) & 0x3F);
            scales[sub + 4] = d * ((hi >>> 8 * sub) & 0x0F | ((int) (lo >>> 8 * sub + 6) & 0x03) << 4);
            mins[sub + 4] = dmin * ((hi >>> 8 * sub + 4) & 0x0F | ((int) (lo >>> 8 * sub + 38) & 0x03) << 4);
        }
    }

    @Override
    public boolean hasInt8Dot() {
        return true;
    }

    /**
     * Each sub-block of 32 is one int8 activation block. Per 64 elements two 16-byte loads widened to 16-bit lanes
     * hold both sub-blocks: the low nibbles are sub-block 2k, the high nibbles 2k+1 (|q x| <= 15 * 127, so a lane's
     * two products and the pair sums fit in 16 bits). The mins multiply the scaled activation block sums.
     */
    @Override
    public float dot(MemorySegment w, long off, Int8Activations x, int n) {
        short[] xq = x.q;
        float[] xd = x.d;
        float[] xSums = x.scaledSums;
        float[] scales = scratch().scales;
        float[] mins = scratch().offsets;
        FloatVector sum = FloatVector.zero(F8);
        float minTerms = 0f;
        for (int b = 0; b < n / 256; b++) {
            long block = off + 144L * b;
            decodeScales(w, block, scales, mins);
            for (int k = 0; k < 4; k++) {
                long qs = block + 16 + 32L * k;
                ShortVector q0 = (ShortVector) QuantBits.load(w, qs).convertShape(B2S, S16, 0);
                ShortVector q1 = (ShortVector) QuantBits.load(w, qs + 16).convertShape(B2S, S16, 0);
                int xb = 256 * b + 64 * k;
                ShortVector low = q0.and(LOW_4_SHORTS).mul(ShortVector.fromArray(S16, xq, xb))
                        .add(q1.and(LOW_4_SHORTS).mul(ShortVector.fromArray(S16, xq, xb + 16)));
                ShortVector high = q0.lanewise(LSHR, 4).and(LOW_4_SHORTS).mul(ShortVector.fromArray(S16, xq, xb + 32))
                        .add(q1.lanewise(LSHR, 4).and(LOW_4_SHORTS).mul(ShortVector.fromArray(S16, xq, xb + 48)));
                int xBlock = xb / 32;
                sum = ((FloatVector) Int8Activations.pairSumsSmall(low).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F8, scales[2 * k] * xd[xBlock]), sum);
                sum = ((FloatVector) Int8Activations.pairSumsSmall(high).convert(I2F, 0))
                        .fma(FloatVector.broadcast(F8, scales[2 * k + 1] * xd[xBlock + 1]), sum);
                minTerms += mins[2 * k] * xSums[xBlock] + mins[2 * k + 1] * xSums[xBlock + 1];
            }
        }
        return sum.reduceLanes(VectorOperators.ADD) - minTerms;
    }
}
