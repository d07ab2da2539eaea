package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.llama3j.tensor.kernel.QuantBits.B;
import static dev.llama3j.tensor.kernel.QuantBits.GROUP;

/**
 * Q5_0 ({@code fp16 d, u32 qh, u8 qs[16]}; {@code w = d * (q - 16)}) and Q5_1
 * ({@code fp16 d, fp16 m, u32 qh, u8 qs[16]}; {@code w = d * q + m}), blocks of 32. The low 4 bits of
 * element {@code j} are nibbles as in Q4_0; its 5th bit is bit {@code j} of the little-endian {@code qh}.
 */
public final class Q5Kernel extends QuantKernel {
    public static final Q5Kernel Q5_0 = new Q5Kernel(22, false);
    public static final Q5Kernel Q5_1 = new Q5Kernel(24, true);

    private final int qh;
    private final int qs;
    private final int bias;

    private Q5Kernel(int blockBytes, boolean hasMin) {
        super(32, blockBytes, 32, hasMin);
        this.qh = hasMin ? 4 : 2;
        this.qs = qh + 4;
        this.bias = hasMin ? 0 : 16;
    }

    private long highBits(MemorySegment w, long block) {
        return Integer.toUnsignedLong(w.get(QuantBits.INT_LE, block + qh));
    }

    @Override
    int quant(MemorySegment w, long block, int j) {
        int high = (int) (highBits(w, block) >>> j) & 1;
        return (QuantBits.nibble(w, block + qs + (j & 15), (j >>> 4) * 4) | high << 4) - bias;
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
        long high = highBits(w, block);
        for (int j = 0; j < 32; j += GROUP) {
            // bit i of the shifted word marks lane i as having its 5th bit set
            VectorMask<Byte> fifth = VectorMask.fromLong(B, high >>> j);
            QuantBits.nibbles(w, block + qs + (j & 15), (j >>> 4) * 4)
                    .lanewise(VectorOperators.OR, (byte) 0x10, fifth)
                    .sub((byte) bias)
                    .intoArray(q, qOff + j);
        }
    }
}
