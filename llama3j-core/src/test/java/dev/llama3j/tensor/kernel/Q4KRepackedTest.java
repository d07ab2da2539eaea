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

/** Q4_K repacked for integer products: against the scalar rule of the original blocks, at every row length. */
class Q4KRepackedTest {

    /**
     * The integer product of each sub-block of 32 (quants from the original blocks by the scalar reader, activation
     * quants) scaled by both scales, plus the sub-block's offset times the activation block's sum: the kernel may
     * differ only by float rounding of the scaling and of the sums over sub-blocks.
     */
    @Test
    void dotIsTheScaledIntegerDotOfEachSubBlock() {
        Random rnd = new Random(5);
        Q4KKernel k = Q4KKernel.INSTANCE;
        try (Arena arena = Arena.ofShared()) {
            for (int cols : new int[] {256, 512, 768, 1280, 2048, 8192}) {
                int rows = 3;
                DenseMatrix source = RandomWeights.matrix(arena, DType.Q4_K, rows, cols, rnd);
                RepackedMatrix m = RepackedMatrix.of(source);
                m.prepareInt8();
                float[] x = RandomWeights.gaussian(cols, rnd);
                Int8Activations a = Int8Activations.quantize(x, 0, cols);
                float[] out = new float[rows];
                m.matvec(a, out, 0, 0, rows);
                for (int r = 0; r < rows; r++) {
                    double expected = 0;
                    double magnitude = 0;
                    long rowOff = r * DType.Q4_K.bytesFor(cols);
                    for (int b = 0; b < cols / 32; b++) {
                        long block = rowOff + 144L * (b / 8);
                        int sub = b % 8;
                        long integer = 0;
                        long absolute = 0;
                        long activations = 0;
                        for (int j = 0; j < 32; j++) {
                            long q = k.quant(source.data(), block, 32 * sub + j);
                            integer += q * a.quant(32 * b + j);
                            absolute += Math.abs(q * a.quant(32 * b + j));
                            activations += a.quant(32 * b + j);
                        }
                        double scale = (double) k.scale(source.data(), block, sub) * a.scale(b);
                        double offset = (double) k.offset(source.data(), block, sub) * a.scale(b) * activations;
                        expected += integer * scale + offset;
                        magnitude += absolute * Math.abs(scale) + Math.abs(offset);
                    }
                    assertThat((double) out[r]).as("cols %d row %d", cols, r)
                            .isCloseTo(expected, within(1e-6 * magnitude + 1e-30));
                }
            }
        }
    }

    /** The largest products, 15 * 127 in every lane of every sub-block, still fit the 16-bit lanes. */
    @Test
    void extremeQuantsDoNotOverflow() {
        try (Arena arena = Arena.ofShared()) {
            int cols = 512;
            MemorySegment w = arena.allocate(DType.Q4_K.bytesFor(cols));
            for (int b = 0; b < cols / 256; b++) {
                long block = 144L * b;
                w.set(ValueLayout.JAVA_SHORT_UNALIGNED, block, Float.floatToFloat16(1f));
                w.set(ValueLayout.JAVA_SHORT_UNALIGNED, block + 2, Float.floatToFloat16(0f));
                for (int j = 0; j < 12; j++) {
                    // scales 1 (sub-blocks 0-3: low 6 bits of bytes 0-3; 4-7: low nibbles of bytes 8-11), mins 0
                    w.set(ValueLayout.JAVA_BYTE, block + 4 + j, (byte) (j < 4 || j >= 8 ? 1 : 0));
                }
                for (int j = 0; j < 128; j++) {
                    w.set(ValueLayout.JAVA_BYTE, block + 16 + j, (byte) 0xFF);
                }
            }
            float[] x = new float[cols];
            Arrays.fill(x, 127f);
            RepackedMatrix m = RepackedMatrix.of(new DenseMatrix("w", DType.Q4_K, w, 1, cols));
            m.prepareInt8();
            float[] row = new float[cols];
            m.row(0, row, 0);
            assertThat(row).containsOnly(15f);
            float[] out = new float[1];
            m.matvec(x, 0, out, 0, 0, 1);
            assertThat(out[0]).isEqualTo(cols * 15f * 127f);
        }
    }
}
