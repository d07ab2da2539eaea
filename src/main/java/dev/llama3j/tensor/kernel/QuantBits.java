package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.llama3j.tensor.kernel.Vectors.LE;
import static dev.llama3j.tensor.kernel.Vectors.SHORT_LE;

/**
 * Bit-level helpers shared by the quantized kernels: fp16 scales, nibbles (scalar and vector) and the
 * 6-bit scale/min packing of Q4_K and Q5_K.
 */
final class QuantBits {
    private QuantBits() {}

    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    /**
     * Byte lanes of one unpacking step: 16, which divides every block and sub-block size and never crosses the
     * 16-byte halves of a nibble-packed Q4_0/Q5_0 block; one SSE/NEON register.
     */
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    /** Quants per unpacking step. */
    static final int GROUP = B.length();

    private static final int LANES = Vectors.F.length();

    /**
     * {@code acc + q * x[xAt .. xAt + 16)} lane-wise: the 16 signed quants of {@code q} widened to floats
     * ({@code 16 / F.length()} vectors) and multiplied into the partial sums. The arithmetic of every quantized dot.
     */
    static FloatVector dot16(ByteVector q, float[] x, int xAt, FloatVector acc) {
        for (int p = 0; p < GROUP / LANES; p++) {
            FloatVector qf = (FloatVector) q.convertShape(VectorOperators.B2F, Vectors.F, p);
            acc = qf.fma(FloatVector.fromArray(Vectors.F, x, xAt + p * LANES), acc);
        }
        return acc;
    }

    /** The sums of {@code x[xOff .. xOff + n)} over each block of 32: what a min multiplies. */
    static float[] blockSums(float[] x, int xOff, int n) {
        float[] sums = new float[n / 32];
        for (int b = 0; b < sums.length; b++) {
            FloatVector xs = FloatVector.fromArray(Vectors.F, x, xOff + 32 * b);
            for (int p = LANES; p < 32; p += LANES) {
                xs = xs.add(FloatVector.fromArray(Vectors.F, x, xOff + 32 * b + p));
            }
            sums[b] = xs.reduceLanes(VectorOperators.ADD);
        }
        return sums;
    }

    /** {@code sum_b min_b * sums[b]} for blocks of 32 whose fp16 min lies at byte {@code minAt} (Q4_1). */
    static float minTerms(MemorySegment w, long off, int blockBytes, int minAt, float[] sums) {
        float total = 0f;
        for (int b = 0; b < sums.length; b++) {
            total += f16(w, off + (long) blockBytes * b + minAt) * sums[b];
        }
        return total;
    }

    /** {@code sum_b dmin_b * sum_s min_bs * sums[8b + s]}: the part of a Q4_K dot that is subtracted. */
    static float kMinTerms(MemorySegment w, long off, int blockBytes, float[] sums) {
        float total = 0f;
        for (int b = 0; b < sums.length / 8; b++) {
            long block = off + (long) blockBytes * b;
            float dmin = f16(w, block + 2);
            for (int sub = 0; sub < 8; sub++) {
                total += dmin * kMin(w, block + 4, sub) * sums[8 * b + sub];
            }
        }
        return total;
    }

    /** {@code sum q*x} over the 32 nibbles at {@code shift} (0 or 4) of the 32 bytes at {@code at}, and x from xj. */
    static float nibbleDot32(MemorySegment w, long at, int shift, float[] x, int xj) {
        // spelled out, no helpers: see Q6KKernel's dot32 on C2's inlining depth
        FloatVector acc = FloatVector.zero(Vectors.F);
        for (int h = 0; h < 32; h += GROUP) {
            ByteVector q = ByteVector.fromMemorySegment(B, w, at + h, LE)
                    .reinterpretAsInts().lanewise(VectorOperators.LSHR, shift).reinterpretAsBytes()
                    .and(LOW_4);
            for (int p = 0; p < GROUP / LANES; p++) {
                acc = ((FloatVector) q.convertShape(VectorOperators.B2F, Vectors.F, p))
                        .fma(FloatVector.fromArray(Vectors.F, x, xj + h + p * LANES), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** The high nibble of each byte of {@code v}. */
    static ByteVector high4(ByteVector v) {
        return v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(LOW_4);
    }

    static float f16(MemorySegment w, long at) {
        return Float.float16ToFloat(w.get(SHORT_LE, at));
    }

    static int u8(MemorySegment w, long at) {
        return w.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    /** The 4 bits at {@code shift} (0 or 4) of the byte at {@code at}. */
    static int nibble(MemorySegment w, long at, int shift) {
        return (u8(w, at) >>> shift) & 0x0F;
    }

    /** Byte masks and constants as vectors, built once: a scalar operand would be broadcast again at every use. */
    static final ByteVector LOW_4 = ByteVector.broadcast(B, (byte) 0x0F);
    static final ByteVector LOW_2 = ByteVector.broadcast(B, (byte) 0x03);
    static final ByteVector LOW_1 = ByteVector.broadcast(B, (byte) 0x01);

    /** {@link #GROUP} consecutive bytes from {@code at}, each reduced to its 4 bits at {@code shift}. */
    static ByteVector nibbles(MemorySegment w, long at, int shift) {
        return bits(w, at, shift, LOW_4);
    }

    /**
     * {@link #GROUP} consecutive bytes from {@code at}, each reduced to its {@code mask} bits at {@code shift}.
     * x86 has no byte shifts, so whole 32-bit lanes are shifted and the per-byte mask clears the bits that
     * came in from the neighbouring byte.
     */
    static ByteVector bits(MemorySegment w, long at, int shift, ByteVector mask) {
        return load(w, at).reinterpretAsInts()
                .lanewise(VectorOperators.LSHR, shift)
                .reinterpretAsBytes()
                .and(mask);
    }

    /** Each byte of {@code v} (all below 16) times 16, through 32-bit lanes for the same reason. */
    static ByteVector times16(ByteVector v) {
        return v.reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes();
    }

    static ByteVector load(MemorySegment w, long at) {
        return ByteVector.fromMemorySegment(B, w, at, LE);
    }

    /**
     * Scale of sub-block {@code j} (0..7) from the 12 packed bytes at {@code at} (ggml get_scale_min_k4):
     * bytes 0-3 hold scales 0-3 in their low 6 bits, bytes 8-11 the low 4 bits of scales 4-7, whose top
     * 2 bits sit in the top bits of bytes 0-3.
     */
    static int kScale(MemorySegment w, long at, int j) {
        return j < 4
                ? u8(w, at + j) & 0x3F
                : (u8(w, at + j + 4) & 0x0F) | ((u8(w, at + j - 4) >>> 6) << 4);
    }

    /** Min of sub-block {@code j}: like {@link #kScale} with bytes 4-7 and the high nibbles of bytes 8-11. */
    static int kMin(MemorySegment w, long at, int j) {
        return j < 4
                ? u8(w, at + j + 4) & 0x3F
                : (u8(w, at + j + 4) >>> 4) | ((u8(w, at + j) >>> 6) << 4);
    }
}
