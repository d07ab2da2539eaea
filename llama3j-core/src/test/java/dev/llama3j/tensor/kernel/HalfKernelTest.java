package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static dev.llama3j.tensor.kernel.KernelTestSupport.Bytes;
import static dev.llama3j.tensor.kernel.KernelTestSupport.assertBitsEqual;
import static dev.llama3j.tensor.kernel.KernelTestSupport.exactDot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** F16 and BF16 kernels: special values in the vector widening, tails, and dot products. */
class HalfKernelTest {

    /** 16-bit words written little-endian after a 1-byte prefix (rows need not be aligned). */
    private static MemorySegment halves(int... words) {
        Bytes b = new Bytes(1 + 2 * words.length);
        for (int i = 0; i < words.length; i++) {
            b.u16(1 + 2 * i, words[i]);
        }
        return b.segment();
    }

    /**
     * {@link RowKernel#dot2} of rows a and b (laid one after the other) gives each row the bits of its own
     * prepared {@link RowKernel#dot}, and writes nothing else.
     */
    private static void assertDot2MatchesDot(int[] a, int[] b, float[] x, int xOff, float[] prepared, String what) {
        int n = a.length;
        int[] both = new int[2 * n];
        System.arraycopy(a, 0, both, 0, n);
        System.arraycopy(b, 0, both, n, n);
        MemorySegment w = halves(both);
        float[] out = {7f, 7f, 7f, 7f, 7f};
        F16Kernel.INSTANCE.dot2(w, 1, 1 + 2L * n, x, xOff, n, prepared, out, 3, 1);
        float rowA = F16Kernel.INSTANCE.dot(w, 1, x, xOff, n, prepared);
        float rowB = F16Kernel.INSTANCE.dot(w, 1 + 2L * n, x, xOff, n, prepared);
        assertThat(Float.floatToRawIntBits(out[3])).as("%s: row a %s vs %s", what, out[3], rowA)
                .isEqualTo(Float.floatToRawIntBits(rowA));
        assertThat(Float.floatToRawIntBits(out[1])).as("%s: row b %s vs %s", what, out[1], rowB)
                .isEqualTo(Float.floatToRawIntBits(rowB));
        assertThat(new float[] {out[0], out[2], out[4]}).as(what).containsOnly(7f);
    }

    private static float[] dequantize(RowKernel k, MemorySegment w, int n) {
        float[] out = new float[n];
        k.dequantize(w, 1, out, 0, n);
        return out;
    }

    @Test
    void f16DequantizesHandCheckedValues() {
        // 0x3C00 = 1, 0xC000 = -2, 0x3555 = 0x1.554p-2 = 0.333251953125, 0x7BFF = 65504 (largest finite),
        // 0x0400 = 2^-14 (smallest normal), 0x03FF = 1023 * 2^-24 (largest subnormal), 0x0001 = 2^-24,
        // 0x8001 = -2^-24, 0x8000 = -0.0, 0x7C00 = +inf, 0xFC00 = -inf
        MemorySegment w = halves(0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0400, 0x03FF, 0x0001, 0x8001, 0x8000, 0x7C00, 0xFC00);
        assertBitsEqual(dequantize(F16Kernel.INSTANCE, w, 11), new float[] {
                1f, -2f, 0.333251953125f, 65504f, 0x1p-14f, 1023 * 0x1p-24f, 0x1p-24f, -0x1p-24f, -0f,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY});
        assertThat(dequantize(F16Kernel.INSTANCE, halves(0x7E00, 0xFC01), 2)).containsOnly(Float.NaN);
    }

    @Test
    void bf16DequantizesHandCheckedValues() {
        // bf16 is the top half of a float32: 0x3F80 = 1, 0xC040 = -3, 0x3EAB = 0x3EAB0000 = 0.333984375,
        // 0x0001 = 2^-133 (subnormal), 0x8000 = -0.0, 0x7F80 = +inf, 0xFF80 = -inf, 0x7F7F = 0x1.fep127
        MemorySegment w = halves(0x3F80, 0xC040, 0x3EAB, 0x0001, 0x8000, 0x7F80, 0xFF80, 0x7F7F);
        assertBitsEqual(dequantize(BF16Kernel.INSTANCE, w, 8), new float[] {
                1f, -3f, 0.333984375f, 0x1p-133f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0x1.fep127f});
        assertThat(dequantize(BF16Kernel.INSTANCE, halves(0x7FC0, 0xFF81), 2)).containsOnly(Float.NaN);
    }

