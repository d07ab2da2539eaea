package dev.llama3j.tensor.quant;

import dev.llama3j.tensor.DType;

/**
 * Q4_0 and Q5_0 (ggml quantize_row_q4_0_ref / q5_0_ref): the value of largest magnitude maps to the most
 * negative level, {@code d = max / -2^(bits-1)}, {@code q = min(levels-1, (int)(x/d + 2^(bits-1) + 0.5))}.
 * Element {@code j < 16} is the low nibble of {@code qs[j]}, element {@code j + 16} its high nibble; Q5_0
 * keeps every 5th bit in the 32-bit {@code qh} before {@code qs}.
 */
final class SymmetricQuantizer extends BlockQuantizer {
    private final int half;
    private final boolean fiveBits;

    SymmetricQuantizer(DType type) {
        super(type);
        this.fiveBits = type == DType.Q5_0;
        this.half = fiveBits ? 16 : 8;
    }

    @Override
    void quantizeBlock(float[] x, int xOff, byte[] dst, int dstOff) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[xOff + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -half;
        float id = d != 0 ? 1.0f / d : 0.0f;
        LittleEndian.putHalf(dst, dstOff, d);
        int qs = dstOff + (fiveBits ? 6 : 2);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = level(x[xOff + j], id);
            int q1 = level(x[xOff + 16 + j], id);
            dst[qs + j] = (byte) ((q0 & 0x0F) | (q1 & 0x0F) << 4);
            qh |= (q0 >>> 4) << j | (q1 >>> 4) << (j + 16);
        }
        if (fiveBits) {
            LittleEndian.putInt(dst, dstOff + 2, qh);
        }
    }

    /**
     * {@code (int)(x*id + half + 0.5)} capped at the top level. ggml is built with FMA contraction, which
     * fuses the product and the sum into one rounding; gguf-py emulates the same in float64.
     */
    private int level(float v, float id) {
        return Math.min(2 * half - 1, (int) Math.fma(v, id, half + 0.5f));
    }
}
