package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.llama3j.tensor.kernel.QuantBits.B;
import static dev.llama3j.tensor.kernel.QuantBits.B32;
import static dev.llama3j.tensor.kernel.QuantBits.F8;
import static dev.llama3j.tensor.kernel.QuantBits.I8;
import static dev.llama3j.tensor.kernel.QuantBits.MASK4;
import static dev.llama3j.tensor.kernel.Vectors.LE;
import static jdk.incubator.vector.VectorOperators.B2F;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static dev.llama3j.tensor.kernel.QuantBits.GROUP;

/**
 * Q6_K: blocks of 256 as {@code u8 ql[128], u8 qh[64], int8 scales[16], fp16 d}, 16 sub-blocks of 16:
 * {@code w = (d*scale) * (q - 32)}. Each half {@code h} of 128 elements uses {@code ql[64h ..]} and
 * {@code qh[32h ..]}: element {@code r} of the half has its low 4 bits in nibble {@code r/64} of
 * {@code ql[r mod 64]} and its top 2 bits at bit {@code 2*(r/32)} of {@code qh[r mod 32]}.
 */
public final class Q6KKernel extends QuantKernel {
    public static final Q6KKernel INSTANCE = new Q6KKernel();

    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;
    private static final ByteVector MINUS = ByteVector.broadcast(QuantBits.B, (byte) 32);
    private static final IntVector MASK_HIGH = IntVector.broadcast(I8, 0x30);
    private static final FloatVector MINUS_32 = FloatVector.broadcast(F8, -32f);

    private static final jdk.incubator.vector.VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;

    private Q6KKernel() {
        super(DType.Q6_K, 16, false);
    }

    private static long lowByte(int j) {
        return 64L * (j >>> 7) + (j & 63);
    }

    private static int lowShift(int j) {
        return ((j >>> 6) & 1) * 4;
    }

    private static long highByte(int j) {
        return QH + 32L * (j >>> 7) + (j & 31);
    }

    private static int highShift(int j) {
        return ((j >>> 5) & 3) * 2;
    }

    @Override
    int quant(MemorySegment w, long block, int j) {
        int high = (QuantBits.u8(w, block + highByte(j)) >>> highShift(j)) & 3;
        return (QuantBits.nibble(w, block + lowByte(j), lowShift(j)) | high << 4) - 32;
    }

    @Override
    float scale(MemorySegment w, long block, int sub) {
        return QuantBits.f16(w, block + D) * w.get(ValueLayout.JAVA_BYTE, block + SCALES + sub);
    }

    /** Elements {@code j .. j+16} (j a multiple of 16) of the block, minus 32. */
    private static ByteVector quants16(MemorySegment w, long block, int j) {
        return QuantBits.nibbles(w, block + lowByte(j), lowShift(j))
                .or(QuantBits.times16(QuantBits.bits(w, block + highByte(j), highShift(j), QuantBits.LOW_2)))
                .sub(MINUS);
    }

    @Override
    void unpack(MemorySegment w, long block, byte[] q, int qOff) {
        for (int j = 0; j < 256; j += GROUP) {
            quants16(w, block, j).intoArray(q, qOff + j);
        }
    }

