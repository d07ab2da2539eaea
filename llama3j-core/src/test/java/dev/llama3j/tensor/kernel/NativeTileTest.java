package dev.llama3j.tensor.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The multiply-adds of a {@link TileMatmul} row block, native and Java, each against the rule written out here in
 * scalar code: for every (row, token) pair and depth panel, a chain of fused multiply-adds over the panel's columns
 * in order, from zero, then added to the sum; a narrow last group leaves its second vector of tokens alone. The
 * rule holds at any tile shape, so the native variant at this JVM's width must give the Java tile's bits.
 */
class NativeTileTest {
    private static final int TOKENS = TileMatmul.TOKENS;
    private static final int DEPTH = TileMatmul.DEPTH;

    /**
     * A block's inputs, laid out as TileMatmul lays them in tiles of {@code rows} rows: weights with room for more
     * rows than the tiles use.
     */
    private record Block(int rows, float[] weights, int panel, int cols, float[] acts, int groups, int tiles,
                         float[] sums) {
        static Block random(int rows, int cols, int groups, int tiles, Random rnd) {
            int panel = (tiles + 1) * rows * DEPTH;
            int panels = (cols + DEPTH - 1) / DEPTH;
            return new Block(rows, values(panels * panel, rnd), panel, cols, values(groups * cols * TOKENS, rnd),
                    groups, tiles, values(tiles * groups * rows * TOKENS, rnd));
        }

        Block copy() {
            return new Block(rows, weights, panel, cols, acts, groups, tiles, sums.clone());
        }
    }

