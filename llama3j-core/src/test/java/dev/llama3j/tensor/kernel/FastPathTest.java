package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.RandomWeights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import static dev.llama3j.tensor.kernel.KernelTestSupport.assertBitsEqual;
import static dev.llama3j.tensor.kernel.KernelTestSupport.exactDot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Every vector path of every type against the scalar reference {@link RowKernel#dequantize}, on random rows. */
class FastPathTest {

    /** Row lengths with several blocks, and for the plain types lengths that leave a vector tail. */
    static int[] lengths(DType t) {
        return t.isQuantized()
                ? new int[] {t.blockSize, 3 * t.blockSize, 5 * t.blockSize}
                : new int[] {1, 7, 8, 13, 40, 77, 256};
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void unpackFloatsIsBitExactWithDequantize(DType t) {
        RowKernel k = t.kernel();
        Random rnd = new Random(t.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (int n : lengths(t)) {
                // a 3-byte prefix: rows need not be aligned in a file
                MemorySegment w = RandomWeights.fill(arena, t, 1, n, 3, rnd);
                float[] expected = new float[n + 2];
                float[] actual = new float[n + 2];
                k.dequantize(w, 3, expected, 2, n);
                k.unpackFloats(w, 3, actual, 2, n);
                assertBitsEqual(actual, expected);
            }
        }
    }

    /** Two rows at once give each row the bits of its own prepared dot, whether a type pairs rows or not. */
    @ParameterizedTest
    @EnumSource(DType.class)
    void dot2GivesEachRowTheBitsOfItsOwnDot(DType t) {
        RowKernel k = t.kernel();
        Random rnd = new Random(200 + t.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (int n : lengths(t)) {
                MemorySegment w = RandomWeights.fill(arena, t, 2, n, 3, rnd);
                long second = 3 + t.bytesFor(n);
                float[] x = RandomWeights.gaussian(n + 5, rnd);
                float[] prepared = k.prepare(x, 5, n);
                float[] out = {7f, 7f, 7f, 7f};
                k.dot2(w, second, 3, x, 5, n, prepared, out, 1, 2);
                float first = k.dot(w, 3, x, 5, n, k.prepare(x, 5, n));
                float other = k.dot(w, second, x, 5, n, k.prepare(x, 5, n));
                assertBitsEqual(new float[] {out[0], out[1], out[2], out[3]}, new float[] {7f, other, first, 7f});
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void dotMatchesTheDoubleSumOverDequantizedWeights(DType t) {
        RowKernel k = t.kernel();
        Random rnd = new Random(100 + t.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (int n : lengths(t)) {
                for (int trial = 0; trial < 10; trial++) {
                    MemorySegment w = RandomWeights.fill(arena, t, 1, n, 3, rnd);
                    float[] x = RandomWeights.gaussian(n + 5, rnd);
                    float[] deq = new float[n];
                    k.dequantize(w, 3, deq, 0, n);
                    double[] exact = exactDot(deq, x, 5);
                    // float32 accumulation in any order errs by at most a small multiple of eps * sum |w x|
                    assertThat((double) k.dot(w, 3, x, 5, n)).as("%s n=%d trial %d", t, n, trial)
                            .isCloseTo(exact[0], within(1e-5 * exact[1]));
                    // the per-matvec path: the activation prepared once, then the dot
                    assertThat((double) k.dot(w, 3, x, 5, n, k.prepare(x, 5, n))).as("%s prepared", t)
                            .isCloseTo(exact[0], within(1e-5 * exact[1]));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void tileMatmulMatchesTheDoubleSumsForOddShapes(DType t) {
        RowKernel k = t.kernel();
        Random rnd = new Random(200 + t.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            // several depth blocks and a short last one; for the plain types a length off the vector width too
            int[] colsCases = t.isQuantized() ? new int[] {3 * t.blockSize, 1280} : new int[] {45, 600};
            for (int cols : colsCases) {
                long rowBytes = t.bytesFor(cols);
                for (int rows : new int[] {1, 5, 6, 7, 13, 50}) {
                    MemorySegment w = RandomWeights.fill(arena, t, rows, cols, 3, rnd);
                    float[][] deq = new float[rows][cols];
                    for (int r = 0; r < rows; r++) {
                        k.dequantize(w, 3 + r * rowBytes, deq[r], 0, cols);
                    }
                    RowSlices slices = (row, col, len, dst, dstOff) ->
                            k.unpackFloats(w, 3 + row * rowBytes + t.bytesFor(col), dst, dstOff, len);
                    for (int n : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 70}) {
                        float[] x = RandomWeights.gaussian(n * cols, rnd);
                        // a row range off the tile grid at both ends, inside a wider output
                        int rowStart = rows > 3 ? 1 : 0;
                        int rowEnd = rows > 6 ? rows - 1 : rows;
                        int outRows = rows + 2;
                        float[] out = new float[n * outRows];
                        Arrays.fill(out, Float.NaN);
                        TileMatmul.matmul(slices, cols, x, n, out, outRows, rowStart, rowEnd);
                        for (int tok = 0; tok < n; tok++) {
                            for (int r = 0; r < outRows; r++) {
                                float got = out[tok * outRows + r];
                                if (r < rowStart || r >= rowEnd) {
                                    assertThat(got).as("row %d outside the range is untouched", r).isNaN();
                                    continue;
                                }
                                double[] exact = exactDot(deq[r], x, tok * cols);
                                assertThat((double) got).as("%s cols=%d rows=%d n=%d token %d row %d", t, cols, rows,
                                                n, tok, r)
                                        .isCloseTo(exact[0], within(TileErrorBound.of(cols, exact[1])));
                            }
                        }
                    }
                }
            }
        }
    }
}
