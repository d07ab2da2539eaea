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
 * The native F16 products with float32 activations: each variant bit for bit the lane-order rule of its width,
 * written out here in scalar code (8 lanes for AVX2, 16 for VNNI: two accumulators of fused multiply-adds, the
 * lanes folded by halves, the tail one rounded product at a time), and the matrix-vector product that uses it bit
 * for bit the Java {@link F16Kernel} row by row at this JVM's vector width.
 */
class NativeF16Test {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** Widths with tails of every kind: none, one step, part of a step, both. */
    private static final int[] COLS = {1, 7, 8, 15, 16, 24, 31, 32, 40, 47, 48, 80, 100, 2048, 2056, 2061, 2064, 2077};

    /** Rows of random halves: normal values of both signs, subnormals, zeros and, in row 2, an infinity. */
    private static MemorySegment rows(Arena arena, int rows, int cols, Random rnd, boolean special) {
        // 2 bytes past a 64-byte boundary: no vector load is aligned
        MemorySegment w = arena.allocate(2L * rows * cols + 2, 64).asSlice(2);
        for (long i = 0; i < (long) rows * cols; i++) {
            int kind = rnd.nextInt(10);
            short h = switch (kind) {
                case 0 -> (short) rnd.nextInt(0x400); // subnormal
                case 1 -> (short) 0x8000; // -0
                default -> Float.floatToFloat16((float) rnd.nextGaussian() * (kind == 2 ? 1000f : 0.05f));
            };
            w.setAtIndex(HALF, i, (short) (rnd.nextBoolean() ? h : h ^ 0x8000));
        }
        if (special && rows > 2) {
            w.setAtIndex(HALF, 2L * cols + cols / 2, (short) 0x7c00);
        }
        return w;
    }

    private static float[] activations(int n, Random rnd, float scale) {
        float[] x = new float[n + 3];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian() * scale;
        }
        return x;
    }

    private static float half(MemorySegment w, long index) {
        return Float.float16ToFloat(w.getAtIndex(HALF, index));
    }

    private static void eachVariantIsItsLaneOrderRule(NativeKernels.Isa isa, int lanes) {
        KernelTestSupport.assertEachRowIsTheLaneRule(isa, lanes, 2, COLS,
                (arena, rows, cols, rnd) -> rows(arena, rows, cols, rnd, true), NativeF16Test::half,
                NativeKernels::f16Matvec);
    }

    @Test
    void avx2IsTheEightLaneRule() {
        eachVariantIsItsLaneOrderRule(NativeKernels.Isa.AVX2, 8);
    }

    @Test
    void vnniIsTheSixteenLaneRule() {
        eachVariantIsItsLaneOrderRule(NativeKernels.Isa.VNNI, 16);
    }

    /**
     * The matrix-vector product (native where a variant has this JVM's width) against the Java kernel's exact row
     * dot: small activations, which the Java matrix-vector path scales, and ones past 2^16, which it does not.
     */
    @Test
    void matvecIsTheJavaKernelsBits() {
        if (NativeKernels.floatFor(Vectors.F.length()) == NativeKernels.Isa.NONE) {
            // still a check: the Java matrix-vector path (scaled activations, rows in pairs) against the exact dot
            System.err.println("NOTE: no native F16 product at " + Vectors.F.length()
                    + " lanes here: the Java matrix-vector product is compared with the Java exact dot");
        }
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            for (int cols : new int[] {64, 2048, 2061, 2077}) {
                for (float scale : new float[] {1f, 1e5f}) {
                    int rows = 7;
                    MemorySegment w = rows(arena, rows, cols, rnd, scale == 1f);
                    MemorySegment owned = arena.allocate(w.byteSize(), 2);
                    owned.copyFrom(w);
                    DenseMatrix m = new DenseMatrix("w", DType.F16, owned, rows, cols, false);
                    float[] x = activations(cols, rnd, scale);
                    float[] out = new float[rows];
                    m.matvec(x, 2, out, 0, 0, rows);
                    for (int r = 0; r < rows; r++) {
                        float java = F16Kernel.INSTANCE.dot(owned, 2L * r * cols, x, 2, cols);
                        assertThat(Float.floatToRawIntBits(out[r])).as("%d cols, scale %s, row %d", cols, scale, r)
                                .isEqualTo(Float.floatToRawIntBits(java));
                    }
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
            assertThatThrownBy(
                    () -> NativeKernels.f16Matvec(isa, w, 128, 64, x, 1, out, 0, 4))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(
                    () -> NativeKernels.f16Matvec(isa, w, 128, 64, x, 0, out, 1, 4))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(
                    () -> NativeKernels.f16Matvec(isa, w, 128, 64, x, 0, out, 0, 5))
                    .isInstanceOf(IllegalArgumentException.class);
            // rows far apart: (rows - 1) * rowBytes would overflow a long
            assertThatThrownBy(
                    () -> NativeKernels.f16Matvec(isa, w, 1L << 62, 64, x, 0, out, 0, 3))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
