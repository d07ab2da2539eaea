package dev.llama3j.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A rank's rows and columns of tensors, whole or in shards: rows of one part in place, the rest copied; columns
 * widened to whole quantization blocks, the other ranks' inputs zeros. Checked against the dequantized full
 * matrix, computed in double.
 */
class TensorSlicesTest {
    private static Tensor tensor(Arena arena, DType t, int rows, int cols, Random rnd) {
        MemorySegment data = RandomWeights.fill(arena, t, rows, cols, 0, rnd);
        return new Tensor("w", t, new long[] {rows, cols}, data);
    }

    private static float[][] dequantized(Tensor t) {
        int rows = t.dim(0);
        int cols = t.dim(1);
        float[][] w = new float[rows][cols];
        for (int r = 0; r < rows; r++) {
            t.type().kernel().dequantize(t.data(), r * t.type().bytesFor(cols), w[r], 0, cols);
        }
        return w;
    }

    @Test
    void rowsOfOnePartStayInPlace() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = tensor(arena, DType.Q4_0, 12, 64, new Random(1));
            Tensor part = TensorSlices.rows(List.of(t), 4, 9);
            long rowBytes = DType.Q4_0.bytesFor(64);
            assertThat(part.data().address()).isEqualTo(t.data().address() + 4 * rowBytes);
            assertThat(part.shape()).containsExactly(5, 64);
            assertThat(dequantized(part)).isDeepEqualTo(java.util.Arrays.copyOfRange(dequantized(t), 4, 9));
        }
    }

    @Test
    void rowsAcrossPartsAreJoined() {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(2);
            Tensor a = tensor(arena, DType.BF16, 6, 8, rnd);
            Tensor b = tensor(arena, DType.BF16, 6, 8, rnd);
            float[][] all = new float[12][];
            System.arraycopy(dequantized(a), 0, all, 0, 6);
            System.arraycopy(dequantized(b), 0, all, 6, 6);
            Tensor part = TensorSlices.rows(List.of(a, b), 3, 10);
            assertThat(dequantized(part)).isDeepEqualTo(java.util.Arrays.copyOfRange(all, 3, 10));
        }
    }

    @Test
    void columnsAcrossPartsAreJoined() {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(3);
            Tensor a = tensor(arena, DType.BF16, 5, 6, rnd);
            Tensor b = tensor(arena, DType.BF16, 5, 6, rnd);
            TensorSlices.Columns cols = TensorSlices.columns(List.of(a, b), 4, 9);
            assertThat(cols.offset()).isZero();
            assertThat(cols.cols()).isEqualTo(5);
            float[][] wa = dequantized(a);
            float[][] wb = dequantized(b);
            float[][] got = dequantized(cols.tensor());
            for (int r = 0; r < 5; r++) {
                assertThat(got[r]).containsExactly(wa[r][4], wa[r][5], wb[r][0], wb[r][1], wb[r][2]);
            }
        }
    }

    /** Columns 40..80 of Q8_0 rows (blocks of 32): blocks 32..96 read whole, inputs outside 40..80 zeros. */
    @Test
    void columnsInsideBlocksTakeTheStraddlingBlocksWithZeroInputs() {
        for (DType type : new DType[] {DType.Q8_0, DType.Q4_0, DType.Q4_K}) {
            try (Arena arena = Arena.ofConfined()) {
                Random rnd = new Random(4);
                int cols = type == DType.Q4_K ? 512 : 128;
                int from = type == DType.Q4_K ? 200 : 40;
                int to = type == DType.Q4_K ? 300 : 80;
                Tensor t = tensor(arena, type, 9, cols, rnd);
                TensorSlices.Columns part = TensorSlices.columns(List.of(t), from, to);
                for (Numerics numerics : Numerics.values()) {
                    Matrix m = part.asMatrix(numerics);
                    assertThat(m.cols()).isEqualTo(to - from);
                    float[] x = RandomWeights.gaussian(2 * (to - from), rnd);
                    float[][] w = dequantized(t);
                    float[] out = new float[9];
                    m.matvec(x, 0, out, 0, 0, 9);
                    float[] outs = new float[18];
                    m.matmul(x, 2, outs, 0, 9);
                    for (int r = 0; r < 9; r++) {
                        for (int v = 0; v < 2; v++) {
                            double want = 0;
                            double scale = 0;
                            for (int j = from; j < to; j++) {
                                want += (double) w[r][j] * x[v * (to - from) + j - from];
                                scale += Math.abs((double) w[r][j] * x[v * (to - from) + j - from]);
                            }
                            // int8 activations round each to 1/127 of its block's largest
                            double tol = (numerics == Numerics.INT8 ? 2e-2 : 1e-5) * scale + 1e-6;
                            float got = v == 0 ? m.dot(r, x, 0) : outs[9 + r];
                            assertThat((double) got).as("%s %s row %d", type, numerics, r).isCloseTo(want, within(tol));
                            if (v == 0) {
                                assertThat((double) out[r]).isCloseTo(want, within(tol));
                            }
                        }
                    }
                }
            }
        }
    }

    /** Split columns of a matrix with an int8 copy of its own ({@link RepackedMatrix}) on several threads. */
    @Test
    void paddedColumnsOfARepackedMatrixRunOnSeveralThreads() {
        int original = Parallel.threads();
        Parallel.setThreads(3);
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(5);
            Tensor t = tensor(arena, DType.Q4_0, 300, 128, rnd);
            TensorSlices.Columns part = TensorSlices.columns(List.of(t), 40, 80);
            Matrix m = new PaddedInputMatrix(RepackedMatrix.of(new DenseMatrix("w", DType.Q4_0,
                    part.tensor().data(), 300, part.tensor().dim(1), true)), part.offset(), part.cols());
            float[] x = RandomWeights.gaussian(40, rnd);
            float[][] out = {new float[300]};
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                    () -> ParallelMatmul.matvecs(new Matrix[] {m}, x, 1, out));
            float[][] w = dequantized(t);
            for (int r = 0; r < 300; r++) {
                double want = 0;
                double scale = 0;
                for (int j = 40; j < 80; j++) {
                    want += (double) w[r][j] * x[j - 40];
                    scale += Math.abs((double) w[r][j] * x[j - 40]);
                }
                assertThat((double) out[0][r]).isCloseTo(want, within(2e-2 * scale + 1e-6));
            }
        } finally {
            Parallel.setThreads(original);
        }
    }
}
