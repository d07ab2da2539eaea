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

    /** Float slices and rows of the repacked matrix are the original blocks' scalar dequantization, bit for bit. */
    @Test
    void slicesAndRowsEqualTheOriginalDequantization() {
        Random rnd = new Random(8);
        try (Arena arena = Arena.ofShared()) {
            int rows = 5;
            int cols = 768;
            DenseMatrix source = RandomWeights.matrix(arena, DType.Q4_K, rows, cols, rnd);
            float[][] expected = new float[rows][cols];
            for (int r = 0; r < rows; r++) {
                Q4KKernel.INSTANCE.dequantize(source.data(), r * DType.Q4_K.bytesFor(cols), expected[r], 0, cols);
            }
            RepackedMatrix m = RepackedMatrix.of(source);
            m.prepareInt8();
            for (int r = 0; r < rows; r++) {
                float[] row = new float[cols + 3];
                m.row(r, row, 3);
                assertThat(Arrays.copyOfRange(row, 3, cols + 3)).as("row %d", r).containsExactly(expected[r]);
                float[] slice = new float[288];
                m.slices().unpack(r, 256, 288, slice, 0);
                assertThat(slice).containsExactly(Arrays.copyOfRange(expected[r], 256, 544));
            }
        }
    }

    /** The scalar reader of the repacked layout and the vector unpack agree. */
    @Test
    void scalarDequantizeOfTheRepackedLayoutEqualsTheVectorUnpack() {
        Random rnd = new Random(9);
        try (Arena arena = Arena.ofShared()) {
            int cols = 1024;
            DenseMatrix source = RandomWeights.matrix(arena, DType.Q4_K, 1, cols, rnd);
            MemorySegment repacked = arena.allocate(Q4KRepacked.rowBytes(cols) + Q4KRepacked.PADDING);
            Q4KRepacked.repack(source.data(), 0, repacked, 0, cols);
            float[] scalar = new float[cols];
            float[] vector = new float[cols];
            Q4KRepacked.dequantize(repacked, 0, cols, scalar, 0);
            Q4KRepacked.unpackFloats(repacked, 0, cols, 0, vector, 0, cols);
            assertThat(vector).containsExactly(scalar);
        }
    }

    /**
     * Products split across threads (x quantized once for all of them) give the bits of the single-thread product,
     * and the int8 result stays within the int8 rounding of the float32 one.
     */
    @Test
    void parallelProductEqualsTheSingleThreadOneAndStaysNearFloat32() {
        Random rnd = new Random(10);
        try (Arena arena = Arena.ofShared()) {
            int rows = 300;
            int cols = 2048;
            DenseMatrix source = RandomWeights.matrix(arena, DType.Q4_K, rows, cols, rnd);
            float[] x = RandomWeights.gaussian(cols, rnd);
            float[] exact = new float[rows];
            source.matvec(x, 0, exact, 0, 0, rows);
            Matrix m = Numerics.INT8.matrix("w", DType.Q4_K, source.data(), rows, cols);
            assertThat(m).isInstanceOf(RepackedMatrix.class);
            assertThat(m.takesInt8()).isTrue();
            float[] single = new float[rows];
            m.matvec(x, 0, single, 0, 0, rows);
            float[] parallel = new float[rows];
            ParallelMatmul.matvec(m, x, parallel);
            assertThat(parallel).containsExactly(single);
            double rms = 0;
            for (float e : exact) {
                rms += (double) e * e / rows;
            }
            rms = Math.sqrt(rms);
            int differing = 0;
            for (int r = 0; r < rows; r++) {
                assertThat((double) single[r]).isCloseTo(exact[r], within(0.05 * rms));
                differing += single[r] != exact[r] ? 1 : 0;
            }
            assertThat(differing).as("rows where the int8 path rounds differently").isGreaterThan(rows / 2);
        }
    }
}
