package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;

import java.lang.foreign.MemorySegment;

import static dev.llama3j.tensor.kernel.QuantBits.GROUP;

/**
 * Q4_0 ({@code fp16 d, u8 qs[16]}; {@code w = d * (q - 8)}) and Q4_1 ({@code fp16 d, fp16 m, u8 qs[16]};
 * {@code w = d * q + m}), blocks of 32. Element {@code j < 16} is the low nibble of {@code qs[j]},
 * element {@code j + 16} its high nibble.
 */
public final class Q4Kernel extends QuantKernel {
    public static final Q4Kernel Q4_0 = new Q4Kernel(DType.Q4_0, false);
    public static final Q4Kernel Q4_1 = new Q4Kernel(DType.Q4_1, true);

    private final int qs;
    private final int bias;

    private Q4Kernel(DType type, boolean hasMin) {
        super(type, 32, hasMin);
        this.qs = hasMin ? 4 : 2;
        this.bias = hasMin ? 0 : 8;
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

    @Override
    void unpack(MemorySegment w, long block, byte[] q, int qOff) {
        for (int j = 0; j < 32; j += GROUP) {
            QuantBits.nibbles(w, block + qs + (j & 15), (j >>> 4) * 4).sub((byte) bias).intoArray(q, qOff + j);
        }
    }
}
