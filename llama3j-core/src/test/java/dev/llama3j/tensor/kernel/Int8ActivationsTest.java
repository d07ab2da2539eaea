package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.DenseMatrix;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.RandomWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** ggml-style int8 activations: the quantization rule, and each integer dot against a scalar reference. */
class Int8ActivationsTest {

    @Test
    void blocksScaleByTheirLargestMagnitudeAndRoundHalfAwayFromZero() {
        float[] x = new float[64];
        x[0] = -12.7f;       // block 0's largest magnitude: d = 0.1, q = -127
        x[1] = 0.05f;        // exactly half a step (in float, 0.05/0.1 rounds to 0.5): away from zero -> 1
        x[2] = -0.05f;       // -> -1
        x[3] = 0.3f;         // -> 3
        x[33] = 2.54f;       // block 1: d = 0.02, q = 127
        x[34] = -1.0f;       // -> -50
        Int8Activations a = Int8Activations.quantize(x, 0, 64);
        assertThat(a.scale(0)).isCloseTo(0.1f, within(1e-7f));
        assertThat(new int[] {a.quant(0), a.quant(1), a.quant(2), a.quant(3), a.quant(4)})
                .containsExactly(-127, 1, -1, 3, 0);
        assertThat(a.scale(1)).isCloseTo(0.02f, within(1e-8f));
        assertThat(new int[] {a.quant(32), a.quant(33), a.quant(34)}).containsExactly(0, 127, -50);
    }

    /**
     * The float just below one half rounds to 0, as roundf does: with the block's largest magnitude 127 the step is
     * exactly 1, and adding 0.5 first would give 1 (0.49999997f + 0.5f rounds to 1.0f).
     */
    @Test
    void theFloatJustBelowAHalfStepRoundsDown() {
        float[] x = new float[32];
        x[0] = 127f;
        x[1] = Math.nextDown(0.5f);
        x[2] = -Math.nextDown(0.5f);
        x[3] = 0.5f;
        x[4] = Math.nextDown(1.5f);
        Int8Activations a = Int8Activations.quantize(x, 0, 32);
        assertThat(a.scale(0)).isEqualTo(1f);
        assertThat(new int[] {a.quant(0), a.quant(1), a.quant(2), a.quant(3), a.quant(4)})
                .containsExactly(127, 0, 0, 1, 1);
    }

    @Test
    void anAllZeroBlockQuantizesToZeros() {
        Int8Activations a = Int8Activations.quantize(new float[32], 0, 32);
        assertThat(a.scale(0)).isZero();
        for (int i = 0; i < 32; i++) {
            assertThat(a.quant(i)).isZero();
        }
    }

    @Test
    void quantizationErrorIsAtMostHalfAStep() {
        Random rnd = new Random(7);
        float[] x = RandomWeights.gaussian(4096 + 3, rnd);
        Int8Activations a = Int8Activations.quantize(x, 3, 4096);
        for (int i = 0; i < 4096; i++) {
            float d = a.scale(i / 32);
            assertThat(Math.abs(a.quant(i))).isLessThanOrEqualTo(127);
            assertThat((double) a.quant(i) * d).isCloseTo(x[3 + i], within(0.5 * d * (1 + 1e-5)));
        }
    }

