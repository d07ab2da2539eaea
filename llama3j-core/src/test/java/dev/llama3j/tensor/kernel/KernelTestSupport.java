package dev.llama3j.tensor.kernel;

import java.lang.foreign.MemorySegment;
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
}
