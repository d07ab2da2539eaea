package dev.llama3j.tensor.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;

import static org.assertj.core.api.Assertions.assertThat;

/** Byte-level block builders, exact comparisons and native-kernel checks shared by the kernel tests. */
final class KernelTestSupport {
    private KernelTestSupport() {}

    /** Skips the test, visibly, where {@code isa}'s native kernels do not run. */
    static void assumeRuns(NativeKernels.Isa isa) {
        if (!NativeKernels.runs(isa)) {
            String msg = "SKIPPED: native " + isa + " kernels do not run here: " + NativeKernels.unavailableReason();
            System.err.println(msg);
            Assumptions.assumeTrue(false, msg);
        }
    }

    /** A zeroed buffer of {@code size} bytes that tests fill field by field. */
    static final class Bytes {
        final byte[] b;

        Bytes(int size) {
            b = new byte[size];
        }

        Bytes u8(int at, int... values) {
            for (int i = 0; i < values.length; i++) {
                b[at + i] = (byte) values[i];
            }
            return this;
        }

        Bytes u16(int at, int value) {
            b[at] = (byte) value;
            b[at + 1] = (byte) (value >>> 8);
            return this;
        }

        Bytes fill(int from, int to, int value) {
            for (int i = from; i < to; i++) {
                b[i] = (byte) value;
            }
            return this;
        }

        MemorySegment segment() {
            return MemorySegment.ofArray(b);
        }
    }

    /** Exact float equality, bit for bit (so 0.0 and -0.0 differ), with the first differing index named. */
    static void assertBitsEqual(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(Float.floatToRawIntBits(actual[i]))
                    .as("element %d: got %s, expected %s", i, actual[i], expected[i])
                    .isEqualTo(Float.floatToRawIntBits(expected[i]));
        }
    }

    /** {@code sum a[i]*x[xOff+i]} in double, and the sum of magnitudes that bounds its float rounding error. */
    static double[] exactDot(float[] a, float[] x, int xOff) {
        double sum = 0;
        double mag = 0;
        for (int i = 0; i < a.length; i++) {
            double p = (double) a[i] * x[xOff + i];
            sum += p;
            mag += Math.abs(p);
        }
        return new double[] {sum, mag};
    }

    /** Random rows of 2-byte weights for a half-precision product's test, laid end to end. */
    interface HalfRows {
        MemorySegment make(Arena arena, int rows, int cols, Random rnd);
    }

    /** Weight {@code index} (counted across rows laid end to end) as a float, by the type's definition. */
    interface HalfValue {
        float of(MemorySegment w, long index);
    }

    /** A native half-precision product, as {@link NativeKernels#f16Matvec} takes its arguments. */
    interface HalfProduct {
        void run(NativeKernels.Isa isa, MemorySegment w, long rowBytes, int cols, float[] x, int xOff, float[] out,
                 int outOff, int rows);
    }

    /**
     * The lane order of the Java float-activation kernels at {@code lanes} lanes, in scalar code: {@code accumulators}
     * (2 or 4) vectors of fused multiply-adds over steps of {@code lanes} weights taken in turn, the whole steps left
     * over into the first, the accumulators added in pairs ((a0 + a1) + (a2 + a3)), the lanes folded as Vectors.sum
     * folds them (lane i plus lane i + k, for k = lanes / 2 down to 1), then the weights past the last whole step one
     * rounded product at a time.
     */
    static float laneRule(MemorySegment w, long first, HalfValue value, float[] x, int xOff, int n, int lanes,
                          int accumulators) {
        float[][] acc = new float[accumulators][lanes];
        int i = 0;
        for (; i + accumulators * lanes <= n; i += accumulators * lanes) {
            for (int a = 0; a < accumulators; a++) {
                for (int j = 0; j < lanes; j++) {
                    int k = i + a * lanes + j;
                    acc[a][j] = Math.fma(value.of(w, first + k), x[xOff + k], acc[a][j]);
                }
            }
        }
        for (; i + lanes <= n; i += lanes) {
            for (int j = 0; j < lanes; j++) {
                acc[0][j] = Math.fma(value.of(w, first + i + j), x[xOff + i + j], acc[0][j]);
            }
        }
        for (int width = accumulators; width > 1; width /= 2) {
            for (int a = 0; a < width / 2; a++) {
                for (int j = 0; j < lanes; j++) {
                    acc[a][j] = acc[2 * a][j] + acc[2 * a + 1][j];
                }
            }
        }
        float[] v = acc[0];
        for (int k = lanes / 2; k >= 1; k /= 2) {
            float[] folded = new float[lanes];
            for (int j = 0; j < lanes; j++) {
                folded[j] = v[j] + v[(j + k) % lanes];
            }
            v = folded;
        }
        float sum = v[0];
        for (; i < n; i++) {
            float product = value.of(w, first + i) * x[xOff + i];
            sum += product;
        }
        return sum;
    }

    /**
     * {@code isa}'s variant of a half-precision product against {@link #laneRule} at its width, bit for bit, for rows
     * of every width in {@code widths}, 1, 2 and 5 rows at once, into an output range with untouched neighbours.
     */
    static void assertEachRowIsTheLaneRule(NativeKernels.Isa isa, int lanes, int accumulators, int[] widths,
                                           HalfRows rows, HalfValue value, HalfProduct product) {
        assumeRuns(isa);
        Random rnd = new Random(lanes);
        try (Arena arena = Arena.ofConfined()) {
            for (int cols : widths) {
                for (int n : new int[] {1, 2, 5}) {
                    MemorySegment w = rows.make(arena, n, cols, rnd);
                    float[] x = new float[cols + 3];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) rnd.nextGaussian() * 3f;
                    }
                    float[] out = new float[n + 2];
                    product.run(isa, w, 2L * cols, cols, x, 3, out, 1, n);
                    for (int r = 0; r < n; r++) {
                        float expected = laneRule(w, (long) r * cols, value, x, 3, cols, lanes, accumulators);
                        assertThat(Float.floatToRawIntBits(out[1 + r]))
                                .as("%s %d cols, row %d of %d: %s vs %s", isa, cols, r, n, out[1 + r], expected)
                                .isEqualTo(Float.floatToRawIntBits(expected));
                    }
                    assertThat(out[0]).isZero();
                    assertThat(out[n + 1]).isZero();
                }
            }
        }
    }
}
