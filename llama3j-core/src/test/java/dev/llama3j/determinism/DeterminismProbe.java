package dev.llama3j.determinism;

import dev.llama3j.model.Attention;
import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.model.RopeScaling;
import dev.llama3j.model.Transformer;
import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.DenseMatrix;
import dev.llama3j.tensor.Exp;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.RandomWeights;
import dev.llama3j.tensor.VectorMath;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * Runs every kernel on fixed random inputs and prints one line per kernel: its name and a checksum of the bits of
 * all it computed. {@code DeterminismTest} runs it interpreted ({@code -Xint}) and after C2 has compiled the kernels,
 * and compares the lines. Arguments: the number of passes (the lines are those of the last pass; with more than one,
 * a pass whose lines differ from the first pass's is reported and fails the run) and the file to write the lines to
 * (not standard output, where the JVM's own diagnostics go).
 */
public final class DeterminismProbe {
    private DeterminismProbe() {}

    public static void main(String[] args) throws IOException {
        int passes = Integer.parseInt(args[0]);
        Map<String, Long> first = run();
        Map<String, Long> last = first;
        for (int p = 1; p < passes; p++) {
            last = run();
            if (!last.equals(first)) {
                System.out.println("CHANGED in pass " + (p + 1) + ": " + diff(first, last));
                System.exit(2);
            }
        }
        StringBuilder lines = new StringBuilder();
        last.forEach((name, crc) -> lines.append(String.format("%s %08x%n", name, crc)));
        Files.writeString(Path.of(args[1]), lines);
    }

    private static String diff(Map<String, Long> a, Map<String, Long> b) {
        List<String> names = new ArrayList<>();
        a.forEach((k, v) -> {
            if (!v.equals(b.get(k))) {
                names.add(k);
            }
        });
        return String.join(", ", names);
    }

    static Map<String, Long> run() {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Arena arena = Arena.ofShared()) {
            for (DType t : DType.values()) {
                matrixKernels(arena, t, out);
            }
            vectorMath(out);
            attention(out);
            transformer(arena, out);
        }
        return out;
    }

    private static void matrixKernels(Arena arena, DType t, Map<String, Long> out) {
        Random rnd = new Random(100 + t.ordinal());
        int cols = t.isQuantized() ? 2 * t.blockSize : 96;
        int rows = 11;
        Matrix m = RandomWeights.matrix(arena, t, rows, cols, rnd);
        float[] x = RandomWeights.gaussian(5 * cols, rnd);
        float[] y = new float[5 * rows];
        m.matvec(x, 0, y, 0, 0, rows);
        out.put(t + ".matvec", crc(y));
        Matrix int8 = Numerics.INT8.matrix("int8", t, ((DenseMatrix) m).data(), rows, cols);
        int8.matvec(x, cols, y, 0, 0, rows);
        out.put(t + ".matvecInt8", crc(y));
        m.matmul(x, 5, y, 0, rows);
        out.put(t + ".matmul", crc(y));
        float[] row = new float[cols];
        m.row(3, row, 0);
        out.put(t + ".row", crc(row));
    }

    private static void vectorMath(Map<String, Long> out) {
        Random rnd = new Random(7);
        int n = 67;
        float[] a = RandomWeights.gaussian(4 * n, rnd);
        float[] b = RandomWeights.gaussian(4 * n, rnd);
        float[] r = new float[8];
        r[5] = (float) VectorMath.sumOfSquares(a, 3, n);
        out.put("VectorMath.sumOfSquares", crc(r));
        float[] e = a.clone();
        VectorMath.expShifted(e, 1, 0.25f, 3 * n);
        out.put("VectorMath.expShifted", crc(e));
        float[] g = a.clone();
        VectorMath.swiglu(g, b, 2, 3 * n);
        out.put("VectorMath.swiglu", crc(g));
        float[] y = b.clone();
        VectorMath.axpy(0.3f, a, 0, y, 1, 2 * n);
        VectorMath.scaleMul(a, 0, 1.7f, b, y, 3, n);
        out.put("VectorMath.axpy+scaleMul", crc(y));
        float[] s = new float[] {-200f, -104f, -103.9f, -87.4f, -1e-7f, 0f, 1e-7f, 0.5f, 88.7f, 88.8f, Float.NaN};
        for (int i = 0; i < s.length; i++) {
            s[i] = Exp.scalar(s[i]);
        }
        out.put("Exp.scalar", crc(s));
    }

    private static void attention(Map<String, Long> out) {
        Random rnd = new Random(8);
        int hd = 64;
        int kvDim = 2 * hd;
        int heads = 4;
        int len = 37;
        float[] q = RandomWeights.gaussian(8 * heads * hd, rnd);
        float[] keys = RandomWeights.gaussian(len * kvDim, rnd);
        float[] values = RandomWeights.gaussian(len * kvDim, rnd);
        float scale = 8f;
        float[] o = new float[8 * heads * hd];
        Attention.head(q, 0, offHeap(keys), offHeap(values), hd, kvDim, hd, len, scale, new float[len], o, 0);
        out.put("Attention.head", crc(o));
        Attention.group(q, 0, heads, offHeap(keys), offHeap(values), hd, kvDim, hd, len, scale, new float[heads * len], o, 0);
        out.put("Attention.group", crc(o));
        int tokens = Attention.blockTokens(heads, hd);
        if (tokens > 0) {
            Attention.block(q, 0, heads * hd, tokens, heads, offHeap(keys), offHeap(values), hd, kvDim, hd, len - tokens, scale, o, 0);
            out.put("Attention.block", crc(o));
        }
    }

    /**
     * Two layers of a small model (head size 64, two query heads per KV head) in Q4_0 and F16: a prompt, then decode
     * steps; and with int8 activations, one sequence, so that decoding takes the integer products: Q4_0, and a
     * Q4_K_M-like mix (Q4_K, with Q6_K for wv, w2 and the output) in one layer of width 256, as K-quant rows are whole
     * blocks of 256.
     */
    private static void transformer(Arena arena, Map<String, Long> out) {
        record Variant(DType type, DType second, Numerics numerics, int sequences) {}
        for (Variant v : new Variant[] {new Variant(DType.Q4_0, DType.Q4_0, Numerics.EXACT, 2),
                new Variant(DType.F16, DType.F16, Numerics.EXACT, 2), new Variant(DType.Q4_0, DType.Q4_0, Numerics.INT8, 1),
                new Variant(DType.Q4_K, DType.Q6_K, Numerics.INT8, 1)}) {
            DType t = v.type();
            DType t2 = v.second();
            Numerics n = v.numerics();
            Random rnd = new Random(9);
            ModelConfig c = t == DType.Q4_K
                    ? new ModelConfig(256, 1, 4, 2, 64, 512, 1e-5f, 500000f, RopeScaling.LLAMA_3_1, 1024)
                    : new ModelConfig(128, 2, 2, 1, 64, 256, 1e-5f, 500000f, RopeScaling.LLAMA_3_1, 1024);
            List<LayerWeights> layers = new ArrayList<>();
            for (int l = 0; l < c.nLayers(); l++) {
                layers.add(new LayerWeights(norm(c.dim(), rnd), matrix(arena, n, t, c.dim(), c.dim(), rnd),
                        matrix(arena, n, t, c.kvDim(), c.dim(), rnd),
                        matrix(arena, n, t2, c.kvDim(), c.dim(), rnd),
                        matrix(arena, n, t, c.dim(), c.dim(), rnd), norm(c.dim(), rnd),
                        matrix(arena, n, t, c.ffnDim(), c.dim(), rnd),
                        matrix(arena, n, t2, c.dim(), c.ffnDim(), rnd),
                        matrix(arena, n, t, c.ffnDim(), c.dim(), rnd)));
            }
            LlamaWeights w = new LlamaWeights(c, matrix(arena, n, t, c.vocabSize(), c.dim(), rnd), layers,
                    norm(c.dim(), rnd), matrix(arena, n, t2, c.vocabSize(), c.dim(), rnd), null, null);
            Transformer model = new Transformer(w, 2, 64);
            int[][] prompt = {{1, 5, 9, 13, 17, 21, 25, 29, 33}, {2, 4, 6, 8, 10, 12, 14, 16, 18}};
            prompt = Arrays.copyOf(prompt, v.sequences());
            CRC32 crc = new CRC32();
            update(crc, model.forward(prompt, 0, true));
            for (int step = 0; step < 2; step++) {
                int[][] next = Arrays.copyOf(new int[][] {{40 + step}, {50 + step}}, v.sequences());
                update(crc, model.forward(next, prompt[0].length + step, false));
            }
            out.put("Transformer." + t + (t2 != t ? "+" + t2 : "") + (n == Numerics.INT8 ? ".int8" : ""), crc.getValue());
        }
    }

    private static Matrix matrix(Arena arena, Numerics numerics, DType t, int rows, int cols, Random rnd) {
        DenseMatrix m = RandomWeights.matrix(arena, t, rows, cols, rnd);
        return numerics.matrix(m.name(), t, m.data(), rows, cols);
    }

    private static float[] norm(int n, Random rnd) {
        float[] v = RandomWeights.gaussian(n, rnd);
        for (int i = 0; i < n; i++) {
            v[i] = 1f + 0.1f * v[i];
        }
        return v;
    }

    private static long crc(float[] v) {
        CRC32 crc = new CRC32();
        update(crc, v);
        return crc.getValue();
    }

    private static void update(CRC32 crc, float[]... rows) {
        for (float[] v : rows) {
            for (float f : v) {
                int bits = Float.floatToRawIntBits(f);
                crc.update(bits);
                crc.update(bits >>> 8);
                crc.update(bits >>> 16);
                crc.update(bits >>> 24);
            }
        }
    }

    /** {@code floats} in native memory, as a sequence's KV cache holds them. */
    private static java.lang.foreign.MemorySegment offHeap(float[] floats) {
        return java.lang.foreign.Arena.ofAuto().allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, floats);
    }
}
