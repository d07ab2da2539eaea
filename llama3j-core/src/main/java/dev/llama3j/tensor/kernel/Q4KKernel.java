package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

import static dev.llama3j.tensor.kernel.QuantBits.B32;
import static dev.llama3j.tensor.kernel.QuantBits.F8;
import static dev.llama3j.tensor.kernel.QuantBits.GROUP;
import static dev.llama3j.tensor.kernel.QuantBits.I8;
import static dev.llama3j.tensor.kernel.Vectors.LE;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * Q4_K: blocks of 256 as {@code fp16 d, fp16 dmin, u8 scales[12], u8 qs[128]}, 8 sub-blocks of 32 with
 * 6-bit scale {@code sc} and min {@code m}: {@code w = (d*sc) * q - (dmin*m)}. Sub-blocks {@code 2k} and
 * {@code 2k+1} are the low and high nibbles of {@code qs[32k .. 32k+32)}.
 */
public final class Q4KKernel extends QuantKernel {
    public static final Q4KKernel INSTANCE = new Q4KKernel();

    private Q4KKernel() {
        super(256, 144, 32, true);
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

    /*
     * Decode. Per 64 elements one 32-byte load of quads (lane i holds bytes 4i .. 4i+3 of qs[32k ..]): nibble t of a
     * lane (bits 4t .. 4t+3) is element 4i + t/2 of sub-block 2k + t%2. Nibbles 0-3 are taken out of the load with
     * one AND each, nibbles 4-6 with the same 4 masks from the load shifted right by 16 (one shift per 64), left in
     * place and converted to floats: that is the quant times 2^(4 (t mod 4)), exactly, and the prepared x carries the
     * inverse power of two, so every product, and so every FMA, is the same as with the bare quant. The top nibble
     * (t = 7) is a shift alone. Four masks rather than seven: C2 has 16 vector registers, and with seven it kept
     * three of them on the stack and reloaded them at every use (12 reloads per block).
     *
     * The 8 scales and mins of a block are decoded as bytes in two longs (the 12-byte packing of QuantBits.kScale
     * with 64-bit masks and shifts), widened and converted as two vectors; the mins meet the prepared per-sub-block
     * sums of x in one FMA per block. A sub-block's scale is broadcast from a lane of the scale vector: storing the
     * vector and broadcasting each scale back from memory was slower on the Zen 3 measured (a 4-byte load from a
     * 32-byte store in flight). The 16-byte header is read as two longs (two range checks instead of four). The 4
     * chunks are spelled out: C2 otherwise splits the loop into pre- and main loops with a segment range check
     * computed in each, and a helper method would not be inlined (the method is past C2's node budget for
     * inlining, and a vector through a call is boxed).
     */

    private static final VectorSpecies<Long> L2 = LongVector.SPECIES_128;

    /** Per-thread prepared vector, see {@link #prepare}. */
    private static final ScratchFloats PREPARED = new ScratchFloats();

    /**
     * {@code x} reordered as quads with each element scaled by {@code 2^(-4 (t mod 4))} for the nibble t that meets it,
     * but 1 for t = 7 (exact: a power of two, unless {@code |x| < 2^-114}, where the scaled value loses bits below
     * 2^-149, an absolute error under 2^-134 per weight), followed by the negated sum of x over each sub-block of 32,
     * in a per-thread buffer.
     */
    @Override
    public float[] prepare(float[] x, int xOff, int n) {
        float[] p = PREPARED.get(n + n / 32);
        // one pass per 64 (two sub-blocks), spelled out: lane i of sub-block 0 meets elements 4i..4i+3 at nibbles
        // 0, 2, 4, 6, of sub-block 1 at nibbles 1, 3, 5, 7; a general loop nest with the scales computed ran
        // much slower in C2. Each sub-block's sum is still added left to right, the two as independent chains.
        for (int c = 0; c < n; c += 64) {
            float sum0 = 0f;
            float sum1 = 0f;
            for (int i = 0; i < 8; i++) {
                int a = xOff + c + 4 * i;
                int b = a + 32;
                float a0 = x[a], a1 = x[a + 1], a2 = x[a + 2], a3 = x[a + 3];
                float b0 = x[b], b1 = x[b + 1], b2 = x[b + 2], b3 = x[b + 3];
                p[c + i] = a0;
                p[c + 8 + i] = a1 * 0x1p-8f;
                p[c + 16 + i] = a2;
                p[c + 24 + i] = a3 * 0x1p-8f;
                p[c + 32 + i] = b0 * 0x1p-4f;
                p[c + 40 + i] = b1 * 0x1p-12f;
                p[c + 48 + i] = b2 * 0x1p-4f;
                p[c + 56 + i] = b3;
                sum0 = sum0 + a0 + a1 + a2 + a3;
                sum1 = sum1 + b0 + b1 + b2 + b3;
            }
            p[n + c / 32] = -sum0;
            p[n + c / 32 + 1] = -sum1;
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
        IntVector nibble0 = IntVector.broadcast(I8, 0xF);
        IntVector nibble1 = IntVector.broadcast(I8, 0xF0);
        IntVector nibble2 = IntVector.broadcast(I8, 0xF00);
        IntVector nibble3 = IntVector.broadcast(I8, 0xF000);
        FloatVector even = FloatVector.zero(F8);
        FloatVector odd = FloatVector.zero(F8);
        for (int b = 0; b < n / 256; b++) {
            long block = off + 144L * b;
            // the 16-byte header as two longs: two range checks instead of four
            long h0 = w.get(QuantBits.LONG_LE, block);
            long h1 = w.get(QuantBits.LONG_LE, block + 8);
            float d = Float.float16ToFloat((short) h0);
            float dmin = Float.float16ToFloat((short) (h0 >>> 16));
            long lo = h0 >>> 32 | h1 << 32;
            long hi = h1 >>> 32;
            long sc = packedScales(lo, hi);
            long mn = packedMins(lo, hi);
            FloatVector scales = ((FloatVector) LongVector.broadcast(L2, sc).reinterpretAsBytes()
                    .convertShape(B2I, I8, 0).convert(I2F, 0)).mul(d);
            odd = ((FloatVector) LongVector.broadcast(L2, mn).reinterpretAsBytes().convertShape(B2I, I8, 0)
                    .convert(I2F, 0)).mul(dmin).fma(FloatVector.fromArray(F8, p, n + 8 * b), odd);
            int xb = 256 * b;
            IntVector q;
            IntVector r;
            FloatVector low;
            FloatVector high;
            q = ByteVector.fromMemorySegment(B32, w, block + 16, LE).reinterpretAsInts();
            r = q.lanewise(LSHR, 16);
            low = ((FloatVector) q.and(nibble0).convert(I2F, 0)).mul(FloatVector.fromArray(F8, p, xb + 0));
            high = ((FloatVector) q.and(nibble1).convert(I2F, 0)).mul(FloatVector.fromArray(F8, p, xb + 32));
            low = ((FloatVector) q.and(nibble2).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 8), low);
            high = ((FloatVector) q.and(nibble3).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 40), high);
            low = ((FloatVector) r.and(nibble0).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 16), low);
            high = ((FloatVector) r.and(nibble1).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 48), high);
            low = ((FloatVector) r.and(nibble2).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 24), low);
            high = ((FloatVector) q.lanewise(LSHR, 28).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 56), high);
            even = low.fma(FloatVector.broadcast(F8, scales.lane(0)), even);
            odd = high.fma(FloatVector.broadcast(F8, scales.lane(1)), odd);
            q = ByteVector.fromMemorySegment(B32, w, block + 48, LE).reinterpretAsInts();
            r = q.lanewise(LSHR, 16);
            low = ((FloatVector) q.and(nibble0).convert(I2F, 0)).mul(FloatVector.fromArray(F8, p, xb + 64));
            high = ((FloatVector) q.and(nibble1).convert(I2F, 0)).mul(FloatVector.fromArray(F8, p, xb + 96));
            low = ((FloatVector) q.and(nibble2).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 72), low);
            high = ((FloatVector) q.and(nibble3).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 104), high);
            low = ((FloatVector) r.and(nibble0).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 80), low);
            high = ((FloatVector) r.and(nibble1).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 112), high);
            low = ((FloatVector) r.and(nibble2).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 88), low);
            high = ((FloatVector) q.lanewise(LSHR, 28).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 120), high);
            even = low.fma(FloatVector.broadcast(F8, scales.lane(2)), even);
            odd = high.fma(FloatVector.broadcast(F8, scales.lane(3)), odd);
            q = ByteVector.fromMemorySegment(B32, w, block + 80, LE).reinterpretAsInts();
            r = q.lanewise(LSHR, 16);
            low = ((FloatVector) q.and(nibble0).convert(I2F, 0)).mul(FloatVector.fromArray(F8, p, xb + 128));
            high = ((FloatVector) q.and(nibble1).convert(I2F, 0)).mul(FloatVector.fromArray(F8, p, xb + 160));
            low = ((FloatVector) q.and(nibble2).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 136), low);
            high = ((FloatVector) q.and(nibble3).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 168), high);
            low = ((FloatVector) r.and(nibble0).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 144), low);
            high = ((FloatVector) r.and(nibble1).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 176), high);
            low = ((FloatVector) r.and(nibble2).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 152), low);
            high = ((FloatVector) q.lanewise(LSHR, 28).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 184), high);
            even = low.fma(FloatVector.broadcast(F8, scales.lane(4)), even);
            odd = high.fma(FloatVector.broadcast(F8, scales.lane(5)), odd);
            q = ByteVector.fromMemorySegment(B32, w, block + 112, LE).reinterpretAsInts();
            r = q.lanewise(LSHR, 16);
            low = ((FloatVector) q.and(nibble0).convert(I2F, 0)).mul(FloatVector.fromArray(F8, p, xb + 192));
            high = ((FloatVector) q.and(nibble1).convert(I2F, 0)).mul(FloatVector.fromArray(F8, p, xb + 224));
            low = ((FloatVector) q.and(nibble2).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 200), low);
            high = ((FloatVector) q.and(nibble3).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 232), high);
            low = ((FloatVector) r.and(nibble0).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 208), low);
            high = ((FloatVector) r.and(nibble1).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 240), high);
            low = ((FloatVector) r.and(nibble2).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 216), low);
            high = ((FloatVector) q.lanewise(LSHR, 28).convert(I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 248), high);
            even = low.fma(FloatVector.broadcast(F8, scales.lane(6)), even);
            odd = high.fma(FloatVector.broadcast(F8, scales.lane(7)), odd);
        }
        return Vectors.sum8(even.add(odd));
    }

    /**
     * The 8 6-bit scales of a block as the bytes of a long (byte j is scale j, as QuantBits.kScale), from the packed
     * bytes 4-11 ({@code lo}) and 12-15 ({@code hi}, zero-extended): bytes 0-3 are the low 6 bits of packed bytes
     * 0-3; bytes 4-7 the low nibbles of packed bytes 8-11 with the top 2 bits of packed bytes 0-3 above.
     */
    private static long packedScales(long lo, long hi) {
        return (lo & 0x3F3F3F3FL) | (hi << 32 & 0x0F0F0F0F_00000000L) | (lo << 30 & 0x30303030_00000000L);
    }

    /** The 8 mins like {@link #packedScales}: packed bytes 4-7, and the high nibbles of bytes 8-11. */
    private static long packedMins(long lo, long hi) {
        return (lo >>> 32 & 0x3F3F3F3FL) | (hi << 28 & 0x0F0F0F0F_00000000L) | (lo >>> 2 & 0x30303030_00000000L);
    }
}
