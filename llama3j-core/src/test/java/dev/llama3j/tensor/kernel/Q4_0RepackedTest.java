package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.DenseMatrix;
import dev.llama3j.tensor.Matrix;
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

/** Q4_0 repacked for integer products: against the scalar rule of the original blocks, at every row length. */
class Q4_0RepackedTest {

    /**
     * The integer product of each block (quants from the original blocks by the scalar reader, activation quants),
     * less 8 times the activations' sum, scaled by both scales: the kernel may differ only by float rounding of the
     * scaling and of the sum over blocks.
     */
    @Test
    void dotIsTheScaledIntegerDotOfEachBlock() {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofShared()) {
            for (int cols : new int[] {32, 64, 96, 160, 2048, 8192}) {
                int rows = 3;
                DenseMatrix source = RandomWeights.matrix(arena, DType.Q4_0, rows, cols, rnd);
                RepackedMatrix m = RepackedMatrix.of(source);
                m.prepareInt8();
                float[] x = RandomWeights.gaussian(cols, rnd);
                Int8Activations a = Int8Activations.quantize(x, 0, cols);
                float[] out = new float[rows];
                m.matvec(a, out, 0, 0, rows);
                for (int r = 0; r < rows; r++) {
                    double expected = 0;
                    double magnitude = 0;
                    long rowOff = r * DType.Q4_0.bytesFor(cols);
                    for (int b = 0; b < cols / 32; b++) {
                        long block = rowOff + 18L * b;
                        long integer = 0;
                        long absolute = 0;
                        for (int j = 0; j < 32; j++) {
                            long q = Q4Kernel.Q4_0.quant(source.data(), block, j);
                            integer += q * a.quant(32 * b + j);
                            absolute += Math.abs(q * a.quant(32 * b + j));
                        }
                        double scale = (double) Q4Kernel.Q4_0.scale(source.data(), block, 0) * a.scale(b);
                        expected += integer * scale;
                        magnitude += absolute * Math.abs(scale);
                    }
                    assertThat((double) out[r]).as("cols %d row %d", cols, r)
                            .isCloseTo(expected, within(1e-6 * magnitude + 1e-30));
                }
            }
        }
    }

    /** The largest products, 15 * 127 and 0 * -127 in every lane, still fit the 16-bit lanes. */
    @Test
    void extremeQuantsDoNotOverflow() {
        try (Arena arena = Arena.ofShared()) {
            int cols = 256;
            MemorySegment w = arena.allocate(DType.Q4_0.bytesFor(cols));
            for (int b = 0; b < cols / 32; b++) {
                w.set(ValueLayout.JAVA_SHORT_UNALIGNED, 18L * b, Float.floatToFloat16(1f));
                for (int j = 0; j < 16; j++) {
                    // low nibble 15 (weight 7), high nibble 0 (weight -8)
                    w.set(ValueLayout.JAVA_BYTE, 18L * b + 2 + j, (byte) 0x0F);
                }
            }
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) {
                x[i] = (i % 32) < 16 ? 127f : -127f;
            }
            RepackedMatrix m = RepackedMatrix.of(new DenseMatrix("w", DType.Q4_0, w, 1, cols));
            m.prepareInt8();
            float[] out = new float[1];
            m.matvec(x, 0, out, 0, 0, 1);
            // per block: 16 * 7 * 127 + 16 * -8 * -127
            assertThat(out[0]).isEqualTo(8 * (16 * 7 * 127f + 16 * 8 * 127f));
        }
    }

    /**
     * The copy is made by the first int8 product, not before: a prompt's tiled product reads the file's blocks, and
     * its slices give the same bits before and after the copy.
     */
    @Test
    void theCopyIsMadeByTheFirstInt8ProductOnly() {
        Random rnd = new Random(12);
        try (Arena arena = Arena.ofShared()) {
            int rows = 96;
            int cols = 256;
            DenseMatrix source = RandomWeights.matrix(arena, DType.Q4_0, rows, cols, rnd);
            RepackedMatrix m = RepackedMatrix.of(source);
            float[] x = RandomWeights.gaussian(4 * cols, rnd);
            float[] prompt = new float[4 * rows];
            ParallelMatmul.matmul(m, x, 4, prompt);
            float[] before = new float[cols];
            m.slices().unpack(5, 0, cols, before, 0);
            assertThat(m.repacked()).isFalse();
            ParallelMatmul.matvec(m, x, new float[rows]);
            assertThat(m.repacked()).isTrue();
            float[] after = new float[cols];
            m.slices().unpack(5, 0, cols, after, 0);
            assertThat(after).containsExactly(before);
            float[] again = new float[4 * rows];
            ParallelMatmul.matmul(m, x, 4, again);
            assertThat(again).containsExactly(prompt);
        }
    }
}
