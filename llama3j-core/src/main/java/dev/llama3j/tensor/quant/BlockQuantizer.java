package dev.llama3j.tensor.quant;

import dev.llama3j.tensor.DType;

/** A block-quantized type: the row is cut into blocks that are quantized one by one. */
abstract sealed class BlockQuantizer implements Quantizer
        permits Q8_0Quantizer, SymmetricQuantizer, AffineKQuantizer, Q6KQuantizer {
    private final DType type;

    BlockQuantizer(DType type) {
        this.type = type;
    }

    @Override
    public final DType type() {
        return type;
    }

    /** One block of {@code type().blockSize} floats from {@code x[xOff ..]} into {@code type().blockBytes} bytes. */
    abstract void quantizeBlock(float[] x, int xOff, byte[] dst, int dstOff);

    @Override
    public final void quantize(float[] x, int xOff, int n, byte[] dst, int dstOff) {
        if (n % type.blockSize != 0) {
            throw new IllegalArgumentException(type + " needs a multiple of " + type.blockSize + " values, got " + n);
        }
        for (int b = 0; b < n / type.blockSize; b++) {
            quantizeBlock(x, xOff + b * type.blockSize, dst, dstOff + b * type.blockBytes);
        }
    }

    /**
     * ggml's {@code nearest_int}: adding 1.5 * 2^23 leaves the integer, rounded to nearest even, in the low
     * mantissa bits. Reproduced exactly (rather than Math.rint) so out-of-range inputs give ggml's bits too.
     */
    static int nearestInt(float v) {
        return (Float.floatToRawIntBits(v + 12582912f) & 0x007fffff) - 0x00400000;
    }
}
