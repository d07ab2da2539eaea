package dev.llama3j.tensor.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The native int8 quantization of activations against {@link Int8Activations}, bit for bit, in every variant this
 * CPU runs: quants, block scales and scaled sums, for ordinary blocks and for the edges of the rule (rounding ties
 * at .5, magnitudes that reach exactly 127, zero blocks, -0, subnormals, infinities and NaNs).
 */
class NativeQuantizeTest {

    /** Blocks of every kind, 32 floats each. */
    private static float[] blocks(Random rnd) {
        int count = 40;
        float[] x = new float[32 * count];
        for (int b = 0; b < count; b++) {
            for (int i = 0; i < 32; i++) {
                float v = switch (b % 10) {
                    case 0 -> 0f; // all zeros
                    case 1 -> i == 3 ? -0f : 0f;
                    case 2 -> i == 0 ? 127f : i - 16 + 0.5f; // every quant a tie at .5
                    case 3 -> (float) rnd.nextGaussian() * 1e-40f; // subnormals
                    case 4 -> i == 5 ? Float.POSITIVE_INFINITY : (float) rnd.nextGaussian();
                    case 5 -> i == 7 ? Float.NaN : (float) rnd.nextGaussian();
                    case 6 -> i == 9 ? -1e30f : (float) rnd.nextGaussian() * 1e28f;
                    case 7 -> (rnd.nextInt(255) - 127) * 0.25f; // many ties after scaling
                    default -> (float) rnd.nextGaussian() * (b + 1);
                };
                x[32 * b + i] = v;
            }
        }
        return x;
    }

    private static void isInt8ActivationsBits(NativeKernels.Isa isa) {
        KernelTestSupport.assumeRuns(isa);
        Random rnd = new Random(21);
        for (int round = 0; round < 5; round++) {
            float[] x = blocks(rnd);
            int blocks = x.length / 32;
            byte[] quants = new byte[x.length + 32];
            float[] scales = new float[blocks + 1];
            float[] sums = new float[blocks + 1];
            NativeKernels.quantize(isa, x, 0, blocks, quants, 32, scales, sums, 1);
            Int8Activations a = Int8Activations.quantize(x, 0, x.length);
            for (int b = 0; b < blocks; b++) {
                assertThat(Float.floatToIntBits(scales[1 + b])).as("%s block %d scale", isa, b)
                        .isEqualTo(Float.floatToIntBits(a.d[b]));
                assertThat(Float.floatToIntBits(sums[1 + b])).as("%s block %d scaled sum", isa, b)
                        .isEqualTo(Float.floatToIntBits(a.scaledSums[b]));
                for (int i = 0; i < 32; i++) {
                    assertThat(quants[32 + 32 * b + i]).as("%s block %d quant %d of %s", isa, b, i, x[32 * b + i])
                            .isEqualTo((byte) a.quant(32 * b + i));
                }
            }
            assertThat(quants[0]).isZero();
            assertThat(scales[0]).isZero();
        }
    }

    @Test
    void avx2IsInt8ActivationsBits() {
        isInt8ActivationsBits(NativeKernels.Isa.AVX2);
    }

    @Test
    void vnniIsInt8ActivationsBits() {
        isInt8ActivationsBits(NativeKernels.Isa.VNNI);
    }

    /** A batch (what the native batch products read) holds each vector as quantized alone. */
    @Test
    void batchVectorsHoldTheirOwnQuantization() {
        Assumptions.assumeTrue(NativeKernels.active() != NativeKernels.Isa.NONE, "SKIPPED: no native kernels");
        Random rnd = new Random(22);
        int cols = 96;
        int n = 5;
        float[] x = new float[n * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        Int8Batch batch = Int8Batch.forThread(n, cols);
        batch.quantize(x, 0, 2);
        batch.quantize(x, 2, n);
        for (int t = 0; t < n; t++) {
            Int8Activations alone = Int8Activations.quantize(x, t * cols, cols);
            for (int i = 0; i < cols; i++) {
                assertThat(batch.quants[t * cols + i]).isEqualTo((byte) alone.quant(i));
            }
            for (int b = 0; b < cols / 32; b++) {
                assertThat(batch.scales[t * 3 + b]).isEqualTo(alone.d[b]);
                assertThat(batch.scaledSums[t * 3 + b]).isEqualTo(alone.scaledSums[b]);
            }
        }
    }

    @Test
    void argumentsThatDoNotFitAreRejectedBeforeTheNativeCall() {
        KernelTestSupport.assumeRuns(NativeKernels.Isa.AVX2);
        NativeKernels.Isa isa = NativeKernels.Isa.AVX2;
        float[] x = new float[64];
        assertThatThrownBy(() -> NativeKernels.quantize(isa, x, 1, 2, new byte[64], 0, new float[2], new float[2], 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NativeKernels.quantize(isa, x, 0, 2, new byte[63], 0, new float[2], new float[2], 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NativeKernels.quantize(isa, x, 0, 2, new byte[64], 0, new float[2], new float[1], 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
