package dev.llama3j.tensor.quant;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.DType;

/**
 * Turns float32 rows into the bytes of one ggml element type, bit for bit as ggml's reference quantizers
 * ({@code quantize_row_*_ref}) and gguf-py write them, so the kernels of {@code tensor.kernel} read back
 * what llama.cpp would. An instance keeps scratch buffers: use one per thread.
 */
public sealed interface Quantizer permits PlainQuantizer, BlockQuantizer {

    DType type();

    /**
     * Writes {@code n} floats from {@code x[xOff ..]} (a multiple of the block size) as
     * {@code type().bytesFor(n)} bytes into {@code dst[dstOff ..]}.
     */
    void quantize(float[] x, int xOff, int n, byte[] dst, int dstOff);

    /** A new quantizer for {@code type}; a type llama3j cannot write is a {@link LlamaException}. */
    static Quantizer of(DType type) {
        return switch (type) {
            case F32, F16, BF16 -> new PlainQuantizer(type);
            case Q8_0 -> new Q8_0Quantizer();
            case Q4_0, Q5_0 -> new SymmetricQuantizer(type);
            case Q4_K, Q5_K -> new AffineKQuantizer(type);
            case Q6_K -> new Q6KQuantizer();
            default -> throw new LlamaException("writing " + type + " weights is not supported");
        };
    }
}
