package dev.llama3j.tensor.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.DenseMatrix;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.RowConcatMatrix;
import dev.llama3j.tensor.RowPermutedMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The native unpacking of F16, BF16 and Q8_0 rows into the tiled product's float panels: each variant against the
 * scalar rule written out here ({@link Float#float16ToFloat} of each half; a bfloat16's bits as a float's top half;
 * each quant times its block's scale),
 * bit for bit, slices in their places and nothing written between them; and a matrix's whole-row unpacking
 * against its slice-by-slice one (the Java kernels').
 */
class NativeUnpackTest {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** Row lengths of whole Q8_0 blocks: less than a slice, whole slices, a short last slice. */
    private static final int[] COLS = {32, 96, 256, 288, 512, 2048, 2080, 8192};
    private static final float UNTOUCHED = -12345f;

    /** A random half: normal values of both signs, subnormals, zeros, infinities. */
    private static short half(Random rnd) {
        short h = switch (rnd.nextInt(12)) {
            case 0 -> (short) rnd.nextInt(0x400);
            case 1 -> (short) 0x8000;
            case 2 -> (short) 0x7c00;
            case 3 -> Float.floatToFloat16((float) rnd.nextGaussian() * 1000f);
            default -> Float.floatToFloat16((float) rnd.nextGaussian() * 0.05f);
        };
        return (short) (rnd.nextBoolean() ? h : h ^ 0x8000);
    }

    /** F16 or Q8_0 rows of random content, {@code rowBytes} apart, 2 bytes past a 64-byte boundary: no load is aligned. */
    private static MemorySegment rows(Arena arena, NativeKernels.Unpacked type, int rows, long rowBytes, Random rnd) {
        long bytes = rows * rowBytes;
        MemorySegment w = arena.allocate(bytes + 2, 64).asSlice(2);
        if (type == NativeKernels.Unpacked.F16) {
            for (long i = 0; i < bytes / 2; i++) {
                w.setAtIndex(HALF, i, half(rnd));
            }
        } else if (type == NativeKernels.Unpacked.BF16) {
            // any 16 bits: normals, subnormals, zeros, infinities and NaNs, every one widened exactly
            for (long i = 0; i < bytes / 2; i++) {
                w.setAtIndex(HALF, i, (short) rnd.nextInt(0x10000));
            }
        } else {
            for (long b = 0; b < bytes / 34; b++) {
                w.set(HALF, 34 * b, half(rnd));
                for (int j = 0; j < 32; j++) {
                    w.set(ValueLayout.JAVA_BYTE, 34 * b + 2 + j, (byte) rnd.nextInt(256));
                }
            }
        }
        return w;
    }

    private static long rowBytes(NativeKernels.Unpacked type, int cols) {
        return (long) cols / type.blockWeights * type.blockBytes;
    }

    /** Weight {@code i} of the row at {@code off}, by the type's definition. */
    private static float rule(MemorySegment w, long off, NativeKernels.Unpacked type, int i) {
        if (type == NativeKernels.Unpacked.F16) {
            return Float.float16ToFloat(w.get(HALF, off + 2L * i));
        }
        if (type == NativeKernels.Unpacked.BF16) {
            return Float.intBitsToFloat(w.get(HALF, off + 2L * i) << 16);
        }
        long block = off + 34L * (i / 32);
        return Float.float16ToFloat(w.get(HALF, block)) * w.get(ValueLayout.JAVA_BYTE, block + 2 + i % 32);
    }

    /** Equal bits, or both NaN (vcvtph2ps quiets a signalling NaN; the F16 and Q8_0 weights here hold none anyway). */
    private static boolean same(float a, float b) {
        return Float.floatToRawIntBits(a) == Float.floatToRawIntBits(b) || (Float.isNaN(a) && Float.isNaN(b));
    }

    /**
     * Three rows with a block of other data between them, in TileMatmul's layout plus gaps: row r's slice s at
     * {@code 3 + r * depth + s * (3 * depth + 40)}; every float checked, the gaps untouched.
     */
    private static void eachVariantIsTheRule(NativeKernels.Isa isa) {
        KernelTestSupport.assumeRuns(isa);
        Random rnd = new Random(isa.ordinal());
        int rows = 3;
        try (Arena arena = Arena.ofConfined()) {
            for (NativeKernels.Unpacked type : NativeKernels.Unpacked.values()) {
                for (int cols : COLS) {
                    for (int depth : new int[] {32, 256}) {
                        long rowBytes = rowBytes(type, cols) + 34;
                        int sliceStride = rows * depth + 40;
                        int slices = (cols + depth - 1) / depth;
                        MemorySegment w = rows(arena, type, rows, rowBytes, rnd);
                        float[] dst = new float[3 + slices * sliceStride];
                        Arrays.fill(dst, UNTOUCHED);
                        NativeKernels.unpack(isa, type, w, rowBytes, rows, cols, depth, dst, 3, depth, sliceStride);
                        for (int j = 0; j < dst.length; j++) {
                            int rel = j - 3;
                            int slice = Math.floorDiv(rel, sliceStride);
                            int inPanel = rel - slice * sliceStride;
                            int row = inPanel / depth;
                            int k = slice * depth + inPanel % depth;
                            boolean written = rel >= 0 && row < rows && k < cols;
                            float expected = written ? rule(w, row * rowBytes, type, k) : UNTOUCHED;
                            assertThat(same(dst[j], expected))
                                    .as("%s %s, %d cols in slices of %d: float %d is %s, expected %s", isa, type,
                                            cols, depth, j, dst[j], expected)
                                    .isTrue();
                        }
                    }
                }
            }
        }
    }

    @Test
    void avx2UnpacksByTheRule() {
        eachVariantIsTheRule(NativeKernels.Isa.AVX2);
    }

    @Test
    void vnniUnpacksByTheRule() {
        eachVariantIsTheRule(NativeKernels.Isa.VNNI);
    }

    /**
     * A block of a matrix's rows in one call (native where a variant runs) against the same rows slice by slice
     * ({@link RowSlices#unpack}: the Java kernels'), for the matrix and for the views that forward blocks to it
     * (permuted rows, row shards, both): the tiled product's panels hold the same floats either way.
     */
    @Test
    void rowBlocksAreTheSlicesOfTheJavaKernels() {
        if (NativeKernels.active() == NativeKernels.Isa.NONE) {
            System.err.println("NOTE: no native kernels here: row blocks go slice by slice through the Java kernels");
        }
        Random rnd = new Random(9);
        try (Arena arena = Arena.ofConfined()) {
            for (NativeKernels.Unpacked type : NativeKernels.Unpacked.values()) {
                DType dtype = switch (type) {
                    case F16 -> DType.F16;
                    case BF16 -> DType.BF16;
                    case Q8_0 -> DType.Q8_0;
                };
                for (int cols : new int[] {256, 2080}) {
                    int rows = 7;
                    DenseMatrix a = matrix(arena, type, dtype, rows, cols, rnd);
                    DenseMatrix b = matrix(arena, type, dtype, rows, cols, rnd);
                    int[] perm = {3, 6, 0, 1, 5, 2, 4};
                    int[] reversed = new int[2 * rows];
                    for (int i = 0; i < reversed.length; i++) {
                        reversed[i] = reversed.length - 1 - i;
                    }
                    RowConcatMatrix concat = new RowConcatMatrix(List.of(a, b));
                    for (Matrix m : List.of(a, new RowPermutedMatrix(a, perm), concat,
                            new RowPermutedMatrix(concat, reversed))) {
                        // rows 1..5 (in the shards: across the parts' boundary at 7), as TileMatmul lays out a block
                        int first = m.rows() > rows ? 4 : 1;
                        assertBlockIsItsSlices(m, first, 5, dtype);
                    }
                }
            }
        }
    }

    private static DenseMatrix matrix(Arena arena, NativeKernels.Unpacked type, DType dtype, int rows, int cols,
                                      Random rnd) {
        MemorySegment w = rows(arena, type, rows, rowBytes(type, cols), rnd);
        MemorySegment owned = arena.allocate(w.byteSize(), 2);
        owned.copyFrom(w);
        return new DenseMatrix("w", dtype, owned, rows, cols, false);
    }

    private static void assertBlockIsItsSlices(Matrix m, int first, int count, DType dtype) {
        RowSlices slices = m.slices();
        int cols = m.cols();
        int depth = TileMatmul.DEPTH;
        int panel = (count + 1) * depth;
        int panels = (cols + depth - 1) / depth;
        float[] block = new float[panels * panel];
        float[] bySlice = new float[block.length];
        Arrays.fill(block, UNTOUCHED);
        Arrays.fill(bySlice, UNTOUCHED);
        slices.unpackRows(first, count, cols, depth, block, 0, depth, panel);
        for (int i = 0; i < count; i++) {
            for (int s = 0; s < panels; s++) {
                int k0 = s * depth;
                slices.unpack(first + i, k0, Math.min(depth, cols - k0), bySlice, s * panel + i * depth);
            }
        }
        for (int j = 0; j < block.length; j++) {
            assertThat(same(block[j], bySlice[j])).as("%s %s, %d cols, float %d: %s vs %s",
                    m.getClass().getSimpleName(), dtype, cols, j, block[j], bySlice[j]).isTrue();
        }
    }

    @Test
    void argumentsThatDoNotFitAreRejectedBeforeTheNativeCall() {
        KernelTestSupport.assumeRuns(NativeKernels.Isa.AVX2);
        NativeKernels.Isa isa = NativeKernels.Isa.AVX2;
        NativeKernels.Unpacked q8 = NativeKernels.Unpacked.Q8_0;
        try (Arena arena = Arena.ofConfined()) {
            // two rows of 128 weights (136 bytes), 136 apart
            MemorySegment w = arena.allocate(34L * 8);
            float[] dst = new float[2 * 160];
            // fits: in slices of 64, row 1 at 64, slices 160 apart
            NativeKernels.unpack(isa, q8, w, 136, 2, 128, 64, dst, 0, 64, 160);
            assertThatThrownBy(() -> NativeKernels.unpack(isa, q8, w, 136, 3, 128, 64, dst, 0, 64, 160))
                    .as("more rows than the segment holds").isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> NativeKernels.unpack(isa, q8, w, 100, 2, 128, 64, dst, 0, 64, 160))
                    .as("rows closer than their bytes").isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> NativeKernels.unpack(isa, q8, w, 1L << 62, 2, 128, 64, dst, 0, 64, 160))
                    .as("rows far apart").isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> NativeKernels.unpack(isa, q8, w, 136, 2, 128, 64, dst, 33, 64, 160))
                    .as("the last slice past the array").isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> NativeKernels.unpack(isa, q8, w, 136, 2, 120, 64, dst, 0, 64, 160))
                    .as("a partial block").isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> NativeKernels.unpack(isa, q8, w, 136, 2, 128, 48, dst, 0, 64, 160))
                    .as("slices of partial blocks").isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> NativeKernels.unpack(isa, q8, w, 136, 2, 128, 64, dst, 0, -64, 160))
                    .as("a negative stride").isInstanceOf(IllegalArgumentException.class);
        }
    }
}
