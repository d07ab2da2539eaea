package dev.llama3j.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import dev.llama3j.format.hf.HfQkOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RowPermutedMatrixTest {

    @Test
    void rowRReadsRowPermROfTheBase() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1, 2, 3, 4, 5, 6);
            Matrix base = new DenseMatrix("m", DType.F32, data, 3, 2); // rows [1,2] [3,4] [5,6]
            RowPermutedMatrix m = new RowPermutedMatrix(base, new int[] {2, 0, 1});

            assertThat(m.rows()).isEqualTo(3);
            assertThat(m.cols()).isEqualTo(2);
            assertThat(m.type()).isEqualTo(DType.F32);
            assertThat(m.byteSize()).isEqualTo(24);
            float[] row = new float[2];
            m.row(0, row, 0);
            assertThat(row).containsExactly(5, 6);
            m.row(1, row, 0);
            assertThat(row).containsExactly(1, 2);
            m.row(2, row, 0);
            assertThat(row).containsExactly(3, 4);

            float[] x = {1, 10};
            float[] out = new float[3];
            m.matvec(x, 0, out, 0, 0, 3);
            assertThat(out).containsExactly(65, 21, 43);
            float[] two = {1, 10, 0, 1};
            float[] outs = new float[6];
            m.matmul(two, 2, outs, 0, 3);
            assertThat(outs).containsExactly(65, 21, 43, 6, 2, 4);
        }
    }

    @Test
    void rejectsWhatIsNotAPermutation() {
        try (Arena arena = Arena.ofConfined()) {
            Matrix base = new DenseMatrix("m", DType.F32, arena.allocate(24), 3, 2);
            for (int[] bad : new int[][] {{0, 1}, {0, 1, 1}, {0, 1, 3}, {-1, 0, 1}}) {
                assertThatThrownBy(() -> new RowPermutedMatrix(base, bad))
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    /**
     * matvec over any range gives each row the bits of the underlying matrix's own product for that row, for Hugging
     * Face's head permutation, a permutation of a permuted view, and ranges that cut heads; nothing else is written.
     */
    @Test
    void matvecGivesEachRowTheUnderlyingRowsBits() {
        Random rnd = new Random(3);
        int heads = 6;
        int headDim = 16;
        int rows = heads * headDim;
        int cols = 96;
        try (Arena arena = Arena.ofConfined()) {
            for (DType t : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                DenseMatrix base = RandomWeights.matrix(arena, t, rows, cols, rnd);
                float[] x = RandomWeights.gaussian(cols, rnd);
                float[] reference = new float[rows];
                base.matvec(x, 0, reference, 0, 0, rows);
                int[] hf = HfQkOrder.metaToHfRows(heads, headDim);
                int[] reversed = new int[rows];
                for (int r = 0; r < rows; r++) {
                    reversed[r] = rows - 1 - r;
                }
                RowPermutedMatrix once = new RowPermutedMatrix(base, hf);
                RowPermutedMatrix twice = new RowPermutedMatrix(once, reversed);
                for (int[] range : new int[][] {{0, rows}, {5, 37}, {16, 32}, {rows - 3, rows}, {7, 8}}) {
                    float[] out = new float[rows + 1];
                    Arrays.fill(out, Float.NaN);
                    once.matvec(x, 0, out, 1, range[0], range[1]);
                    float[] outTwice = new float[rows];
                    Arrays.fill(outTwice, Float.NaN);
                    twice.matvec(x, 0, outTwice, 0, range[0], range[1]);
                    for (int r = 0; r < rows; r++) {
                        boolean in = r >= range[0] && r < range[1];
                        float want = in ? reference[hf[r]] : Float.NaN;
                        float wantTwice = in ? reference[hf[reversed[r]]] : Float.NaN;
                        assertThat(Float.floatToRawIntBits(out[1 + r])).as("%s rows %s, row %d", t,
                                Arrays.toString(range), r).isEqualTo(Float.floatToRawIntBits(want));
                        assertThat(Float.floatToRawIntBits(outTwice[r])).as("%s twice, rows %s, row %d", t,
                                Arrays.toString(range), r).isEqualTo(Float.floatToRawIntBits(wantTwice));
                    }
                }
            }
        }
    }
}
