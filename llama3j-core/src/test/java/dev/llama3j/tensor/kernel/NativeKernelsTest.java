package dev.llama3j.tensor.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.DenseMatrix;
import dev.llama3j.tensor.RandomWeights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The native kernels against the scalar rule (each weight dequantized exactly, each activation its quant times its
 * block's scale, summed in double), against each other (AVX2 and VNNI give the same integer sums, so the same
 * bits) and against the Java int8 kernels; every variant this CPU runs.
 */
class NativeKernelsTest {
    private static final DType[] TYPES = {DType.Q4_0, DType.Q4_K, DType.Q6_K, DType.Q8_0};

    private static List<NativeKernels.Isa> variants() {
        List<NativeKernels.Isa> out = new ArrayList<>();
        for (NativeKernels.Isa isa : new NativeKernels.Isa[] {NativeKernels.Isa.AVX2, NativeKernels.Isa.VNNI}) {
            if (NativeKernels.runs(isa)) {
                out.add(isa);
            }
        }
        if (out.isEmpty()) {
            String msg = "SKIPPED: no native kernel runs here: " + NativeKernels.unavailableReason();
            System.err.println(msg);
            Assumptions.assumeTrue(false, msg);
        }
        return out;
    }

    /** Rows of {@code m}: the file's blocks, which the native kernels read, and the Java int8 kernels' copy. */
    private record Rows(NativeKernels.Kernel kernel, RepackedLayout layout, MemorySegment javaData,
                        DenseMatrix source) {
        static Rows of(Arena arena, DenseMatrix m) {
            RepackedLayout layout = RepackedLayout.forGgmlType(m.type().ggmlId);
            MemorySegment repacked = null;
            if (layout != null) {
                repacked = arena.allocate(layout.rowBytes(m.cols()) * m.rows() + layout.padding(), 64);
                layout.repackRows(m.data(), m.type().bytesFor(m.cols()), repacked, m.cols(), 0, m.rows());
            }
            NativeKernels.Kernel kernel = NativeKernels.Kernel.valueOf(m.type().name());
            return new Rows(kernel, layout, repacked, m);
        }

        float[] run(NativeKernels.Isa isa, Int8Activations a, int from, int to) {
            float[] out = new float[source.rows()];
            long rowBytes = source.type().bytesFor(source.cols());
            NativeKernels.matvec(isa, kernel, source.data().asSlice(from * rowBytes), rowBytes, source.cols(), a,
                    out, from, to - from);
            return out;
        }

        /** The Java int8 kernel's results; Q8_0 has none (it keeps float32 activations without a native kernel). */
        float[] java(Int8Activations a) {
            if (layout == null) {
                return null;
            }
            float[] out = new float[source.rows()];
            long javaRowBytes = layout.rowBytes(source.cols());
            for (int r = 0; r < out.length; r++) {
                out[r] = layout.dot(javaData, r * javaRowBytes, source.cols(), a);
            }
            return out;
        }
    }

