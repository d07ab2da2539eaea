package dev.llama3j.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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
}
