package dev.llama3j.tensor.kernel;


import java.lang.foreign.MemorySegment;

import static dev.llama3j.tensor.kernel.QuantBits.GROUP;

/**
 * Q5_K: blocks of 256 as {@code fp16 d, fp16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]}: Q4_K's scales
 * and nibbles, plus a 5th bit for element {@code j} of sub-block {@code s} in bit {@code s} of
 * {@code qh[j mod 32]}.
 */
public final class Q5KKernel extends QuantKernel {
    public static final Q5KKernel INSTANCE = new Q5KKernel();

    private static final int QH = 16;
    private static final int QS = 48;

    private Q5KKernel() {
        super(256, 176, 32, true);
    }

    @Override
    int quant(MemorySegment w, long block, int j) {
        int high = (QuantBits.u8(w, block + QH + (j & 31)) >>> (j >>> 5)) & 1;
        return QuantBits.nibble(w, block + Q4KKernel.nibbleByte(QS, j), Q4KKernel.nibbleShift(j)) | high << 4;
    }

    @Override
    float scale(MemorySegment w, long block, int sub) {
        return QuantBits.f16(w, block) * QuantBits.kScale(w, block + 4, sub);
    }

    @Override
    float offset(MemorySegment w, long block, int sub) {
        return -(QuantBits.f16(w, block + 2) * QuantBits.kMin(w, block + 4, sub));
    }

    @Override
    void unpack(MemorySegment w, long block, byte[] q, int qOff) {
        for (int j = 0; j < 256; j += GROUP) {
            QuantBits.nibbles(w, block + Q4KKernel.nibbleByte(QS, j), Q4KKernel.nibbleShift(j))
                    .or(QuantBits.times16(QuantBits.bits(w, block + QH + (j & 31), j >>> 5, QuantBits.LOW_1)))
                    .intoArray(q, qOff + j);
        }
    }
}
