package dev.llama3j.tensor.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.DenseMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The native BF16 products with float32 activations: each variant bit for bit the lane-order rule of its width,
 * written out here in scalar code (8 lanes for AVX2, 16 for VNNI: four accumulators of fused multiply-adds over
 * steps taken in turn, the whole steps left over into the first, (a0 + a1) + (a2 + a3) folded by halves, the tail
 * one rounded product at a time), and the matrix-vector product that uses it bit for bit the Java
 * {@link BF16Kernel} row by row at this JVM's vector width.
 */
class NativeBF16Test {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** Widths with tails of every kind: no step left over, one to three whole steps, part of a step, both. */
    private static final int[] COLS = {1, 7, 8, 15, 16, 24, 31, 32, 40, 47, 48, 63, 64, 80, 100, 2048, 2056, 2061,
        2072, 2077, 2096};

    /** Rows of random bfloat16s: values of both signs and many magnitudes, subnormals and zeros. */
    private static MemorySegment rows(Arena arena, int rows, int cols, Random rnd) {
        // 2 bytes past a 64-byte boundary: no vector load is aligned
        MemorySegment w = arena.allocate(2L * rows * cols + 2, 64).asSlice(2);
        for (long i = 0; i < (long) rows * cols; i++) {
            short h = switch (rnd.nextInt(10)) {
                case 0 -> (short) rnd.nextInt(0x80); // subnormal
                case 1 -> (short) 0x8000; // -0
                default -> (short) (Float.floatToRawIntBits((float) (rnd.nextGaussian()
                        * Math.pow(10, rnd.nextInt(7) - 3))) >>> 16);
            };
            w.setAtIndex(HALF, i, (short) (rnd.nextBoolean() ? h : h ^ 0x8000));
        }
        return w;
    }

    private static float[] activations(int n, Random rnd) {
        float[] x = new float[n + 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian() * 3f;
        }
        return x;
    }

    private static float bf16(MemorySegment w, long index) {
        return Float.intBitsToFloat(w.getAtIndex(HALF, index) << 16);
    }

    private static void eachVariantIsItsLaneOrderRule(NativeKernels.Isa isa, int lanes) {
        KernelTestSupport.assertEachRowIsTheLaneRule(isa, lanes, 4, COLS, NativeBF16Test::rows, NativeBF16Test::bf16,
                NativeKernels::bf16Matvec);
    }

    @Test
    void avx2IsTheEightLaneRule() {
        eachVariantIsItsLaneOrderRule(NativeKernels.Isa.AVX2, 8);
    }

    @Test
    void vnniIsTheSixteenLaneRule() {
        eachVariantIsItsLaneOrderRule(NativeKernels.Isa.VNNI, 16);
    }

    /** The matrix-vector product (native where a variant has this JVM's width) against the Java kernel's row dot. */
    @Test
    void matvecIsTheJavaKernelsBits() {
        if (NativeKernels.floatFor(Vectors.F.length()) == NativeKernels.Isa.NONE) {
            System.err.println("NOTE: no native BF16 product at " + Vectors.F.length()
                    + " lanes here: the Java matrix-vector product is compared with the Java dot");
        }
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            for (int cols : new int[] {64, 2048, 2061, 2077}) {
                int rows = 7;
                MemorySegment w = rows(arena, rows, cols, rnd);
                MemorySegment owned = arena.allocate(w.byteSize(), 2);
                owned.copyFrom(w);
                DenseMatrix m = new DenseMatrix("w", DType.BF16, owned, rows, cols, false);
                float[] x = activations(cols, rnd);
                float[] out = new float[rows];
                m.matvec(x, 2, out, 0, 0, rows);
                for (int r = 0; r < rows; r++) {
                    float java = BF16Kernel.INSTANCE.dot(owned, 2L * r * cols, x, 2, cols);
                    assertThat(Float.floatToRawIntBits(out[r])).as("%d cols, row %d", cols, r)
                            .isEqualTo(Float.floatToRawIntBits(java));
                }
            }
        }
    }

    @Test
    void argumentsThatDoNotFitAreRejectedBeforeTheNativeCall() {
        KernelTestSupport.assumeRuns(NativeKernels.Isa.AVX2);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(2L * 4 * 64);
            float[] x = new float[64];
            float[] out = new float[4];
            NativeKernels.Isa isa = NativeKernels.Isa.AVX2;
            assertThatThrownBy(() -> NativeKernels.bf16Matvec(isa, w, 128, 64, x, 1, out, 0, 4))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> NativeKernels.bf16Matvec(isa, w, 128, 64, x, 0, out, 0, 5))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
