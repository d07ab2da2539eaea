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

    /*
     * Decode. Per half of 128 elements three 32-byte loads of quads: ql[0..32), ql[32..64) and qh. Chunk m (32
     * elements) takes its low 4 bits from nibble m/2 of the (m%2)-th ql load and its top 2 bits from bits 2m of qh;
     * byte t of a lane is element 4i + t of the chunk. One shift per half and load lines the nibble up with its top
     * bits (l >>> 4 for the high nibbles, qh << 4, << 2, >>> 2), then each 6-bit quant of byte t is taken out in
     * place with two ANDs and an OR and converted: the quant times 2^(8t), exactly, against x prepared with the
     * matching 2^(-8t), so the products, and the FMAs, are those of the bare quant. A chunk's lanes 0-3 are one
     * sub-block of 16 and lanes 4-7 the next, so its scales are one vector (a lane shuffle of the half's 8 scales).
     * The -32 meets the prepared per-sub-block sums of x in one FMA per half. Spelled out with no helper between it
     * and the Vector API: C2 inlines at most 15 levels deep and the Vector API's own layers use most of them; an
     * operation past that is not intrinsified and boxes every vector.
     */

    /** The low nibble of byte t of every int lane, and the 2 bits above it. */
    private static final IntVector LOW_0 = IntVector.broadcast(I8, 0x0F);
    private static final IntVector LOW_1 = IntVector.broadcast(I8, 0x0F << 8);
    private static final IntVector LOW_2 = IntVector.broadcast(I8, 0x0F << 16);
    private static final IntVector LOW_3 = IntVector.broadcast(I8, 0x0F << 24);
    private static final IntVector HIGH_0 = IntVector.broadcast(I8, 0x30);
    private static final IntVector HIGH_1 = IntVector.broadcast(I8, 0x30 << 8);
    private static final IntVector HIGH_2 = IntVector.broadcast(I8, 0x30 << 16);
    private static final IntVector HIGH_3 = IntVector.broadcast(I8, 0x30 << 24);

    /** Per-thread prepared vector, see {@link #prepare}. */
    private static final ThreadLocal<float[][]> PREPARED = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    /**
     * {@code x} reordered as quads with the element of byte t scaled by {@code 2^(-8t)} (exact: a power of two,
     * unless {@code |x| < 2^-102}, where the scaled value loses bits below 2^-149, an absolute error under 2^-121 per
     * weight), followed by {@code -32} times the sum of x over each sub-block of 16, in a per-thread buffer.
     */
    @Override
    public float[] prepare(float[] x, int xOff, int n) {
        float[][] holder = PREPARED.get();
        if (holder[0].length < n + n / 16) {
            holder[0] = new float[n + n / 16];
        }
        float[] p = holder[0];
        for (int c = 0; c < n; c += 32) {
            for (int t = 0; t < 4; t++) {
                float scale = Math.scalb(1f, -8 * t);
                for (int i = 0; i < 8; i++) {
                    p[c + 8 * t + i] = x[xOff + c + 4 * i + t] * scale;
                }
            }
        }
        for (int s = 0; s < n / 16; s++) {
            float sum = 0;
            for (int i = 0; i < 16; i++) {
                sum += x[xOff + 16 * s + i];
            }
            p[n + s] = -32 * sum;
        }
        return p;
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
            // not QuantBits.f16: this method is past C2's node budget for inlining, and a call left in the loop
            // spills every vector register around it
            FloatVector d = FloatVector.broadcast(F8, Float.float16ToFloat(w.get(Vectors.SHORT_LE, block + D)));
            for (int h = 0; h < 2; h++) {
                IntVector l0 = ByteVector.fromMemorySegment(B32, w, block + 64L * h, LE).reinterpretAsInts();
                IntVector l1 = ByteVector.fromMemorySegment(B32, w, block + 64L * h + 32, LE).reinterpretAsInts();
                IntVector qh = ByteVector.fromMemorySegment(B32, w, block + QH + 32L * h, LE).reinterpretAsInts();
                IntVector l0s = l0.lanewise(LSHR, 4);
                IntVector l1s = l1.lanewise(LSHR, 4);
                IntVector qh4 = qh.lanewise(LSHL, 4);
                IntVector qh2 = qh.lanewise(LSHL, 2);
                IntVector qhr2 = qh.lanewise(LSHR, 2);
                FloatVector scales = ((FloatVector) ByteVector.fromMemorySegment(B8, w, block + SCALES + 8L * h, LE)
                        .convertShape(B2F, F8, 0)).mul(d);
                int xc = 256 * b + 128 * h;
                acc0 = scales.fma(FloatVector.fromArray(F8, p, n + 16 * b + 8 * h), acc0);
                FloatVector c0 = ((FloatVector) l0.and(LOW_0).or(qh4.and(HIGH_0)).convert(I2F, 0))
                        .mul(FloatVector.fromArray(F8, p, xc + 0));
                FloatVector c1 = ((FloatVector) l1.and(LOW_0).or(qh2.and(HIGH_0)).convert(I2F, 0))
                        .mul(FloatVector.fromArray(F8, p, xc + 32));
                FloatVector c2 = ((FloatVector) l0s.and(LOW_0).or(qh.and(HIGH_0)).convert(I2F, 0))
                        .mul(FloatVector.fromArray(F8, p, xc + 64));
                FloatVector c3 = ((FloatVector) l1s.and(LOW_0).or(qhr2.and(HIGH_0)).convert(I2F, 0))
                        .mul(FloatVector.fromArray(F8, p, xc + 96));
                c0 = ((FloatVector) l0.and(LOW_1).or(qh4.and(HIGH_1)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xc + 8), c0);
                c1 = ((FloatVector) l1.and(LOW_1).or(qh2.and(HIGH_1)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xc + 40), c1);
                c2 = ((FloatVector) l0s.and(LOW_1).or(qh.and(HIGH_1)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xc + 72), c2);
                c3 = ((FloatVector) l1s.and(LOW_1).or(qhr2.and(HIGH_1)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xc + 104), c3);
                c0 = ((FloatVector) l0.and(LOW_2).or(qh4.and(HIGH_2)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xc + 16), c0);
                c1 = ((FloatVector) l1.and(LOW_2).or(qh2.and(HIGH_2)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xc + 48), c1);
                c2 = ((FloatVector) l0s.and(LOW_2).or(qh.and(HIGH_2)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xc + 80), c2);
                c3 = ((FloatVector) l1s.and(LOW_2).or(qhr2.and(HIGH_2)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xc + 112), c3);
                c0 = ((FloatVector) l0.and(LOW_3).or(qh4.and(HIGH_3)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xc + 24), c0);
                c1 = ((FloatVector) l1.and(LOW_3).or(qh2.and(HIGH_3)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xc + 56), c1);
                c2 = ((FloatVector) l0s.and(LOW_3).or(qh.and(HIGH_3)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xc + 88), c2);
                c3 = ((FloatVector) l1s.and(LOW_3).or(qhr2.and(HIGH_3)).convert(I2F, 0))
                        .fma(FloatVector.fromArray(F8, p, xc + 120), c3);
                acc0 = c0.fma(scales.rearrange(PAIR[0]), acc0);
                acc1 = c1.fma(scales.rearrange(PAIR[1]), acc1);
                acc2 = c2.fma(scales.rearrange(PAIR[2]), acc2);
                acc3 = c3.fma(scales.rearrange(PAIR[3]), acc3);
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
