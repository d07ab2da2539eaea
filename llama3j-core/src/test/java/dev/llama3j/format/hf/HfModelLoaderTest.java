package dev.llama3j.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.llama3j.SharedData;
import dev.llama3j.format.GgufF32Reference;
import dev.llama3j.format.safetensors.SafetensorsFile;
import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.model.RopeScaling;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.RowPermutedMatrix;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

class HfModelLoaderTest {

    static Path fixture(String name) {
        return SharedData.require("fixtures/hf/" + name);
    }

    static float[] row(Matrix m, int r) {
        float[] out = new float[m.cols()];
        m.row(r, out, 0);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-sv-hf", "tiny-sv-hf-sharded", "tiny31-sv-hf"})
    void configMatchesTheManifest(String name) throws Exception {
        JsonNode manifest = new ObjectMapper().readTree(SharedData.require("fixtures/manifest.json").toFile());
        JsonNode entry = null;
        for (JsonNode f : manifest.get("fixtures")) {
            if (f.get("name").asText().equals(name)) {
                entry = f;
            }
        }
        assertThat(entry).as("manifest entry for " + name).isNotNull();
        JsonNode params = entry.get("params");
        boolean scaled = params.path("use_scaled_rope").asBoolean(false);

        try (LlamaWeights w = HfModelLoader.load(fixture(name))) {
            ModelConfig c = w.config();
            assertThat(c.dim()).isEqualTo(params.get("dim").asInt());
            assertThat(c.nLayers()).isEqualTo(params.get("n_layers").asInt());
            assertThat(c.nHeads()).isEqualTo(params.get("n_heads").asInt());
            assertThat(c.nKvHeads()).isEqualTo(params.get("n_kv_heads").asInt());
            assertThat(c.vocabSize()).isEqualTo(params.get("vocab_size").asInt());
            assertThat(c.ffnDim()).isEqualTo(entry.get("ffn_hidden_dim").asInt());
            assertThat(c.normEps()).isEqualTo((float) params.get("norm_eps").asDouble());
            assertThat(c.ropeTheta()).isEqualTo((float) params.get("rope_theta").asDouble());
            // FORMAT.md: Llama 3.1 scaling is factor 8, low 1, high 4, original 8192 (Meta's hard-coded values)
            assertThat(c.ropeScaling()).isEqualTo(scaled ? RopeScaling.LLAMA_3_1 : null);
            assertThat(c.contextLength()).isEqualTo(scaled ? 131072 : 8192);
            assertThat(w.layers()).hasSize(c.nLayers());
            assertThat(w.ropeFreqDivisors()).isNull();
            assertThat(w.output()).isNotSameAs(w.tokenEmbeddings());
            assertThat(w.layers().getFirst().wq()).isInstanceOf(RowPermutedMatrix.class);
            assertThat(w.norm()).hasSize(c.dim());
        }
    }

    @Test
    void generationInfo() {
        // FORMAT.md: small-vocab fixtures carry placeholder bos/eos 0/1; generation_config: T 0.6, top_p 0.9
        HfModelInfo info = HfModelLoader.readInfo(fixture("tiny-sv-hf"));
        assertThat(info.bosTokenId()).isEqualTo(0);
        assertThat(info.eosTokenIds()).containsExactly(1);
        assertThat(info.temperature()).isEqualTo(0.6f);
        assertThat(info.topP()).isEqualTo(0.9f);
        assertThat(info.tieWordEmbeddings()).isFalse();
    }

    @Test
    void shardedAndSingleFileHoldIdenticalWeights() throws Exception {
        try (LlamaWeights a = HfModelLoader.load(fixture("tiny-sv-hf"));
             LlamaWeights b = HfModelLoader.load(fixture("tiny-sv-hf-sharded"))) {
            assertThat(b.config()).isEqualTo(a.config());
            assertSameRows(a.tokenEmbeddings(), b.tokenEmbeddings());
            assertSameRows(a.output(), b.output());
            assertThat(b.norm()).isEqualTo(a.norm());
            for (int l = 0; l < a.layers().size(); l++) {
                LayerWeights x = a.layers().get(l);
                LayerWeights y = b.layers().get(l);
                for (Function<LayerWeights, Matrix> m : List.<Function<LayerWeights, Matrix>>of(LayerWeights::wq,
                        LayerWeights::wk, LayerWeights::wv, LayerWeights::wo, LayerWeights::w1, LayerWeights::w2,
                        LayerWeights::w3)) {
                    assertSameRows(m.apply(x), m.apply(y));
                }
                assertThat(y.attentionNorm()).isEqualTo(x.attentionNorm());
                assertThat(y.ffnNorm()).isEqualTo(x.ffnNorm());
            }
        }
    }

    private static void assertSameRows(Matrix a, Matrix b) {
        assertThat(b.rows()).isEqualTo(a.rows());
        assertThat(b.cols()).isEqualTo(a.cols());
        for (int r = 0; r < a.rows(); r++) {
            assertThat(row(b, r)).as("row " + r).isEqualTo(row(a, r));
        }
    }

    /**
     * GGUF F32 holds the same weights (bf16 widened exactly) with q/k in Meta's order, read here by a test-only
     * GGUF walk: every matrix must match row for row, which checks the q/k permutation and the
     * gate/down/up = w1/w2/w3 naming independently of the loader's own mapping.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-sv", "tiny31-sv"})
    void everyWeightEqualsTheGgufF32Fixture(String family) throws Exception {
        GgufF32Reference gguf = new GgufF32Reference(SharedData.require("fixtures/gguf/" + family + "-gguf-f32.gguf"));
        try (LlamaWeights w = HfModelLoader.load(fixture(family + "-hf"))) {
            assertRowsEqual(w.tokenEmbeddings(), gguf.rows("token_embd.weight"));
            assertRowsEqual(w.output(), gguf.rows("output.weight"));
            assertThat(w.norm()).isEqualTo(gguf.rows("output_norm.weight")[0]);
            for (int l = 0; l < w.layers().size(); l++) {
                LayerWeights layer = w.layers().get(l);
                String p = "blk." + l + ".";
                assertRowsEqual(layer.wq(), gguf.rows(p + "attn_q.weight"));
                assertRowsEqual(layer.wk(), gguf.rows(p + "attn_k.weight"));
                assertRowsEqual(layer.wv(), gguf.rows(p + "attn_v.weight"));
                assertRowsEqual(layer.wo(), gguf.rows(p + "attn_output.weight"));
                assertRowsEqual(layer.w1(), gguf.rows(p + "ffn_gate.weight"));
                assertRowsEqual(layer.w2(), gguf.rows(p + "ffn_down.weight"));
                assertRowsEqual(layer.w3(), gguf.rows(p + "ffn_up.weight"));
                assertThat(layer.attentionNorm()).isEqualTo(gguf.rows(p + "attn_norm.weight")[0]);
                assertThat(layer.ffnNorm()).isEqualTo(gguf.rows(p + "ffn_norm.weight")[0]);
            }
        }
    }

    /** Guards the test above: without the permutation, the HF rows do not match Meta order. */
    @Test
    void rawHfRowsAreNotInMetaOrder() throws IOException {
        GgufF32Reference gguf = new GgufF32Reference(SharedData.require("fixtures/gguf/tiny-sv-gguf-f32.gguf"));
        try (SafetensorsFile f = SafetensorsFile.open(fixture("tiny-sv-hf").resolve("model.safetensors"))) {
            Matrix rawQ = f.tensor("model.layers.0.self_attn.q_proj.weight").asMatrix();
            float[][] meta = gguf.rows("blk.0.attn_q.weight");
            assertThat(row(rawQ, 1)).isNotEqualTo(meta[1]);
            assertThat(row(rawQ, 1)).isEqualTo(meta[2]); // HF row 1 = Meta row 2
        }
    }

    private static void assertRowsEqual(Matrix m, float[][] expected) {
        assertThat(m.rows()).isEqualTo(expected.length);
        for (int r = 0; r < expected.length; r++) {
            assertThat(row(m, r)).as("row " + r).isEqualTo(expected[r]);
        }
    }
}
