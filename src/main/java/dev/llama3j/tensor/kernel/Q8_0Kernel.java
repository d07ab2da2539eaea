package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.llama3j.tensor.kernel.QuantBits.GROUP;

/** Q8_0: blocks of 32 as {@code fp16 d, int8 q[32]}; {@code w = d * q}. */
public final class Q8_0Kernel extends QuantKernel {
    public static final Q8_0Kernel INSTANCE = new Q8_0Kernel();

    private Q8_0Kernel() {
        super(DType.Q8_0, 32, false);
    }

    @Override
    int quant(MemorySegment w, long block, int j) {
        return w.get(ValueLayout.JAVA_BYTE, block + 2 + j);
    }

    @Override
    float scale(MemorySegment w, long block, int sub) {
        return QuantBits.f16(w, block);
    }

    @Override
    void unpack(MemorySegment w, long block, byte[] q, int qOff) {
        // the quants already are signed bytes; a vector copy beats MemorySegment.copy's bulk path on 32 bytes
        for (int j = 0; j < 32; j += GROUP) {
            QuantBits.load(w, block + 2 + j).intoArray(q, qOff + j);
        }
    }
}
