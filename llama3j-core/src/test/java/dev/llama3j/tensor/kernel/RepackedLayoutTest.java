package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.DenseMatrix;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.NativeInt8Matrix;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.ParallelMatmul;
import dev.llama3j.tensor.RandomWeights;
import dev.llama3j.tensor.RepackedMatrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * What every repacked layout owes its matrix, against the type's own scalar dequantization of the original blocks
 * (each layout's integer dot is checked against the scalar rule in its own test class).
 */
class RepackedLayoutTest {

    /** The layout's float unpack of a copied row, whole and as a slice, is the original blocks' dequantization. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_K", "Q6_K"})
    void unpackEqualsTheOriginalDequantization(DType t) {
        RepackedLayout layout = RepackedLayout.forGgmlType(t.ggmlId);
        Random rnd = new Random(9 + t.ordinal());
        try (Arena arena = Arena.ofShared()) {
            int rows = 3;
            int cols = 1024;
            DenseMatrix source = RandomWeights.matrix(arena, t, rows, cols, rnd);
            MemorySegment copy = arena.allocate(rows * layout.rowBytes(cols) + layout.padding());
            layout.repackRows(source.data(), t.bytesFor(cols), copy, cols, 0, rows);
            for (int r = 0; r < rows; r++) {
                float[] expected = new float[cols];
                t.kernel().dequantize(source.data(), r * t.bytesFor(cols), expected, 0, cols);
                float[] whole = new float[cols];
                layout.unpackFloats(copy, r * layout.rowBytes(cols), cols, 0, whole, 0, cols);
                assertThat(whole).as("row %d", r).containsExactly(expected);
                float[] slice = new float[512 + 3];
                layout.unpackFloats(copy, r * layout.rowBytes(cols), cols, 256, slice, 3, 512);
                assertThat(Arrays.copyOfRange(slice, 3, 515)).containsExactly(Arrays.copyOfRange(expected, 256, 768));
            }
        }
    }

    /** The matrix's rows and slices, before and after the copy, are the original blocks' dequantization. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_K", "Q6_K"})
    void matrixRowsAndSlicesEqualTheOriginalDequantization(DType t) {
        Random rnd = new Random(8 + t.ordinal());
        try (Arena arena = Arena.ofShared()) {
            int rows = 5;
            int cols = 768;
            DenseMatrix source = RandomWeights.matrix(arena, t, rows, cols, rnd);
            float[][] expected = new float[rows][cols];
            for (int r = 0; r < rows; r++) {
                t.kernel().dequantize(source.data(), r * t.bytesFor(cols), expected[r], 0, cols);
            }
            RepackedMatrix m = RepackedMatrix.of(source);
            for (boolean copied : new boolean[] {false, true}) {
                if (copied) {
                    m.prepareInt8();
                }
                assertThat(m.repacked()).isEqualTo(copied);
                for (int r = 0; r < rows; r++) {
                    float[] row = new float[cols + 3];
                    m.row(r, row, 3);
                    assertThat(Arrays.copyOfRange(row, 3, cols + 3)).as("row %d", r).containsExactly(expected[r]);
                    // whole blocks of every type (256 for the K-quants), as RowSlices asks
                    float[] slice = new float[256];
                    m.slices().unpack(r, 256, 256, slice, 0);
                    assertThat(slice).containsExactly(Arrays.copyOfRange(expected[r], 256, 512));
                }
            }
        }
    }

    /**
     * Products split across threads (x quantized once for all of them) give the bits of the single-thread product,
     * and the int8 result stays within the int8 rounding of the float32 one.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q4_K", "Q6_K"})
    void parallelProductEqualsTheSingleThreadOneAndStaysNearFloat32(DType t) {
        Random rnd = new Random(10 + t.ordinal());
        try (Arena arena = Arena.ofShared()) {
            int rows = 300;
            int cols = 2048;
            DenseMatrix source = RandomWeights.matrix(arena, t, rows, cols, rnd);
            float[] x = RandomWeights.gaussian(cols, rnd);
            float[] exact = new float[rows];
            source.matvec(x, 0, exact, 0, 0, rows);
            Matrix m = Numerics.INT8.matrix("w", t, source.data(), rows, cols);
            // the native Q4_0 and Q6_K kernels read the file's blocks: no repacked copy
            assertThat(m).isInstanceOfAny(RepackedMatrix.class, NativeInt8Matrix.class);
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
            for (int r = 0; r < rows; r++) {
                assertThat((double) single[r]).isCloseTo(exact[r], within(0.05 * rms));
            }
        }
    }
}
