package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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

    @Override
    void unpack(MemorySegment w, long block, byte[] q, int qOff) {
        for (int j = 0; j < 256; j += GROUP) {
            QuantBits.nibbles(w, block + lowByte(j), lowShift(j))
                    .or(QuantBits.times16(QuantBits.bits(w, block + highByte(j), highShift(j), 3)))
                    .sub((byte) 32)
                    .intoArray(q, qOff + j);
        }
    }
}