    @Test
    void eachVariantIsTheScalarRuleWithinFloatRounding() {
        Random rnd = new Random(11);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : TYPES) {
                boolean small = t == DType.Q4_0 || t == DType.Q8_0;
                // the widest rows' activations exceed the stack's share and go to the thread's scratch
                int[] shapes = small ? new int[] {32, 64, 96, 160, 2048, 4352, 16384}
                        : new int[] {256, 768, 4352, 16384};
                for (int cols : shapes) {
                    int rows = 5;
                    DenseMatrix m = RandomWeights.matrix(arena, t, rows, cols, rnd);
                    Rows p = Rows.of(arena, m);
                    float[] x = RandomWeights.gaussian(cols, rnd);
                    Int8Activations a = Int8Activations.quantize(x, 0, cols);
                    for (NativeKernels.Isa isa : variants()) {
                        float[] out = p.run(isa, a, 0, rows);
                        float[] w = new float[cols];
                        for (int r = 0; r < rows; r++) {
                            m.row(r, w, 0);
                            double expected = 0;
                            double magnitude = 0;
                            for (int j = 0; j < cols; j++) {
                                double prod = (double) w[j] * a.quant(j) * a.scale(j / 32);
                                expected += prod;
                                magnitude += Math.abs(prod);
                            }
                            assertThat((double) out[r]).as("%s %s cols %d row %d", isa, t, cols, r)
                                    .isCloseTo(expected, within(2e-6 * magnitude + 1e-30));
                        }
                    }
                }
            }
        }
    }

    @Test
    void variantsAgreeBitForBitAndRowRangesDoNotMatter() {
        Random rnd = new Random(12);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : TYPES) {
                int rows = 9;
                int cols = 2048;
                Rows p = Rows.of(arena, RandomWeights.matrix(arena, t, rows, cols, rnd));
                Int8Activations a = Int8Activations.quantize(RandomWeights.gaussian(cols, rnd), 0, cols);
                List<NativeKernels.Isa> isas = variants();
                float[] whole = p.run(isas.getFirst(), a, 0, rows);
                float[] split = p.run(isas.getFirst(), a, 0, 4);
                System.arraycopy(p.run(isas.getFirst(), a, 4, rows), 4, split, 4, rows - 4);
                KernelTestSupport.assertBitsEqual(split, whole);
                for (NativeKernels.Isa isa : isas) {
                    KernelTestSupport.assertBitsEqual(p.run(isa, a, 0, rows), whole);
                }
            }
        }
    }

    @Test
    void nativeAndJavaInt8ProductsAgreeWithinFloatRounding() {
        Random rnd = new Random(13);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : TYPES) {
                int rows = 7;
                int cols = 4096;
                Rows p = Rows.of(arena, RandomWeights.matrix(arena, t, rows, cols, rnd));
                Int8Activations a = Int8Activations.quantize(RandomWeights.gaussian(cols, rnd), 0, cols);
                float[] expected = p.java(a);
                if (expected == null) {
                    continue;
                }
                for (NativeKernels.Isa isa : variants()) {
                    float[] out = p.run(isa, a, 0, rows);
                    for (int r = 0; r < rows; r++) {
                        assertThat(out[r]).as("%s %s row %d", isa, t, r)
                                .isCloseTo(expected[r], within(1e-4f * Math.max(1f, Math.abs(expected[r]))));
                    }
                }
            }
        }
    }

    /** The largest products, nibbles 0 and 15 against +-127 in every lane, stay exact in both Q4 types. */
    @Test
    void extremeNibblesDoNotOverflow() {
        try (Arena arena = Arena.ofShared()) {
            for (DType t : new DType[] {DType.Q4_0, DType.Q4_K}) {
                int cols = 512;
                long rowBytes = t.bytesFor(cols);
                MemorySegment w = arena.allocate(2 * rowBytes);
                int block = t == DType.Q4_0 ? 32 : 256;
                long blockBytes = t.bytesFor(block);
                for (int r = 0; r < 2; r++) {
                    for (int b = 0; b < cols / block; b++) {
                        long at = r * rowBytes + blockBytes * b;
                        w.asSlice(at, blockBytes).fill(r == 0 ? (byte) 0 : (byte) 0xFF);
                        // d = 1; Q4_K: dmin = 0 and every 6-bit scale 63 (and its min 63, times dmin 0)
                        w.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, Float.floatToFloat16(1f));
                        if (t == DType.Q4_K) {
                            w.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 2, Float.floatToFloat16(0f));
                        }
                    }
                }
                Rows p = Rows.of(arena, new DenseMatrix("w", t, w, 2, cols));
                for (float sign : new float[] {1f, -1f}) {
                    float[] x = new float[cols];
                    Arrays.fill(x, 127f * sign);
                    Int8Activations a = Int8Activations.quantize(x, 0, cols);
                    float[] expected = p.java(a);
                    for (NativeKernels.Isa isa : variants()) {
                        float[] out = p.run(isa, a, 0, 2);
                        // Q4_0: weights -8 and 7; Q4_K: 0 and 15 * 63
                        float low = t == DType.Q4_0 ? -8 : 0;
                        float high = t == DType.Q4_0 ? 7 : 15 * 63;
                        assertThat(out[0]).as("%s %s", isa, t).isEqualTo(cols * low * 127f * sign);
                        assertThat(out[1]).as("%s %s", isa, t).isEqualTo(cols * high * 127f * sign);
                        assertThat(out).isEqualTo(expected);
                    }
                }
            }
        }
    }

    /** Q6_K's extremes: quants 0 and 63 (weights -32 and 31) against +-127, scales 127 and -128, stay exact. */
    @Test
    void extremeQ6KQuantsDoNotOverflow() {
        try (Arena arena = Arena.ofShared()) {
            int cols = 512;
            long rowBytes = DType.Q6_K.bytesFor(cols);
            MemorySegment w = arena.allocate(2 * rowBytes);
            for (int r = 0; r < 2; r++) {
                for (int b = 0; b < cols / 256; b++) {
                    long block = r * rowBytes + 210L * b;
                    w.asSlice(block, 192).fill(r == 0 ? (byte) 0 : (byte) 0xFF);
                    for (int s = 0; s < 16; s++) {
                        w.set(ValueLayout.JAVA_BYTE, block + 192 + s, s % 2 == 0 ? (byte) 127 : (byte) -128);
                    }
                    w.set(ValueLayout.JAVA_SHORT_UNALIGNED, block + 208, Float.floatToFloat16(1f));
                }
            }
            Rows p = Rows.of(arena, new DenseMatrix("w", DType.Q6_K, w, 2, cols));
            for (float sign : new float[] {1f, -1f}) {
                float[] x = new float[cols];
                Arrays.fill(x, 127f * sign);
                Int8Activations a = Int8Activations.quantize(x, 0, cols);
                for (NativeKernels.Isa isa : variants()) {
                    float[] out = p.run(isa, a, 0, 2);
                    int pairs = cols / 32;
                    assertThat(out[0]).isEqualTo(pairs * 16 * -32 * 127f * sign * (127 - 128));
                    assertThat(out[1]).isEqualTo(pairs * 16 * 31 * 127f * sign * (127 - 128));
                }
            }
        }
    }

    /** Q8_0's extremes: quants -128 and 127 against +-127 in every lane (the sign trick's corner) stay exact. */
    @Test
    void extremeQ8QuantsDoNotOverflow() {
        try (Arena arena = Arena.ofShared()) {
            int cols = 96;
            long rowBytes = DType.Q8_0.bytesFor(cols);
            MemorySegment w = arena.allocate(2 * rowBytes);
            for (int r = 0; r < 2; r++) {
                for (int b = 0; b < cols / 32; b++) {
                    long block = r * rowBytes + 34L * b;
                    w.set(ValueLayout.JAVA_SHORT_UNALIGNED, block, Float.floatToFloat16(1f));
                    w.asSlice(block + 2, 32).fill(r == 0 ? (byte) -128 : (byte) 127);
                }
            }
            Rows p = Rows.of(arena, new DenseMatrix("w", DType.Q8_0, w, 2, cols));
            for (float sign : new float[] {1f, -1f}) {
                float[] x = new float[cols];
                Arrays.fill(x, 127f * sign);
                Int8Activations a = Int8Activations.quantize(x, 0, cols);
                for (NativeKernels.Isa isa : variants()) {
                    float[] out = p.run(isa, a, 0, 2);
                    assertThat(out[0]).as("%s", isa).isEqualTo(cols * -128f * 127f * sign);
                    assertThat(out[1]).as("%s", isa).isEqualTo(cols * 127f * 127f * sign);
                }
            }
        }
    }

    /**
     * A batch product gives every vector the bits of its matrix-vector product alone, whatever the number of
     * vectors (full groups, remainders of 4, 2 and 1, more than one slab of 256), the row range (more than one block
     * of 64 rows) and the columns (a partial last chunk of blocks; rows wider than 4,096 columns, which a batch
     * runs in segments of 2,048, with a partial last segment).
     */
    @Test
    void batchProductsHaveEachVectorsMatvecBits() {
        Random rnd = new Random(14);
        try (Arena arena = Arena.ofShared()) {
            for (NativeKernels.Kernel kernel : NativeKernels.Kernel.values()) {
                DType t = DType.valueOf(kernel.name());
                boolean small = t == DType.Q4_0 || t == DType.Q8_0;
                for (int cols : small ? new int[] {32, 96, 160, 2048, 6176} : new int[] {256, 768, 2048, 6400}) {
                    int rows = 133;
                    Rows p = Rows.of(arena, RandomWeights.matrix(arena, t, rows, cols, rnd));
                    long rowBytes = t.bytesFor(cols);
                    for (int n : cols <= 96 ? new int[] {1, 2, 8, 13, 17, 300} : new int[] {1, 2, 8, 13, 17}) {
                        float[] x = RandomWeights.gaussian(n * cols, rnd);
                        Int8Batch batch = Int8Batch.forThread(n, cols);
                        batch.quantize(x, 0, n);
                        for (NativeKernels.Isa isa : variants()) {
                            float[] out = new float[n * rows];
                            NativeKernels.matmul(isa, kernel, p.source().data().asSlice(2 * rowBytes), rowBytes,
                                    batch, out, 2, rows, rows - 5);
                            for (int v = 0; v < n; v++) {
                                float[] alone = p.run(isa, Int8Activations.quantize(x, v * cols, cols), 2, rows - 3);
                                float[] got = new float[rows];
                                System.arraycopy(out, v * rows + 2, got, 2, rows - 5);
                                KernelTestSupport.assertBitsEqual(got, Arrays.copyOf(alone, rows));
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void batchArgumentsThatDoNotFitAreRejectedBeforeTheNativeCall() {
        Random rnd = new Random(15);
        try (Arena arena = Arena.ofShared()) {
            List<NativeKernels.Isa> isas = variants();
            int cols = 64;
            DenseMatrix m = RandomWeights.matrix(arena, DType.Q4_0, 4, cols, rnd);
            Int8Batch batch = Int8Batch.forThread(3, cols);
            batch.quantize(RandomWeights.gaussian(3 * cols, rnd), 0, 3);
            long rowBytes = DType.Q4_0.bytesFor(cols);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> NativeKernels.matmul(isas.getFirst(),
                    NativeKernels.Kernel.Q4_0, m.data(), rowBytes, batch, new float[11], 0, 4, 4))
                    .isInstanceOf(IllegalArgumentException.class);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> NativeKernels.matmul(isas.getFirst(),
                    NativeKernels.Kernel.Q4_0, m.data(), rowBytes, batch, new float[12], 0, 4, 5))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