    /**
     * The vector quantizer against the rule written out in scalar code ({@link Math#round}, which rounds halves up
     * exactly), on values of every magnitude, signed zeros, and (every other vector) blocks whose largest magnitude is
     * 1 filled with near multiples of half a step.
     */
    @Test
    void quantsAndScalesEqualTheScalarRuleExactly() {
        Random rnd = new Random(11);
        int n = 2048;
        for (int rep = 0; rep < 50; rep++) {
            float[] x = new float[n];
            boolean halfSteps = rep % 2 == 0;
            for (int i = 0; i < n; i++) {
                x[i] = switch (rnd.nextInt(halfSteps ? 2 : 5)) {
                    case 0 -> rnd.nextBoolean() ? 0f : -0f;
                    case 1 -> (rnd.nextInt(509) - 254) / 254f; // k/2 steps when the block's max is 1
                    default -> (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
                };
            }
            for (int b = 0; halfSteps && b < n / 32; b++) {
                x[32 * b + rnd.nextInt(32)] = rnd.nextBoolean() ? 1f : -1f;
            }
            Int8Activations a = Int8Activations.quantize(x, 0, n);
            for (int b = 0; b < n / 32; b++) {
                float max = 0f;
                for (int j = 0; j < 32; j++) {
                    max = Math.max(max, Math.abs(x[32 * b + j]));
                }
                float scale = max / 127f;
                float inverse = scale == 0f ? 0f : 1f / scale;
                assertThat(a.scale(b)).as("scale of block %d", b).isEqualTo(scale);
                for (int j = 0; j < 32; j++) {
                    float v = x[32 * b + j];
                    int expected = Math.min(Math.round(Math.abs(v) * inverse), 127) * (v < 0 ? -1 : 1);
                    assertThat(a.quant(32 * b + j)).as("x = %s", v).isEqualTo(expected);
                }
            }
        }
    }

    /**
     * Only the in-place types with an integer path say so (Q4_0's and Q4_K's are {@link Q4_0Repacked} and
     * {@link Q4KRepacked}, tested there).
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void int8DotExistsForQ8_0Only(DType t) {
        assertThat(t.kernel().hasInt8Dot()).isEqualTo(t == DType.Q8_0);
    }

    /**
     * The kernel's result is the exact integer dot product of each block of 32, scaled by both scales: compared with
     * that computed in long integers and doubles from the scalar quants, it may differ only by float rounding of the
     * scaling and sums.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0"})
    void int8DotIsTheScaledIntegerDotOfEachBlock(DType t) {
        QuantKernel k = (QuantKernel) t.kernel();
        Random rnd = new Random(11 + t.ordinal());
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {t.blockSize, 3 * t.blockSize, 2048}) {
                for (int trial = 0; trial < 5; trial++) {
                    MemorySegment w = RandomWeights.fill(arena, t, 1, n, 3, rnd);
                    float[] x = RandomWeights.gaussian(n, rnd);
                    Int8Activations a = Int8Activations.quantize(x, 0, n);
                    double expected = 0;
                    double magnitude = 0;
                    for (int b = 0; b < n / 32; b++) {
                        long block = 3 + (long) t.blockBytes * b;
                        long integer = 0;
                        long absolute = 0;
                        for (int j = 0; j < 32; j++) {
                            long q = k.quant(w, block, j);
                            integer += q * a.quant(32 * b + j);
                            absolute += Math.abs(q * a.quant(32 * b + j));
                        }
                        double scale = (double) k.scale(w, block, 0) * a.scale(b);
                        expected += integer * scale;
                        magnitude += absolute * Math.abs(scale);
                    }
                    float actual = k.dot(w, 3, a, n);
                    assertThat((double) actual).as("%s n=%d trial %d", t, n, trial)
                            .isCloseTo(expected, within(1e-6 * magnitude + 1e-30));
                }
            }
        }
    }

    /** Extreme quants: Q8_0's -128 (not written by ggml, possible in a file) times -127 in every lane still fits. */
    @Test
    void q8_0ExtremeQuantsDoNotOverflowTheSixteenBitLanes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(34);
            w.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 0, Float.floatToFloat16(1f));
            for (int j = 0; j < 32; j++) {
                w.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 2 + j, (byte) -128);
            }
            float[] x = new float[32];
            Arrays.fill(x, -127f);
            Int8Activations a = Int8Activations.quantize(x, 0, 32);
            assertThat(DType.Q8_0.kernel().dot(w, 0, a, 32)).isEqualTo(32f * 128f * 127f);
        }
    }

    /**
     * With int8 numerics a matrix's products take the integer path (Q4_0, Q4_K and Q6_K; Q8_0 only where the native
     * kernels run, else in place when asked), which stays close to the float32 one; the exact numerics never take it.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void matvecUsesTheInt8PathOnlyWithInt8Numerics(DType t) {
        Random rnd = new Random(3);
        try (Arena arena = Arena.ofShared()) {
            DenseMatrix m = RandomWeights.matrix(arena, t, 64, 2048, rnd);
            DenseMatrix int8 = new DenseMatrix("w", t, m.data(), 64, 2048, true);
            Matrix fastMatrix = t == DType.Q8_0 ? int8 : Numerics.INT8.matrix("w", t, m.data(), 64, 2048);
            assertThat(m.takesInt8()).isFalse();
            assertThat(Numerics.EXACT.matrix("w", t, m.data(), 64, 2048).takesInt8()).isFalse();
            assertThat(fastMatrix.takesInt8()).isTrue();
            assertThat(Numerics.INT8.matrix("w", t, m.data(), 64, 2048).takesInt8())
                    .isEqualTo(t != DType.Q8_0 || NativeKernels.forType(t.ggmlId, 2048) != null);
            float[] x = RandomWeights.gaussian(2048, rnd);
            float[] exact = new float[64];
            float[] fast = new float[64];
            m.matvec(x, 0, exact, 0, 0, 64);
            fastMatrix.matvec(x, 0, fast, 0, 0, 64);
            Int8Activations a = Int8Activations.quantize(x, 0, 2048);
            double rms = 0;
            for (int r = 0; r < 64; r++) {
                float expected = t == DType.Q8_0 ? t.kernel().dot(m.data(), r * t.bytesFor(2048), a, 2048)
                        : fastMatrix.dot(r, x, 0);
                assertThat(fast[r]).isEqualTo(expected);
                rms += (double) exact[r] * exact[r] / 64;
            }
            rms = Math.sqrt(rms);
            int differing = 0;
            for (int r = 0; r < 64; r++) {
                // int8 activations err by ~1/254 of each block's peak; over 2048 terms that is well under 5% of rms
                assertThat((double) fast[r]).isCloseTo(exact[r], within(0.05 * rms));
                differing += fast[r] != exact[r] ? 1 : 0;
            }
            assertThat(differing).as("rows where the int8 path rounds differently").isGreaterThan(32);
        }
    }
}
