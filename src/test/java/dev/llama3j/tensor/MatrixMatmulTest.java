package dev.llama3j.tensor;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** matmul equals one dot per (row, vector) for dense matrices and every view built on them, all types. */
class MatrixMatmulTest {

    private static void assertMatmulEqualsDots(Matrix m, int n, Random rnd) {
        float[] x = RandomWeights.gaussian(n * m.cols(), rnd);
        float[] out = new float[n * m.rows()];
        m.matmul(x, n, out, 0, m.rows());
        // matvec (which may prepare the activation once) of the last vector, into an offset output
        float[] one = new float[m.rows() + 1];
        m.matvec(x, m.cols() * (n - 1), one, 1, 0, m.rows());
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            m.row(r, row, 0);
            for (int t = 0; t < n; t++) {
                float dot = m.dot(r, x, t * m.cols());
                // both sum in float32, in different orders; scale the bound by the magnitude of the terms
                double mag = 0;
                for (int i = 0; i < row.length; i++) {
                    mag += Math.abs((double) row[i] * x[t * m.cols() + i]);
                }
                assertThat(out[t * m.rows() + r]).as("%s token %d row %d", m.type(), t, r)
                        .isCloseTo(dot, within((float) (2e-5 * mag)));
                if (t == n - 1) {
                    // the same terms; only the vector reduction order may differ between JIT tiers
                    assertThat(one[1 + r]).as("%s matvec row %d", m.type(), r)
                            .isCloseTo(dot, within((float) (2e-5 * mag)));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void denseAndViewsMatchPerVectorDots(DType t) {
        Random rnd = new Random(t.ordinal());
        int cols = t.isQuantized() ? 2 * t.blockSize : 24;
        try (Arena arena = Arena.ofConfined()) {
            DenseMatrix a = RandomWeights.matrix(arena, t, 7, cols, rnd);
            DenseMatrix b = RandomWeights.matrix(arena, t, 7, cols, rnd);
            int[] perm = {3, 6, 0, 1, 5, 2, 4};
            List<Matrix> views = List.of(a,
                    new RowPermutedMatrix(a, perm),
                    new RowConcatMatrix(List.of(a, b)),
                    new ColConcatMatrix(List.of(a, b)),
                    new RowPermutedMatrix(new RowConcatMatrix(List.of(a, b)), new int[] {13, 0, 12, 1, 11, 2, 10, 3, 9, 4, 8, 5, 7, 6}));
            for (Matrix m : views) {
                for (int n : new int[] {1, 2, 5, 11}) {
                    assertMatmulEqualsDots(m, n, rnd);
                }
            }
        }
    }
}