    /** Every 16-bit pattern through the vector widening must equal the scalar conversion (NaN stays NaN). */
    @Test
    void vectorWideningMatchesScalarForEveryBitPattern() {
        int lanes = Vectors.F.length();
        int[] all = new int[65536];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        MemorySegment w = halves(all);
        for (int i = 0; i < all.length; i += lanes) {
            FloatVector f16 = F16Kernel.load(w, 1 + 2L * i);
            FloatVector bf16 = BF16Kernel.load(w, 1 + 2L * i);
            for (int l = 0; l < lanes; l++) {
                short bits = (short) (i + l);
                assertSameFloat(f16.lane(l), Float.float16ToFloat(bits), "f16 0x%04x", i + l);
                assertSameFloat(bf16.lane(l), BF16Kernel.toFloat(bits), "bf16 0x%04x", i + l);
            }
        }
    }

    private static void assertSameFloat(float actual, float expected, String what, int bits) {
        if (Float.isNaN(expected)) {
            assertThat(actual).as(what, bits).isNaN();
        } else {
            assertThat(Float.floatToRawIntBits(actual)).as(what + ": %s vs %s", bits, actual, expected)
                    .isEqualTo(Float.floatToRawIntBits(expected));
        }
    }

    /**
     * Row lengths around multiples of the vector length exercise the unrolled loops, the single loop and the tail,
     * of the plain dot and of the matvec path (activations prepared once); weights of a real model's size, some of
     * them half subnormals.
     */
    @Test
    void dotMatchesDoubleSumForAllTailLengths() {
        Random rnd = new Random(42);
        int max = 5 * Vectors.F.length() + 3;
        for (int n = 1; n <= max; n++) {
            int[] f16 = new int[n];
            int[] bf16 = new int[n];
            for (int i = 0; i < n; i++) {
                float v = (float) (rnd.nextGaussian() * (i % 3 == 0 ? 1e-5 : 0.02));
                f16[i] = Float.floatToFloat16(v) & 0xFFFF;
                bf16[i] = Float.floatToRawIntBits(v) >>> 16;
            }
            float[] x = new float[n + 3];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            for (RowKernel k : new RowKernel[] {F16Kernel.INSTANCE, BF16Kernel.INSTANCE}) {
                MemorySegment w = halves(k == F16Kernel.INSTANCE ? f16 : bf16);
                double[] exact = exactDot(dequantize(k, w, n), x, 3);
                assertThat((double) k.dot(w, 1, x, 3, n)).as("%s n=%d", k.getClass().getSimpleName(), n)
                        .isCloseTo(exact[0], within(1e-6 * exact[1]));
                assertThat((double) k.dot(w, 1, x, 3, n, k.prepare(x, 3, n)))
                        .as("%s prepared n=%d", k.getClass().getSimpleName(), n)
                        .isCloseTo(exact[0], within(1e-6 * exact[1]));
            }
            int[] reversed = new int[n];
            for (int i = 0; i < n; i++) {
                reversed[i] = f16[n - 1 - i];
            }
            assertDot2MatchesDot(f16, reversed, x, 3, F16Kernel.INSTANCE.prepare(x, 3, n), "f16 pair n=" + n);
        }
    }

    /**
     * A NaN or infinite weight in any lane, in the unrolled loop, the single loop or the tail, reaches the dot
     * product, also on the matvec path, whose shortcut conversion alone would turn them into finite numbers.
     */
    @Test
    void dotPropagatesNaNAndInfinityFromAnyLane() {
        int lanes = Vectors.F.length();
        int n = 5 * lanes + 3;
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        float[] prepared = F16Kernel.INSTANCE.prepare(ones, 0, n);
        for (int pos : new int[] {0, lanes, 4 * lanes - 1, 4 * lanes, n - 1}) {
            int[] f16 = new int[n];
            int[] bf16 = new int[n];
            f16[pos] = 0x7E00;
            bf16[pos] = 0x7FC0;
            assertThat(F16Kernel.INSTANCE.dot(halves(f16), 1, ones, 0, n)).as("f16 NaN at %d", pos).isNaN();
            assertThat(F16Kernel.INSTANCE.dot(halves(f16), 1, ones, 0, n, prepared)).as("f16 NaN at %d", pos).isNaN();
            assertThat(BF16Kernel.INSTANCE.dot(halves(bf16), 1, ones, 0, n)).as("bf16 NaN at %d", pos).isNaN();
            f16[pos] = 0xFC00;
            bf16[pos] = 0xFF80;
            assertThat(F16Kernel.INSTANCE.dot(halves(f16), 1, ones, 0, n)).isEqualTo(Float.NEGATIVE_INFINITY);
            assertThat(F16Kernel.INSTANCE.dot(halves(f16), 1, ones, 0, n, prepared)).as("f16 -inf at %d", pos)
                    .isEqualTo(Float.NEGATIVE_INFINITY);
            assertThat(BF16Kernel.INSTANCE.dot(halves(bf16), 1, ones, 0, n)).isEqualTo(Float.NEGATIVE_INFINITY);
            f16[pos] = 0x7C00;
            assertThat(F16Kernel.INSTANCE.dot(halves(f16), 1, ones, 0, n, prepared)).as("f16 +inf at %d", pos)
                    .isEqualTo(Float.POSITIVE_INFINITY);
            int[] plain = new int[n];
            java.util.Arrays.fill(plain, 0x3C00);
            assertDot2MatchesDot(f16, plain, ones, 0, prepared, "+inf in the first row at " + pos);
            f16[pos] = 0x7E00;
            assertDot2MatchesDot(plain, f16, ones, 0, prepared, "NaN in the second row at " + pos);
        }
    }

