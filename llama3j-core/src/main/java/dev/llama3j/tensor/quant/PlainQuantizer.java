package dev.llama3j.tensor.quant;

import dev.llama3j.tensor.DType;

/** F32, F16 and BF16: one element at a time, no scales. */
final class PlainQuantizer implements Quantizer {
    private final DType type;

    PlainQuantizer(DType type) {
        this.type = type;
    }

    @Override
    public DType type() {
        return type;
    }

    @Override
    public void quantize(float[] x, int xOff, int n, byte[] dst, int dstOff) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            switch (type) {
                case F32 -> LittleEndian.putInt(dst, dstOff + 4 * i, Float.floatToRawIntBits(v));
                case F16 -> LittleEndian.putHalf(dst, dstOff + 2 * i, v);
                default -> LittleEndian.putShort(dst, dstOff + 2 * i, toBf16(v));
            }
        }
    }

    /**
     * float32 to bfloat16 rounded to nearest even, NaNs kept quiet (ggml_compute_fp32_to_bf16, gguf-py):
     * adding 0x7fff plus the lowest kept bit to the bits rounds the dropped half correctly, and a carry out
     * of the mantissa moves into the exponent as it should.
     */
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
