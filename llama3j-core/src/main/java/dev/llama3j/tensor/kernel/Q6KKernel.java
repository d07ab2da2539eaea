package dev.llama3j.tensor.kernel;

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
    private static final jdk.incubator.vector.VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final ByteVector MINUS = ByteVector.broadcast(QuantBits.B, (byte) 32);

    private Q6KKernel() {
        super(256, 210, 16, false);
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
     * Decode, one iteration per half block of 128 (a nested loop over the two halves is compiled by C2 with its range
     * checks left inside). Three 32-byte loads of quads: ql[0..32), ql[32..64) and qh. Chunk m (32 elements) takes
     * its low 4 bits from nibble m/2 of the (m%2)-th ql load and its top 2 bits from bits 2m of qh. Each byte of a
     * lane is first made the whole 6-bit quant (an AND for the nibbles, a shift and an AND for the top bits, an OR:
     * about 5 ops per 32 weights). Byte k of every lane (bits 8k .. 8k+5) is then taken out in place with one op and
     * converted: byte 1 and 2 by an AND, the top byte by a right shift to bit 0, byte 0 by a left shift to bit 24
     * (a shift needs no mask register; C2 has only 16 and otherwise re-broadcasts the masks at every use). The
     * converted value is the quant times 2^(8k) (or 2^24), exactly, and the prepared x carries the inverse power of
     * two, so each product, and so each FMA, is the same as with the bare quant. One shift or AND, one convert and
     * one FMA per 8 weights, where the old loop took two shifts, two ANDs, an OR, a convert and an FMA.
     *
     * A chunk's lanes 0-3 are one sub-block of 16 and lanes 4-7 the next, so its sum meets a lane shuffle of the
     * half's 8 scales. The -32 is one FMA per half: the 8 scales times -32 times the prepared sub-block sums of x.
     * Two sums (even and odd chunks) keep the registers that C2 has free for the masks and shuffles.
     */

    /** Per-thread prepared vector, see {@link #prepare}. */
    private static final ScratchFloats PREPARED = new ScratchFloats();

    /** The power of two that undoes the position of byte k of a lane, as converted by {@link #dot}. */
    private static final float[] BYTE_SCALES = {0x1p-24f, 0x1p-8f, 0x1p-16f, 1f};

    /**
     * {@code x} reordered as quads (in each 32, element {@code 4i + k} moves to {@code 8k + i}) and scaled by
     * {@link #BYTE_SCALES}{@code [k]} (exact: a power of two, unless {@code |x| < 2^-102}, where the scaled value
     * loses bits below 2^-149: an absolute error under 2^-126 in that x), followed by {@code -32} times the sum of x
     * over each sub-block of 16, in a per-thread buffer.
     */
    @Override
    public float[] prepare(float[] x, int xOff, int n) {
        float[] p = PREPARED.get(n + n / 16);
        for (int c = 0; c < n; c += 32) {
            for (int k = 0; k < 4; k++) {
                for (int i = 0; i < 8; i++) {
                    p[c + 8 * k + i] = x[xOff + c + 4 * i + k] * BYTE_SCALES[k];
                }
            }
        }
        for (int s = 0; s < n / 16; s++) {
            float sum = 0;
            for (int i = 0; i < 16; i++) {
                sum += x[xOff + 16 * s + i];
            }
            p[n + s] = -32f * sum;
        }
        return p;
    }

    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        return dot(w, off, x, xOff, n, prepare(x, xOff, n));
    }

    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n, float[] p) {
        // broadcast here, not read from static vectors: C2 reloads a static vector's payload in every iteration
        IntVector low4 = IntVector.broadcast(I8, 0x0F0F0F0F);
        IntVector high2 = IntVector.broadcast(I8, 0x30303030);
        IntVector byte1 = IntVector.broadcast(I8, 0x3F << 8);
        IntVector byte2 = IntVector.broadcast(I8, 0x3F << 16);
        FloatVector even = FloatVector.zero(F8);
        FloatVector odd = FloatVector.zero(F8);
        for (int hb = 0; hb < n / 128; hb++) {
            long block = off + 210L * (hb >>> 1);
            int h = hb & 1;
            FloatVector s = ((FloatVector) ByteVector.fromMemorySegment(B8, w, block + SCALES + 8L * h, LE)
                    .convertShape(B2F, F8, 0)).mul(QuantBits.f16(w, block + D));
            odd = s.fma(FloatVector.fromArray(F8, p, n + 8 * hb), odd);
            long ql = block + 64L * h;
            IntVector l0 = ByteVector.fromMemorySegment(B32, w, ql, LE).reinterpretAsInts();
            IntVector l1 = ByteVector.fromMemorySegment(B32, w, ql + 32, LE).reinterpretAsInts();
            IntVector qh = ByteVector.fromMemorySegment(B32, w, block + QH + 32L * h, LE).reinterpretAsInts();
            int xc = 128 * hb;
            IntVector q;
            FloatVector c;
            q = l0.and(low4).or(qh.lanewise(LSHL, 4).and(high2));
            c = ((FloatVector) q.lanewise(LSHL, 24).convert(I2F, 0)).mul(FloatVector.fromArray(F8, p, xc));
            c = ((FloatVector) q.and(byte1).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 8), c);
            c = ((FloatVector) q.and(byte2).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 16), c);
            c = ((FloatVector) q.lanewise(LSHR, 24).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 24), c);
            even = c.fma(s.rearrange(PAIR[0]), even);
            q = l1.and(low4).or(qh.lanewise(LSHL, 2).and(high2));
            c = ((FloatVector) q.lanewise(LSHL, 24).convert(I2F, 0)).mul(FloatVector.fromArray(F8, p, xc + 32));
            c = ((FloatVector) q.and(byte1).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 40), c);
            c = ((FloatVector) q.and(byte2).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 48), c);
            c = ((FloatVector) q.lanewise(LSHR, 24).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 56), c);
            odd = c.fma(s.rearrange(PAIR[1]), odd);
            q = l0.lanewise(LSHR, 4).and(low4).or(qh.and(high2));
            c = ((FloatVector) q.lanewise(LSHL, 24).convert(I2F, 0)).mul(FloatVector.fromArray(F8, p, xc + 64));
            c = ((FloatVector) q.and(byte1).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 72), c);
            c = ((FloatVector) q.and(byte2).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 80), c);
            c = ((FloatVector) q.lanewise(LSHR, 24).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 88), c);
            even = c.fma(s.rearrange(PAIR[2]), even);
            q = l1.lanewise(LSHR, 4).and(low4).or(qh.lanewise(LSHR, 2).and(high2));
            c = ((FloatVector) q.lanewise(LSHL, 24).convert(I2F, 0)).mul(FloatVector.fromArray(F8, p, xc + 96));
            c = ((FloatVector) q.and(byte1).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 104), c);
            c = ((FloatVector) q.and(byte2).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 112), c);
            c = ((FloatVector) q.lanewise(LSHR, 24).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xc + 120), c);
            odd = c.fma(s.rearrange(PAIR[3]), odd);
        }
        return Vectors.sum8(even.add(odd));
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
