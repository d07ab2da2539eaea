package dev.llama3j.format.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.model.Transformer;
import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.RepackedMatrix;
import dev.llama3j.tensor.kernel.NativeKernels;
import dev.llama3j.tensor.Tensor;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Every GGUF fixture of ../shared against manifest.json, and the fixtures' weights against each other. */
@Tag("slow")
class GgufFixturesTest {
    private static final Pattern ARRAY_LEN = Pattern.compile("<array len (\\d+)>");

    static List<Arguments> ggufFixtures() throws IOException {
        JsonNode manifest = new ObjectMapper().readTree(SharedData.require("fixtures/manifest.json").toFile());
        List<Arguments> out = new ArrayList<>();
        for (JsonNode f : manifest.get("fixtures")) {
            if (f.get("kind").asText().startsWith("gguf")) {
                out.add(Arguments.of(Named.of(f.get("name").asText(), f)));
            }
        }
        assertThat(out).hasSize(9);
        return out;
    }

    private static Path fixture(String name) {
        return SharedData.require("fixtures/gguf/" + name + ".gguf");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ggufFixtures")
    void metadataTensorTypesAndWeightsMatchTheManifest(JsonNode fixture) throws Exception {
        try (GgufFile f = GgufFile.open(SharedData.require("fixtures/" + fixture.get("path").asText()))) {
            GgufMetadata m = f.metadata();
            JsonNode kv = fixture.get("gguf_kv");
            for (Iterator<Map.Entry<String, JsonNode>> it = kv.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey();
                JsonNode want = e.getValue();
                switch (key) {
                    case "GGUF.version" -> assertThat(f.version()).isEqualTo(want.asInt());
                    case "GGUF.tensor_count" -> assertThat(f.tensorCount()).isEqualTo(want.asInt());
                    case "GGUF.kv_count" -> assertThat(f.kvCount()).isEqualTo(want.asInt());
                    default -> {
                        Matcher array = ARRAY_LEN.matcher(want.asText());
                        if (want.isTextual() && array.matches()) {
                            assertThat(m.arrayLength(key)).as(key).isEqualTo(Integer.parseInt(array.group(1)));
                        } else if (want.isTextual()) {
                            assertThat(m.getString(key)).as(key).isEqualTo(want.asText());
                        } else if (want.isIntegralNumber()) {
                            assertThat(m.getLong(key)).as(key).isEqualTo(want.asLong());
                        } else {
                            // float32 values were written to the manifest as the exact double they widen to
                            assertThat(m.type(key)).isEqualTo(GgufType.FLOAT32);
                            assertThat((double) m.getFloat(key)).as(key).isEqualTo(want.asDouble());
                        }
                    }
                }
            }
            // the manifest lists every key of the file, plus the three GGUF.* header fields
            assertThat(m.size()).isEqualTo(kv.size() - 3);

            TreeSet<String> types = new TreeSet<>();
            for (Tensor t : f.tensors().values()) {
                types.add(t.type().name());
            }
            List<String> want = new ArrayList<>();
            fixture.get("gguf_tensor_types").forEach(n -> want.add(n.asText()));
            assertThat(types).containsExactlyElementsOf(want);

            LlamaWeights w = GgufModelLoader.load(f);
            JsonNode p = fixture.get("params");
            ModelConfig c = w.config();
            assertThat(c.dim()).isEqualTo(p.get("dim").asInt());
            assertThat(c.nLayers()).isEqualTo(p.get("n_layers").asInt());
            assertThat(c.nHeads()).isEqualTo(p.get("n_heads").asInt());
            assertThat(c.nKvHeads()).isEqualTo(p.get("n_kv_heads").asInt());
            assertThat(c.vocabSize()).isEqualTo(p.get("vocab_size").asInt());
            assertThat(c.ffnDim()).isEqualTo(fixture.get("ffn_hidden_dim").asInt());
            assertThat((double) c.ropeTheta()).isEqualTo(p.get("rope_theta").asDouble());
            assertThat(c.normEps()).isEqualTo((float) p.get("norm_eps").asDouble());
            assertThat(c.ropeScaling()).isNull();
            assertThat(w.layers()).hasSize(c.nLayers());
            assertThat(w.output()).isNotSameAs(w.tokenEmbeddings());   // every fixture has output.weight
        }
    }

    /**
     * Whether {@code m} of type {@code t} takes int8 activations; a repacked matrix is repacked now (else only on
     * first use).
     */
    private static boolean int8(Matrix m, DType t) {
        if (m instanceof RepackedMatrix r && r.type() == t) {
            r.prepareInt8();
        }
        return m.type() == t && m.takesInt8();
    }

    /** All matrices of a model with their names, in a fixed order. */
    private static List<Map.Entry<String, Matrix>> matrices(LlamaWeights w) {
        List<Map.Entry<String, Matrix>> out = new ArrayList<>();
        out.add(Map.entry("token_embd", w.tokenEmbeddings()));
        out.add(Map.entry("output", w.output()));
        for (int i = 0; i < w.layers().size(); i++) {
            LayerWeights l = w.layers().get(i);
            Matrix[] ms = {l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()};
            String[] names = {"wq", "wk", "wv", "wo", "w1", "w2", "w3"};
            for (int j = 0; j < ms.length; j++) {
                out.add(Map.entry("blk." + i + "." + names[j], ms[j]));
            }
        }
        return out;
    }

    private static float[] row(Matrix m, int r) {
        float[] out = new float[m.cols()];
        m.row(r, out, 0);
        return out;
    }

    @Test
    void losslessF32AndBf16FixturesHoldTheSameWeights() throws Exception {
        try (LlamaWeights f32 = GgufModelLoader.load(fixture("tiny-sv-gguf-f32"));
             LlamaWeights bf16 = GgufModelLoader.load(fixture("tiny-sv-gguf-bf16"))) {
            List<Map.Entry<String, Matrix>> a = matrices(f32);
            List<Map.Entry<String, Matrix>> b = matrices(bf16);
            for (int i = 0; i < a.size(); i++) {
                Matrix ma = a.get(i).getValue();
                Matrix mb = b.get(i).getValue();
                assertThat(ma.type()).isEqualTo(DType.F32);
                assertThat(mb.type()).isEqualTo(DType.BF16);
                for (int r = 0; r < ma.rows(); r++) {
                    assertThat(row(mb, r)).as("%s row %d", a.get(i).getKey(), r).containsExactly(row(ma, r));
                }
            }
            assertThat(bf16.norm()).containsExactly(f32.norm());
            assertThat(bf16.layers().get(1).ffnNorm()).containsExactly(f32.layers().get(1).ffnNorm());
            assertThat(f32.ropeFreqDivisors()).isNull();
        }
    }

    /**
     * Llama 3.1 divisors (llama.cpp's converter, after Meta's apply_scaling): 1 for wavelengths under
     * 8192/4, 8 over 8192, smoothly interpolated between.
     */
    @Test
    void llama31RopeFreqDivisorsAreRead() throws Exception {
        try (LlamaWeights w = GgufModelLoader.load(fixture("tiny31-sv-gguf-f32"))) {
            ModelConfig c = w.config();
            int hd = c.headDim();
            float[] divisors = w.ropeFreqDivisors();
            assertThat(divisors).hasSize(hd / 2);
            for (int i = 0; i < hd / 2; i++) {
                double freq = Math.pow(c.ropeTheta(), -2.0 * i / hd);
                double wavelen = 2 * Math.PI / freq;
                double expected;
                if (wavelen < 8192 / 4.0) {
                    expected = 1;
                } else if (wavelen > 8192) {
                    expected = 8;
                } else {
                    double smooth = (8192 / wavelen - 1) / (4 - 1);
                    expected = 1 / ((1 - smooth) / 8 + smooth);
                }
                assertThat((double) divisors[i]).as("divisor %d", i).isCloseTo(expected, within(1e-5 * expected));
            }
            assertThat(divisors).contains(1f, 8f);
            assertThat(c.contextLength()).isEqualTo(131072);
        }
    }

    @Test
    void quantizedFixturesDequantizeToFiniteValues() throws Exception {
        for (String name : List.of("tiny-gguf-q8_0", "tiny-sv-gguf-q8_0", "tiny-sv-gguf-q4_0", "tiny-sv-gguf-f16",
                "tiny31-sv-gguf-q8_0", "tiny-k-gguf-q4_k_m")) {
            try (LlamaWeights w = GgufModelLoader.load(fixture(name))) {
                for (Map.Entry<String, Matrix> e : matrices(w)) {
                    Matrix m = e.getValue();
                    float[] ones = new float[m.cols()];
                    java.util.Arrays.fill(ones, 1f);
                    float[] row = new float[m.cols()];
                    int nonFinite = 0;
                    double worstDot = 0;
                    for (int r = 0; r < m.rows(); r++) {
                        m.row(r, row, 0);
                        double sum = 0;
                        for (float v : row) {
                            nonFinite += Float.isFinite(v) ? 0 : 1;
                            sum += v;
                        }
                        // the vector dot with ones is the row sum
                        worstDot = Math.max(worstDot, Math.abs(m.dot(r, ones, 0) - sum));
                    }
                    assertThat(nonFinite).as("%s %s: non-finite weights", name, e.getKey()).isZero();
                    assertThat(worstDot).as("%s %s: |dot(row, 1) - row sum|", name, e.getKey()).isLessThan(1e-4);
                }
            }
        }
    }

    @Test
    void q4_KMixUsesQ6_KWhereTheManifestSays() throws Exception {
        try (GgufFile f = GgufFile.open(fixture("tiny-k-gguf-q4_k_m"))) {
            assertThat(f.tensor("output.weight").type()).isEqualTo(DType.Q6_K);
            assertThat(f.tensor("blk.1.attn_v.weight").type()).isEqualTo(DType.Q6_K);
            assertThat(f.tensor("blk.1.ffn_down.weight").type()).isEqualTo(DType.Q6_K);
            assertThat(f.tensor("blk.0.attn_q.weight").type()).isEqualTo(DType.Q4_K);
            assertThat(f.tensor("blk.0.ffn_down.weight").shape()).containsExactly(256, 768);
        }
    }

    /** Q8_0 keeps each weight within about half a quantization step (max |block| / 127) of the original. */
    @Test
    void q8_0RowsAreWithinQuantizationErrorOfTheF32Rows() throws Exception {
        try (LlamaWeights f32 = GgufModelLoader.load(fixture("tiny-sv-gguf-f32"));
             LlamaWeights q8 = GgufModelLoader.load(fixture("tiny-sv-gguf-q8_0"))) {
            List<Map.Entry<String, Matrix>> a = matrices(f32);
            List<Map.Entry<String, Matrix>> b = matrices(q8);
            int quantized = 0;
            for (int i = 0; i < a.size(); i++) {
                Matrix mb = b.get(i).getValue();
                if (mb.type() != DType.Q8_0) {
                    continue;
                }
                quantized++;
                for (int r = 0; r < mb.rows(); r++) {
                    float[] exact = row(a.get(i).getValue(), r);
                    float[] q = row(mb, r);
                    for (int blk = 0; blk < exact.length; blk += 32) {
                        float amax = 0;
                        for (int j = blk; j < blk + 32; j++) {
                            amax = Math.max(amax, Math.abs(exact[j]));
                        }
                        // half a step, plus the fp16 rounding of the step (2^-11 relative) times |q| <= 127
                        double bound = amax / 127.0 * (0.5 + 127 * 0x1p-11) + 1e-9;
                        for (int j = blk; j < blk + 32; j++) {
                            assertThat((double) q[j]).as("%s row %d col %d", a.get(i).getKey(), r, j)
                                    .isCloseTo(exact[j], within(bound));
                        }
                    }
                }
            }
            assertThat(quantized).isEqualTo(matrices(q8).size());
        }
    }

    /**
     * With int8 numerics every matrix of the layers of a type with an int8 product takes int8 activations (repacked,
     * or read in place by a native kernel; the output matrix only where a native kernel reads it in place),
     * and its rows are the file's bit for bit; a prompt's logits at every position are the exact model's, bit for
     * bit, where prompts take float products (the Java kernels), and within int8 rounding of them where the native
     * batch kernels give them int8 ones; decode steps (integer products) stay within int8 rounding of them (the
     * scale of the logits: their rms).
     */
    @ParameterizedTest
    @MethodSource("int8Fixtures")
    void int8NumericsRepackAndStayNearExact(String fixture, List<DType> repackedTypes) throws Exception {
        try (LlamaWeights exact = GgufModelLoader.load(fixture(fixture));
             LlamaWeights int8 = GgufModelLoader.load(fixture(fixture), Numerics.INT8)) {
            List<Map.Entry<String, Matrix>> a = matrices(exact);
            List<Map.Entry<String, Matrix>> b = matrices(int8);
            Map<DType, Integer> repacked = new java.util.HashMap<>();
            for (int i = 0; i < a.size(); i++) {
                Matrix ma = a.get(i).getValue();
                Matrix mb = b.get(i).getValue();
                boolean inPlace = NativeKernels.forType(ma.type().ggmlId, ma.cols()) != null;
                // every fixture has output.weight: the embeddings stay float32, the output is int8 where read in place
                boolean expected = a.get(i).getKey().startsWith("blk.") ? repackedTypes.contains(ma.type()) || inPlace
                        : a.get(i).getKey().equals("output") && inPlace;
                assertThat(int8(mb, ma.type())).as(a.get(i).getKey()).isEqualTo(expected);
                repacked.merge(ma.type(), expected ? 1 : 0, Integer::sum);
                for (int r = 0; r < ma.rows(); r += 7) {
                    assertThat(row(mb, r)).as("%s row %d", a.get(i).getKey(), r).containsExactly(row(ma, r));
                }
            }
            for (DType t : repackedTypes) {
                assertThat(repacked.get(t)).as("%s matrices repacked", t).isPositive();
            }
            Transformer te = new Transformer(exact, 1, 32);
            Transformer ti = new Transformer(int8, 1, 32);
            int[][] prompt = {{1, 17, 250, 3, 99}};
            // every position's logits: the output matrix multiplies all 5 vectors at once
            float[] promptExact = te.forward(prompt, 0, true)[0];
            float[] promptInt8 = ti.forward(prompt, 0, true)[0];
            boolean int8Prompts = int8.layers().getFirst().wq().takesInt8Prompts();
            int vocab = exact.config().vocabSize();
            if (!int8Prompts) {
                assertThat(promptInt8).containsExactly(promptExact);
            }
            int differing = int8Prompts ? assertNear(promptExact, promptInt8, vocab, "prompt") : 0;
            for (int step = 0; step < 4; step++) {
                int[][] next = {{40 + 11 * step}};
                float[] le = te.forward(next, prompt[0].length + step, false)[0];
                float[] li = ti.forward(next, prompt[0].length + step, false)[0];
                differing += assertNear(le, li, vocab, "step " + step);
            }
            assertThat(differing).as("logits the integer products round differently").isPositive();
        }
    }

    /** Each of {@code actual} within a tenth of the rms of {@code expected} (per vocabulary row); how many differ. */
    private static int assertNear(float[] expected, float[] actual, int vocab, String what) {
        int differing = 0;
        for (int row = 0; row < expected.length / vocab; row++) {
            double rms = 0;
            for (int v = 0; v < vocab; v++) {
                rms += (double) expected[row * vocab + v] * expected[row * vocab + v] / vocab;
            }
            rms = Math.sqrt(rms);
            for (int v = row * vocab; v < (row + 1) * vocab; v++) {
                assertThat((double) actual[v]).as("%s logit %d", what, v).isCloseTo(expected[v], within(0.1 * rms));
                differing += actual[v] != expected[v] ? 1 : 0;
            }
        }
        return differing;
    }

    static List<Arguments> int8Fixtures() {
        return List.of(Arguments.of("tiny-sv-gguf-q4_0", List.of(DType.Q4_0)),
                Arguments.of("tiny-k-gguf-q4_k_m", List.of(DType.Q4_K, DType.Q6_K)));
    }

    @Test
    void realVocabularyArraysAreRead() throws Exception {
        try (GgufFile f = GgufFile.open(fixture("tiny-gguf-q8_0"))) {
            GgufMetadata m = f.metadata();
            String[] tokens = m.getStringArray("tokenizer.ggml.tokens");
            assertThat(tokens).hasSize(128256);
            assertThat(tokens[0]).isEqualTo("!");
            assertThat(tokens[m.getInt("tokenizer.ggml.bos_token_id")]).isEqualTo("<|begin_of_text|>");
            assertThat(tokens[128009]).isEqualTo("<|eot_id|>");
            assertThat(m.getStringArray("tokenizer.ggml.merges")).hasSize(280147).allMatch(s -> s.indexOf(' ') > 0);
            int[] types = m.getIntArray("tokenizer.ggml.token_type");
            assertThat(types).hasSize(128256);
            assertThat(types[0]).isEqualTo(1);          // normal
            assertThat(types[128000]).isEqualTo(3);     // control
        }
    }
}
