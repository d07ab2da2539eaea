package dev.llama3j.model;

import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Numerics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Llama 3.1's scaled RoPE beyond 8192 positions, Llama 3's context, which the scaling was made to extend: a tiny
 * random-weight 3.1-style model reads 8,320 random tokens in the Engine's prompt chunks, then decodes 16 more one at
 * a time, and its logits at positions on both sides of 8192 match {@link ModelPyReference} (model.py in double) within
 * a tolerance per KV cache type. The same reference without the scaling misses them by far more than any of those
 * tolerances, so a lost or wrong scaling fails here.
 */
@Tag("slow")
class LongContextTest {
    static final ModelConfig CONFIG =
            new ModelConfig(128, 2, 4, 2, 300, 256, 1e-5f, 500000f, RopeScaling.LLAMA_3_1, 131072);
    static final int PROMPT = 8320;
    static final int LENGTH = PROMPT + 16;
    /** the positions compared: early, both sides of 8192 in prompt chunks, the prompt's last, the last decoded */
    static final int[] POSITIONS = {100, 8191, 8192, PROMPT - 1, LENGTH - 1};
    /**
     * Float32 against double: roundings of 2^-24 in sums over thousands of positions' scores and values, on logits
     * of a few units.
     */
    static final double FLOAT_TOLERANCE = 1e-4;
    /** Engine.PROMPT_CHUNK */
    static final int CHUNK = 256;

    static final Arena ARENA = Arena.ofShared();
    static Map<String, float[]> tensors;
    static LlamaWeights weights;
    static int[] tokens;
    static Map<Integer, double[]> reference;
    static Map<Integer, double[]> unscaled;
    static final Map<CacheType, Map<Integer, float[]>> ENGINE = new EnumMap<>(CacheType.class);

    @BeforeAll
    static void setUp() {
        Random rnd = new Random(31);
        tensors = randomTensors(CONFIG, rnd);
        weights = engineWeights(CONFIG, tensors);
        tokens = new int[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            tokens[i] = rnd.nextInt(CONFIG.vocabSize());
        }
        float[] base = ModelPyReference.baseFrequencies(CONFIG.dim() / CONFIG.nHeads(), CONFIG.ropeTheta());
        // the two passes side by side
        CompletableFuture<Map<Integer, double[]>> withoutScaling = CompletableFuture.supplyAsync(() -> reference(base));
        reference = reference(ModelPyReference.applyScaling(base));
        unscaled = withoutScaling.join();
    }

    @AfterAll
    static void close() {
        ARENA.close();
    }

    @ParameterizedTest
    @EnumSource(CacheType.class)
    void logitsOnBothSidesOf8192MatchTheReference(CacheType type) {
        Map<Integer, float[]> engine = engine(type);
        for (int p : POSITIONS) {
            double error = maxAbsDiff(engine.get(p), reference.get(p));
            double tolerance = tolerance(type, maxAbs(reference.get(p)));
            assertThat(error).as("%s cache, position %d: max |engine - reference|", type, p).isLessThan(tolerance);
        }
    }

    @Test
    void withoutTheScalingTheReferenceMissesByFarMore() {
        Map<Integer, float[]> engine = engine(CacheType.F32);
        for (int p : POSITIONS) {
            if (p >= 8192) {
                double miss = maxAbsDiff(engine.get(p), unscaled.get(p));
                double loosest = tolerance(CacheType.Q8_0, maxAbs(reference.get(p)));
                assertThat(miss).as("position %d: max |engine - unscaled reference|", p).isGreaterThan(5 * loosest);
            }
        }
    }

    /**
     * Max |engine - reference| allowed with keys and values cached as {@code type}: float32 arithmetic's, plus 8
     * times the cache's rounding of an element relative to the largest it holds (f16: 2^-11; q8_0: half a step,
     * 1/254 of its block's largest, plus its f16 scale's 2^-11) times the largest |logit|. The 8 allows for the
     * roundings of keys (through the softmax) and of values adding up over two layers.
     */
    static double tolerance(CacheType type, double maxLogit) {
        double rounding = switch (type) {
            case F32 -> 0;
            case F16 -> 0x1p-11;
            case Q8_0 -> 1.0 / 254 + 0x1p-11;
        };
        return FLOAT_TOLERANCE + 8 * rounding * maxLogit;
    }

    /** Whether a position of [from, to) is compared. */
    static boolean compared(int from, int to) {
        return Arrays.stream(POSITIONS).anyMatch(p -> p >= from && p < to);
    }

    /** The reference's logits at {@link #POSITIONS}, all {@link #LENGTH} tokens fed one by one. */
    static Map<Integer, double[]> reference(float[] freqs) {
        ModelPyReference ref = new ModelPyReference(CONFIG, tensors, freqs, LENGTH);
        Map<Integer, double[]> out = new TreeMap<>();
        for (int p = 0; p < LENGTH; p++) {
            double[] logits = ref.next(tokens[p], compared(p, p + 1));
            if (logits != null) {
                out.put(p, logits);
            }
        }
        return out;
    }

