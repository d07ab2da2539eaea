package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.DenseMatrix;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.ParallelMatmul;
import dev.llama3j.tensor.RandomWeights;
import dev.llama3j.tensor.RepackedMatrix;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Q6_K repacked for integer products: against the scalar rule of the original blocks, at several row lengths. */
class Q6KRepackedTest {

    /**
     * The integer product of each sub-block of 16 (quants from the original blocks by the scalar reader, activation
     * quants), scaled by the sub-block's scale and its activation block's scale: the kernel may differ only by float
     * rounding of the scaling and of the sum over sub-blocks.
     */
    @Test
    void dotIsTheScaledIntegerDotOfEachSubBlock() {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofShared()) {
            for (int cols : new int[] {256, 512, 768, 2048, 8192}) {
                int rows = 3;
                DenseMatrix source = RandomWeights.matrix(arena, DType.Q6_K, rows, cols, rnd);
                RepackedMatrix m = RepackedMatrix.of(source);
                m.prepareInt8();
                float[] x = RandomWeights.gaussian(cols, rnd);
                Int8Activations a = Int8Activations.quantize(x, 0, cols);
                float[] out = new float[rows];
                m.matvec(a, out, 0, 0, rows);
                for (int r = 0; r < rows; r++) {
                    double expected = 0;
                    double magnitude = 0;
                    long rowOff = r * DType.Q6_K.bytesFor(cols);
                    for (int sub = 0; sub < cols / 16; sub++) {
                        long block = rowOff + 210L * (sub / 16);
                        long integer = 0;
                        long absolute = 0;
                        for (int j = 0; j < 16; j++) {
                            int e = 16 * sub + j;
                            long q = Q6KKernel.INSTANCE.quant(source.data(), block, e % 256);
                            integer += q * a.quant(e);
                            absolute += Math.abs(q * a.quant(e));
                        }
                        double scale = (double) Q6KKernel.INSTANCE.scale(source.data(), block, sub % 16) * a.scale(sub / 2);
                        expected += integer * scale;
                        magnitude += absolute * Math.abs(scale);
                    }
                    assertThat((double) out[r]).as("cols %d row %d", cols, r)
                            .isCloseTo(expected, within(1e-6 * magnitude + 1e-30));
                }
            }
        }
    }

    /**
     * The largest products, quants 0 and 63 (weights -32 and 31) against 127 and -127 in every lane, with the int8
     * scales' extremes, still fit the 16-bit lanes and the int products.
     */
    @Test
    void extremeQuantsDoNotOverflow() {
        try (Arena arena = Arena.ofShared()) {
            int cols = 512;
            MemorySegment w = arena.allocate(2 * DType.Q6_K.bytesFor(cols));
            for (int r = 0; r < 2; r++) {
                for (int b = 0; b < cols / 256; b++) {
                    long block = r * DType.Q6_K.bytesFor(cols) + 210L * b;
                    // row 0: every quant 0; row 1: every quant 63
                    w.asSlice(block, 192).fill(r == 0 ? (byte) 0 : (byte) 0xFF);
                    for (int s = 0; s < 16; s++) {
                        w.set(ValueLayout.JAVA_BYTE, block + 192 + s, s % 2 == 0 ? (byte) 127 : (byte) -128);
                    }
                    w.set(ValueLayout.JAVA_SHORT_UNALIGNED, block + 208, Float.floatToFloat16(1f));
                }
            }
            RepackedMatrix m = RepackedMatrix.of(new DenseMatrix("w", DType.Q6_K, w, 2, cols));
            m.prepareInt8();
            for (float sign : new float[] {1f, -1f}) {
                float[] x = new float[cols];
                Arrays.fill(x, 127f * sign);
                float[] out = new float[2];
                m.matvec(x, 0, out, 0, 0, 2);
                // per pair of sub-blocks: 16 weights at scale 127, 16 at scale -128
                int pairs = cols / 32;
                assertThat(out[0]).isEqualTo(pairs * 16 * -32 * 127f * sign * (127 - 128));
                assertThat(out[1]).isEqualTo(pairs * 16 * 31 * 127f * sign * (127 - 128));
            }
        }
    }
}