    /**
     * Gaussian values of two magnitudes with some zeros of both signs and subnormals, and one infinity and one NaN
     * at random places: a few sums become infinite or NaN, the others stay finite.
     */
    private static float[] values(int n, Random rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (rnd.nextInt(100)) {
                case 0 -> -0f;
                case 1 -> 0f;
                case 2 -> Float.MIN_VALUE * rnd.nextInt(1000);
                default -> (float) rnd.nextGaussian() * (rnd.nextBoolean() ? 1e-3f : 30f);
            };
        }
        v[rnd.nextInt(n)] = rnd.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
        v[rnd.nextInt(n)] = Float.NaN;
        return v;
    }

    /** The scalar rule: what any tile computation must leave in the block's sums. */
    private static float[] expected(Block b, boolean narrowLast) {
        float[] sums = b.sums().clone();
        for (int k0 = 0; k0 < b.cols(); k0 += DEPTH) {
            int depth = Math.min(DEPTH, b.cols() - k0);
            for (int g = 0; g < b.groups(); g++) {
                int tokens = narrowLast && g == b.groups() - 1 ? TOKENS / 2 : TOKENS;
                for (int rt = 0; rt < b.tiles(); rt++) {
                    for (int i = 0; i < b.rows(); i++) {
                        int w = k0 / DEPTH * b.panel() + (rt * b.rows() + i) * DEPTH;
                        for (int j = 0; j < tokens; j++) {
                            float acc = 0f;
                            for (int k = 0; k < depth; k++) {
                                acc = Math.fma(b.weights()[w + k], b.acts()[(g * b.cols() + k0 + k) * TOKENS + j], acc);
                            }
                            int s = ((rt * b.groups() + g) * b.rows() + i) * TOKENS + j;
                            sums[s] = acc + sums[s];
                        }
                    }
                }
            }
        }
        return sums;
    }

    /** Bit for bit, but any NaN equals any NaN (which payload survives depends on the operand order). */
    private static void assertSameBits(float[] got, float[] want, String what) {
        assertThat(got).hasSameSizeAs(want);
        int finite = 0;
        for (int i = 0; i < want.length; i++) {
            finite += Float.isFinite(want[i]) ? 1 : 0;
            if (Float.floatToIntBits(got[i]) != Float.floatToIntBits(want[i])) {
                throw new AssertionError(what + ": sum " + i + " is " + got[i] + ", the rule gives " + want[i]);
            }
        }
        assertThat(finite).as("finite sums of " + what).isGreaterThan(want.length / 2);
    }

    /** Columns with a short last panel or none, one group or several, one tile or several. */
    private static final int[][] SHAPES = {{1, 1, 1}, {256, 1, 2}, {600, 3, 3}, {512, 2, 1}, {1000, 2, 5}};

    @Test
    void theJavaTileFollowsTheRule() {
        Random rnd = new Random(11);
        for (int[] shape : SHAPES) {
            for (boolean narrow : new boolean[] {false, true}) {
                Block b = Block.random(TileMatmul.JAVA_ROWS, shape[0], shape[1], shape[2], rnd);
                Block got = b.copy();
                TileMatmul.tiles(got.rows(), got.weights(), got.panel(), got.cols(), got.acts(), got.groups(),
                        got.tiles(), narrow, got.sums());
                assertSameBits(got.sums(), expected(b, narrow), "Java, " + shape[0] + " columns, narrow " + narrow);
            }
        }
    }

    @Test
    void theNativeTileAtThisWidthFollowsTheRule() {
        NativeKernels.Isa isa = NativeKernels.floatFor(TOKENS / 2);
        if (isa == NativeKernels.Isa.NONE) {
            String msg = "SKIPPED: no native tile at " + TOKENS / 2 + " lanes here: "
                    + (NativeKernels.unavailableReason() == null ? "no variant of that width"
                    : NativeKernels.unavailableReason());
            System.err.println(msg);
            Assumptions.assumeTrue(false, msg);
        }
        Random rnd = new Random(12);
        for (int[] shape : SHAPES) {
            for (boolean narrow : new boolean[] {false, true}) {
                Block b = Block.random(TileMatmul.ROWS, shape[0], shape[1], shape[2], rnd);
                Block got = b.copy();
                for (int k0 = 0; k0 < got.cols(); k0 += DEPTH) {
                    NativeKernels.tile(isa, got.weights(), got.panel(), got.cols(), k0, got.acts(), got.groups(),
                            got.tiles(), narrow, got.sums());
                }
                assertSameBits(got.sums(), expected(b, narrow), isa + ", " + shape[0] + " columns, narrow " + narrow);
            }
        }
        // each bound on its own: a block of 600 columns (3 panels), 2 groups, 2 tiles
        Block b = Block.random(TileMatmul.ROWS, 600, 2, 2, rnd);
        int cols = b.cols();
        assertThatThrownBy(() -> NativeKernels.tile(isa, Arrays.copyOf(b.weights(), 4 * b.panel()), b.panel(), cols,
                3 * DEPTH, b.acts(),
                b.groups(), b.tiles(), false, b.sums())).as("k0 past the columns")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NativeKernels.tile(isa, b.weights(), b.panel(), cols, DEPTH / 2, b.acts(),
                b.groups(), b.tiles(), false, b.sums())).as("k0 inside a panel")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NativeKernels.tile(isa, b.weights(), (b.tiles() * b.rows() - 1) * DEPTH, cols, 0,
                b.acts(), b.groups(), b.tiles(), false, b.sums())).as("tiles taller than the panel")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NativeKernels.tile(isa, Arrays.copyOf(b.weights(), 3 * b.panel() - 1),
                b.panel(), cols, 2 * DEPTH, b.acts(), b.groups(), b.tiles(), false, b.sums())).as("weights short")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NativeKernels.tile(isa, b.weights(), b.panel(), cols, 0,
                Arrays.copyOf(b.acts(), b.acts().length - 1), b.groups(), b.tiles(), false, b.sums()))
                .as("activations short").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NativeKernels.tile(isa, b.weights(), b.panel(), cols, 0, b.acts(), b.groups(),
                b.tiles(), false, Arrays.copyOf(b.sums(), b.sums().length - 1))).as("sums short")
                .isInstanceOf(IllegalArgumentException.class);
        // the same arguments within bounds run
        NativeKernels.tile(isa, Arrays.copyOf(b.weights(), 3 * b.panel()), b.panel(), cols, 2 * DEPTH,
                b.acts(), b.groups(), b.tiles(), false, b.sums().clone());
    }
}
