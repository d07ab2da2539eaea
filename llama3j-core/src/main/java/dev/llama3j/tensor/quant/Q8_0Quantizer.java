package dev.llama3j.tensor.quant;

import dev.llama3j.tensor.DType;

/** Q8_0 (ggml quantize_row_q8_0_ref): {@code d = amax / 127}, {@code q = roundf(x / d)}. */
final class Q8_0Quantizer extends BlockQuantizer {

    Q8_0Quantizer() {
        super(DType.Q8_0);
    }

    @Override
    void quantizeBlock(float[] x, int xOff, byte[] dst, int dstOff) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[xOff + j]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        LittleEndian.putHalf(dst, dstOff, d);
        for (int j = 0; j < 32; j++) {
            dst[dstOff + 2 + j] = (byte) roundHalfAway(x[xOff + j] * id);
        }
    }

    /** C's roundf (ties away from zero); in double so that {@code |v| + 0.5} is exact. */
    private static int roundHalfAway(float v) {
        double r = Math.floor(Math.abs((double) v) + 0.5);
        return (int) (v < 0 ? -r : r);
    }
}