    /**
     * The matvec path scales weights down by 2^-112 and activations up by 2^112: each product must still be the
     * correctly rounded {@code w * x}. One nonzero weight per row, anywhere, so the dot is that one product.
     */
    @Test
    void preparedF16DotIsExactForSubnormalsZerosAndTheLargestHalves() {
        // 0x0001 = 2^-24, 0x03FF = 1023 * 2^-24 (largest subnormal), 0x8001 = -2^-24, 0x0400 = 2^-14,
        // 0x7BFF = 65504, 0xFBFF = -65504, 0x8000 = -0, 0x3555 = 0.333251953125
        int[] bits = {0x0001, 0x03FF, 0x8001, 0x0400, 0x7BFF, 0xFBFF, 0x8000, 0x3555};
        float[] values = {0x1p-24f, 1023 * 0x1p-24f, -0x1p-24f, 0x1p-14f, 65504f, -65504f, -0f, 0.333251953125f};
        int lanes = Vectors.F.length();
        int n = 5 * lanes + 3;
        // an odd activation, a float subnormal one, and the largest below 2^16 (scaled by 2^112 it must not overflow)
        for (float xv : new float[] {3.1f, -0x1.8p-140f, 0x1.fffffep15f}) {
            float[] x = new float[n];
            java.util.Arrays.fill(x, xv);
            float[] prepared = F16Kernel.INSTANCE.prepare(x, 0, n);
            assertThat(prepared).as("x = %s", xv).isNotNull();
            for (int k = 0; k < bits.length; k++) {
                for (int pos : new int[] {0, 4 * lanes - 1, 4 * lanes + 1, n - 1}) {
                    int[] row = new int[n];
                    row[pos] = bits[k];
                    float got = F16Kernel.INSTANCE.dot(halves(row), 1, x, 0, n, prepared);
                    // + 0f: a product that rounds to -0 is +0 after the sum with the zero lanes, on either path
                    assertThat(got + 0f).as("0x%04x at %d times %s", bits[k], pos, xv)
                            .isEqualTo(values[k] * xv + 0f);
                }
            }
        }
    }

    /** Activations of 2^16 or more would overflow once scaled by 2^112: those vectors take the exact path. */
    @Test
    void preparedF16DotTakesTheExactPathForLargeOrNaNActivations() {
        int n = 4 * Vectors.F.length() + 1;
        int[] row = new int[n];
        row[1] = 0x3C00;
        row[2] = 0x3800;
        MemorySegment w = halves(row);
        float[] x = new float[n];
        x[2] = 3f;
        x[1] = 70000f;
        assertThat(F16Kernel.INSTANCE.prepare(x, 0, n)).isNull();
        assertThat(F16Kernel.INSTANCE.dot(w, 1, x, 0, n, null)).isEqualTo(70001.5f);
        assertDot2MatchesDot(row, row, x, 0, null, "large activation");
        x[1] = 65535f;
        assertThat(F16Kernel.INSTANCE.dot(w, 1, x, 0, n, F16Kernel.INSTANCE.prepare(x, 0, n))).isEqualTo(65536.5f);
        x[1] = Float.NaN;
        assertThat(F16Kernel.INSTANCE.prepare(x, 0, n)).isNull();
        x[1] = Float.NEGATIVE_INFINITY;
        assertThat(F16Kernel.INSTANCE.dot(w, 1, x, 0, n, F16Kernel.INSTANCE.prepare(x, 0, n)))
                .isEqualTo(Float.NEGATIVE_INFINITY);
    }
}