    /**
     * The engine's logits at {@link #POSITIONS} with keys and values cached as {@code type}: the prompt in the
     * Engine's chunks (all of a chunk's logits where it holds a compared position), then one token a step.
     */
    static synchronized Map<Integer, float[]> engine(CacheType type) {
        return ENGINE.computeIfAbsent(type, t -> {
            Map<Integer, float[]> out = new TreeMap<>();
            int vocab = CONFIG.vocabSize();
            try (Transformer model = new Transformer(weights, 1, LENGTH, LENGTH, t, t);
                 Sequence s = model.newSequence()) {
                for (int from = 0; from < PROMPT; ) {
                    int left = PROMPT - from;
                    int len = left <= CHUNK ? left : left == CHUNK + 1 ? CHUNK - 1 : CHUNK;
                    boolean wanted = compared(from, from + len);
                    float[] logits = model.forward(List.of(new Transformer.Entry(s,
                            Arrays.copyOfRange(tokens, from, from + len), wanted)))[0];
                    for (int p : POSITIONS) {
                        if (wanted && p >= from && p < from + len) {
                            out.put(p, Arrays.copyOfRange(logits, (p - from) * vocab, (p - from + 1) * vocab));
                        }
                    }
                    from += len;
                }
                for (int p = PROMPT; p < LENGTH; p++) {
                    float[] logits = model.forward(List.of(new Transformer.Entry(s, new int[] {tokens[p]})))[0];
                    out.put(p, logits.clone());
                }
            }
            return out;
        });
    }

    /**
     * Random weights by Meta's names: embeddings of unit variance, linear layers scaled by 1/sqrt(inputs) (wq and
     * wk by 2/sqrt(inputs), so that attention picks out positions rather than averaging them), norms near 1.
     */
    static Map<String, float[]> randomTensors(ModelConfig c, Random rnd) {
        int kvDim = c.nKvHeads() * c.dim() / c.nHeads();
        Map<String, float[]> t = new LinkedHashMap<>();
        t.put("tok_embeddings.weight", gaussian(c.vocabSize() * c.dim(), 1, rnd));
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "layers." + l + ".";
            t.put(p + "attention_norm.weight", norm(c.dim(), rnd));
            t.put(p + "attention.wq.weight", gaussian(c.dim() * c.dim(), 2 / Math.sqrt(c.dim()), rnd));
            t.put(p + "attention.wk.weight", gaussian(kvDim * c.dim(), 2 / Math.sqrt(c.dim()), rnd));
            t.put(p + "attention.wv.weight", gaussian(kvDim * c.dim(), 1 / Math.sqrt(c.dim()), rnd));
            t.put(p + "attention.wo.weight", gaussian(c.dim() * c.dim(), 1 / Math.sqrt(c.dim()), rnd));
            t.put(p + "ffn_norm.weight", norm(c.dim(), rnd));
            t.put(p + "feed_forward.w1.weight", gaussian(c.ffnDim() * c.dim(), 1 / Math.sqrt(c.dim()), rnd));
            t.put(p + "feed_forward.w2.weight", gaussian(c.dim() * c.ffnDim(), 1 / Math.sqrt(c.ffnDim()), rnd));
            t.put(p + "feed_forward.w3.weight", gaussian(c.ffnDim() * c.dim(), 1 / Math.sqrt(c.dim()), rnd));
        }
        t.put("norm.weight", norm(c.dim(), rnd));
        t.put("output.weight", gaussian(c.vocabSize() * c.dim(), 1 / Math.sqrt(c.dim()), rnd));
        return t;
    }

    /** The same weights as the engine reads them: float32 matrices off the heap. */
    static LlamaWeights engineWeights(ModelConfig c, Map<String, float[]> t) {
        int kvDim = c.nKvHeads() * c.headDim();
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "layers." + l + ".";
            layers.add(new LayerWeights(t.get(p + "attention_norm.weight"),
                    matrix(t, p + "attention.wq.weight", c.dim(), c.dim()),
                    matrix(t, p + "attention.wk.weight", kvDim, c.dim()),
                    matrix(t, p + "attention.wv.weight", kvDim, c.dim()),
                    matrix(t, p + "attention.wo.weight", c.dim(), c.dim()), t.get(p + "ffn_norm.weight"),
                    matrix(t, p + "feed_forward.w1.weight", c.ffnDim(), c.dim()),
                    matrix(t, p + "feed_forward.w2.weight", c.dim(), c.ffnDim()),
                    matrix(t, p + "feed_forward.w3.weight", c.ffnDim(), c.dim())));
        }
        return new LlamaWeights(c, matrix(t, "tok_embeddings.weight", c.vocabSize(), c.dim()), layers,
                t.get("norm.weight"), matrix(t, "output.weight", c.vocabSize(), c.dim()), null, null);
    }

    private static Matrix matrix(Map<String, float[]> t, String name, int rows, int cols) {
        float[] w = t.get(name);
        MemorySegment data = ARENA.allocate(4L * w.length, 64);
        MemorySegment.copy(w, 0, data, ValueLayout.JAVA_FLOAT, 0, w.length);
        return Numerics.EXACT.matrix(name, DType.F32, data, rows, cols);
    }

    private static float[] gaussian(int n, double scale, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (scale * rnd.nextGaussian());
        }
        return x;
    }

    private static float[] norm(int n, Random rnd) {
        float[] x = gaussian(n, 0.1, rnd);
        for (int i = 0; i < n; i++) {
            x[i] += 1;
        }
        return x;
    }

    static double maxAbsDiff(float[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    static double maxAbs(double[] a) {
        return Arrays.stream(a).map(Math::abs).max().orElse(0);
    }
}
