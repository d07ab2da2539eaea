package dev.llama3j.model;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.kernel.RowKernel;
import dev.llama3j.tensor.quant.Quantizer;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a KV cache stores keys or values (llama.cpp's {@code --cache-type-k/-v} names and ggml's blocks): float32, the
 * reference numerics; f16, half the memory; q8_0, blocks of 32 int8 values with an f16 scale, about a quarter.
 */
public enum CacheType {
    F32(DType.F32),
    F16(DType.F16),
    Q8_0(DType.Q8_0);

    private final DType type;
    private final RowKernel kernel;
    private final Quantizer quantizer;

    CacheType(DType type) {
        this.type = type;
        this.kernel = type.kernel();
        this.quantizer = Quantizer.of(type);
    }

    /** llama.cpp's name: f32, f16, q8_0. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type named {@code name} (llama.cpp's names), or a one-line error naming the option and the choices. */
    public static CacheType parse(String option, String name) {
        for (CacheType t : values()) {
            if (t.cliName().equals(name.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new LlamaException(option + ": unknown cache type '" + name + "', expected one of "
                + Arrays.stream(values()).map(CacheType::cliName).collect(Collectors.joining(", ")));
    }

    /** Elements stored together: a head's slice of a position must be a whole number of them. */
    public int blockSize() {
        return type.blockSize;
    }

    /** Bytes that {@code n} elements take (n a multiple of {@link #blockSize}). */
    public long bytes(long n) {
        return type.bytesFor(n);
    }

    /** Stores {@code src[off .. off + n)} at byte {@code at} of {@code dst}; {@code tmp} holds {@link #bytes}(n). */
    void store(float[] src, int off, int n, MemorySegment dst, long at, byte[] tmp) {
        if (this == F32) {
            MemorySegment.copy(src, off, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, at, n);
            return;
        }
        quantizer.quantize(src, off, n, tmp, 0);
        MemorySegment.copy(tmp, 0, dst, ValueLayout.JAVA_BYTE, at, (int) bytes(n));
    }

    /** The {@code n} elements at byte {@code at} of {@code src} as floats, into {@code dst[0 .. n)}. */
    void load(MemorySegment src, long at, int n, float[] dst) {
        kernel.unpackFloats(src, at, dst, 0, n);
    }
}
