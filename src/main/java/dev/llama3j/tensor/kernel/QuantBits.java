package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.ByteVector;
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

    /** {@link #GROUP} consecutive bytes from {@code at}, each reduced to its 4 bits at {@code shift}. */
    static ByteVector nibbles(MemorySegment w, long at, int shift) {
        return bits(w, at, shift, 0x0F);
    }

    /**
     * {@link #GROUP} consecutive bytes from {@code at}, each reduced to its {@code mask} bits at {@code shift}.
     * x86 has no byte shifts, so whole 32-bit lanes are shifted and the per-byte mask clears the bits that
     * came in from the neighbouring byte.
     */
    static ByteVector bits(MemorySegment w, long at, int shift, int mask) {
        return load(w, at).reinterpretAsInts()
                .lanewise(VectorOperators.LSHR, shift)
                .and(mask * 0x01010101)
                .reinterpretAsBytes();
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
