package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.RowKernel;
import dev.llama3j.tensor.kernel.TileErrorBound;
import dev.llama3j.tensor.kernel.TileMatmul;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * matmul of dense matrices and of every view built on them (permuted rows, Meta's row and column shards), all types,
 * against double-precision sums over the dequantized rows: every one takes the tiled path, for token counts around
 * the micro-tile width and row ranges off the tile grid.
 */
class MatrixMatmulTest {

    private static void assertMatmulMatchesDoubleSums(Matrix m, int n, int rowStart, int rowEnd, Random rnd) {
        int rows = m.rows();
        int cols = m.cols();
        float[] x = RandomWeights.gaussian(n * cols, rnd);
        float[] out = new float[n * rows];
        Arrays.fill(out, Float.NaN);
        m.matmul(x, n, out, rowStart, rowEnd);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.row(r, row, 0);
            for (int t = 0; t < n; t++) {
                float got = out[t * rows + r];
                if (r < rowStart || r >= rowEnd) {
                    assertThat(got).as("%s row %d outside [%d, %d) untouched", m.type(), r, rowStart, rowEnd).isNaN();
                    continue;
                }
                double sum = 0;
                double mag = 0;
                for (int i = 0; i < cols; i++) {
                    double p = (double) row[i] * x[t * cols + i];
                    sum += p;
                    mag += Math.abs(p);
                }
                assertThat((double) got).as("%s %s n=%d token %d row %d", m.type(), m.getClass().getSimpleName(), n, t, r)
                        .isCloseTo(sum, within(TileErrorBound.of(cols, mag)));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void denseAndViewsMatchDoubleSums(DType t) {
        Random rnd = new Random(t.ordinal());
        // two blocks per part: column shards split a depth panel between parts
        int cols = t.isQuantized() ? 2 * t.blockSize : 24;
        int rows = 13;
        try (Arena arena = Arena.ofConfined()) {
            DenseMatrix a = RandomWeights.matrix(arena, t, rows, cols, rnd);
            DenseMatrix b = RandomWeights.matrix(arena, t, rows, cols, rnd);
            int[] perm = {3, 6, 0, 1, 5, 2, 4, 12, 7, 11, 8, 10, 9};
            int[] interleave = new int[2 * rows];
            for (int i = 0; i < rows; i++) {
                interleave[2 * i] = 2 * rows - 1 - i;
                interleave[2 * i + 1] = i;
            }
            List<Matrix> views = List.of(a,
                    new RowPermutedMatrix(a, perm),
                    new RowConcatMatrix(List.of(a, b)),
                    new ColConcatMatrix(List.of(a, b, a)),
                    new RowPermutedMatrix(new RowConcatMatrix(List.of(a, b)), interleave));
            for (Matrix m : views) {
                assertThat(m.slices()).as("%s takes the tiled path", m.getClass().getSimpleName()).isNotNull();
                for (int n : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 70}) {
                    assertMatmulMatchesDoubleSums(m, n, 0, m.rows(), rnd);
                    // a range that starts and ends off the tile grid
                    assertMatmulMatchesDoubleSums(m, n, 1, m.rows() - 2, rnd);
                }
                // matvec (which may prepare the activation once) against the same sums, into an offset output
                float[] x = RandomWeights.gaussian(m.cols(), rnd);
                float[] one = new float[m.rows() + 1];
                m.matvec(x, 0, one, 1, 0, m.rows());
                float[] row = new float[m.cols()];
                for (int r = 0; r < m.rows(); r++) {
                    m.row(r, row, 0);
                    double sum = 0;
                    double mag = 0;
                    for (int i = 0; i < row.length; i++) {
                        sum += (double) row[i] * x[i];
                        mag += Math.abs((double) row[i] * x[i]);
                    }
                    // float32 dots in any order: well inside a few hundred roundings of the magnitude
                    assertThat((double) one[1 + r]).as("%s matvec row %d", m.type(), r)
                            .isCloseTo(sum, within(TileErrorBound.of(m.cols(), mag)));
                }
            }
        }
    }

    /**
     * matvec over an odd-length range off the start gives each row the bits of its kernel's prepared dot, for the
     * types that read two rows at once (RowKernel.pairsRows) and for the others; nothing outside the range is written.
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void matvecGivesEachRowTheBitsOfItsPreparedDot(DType t) {
        Random rnd = new Random(51 + t.ordinal());
        int cols = t.isQuantized() ? 2 * t.blockSize : 40;
        try (Arena arena = Arena.ofConfined()) {
            DenseMatrix m = RandomWeights.matrix(arena, t, 14, cols, rnd);
            float[] x = RandomWeights.gaussian(cols, rnd);
            float[] out = new float[m.rows() + 1];
            Arrays.fill(out, Float.NaN);
            m.matvec(x, 0, out, 1, 3, 12);
            RowKernel k = t.kernel();
            for (int r = 0; r < m.rows(); r++) {
                if (r < 3 || r >= 12) {
                    assertThat(out[1 + r]).as("%s row %d outside [3, 12)", t, r).isNaN();
                    continue;
                }
                float want = k.dot(m.data(), r * t.bytesFor(cols), x, 0, cols, k.prepare(x, 0, cols));
                assertThat(Float.floatToRawIntBits(out[1 + r])).as("%s row %d: %s vs %s", t, r, out[1 + r], want)
                        .isEqualTo(Float.floatToRawIntBits(want));
            }
        }
    }

    /** Rows over several row blocks of the tiled product (each block's sums stored before the next is unpacked). */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "Q4_0", "Q6_K"})
    void rowsSpanningSeveralRowBlocksMatchDoubleSums(DType t) {
        Random rnd = new Random(31 + t.ordinal());
        int cols = t.isQuantized() ? t.blockSize : 40;
        try (Arena arena = Arena.ofConfined()) {
            DenseMatrix m = RandomWeights.matrix(arena, t, 2 * TileMatmul.BLOCK_ROWS + 7, cols, rnd);
            // a long prompt's tall blocks, then a short prompt's small ones
            assertMatmulMatchesDoubleSums(m, 70, 3, m.rows() - 2, rnd);
            assertMatmulMatchesDoubleSums(m, 19, 3, m.rows() - 2, rnd);
        }
    }
}