    /**
     * 16 elements at a time, widened and scaled in registers: the same float product as
     * {@link #dequantize}, so the same bits.
     */
    @Override
    public void unpackFloats(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        for (int b = 0; b < n / 256; b++) {
            long block = off + 210L * b;
            float d = QuantBits.f16(w, block + D);
            for (int j = 0; j < 256; j += GROUP) {
                FloatVector scale = FloatVector.broadcast(Vectors.F, d * w.get(ValueLayout.JAVA_BYTE, block + SCALES + j / 16));
                ByteVector low = ByteVector.fromMemorySegment(B, w, block + lowByte(j), Vectors.LE)
                        .reinterpretAsInts().lanewise(VectorOperators.LSHR, lowShift(j)).reinterpretAsBytes()
                        .and(QuantBits.LOW_4);
                ByteVector high = ByteVector.fromMemorySegment(B, w, block + highByte(j), Vectors.LE)
                        .reinterpretAsInts().lanewise(VectorOperators.LSHR, highShift(j)).reinterpretAsBytes()
                        .and(QuantBits.LOW_2)
                        .reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes();
                ByteVector q = low.or(high).sub(MINUS);
                for (int p = 0; p < GROUP / Vectors.F.length(); p++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, Vectors.F, p)).mul(scale)
                            .intoArray(dst, dstOff + 256 * b + j + p * Vectors.F.length());
                }
            }
        }
    }

    /**
     * Per half of 128 elements three 32-byte loads of quads: {@code ql[0..32)}, {@code ql[32..64)} and {@code qh}.
     * Chunk {@code m} (32 elements) takes its low 4 bits from nibble {@code m/2} of the {@code m%2}-th ql load and its
     * top 2 bits from bits {@code 2m} of qh; {@code qh << 4} puts the top bits of chunks 0 and 1 where a right shift
     * reaches them. A chunk's lanes 0-3 are one sub-block of 16 and lanes 4-7 the next, so its scales are one vector
     * (a lane shuffle of the half's 8 scales). The {@code -32} multiplies the prepared lane sums of x. Spelled out
     * with no helper between it and the Vector API: C2 inlines at most 15 levels deep and the Vector API's own
     * layers use most of them; an operation past that is not intrinsified and boxes every vector.
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
        FloatVector acc0 = FloatVector.zero(F8);
        FloatVector acc1 = FloatVector.zero(F8);
        FloatVector acc2 = FloatVector.zero(F8);
        FloatVector acc3 = FloatVector.zero(F8);
        for (int b = 0; b < n / 256; b++) {
            long block = off + 210L * b;
            FloatVector d = FloatVector.broadcast(F8, QuantBits.f16(w, block + D));
            for (int h = 0; h < 2; h++) {
                IntVector l0 = ByteVector.fromMemorySegment(B32, w, block + 64L * h, LE).reinterpretAsInts();
                IntVector l1 = ByteVector.fromMemorySegment(B32, w, block + 64L * h + 32, LE).reinterpretAsInts();
                IntVector qh = ByteVector.fromMemorySegment(B32, w, block + QH + 32L * h, LE).reinterpretAsInts();
                IntVector qh4 = qh.lanewise(LSHL, 4);
                FloatVector scales = ((FloatVector) ByteVector.fromMemorySegment(B8, w, block + SCALES + 8L * h, LE)
                        .convertShape(B2F, F8, 0)).mul(d);
                int xc = 256 * b + 128 * h;
                FloatVector c0 = FloatVector.zero(F8);
                FloatVector c1 = FloatVector.zero(F8);
                FloatVector c2 = FloatVector.zero(F8);
                FloatVector c3 = FloatVector.zero(F8);
                // constant shifts, spelled out: a shift by a loop variable costs C2 several times more
                c0 = ((FloatVector) l0.and(MASK4).or(qh4.and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 0), c0);
                c1 = ((FloatVector) l1.and(MASK4).or(qh4.lanewise(LSHR, 2).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 32), c1);
                c2 = ((FloatVector) l0.lanewise(LSHR, 4).and(MASK4).or(qh.and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 64), c2);
                c3 = ((FloatVector) l1.lanewise(LSHR, 4).and(MASK4).or(qh.lanewise(LSHR, 2).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 96), c3);
                c0 = ((FloatVector) l0.lanewise(LSHR, 8).and(MASK4).or(qh4.lanewise(LSHR, 8).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 8), c0);
                c1 = ((FloatVector) l1.lanewise(LSHR, 8).and(MASK4).or(qh4.lanewise(LSHR, 10).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 40), c1);
                c2 = ((FloatVector) l0.lanewise(LSHR, 12).and(MASK4).or(qh.lanewise(LSHR, 8).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 72), c2);
                c3 = ((FloatVector) l1.lanewise(LSHR, 12).and(MASK4).or(qh.lanewise(LSHR, 10).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 104), c3);
                c0 = ((FloatVector) l0.lanewise(LSHR, 16).and(MASK4).or(qh4.lanewise(LSHR, 16).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 16), c0);
                c1 = ((FloatVector) l1.lanewise(LSHR, 16).and(MASK4).or(qh4.lanewise(LSHR, 18).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 48), c1);
                c2 = ((FloatVector) l0.lanewise(LSHR, 20).and(MASK4).or(qh.lanewise(LSHR, 16).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 80), c2);
                c3 = ((FloatVector) l1.lanewise(LSHR, 20).and(MASK4).or(qh.lanewise(LSHR, 18).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 112), c3);
                c0 = ((FloatVector) l0.lanewise(LSHR, 24).and(MASK4).or(qh4.lanewise(LSHR, 24).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 24), c0);
                c1 = ((FloatVector) l1.lanewise(LSHR, 24).and(MASK4).or(qh4.lanewise(LSHR, 26).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 56), c1);
                c2 = ((FloatVector) l0.lanewise(LSHR, 28).and(MASK4).or(qh.lanewise(LSHR, 24).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 88), c2);
                c3 = ((FloatVector) l1.lanewise(LSHR, 28).and(MASK4).or(qh.lanewise(LSHR, 26).and(MASK_HIGH))
                        .convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 120), c3);
                int xs = n + xc / 4;
                acc0 = FloatVector.fromArray(F8, p, xs).fma(MINUS_32, c0).fma(scales.rearrange(PAIR[0]), acc0);
                acc1 = FloatVector.fromArray(F8, p, xs + 8).fma(MINUS_32, c1).fma(scales.rearrange(PAIR[1]), acc1);
                acc2 = FloatVector.fromArray(F8, p, xs + 16).fma(MINUS_32, c2).fma(scales.rearrange(PAIR[2]), acc2);
                acc3 = FloatVector.fromArray(F8, p, xs + 24).fma(MINUS_32, c3).fma(scales.rearrange(PAIR[3]), acc3);
            }
        }
        return acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
    }

    /** Chunk m's scales from the half's 8: scale 2m in lanes 0-3, scale 2m+1 in lanes 4-7. */
    private static final VectorShuffle<Float>[] PAIR = pairShuffles();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] pairShuffles() {
        VectorShuffle<Float>[] pairs = new VectorShuffle[4];
        for (int m = 0; m < 4; m++) {
            int a = 2 * m;
            pairs[m] = VectorShuffle.fromValues(F8, a, a, a, a, a + 1, a + 1, a + 1, a + 1);
        }
        return pairs;
    }
}
