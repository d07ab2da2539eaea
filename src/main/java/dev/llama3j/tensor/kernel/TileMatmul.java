package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.llama3j.tensor.kernel.Vectors.F;

/**
 * Matrix times many vectors (a prompt) for every weight type, register-blocked: {@link #ROWS} rows are unpacked to
 * floats once ({@link RowKernel#unpackFloats}) into a per-thread tile, then every group of {@link #TOKENS} activation
 * vectors is multiplied against all of them with {@code ROWS x TOKENS} vector accumulators, so each weight vector
 * loaded feeds {@code TOKENS} FMAs and each activation vector {@code ROWS}. The unpacking cost is paid once per row
 * per call, not once per token.
 */
public final class TileMatmul {
    /** Rows per tile. With {@link #TOKENS} it fills the 16 AVX2 registers: 12 sums, 3 activations, 1 weight. */
    static final int ROWS = 4;
    static final int TOKENS = 3;
    private static final int LANES = F.length();

    private static final ThreadLocal<float[][]> TILE = ThreadLocal.withInitial(() -> new float[1][0]);

    private TileMatmul() {}

    /**
     * {@code out[t * outStride + r] = row rowMap[r] . x[t * cols ..]} for r in [rowStart, rowEnd) and tokens t in
     * [0, n), where row {@code i} of the matrix starts at byte {@code off + i * rowBytes} of {@code w}; a null
     * {@code rowMap} is the identity.
     */
    public static void matmul(RowKernel kernel, MemorySegment w, long off, long rowBytes, int cols, int[] rowMap,
                              float[] x, int n, float[] out, int outStride, int rowStart, int rowEnd) {
        float[] tile = tile(cols);
        float[] sums = new float[ROWS * TOKENS];
        for (int r0 = rowStart; r0 < rowEnd; r0 += ROWS) {
            int rows = Math.min(ROWS, rowEnd - r0);
            for (int r = 0; r < rows; r++) {
                int source = rowMap == null ? r0 + r : rowMap[r0 + r];
                kernel.unpackFloats(w, off + source * rowBytes, tile, r * cols, cols);
            }
            // a short last tile computes on zero rows and drops their sums
            java.util.Arrays.fill(tile, rows * cols, ROWS * cols, 0f);
            int t = 0;
            for (; t + TOKENS <= n; t += TOKENS) {
                tile4x3(tile, cols, x, t * cols, sums);
                store(sums, TOKENS, rows, out, outStride, t, r0);
            }
            for (; t < n; t++) {
                tile4x1(tile, cols, x, t * cols, sums);
                store(sums, 1, rows, out, outStride, t, r0);
            }
        }
    }

    private static void store(float[] sums, int tokens, int rows, float[] out, int outStride, int t, int r0) {
        for (int k = 0; k < tokens; k++) {
            for (int r = 0; r < rows; r++) {
                out[(t + k) * outStride + r0 + r] = sums[r * TOKENS + k];
            }
        }
    }

    private static float[] tile(int cols) {
        float[][] holder = TILE.get();
        if (holder[0].length < ROWS * cols) {
            holder[0] = new float[ROWS * cols];
        }
        return holder[0];
    }

    /** sums[r*TOKENS + k] = tile row r . x[x0 + k*cols ..] for 4 rows and 3 vectors. */
    private static void tile4x3(float[] tile, int cols, float[] x, int x0, float[] sums) {
        FloatVector s00 = FloatVector.zero(F), s01 = FloatVector.zero(F), s02 = FloatVector.zero(F);
        FloatVector s10 = FloatVector.zero(F), s11 = FloatVector.zero(F), s12 = FloatVector.zero(F);
        FloatVector s20 = FloatVector.zero(F), s21 = FloatVector.zero(F), s22 = FloatVector.zero(F);
        FloatVector s30 = FloatVector.zero(F), s31 = FloatVector.zero(F), s32 = FloatVector.zero(F);
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int i = 0;
        for (; i + LANES <= cols; i += LANES) {
            FloatVector a0 = FloatVector.fromArray(F, x, x0 + i);
            FloatVector a1 = FloatVector.fromArray(F, x, x1 + i);
            FloatVector a2 = FloatVector.fromArray(F, x, x2 + i);
            FloatVector w = FloatVector.fromArray(F, tile, i);
            s00 = w.fma(a0, s00);
            s01 = w.fma(a1, s01);
            s02 = w.fma(a2, s02);
            w = FloatVector.fromArray(F, tile, cols + i);
            s10 = w.fma(a0, s10);
            s11 = w.fma(a1, s11);
            s12 = w.fma(a2, s12);
            w = FloatVector.fromArray(F, tile, 2 * cols + i);
            s20 = w.fma(a0, s20);
            s21 = w.fma(a1, s21);
            s22 = w.fma(a2, s22);
            w = FloatVector.fromArray(F, tile, 3 * cols + i);
            s30 = w.fma(a0, s30);
            s31 = w.fma(a1, s31);
            s32 = w.fma(a2, s32);
        }
        sums[0] = s00.reduceLanes(VectorOperators.ADD);
        sums[1] = s01.reduceLanes(VectorOperators.ADD);
        sums[2] = s02.reduceLanes(VectorOperators.ADD);
        sums[3] = s10.reduceLanes(VectorOperators.ADD);
        sums[4] = s11.reduceLanes(VectorOperators.ADD);
        sums[5] = s12.reduceLanes(VectorOperators.ADD);
        sums[6] = s20.reduceLanes(VectorOperators.ADD);
        sums[7] = s21.reduceLanes(VectorOperators.ADD);
        sums[8] = s22.reduceLanes(VectorOperators.ADD);
        sums[9] = s30.reduceLanes(VectorOperators.ADD);
        sums[10] = s31.reduceLanes(VectorOperators.ADD);
        sums[11] = s32.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            for (int r = 0; r < ROWS; r++) {
                for (int k = 0; k < TOKENS; k++) {
                    sums[r * TOKENS + k] += tile[r * cols + i] * x[x0 + k * cols + i];
                }
            }
        }
    }

    /** sums[r*TOKENS] = tile row r . x[x0 ..] for 4 rows and 1 vector (the tokens left over). */
    private static void tile4x1(float[] tile, int cols, float[] x, int x0, float[] sums) {
        FloatVector s0 = FloatVector.zero(F), s1 = FloatVector.zero(F);
        FloatVector s2 = FloatVector.zero(F), s3 = FloatVector.zero(F);
        int i = 0;
        for (; i + LANES <= cols; i += LANES) {
            FloatVector a = FloatVector.fromArray(F, x, x0 + i);
            s0 = FloatVector.fromArray(F, tile, i).fma(a, s0);
            s1 = FloatVector.fromArray(F, tile, cols + i).fma(a, s1);
            s2 = FloatVector.fromArray(F, tile, 2 * cols + i).fma(a, s2);
            s3 = FloatVector.fromArray(F, tile, 3 * cols + i).fma(a, s3);
        }
        sums[0] = s0.reduceLanes(VectorOperators.ADD);
        sums[TOKENS] = s1.reduceLanes(VectorOperators.ADD);
        sums[2 * TOKENS] = s2.reduceLanes(VectorOperators.ADD);
        sums[3 * TOKENS] = s3.reduceLanes(VectorOperators.ADD);
        for (; i < cols; i++) {
            for (int r = 0; r < ROWS; r++) {
                sums[r * TOKENS] += tile[r * cols + i] * x[x0 + i];
            }
        }
    }
}
