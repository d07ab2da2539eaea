package dev.llama3j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/**
 * Random but valid weights of any {@link DType}, for kernel tests and benchmarks: random bytes everywhere, then every
 * fp16/bf16/f32 field overwritten with a finite value of either sign, so no block holds NaN or infinity.
 */
public final class RandomWeights {
    private RandomWeights() {}

    /** Byte offsets of the fp16 scales/mins inside one block of a quantized type. */
    public static int[] fp16Fields(DType t) {
        return switch (t) {
            case Q8_0, Q4_0, Q5_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(t.name());
        };
    }

    /** {@code rows x cols} weights of type {@code t} after {@code prefix} bytes, in {@code arena}. */
    public static MemorySegment fill(Arena arena, DType t, int rows, int cols, int prefix, Random rnd) {
        long bytes = t.bytesFor(cols) * rows;
        MemorySegment s = arena.allocate(prefix + bytes, 64);
        byte[] chunk = new byte[1 << 16];
        for (long at = 0; at < s.byteSize(); at += chunk.length) {
            rnd.nextBytes(chunk);
            int len = (int) Math.min(chunk.length, s.byteSize() - at);
            MemorySegment.copy(chunk, 0, s, ValueLayout.JAVA_BYTE, at, len);
        }
        long elements = (long) rows * cols;
        switch (t) {
            case F32 -> {
                for (long i = 0; i < elements; i++) {
                    s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, prefix + 4 * i, (float) rnd.nextGaussian());
                }
            }
            case F16 -> {
                for (long i = 0; i < elements; i++) {
                    s.set(ValueLayout.JAVA_SHORT_UNALIGNED, prefix + 2 * i, Float.floatToFloat16((float) rnd.nextGaussian()));
                }
            }
            case BF16 -> {
                for (long i = 0; i < elements; i++) {
                    int bits = Float.floatToRawIntBits((float) rnd.nextGaussian());
                    s.set(ValueLayout.JAVA_SHORT_UNALIGNED, prefix + 2 * i, (short) (bits >>> 16));
                }
            }
            default -> {
                long blocks = elements / t.blockSize;
                for (long b = 0; b < blocks; b++) {
                    for (int field : fp16Fields(t)) {
                        // between 2^-10 and 2^-3 in magnitude, like real block scales
                        float v = (float) Math.scalb(1 + rnd.nextDouble(), -3 - rnd.nextInt(8)) * (rnd.nextBoolean() ? 1 : -1);
                        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, prefix + b * t.blockBytes + field, Float.floatToFloat16(v));
                    }
                }
            }
        }
        return s;
    }

    /** {@code n} standard normal floats. */
    public static float[] gaussian(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }

    /** A {@code rows x cols} dense matrix of random weights (no prefix). */
    public static DenseMatrix matrix(Arena arena, DType t, int rows, int cols, Random rnd) {
        return new DenseMatrix(t + "-random", t, fill(arena, t, rows, cols, 0, rnd), rows, cols);
    }
}
