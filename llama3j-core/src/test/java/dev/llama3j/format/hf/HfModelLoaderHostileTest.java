package dev.llama3j.format.hf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.LlamaException;
import dev.llama3j.format.SafetensorsTestFiles;
import dev.llama3j.format.SafetensorsTestFiles.Raw;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.RopeScaling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Broken directories: each must fail with one LlamaException line naming the file and what is wrong. */
class HfModelLoaderHostileTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    private int copies;

    /** A writable copy of a fixture directory. */
    private Path copy(String fixture) throws IOException {
        Path src = HfModelLoaderTest.fixture(fixture);
        Path dst = tmp.resolve(fixture + "-" + copies++);
        Files.createDirectories(dst);
        try (var files = Files.list(src)) {
            for (Path f : files.toList()) {
                Files.copy(f, dst.resolve(f.getFileName()));
                dst.resolve(f.getFileName()).toFile().setWritable(true);
            }
        }
        return dst;
    }

    private static void editJson(Path file, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        edit.accept(root);
        Files.writeString(file, root.toPrettyString());
    }

    private static void editTensors(Path file, Consumer<Map<String, Raw>> edit) throws IOException {
        Map<String, Raw> tensors = SafetensorsTestFiles.read(file);
        edit.accept(tensors);
        Files.write(file, SafetensorsTestFiles.file(tensors));
    }

    private Path withConfig(Consumer<ObjectNode> edit) throws IOException {
        Path dir = copy("tiny-sv-hf");
        editJson(dir.resolve("config.json"), edit);
        return dir;
    }

    private static void assertRejected(Path dir, String... parts) {
        assertThatThrownBy(() -> HfModelLoader.load(dir).close())
                .isInstanceOf(LlamaException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContainingAll(parts)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void configFieldsMissingOrInvalid() throws IOException {
        assertRejected(withConfig(c -> c.remove("hidden_size")), "config.json: missing field hidden_size");
        assertRejected(withConfig(c -> c.put("num_attention_heads", "four")),
                "config.json: field num_attention_heads is \"four\", expected a positive integer");
        assertRejected(withConfig(c -> c.put("num_hidden_layers", 2.5)), "num_hidden_layers is 2.5");
        assertRejected(withConfig(c -> c.put("vocab_size", -512)), "vocab_size is -512");
        assertRejected(withConfig(c -> c.put("intermediate_size", 1L << 40)), "intermediate_size is 1099511627776");
        assertRejected(withConfig(c -> c.put("rms_norm_eps", 0)), "rms_norm_eps is 0, expected a positive number");
        assertRejected(withConfig(c -> c.put("num_key_value_heads", 3)),
                "num_key_value_heads is 3, which does not divide num_attention_heads 4");
        assertRejected(withConfig(c -> c.put("head_dim", 32)), "head_dim is 32", "= 16");
        assertRejected(withConfig(c -> c.put("model_type", "mistral")), "model_type is \"mistral\"");
        assertRejected(withConfig(c -> c.putArray("architectures").add("GPT2LMHeadModel")), "architectures");
        assertRejected(withConfig(c -> c.put("tie_word_embeddings", "yes")), "tie_word_embeddings");
        assertRejected(withConfig(c -> c.put("attention_bias", true)), "attention_bias is true");
    }

    @Test
    void ropeScaling() throws IOException {
        assertRejected(withConfig(c -> c.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4)),
                "rope_scaling.rope_type is \"yarn\"", "llama3");
        assertRejected(withConfig(c -> c.putObject("rope_scaling").put("type", "linear").put("factor", 4)),
                "rope_scaling.type is \"linear\"");
        assertRejected(withConfig(c -> c.putObject("rope_scaling").put("rope_type", "llama3")
                .put("low_freq_factor", 1).put("high_freq_factor", 4)
                .put("original_max_position_embeddings", 8192)), "missing field rope_scaling.factor");
        assertRejected(withConfig(c -> c.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8)
                .put("low_freq_factor", 4).put("high_freq_factor", 4)
                .put("original_max_position_embeddings", 8192)), "rope_scaling.high_freq_factor is 4.0");
        assertRejected(withConfig(c -> c.put("rope_scaling", "llama3")), "rope_scaling is \"llama3\"");
        // the older "type" key is accepted too
        Path dir = withConfig(c -> c.putObject("rope_scaling").put("type", "llama3").put("factor", 8.0)
                .put("low_freq_factor", 1.0).put("high_freq_factor", 4.0)
                .put("original_max_position_embeddings", 8192));
        assertThat(HfModelLoader.readInfo(dir).config().ropeScaling()).isEqualTo(RopeScaling.LLAMA_3_1);
    }

    @Test
    void transformersDefaultsAndGenerationOverrides() throws IOException {
        Path dir = withConfig(c -> {
            c.remove("num_key_value_heads");
            c.remove("rope_theta");
            c.remove("rms_norm_eps");
            c.remove("max_position_embeddings");
            c.remove("tie_word_embeddings");
            c.putArray("eos_token_id").add(7).add(9);
        });
        HfModelInfo info = HfModelLoader.readInfo(dir);
        assertThat(info.config().nKvHeads()).isEqualTo(4);
        assertThat(info.config().ropeTheta()).isEqualTo(10000f);
        assertThat(info.config().normEps()).isEqualTo(1e-6f);
        assertThat(info.config().contextLength()).isEqualTo(2048);
        assertThat(info.tieWordEmbeddings()).isFalse();
        assertThat(info.eosTokenIds()).containsExactly(1); // generation_config.json wins
        Files.delete(dir.resolve("generation_config.json"));
        info = HfModelLoader.readInfo(dir);
        assertThat(info.eosTokenIds()).containsExactly(7, 9);
        assertThat(info.temperature()).isNull();
        assertThat(info.topP()).isNull();
        // kv heads defaulted to 4 no longer match k_proj's 32 rows
        assertRejected(dir, "model.layers.0.self_attn.k_proj.weight has shape [32, 64], expected [64, 64]");
    }

    @Test
    void badGenerationConfig() throws IOException {
        Path dir = copy("tiny-sv-hf");
        editJson(dir.resolve("generation_config.json"), g -> g.put("top_p", 2));
        assertRejected(dir, "generation_config.json: field top_p is 2.0");
        editJson(dir.resolve("generation_config.json"), g -> g.put("top_p", 0.9).put("eos_token_id", "x"));
        assertRejected(dir, "generation_config.json: field eos_token_id is \"x\"");
    }

    @Test
    void notAModelDirectory() throws IOException {
        assertRejected(tmp.resolve("nope"), "not a directory");
        Path dir = copy("tiny-sv-hf");
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 64,");
        assertRejected(dir, "config.json: not valid JSON");
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 64} {}");
        assertRejected(dir, "config.json: not valid JSON", "Trailing token");
        Files.delete(dir.resolve("config.json"));
        assertRejected(dir, "no config.json");
        Path noWeights = copy("tiny31-sv-hf");
        Files.delete(noWeights.resolve("model.safetensors"));
        assertRejected(noWeights, "no model.safetensors or model.safetensors.index.json");
    }

    private static void setShard(Path index, String shardOfNorm) throws IOException {
        editJson(index, i -> ((ObjectNode) i.get("weight_map")).put("model.norm.weight", shardOfNorm));
    }

    @Test
    void shardIndex() throws IOException {
        Path dir = copy("tiny-sv-hf-sharded");
        Path index = dir.resolve("model.safetensors.index.json");
        setShard(index, "model-00003-of-00002.safetensors");
        assertRejected(dir, "lists shard model-00003-of-00002.safetensors, which is not in");

        setShard(index, "../tiny-sv-hf/model.safetensors");
        assertRejected(dir, "weight_map.model.norm.weight must name a file in");

        setShard(index, "model-00001-of-00002.safetensors");
        assertRejected(dir, "weight_map puts model.norm.weight in model-00001-of-00002.safetensors, but it is in "
                + "model-00002-of-00002.safetensors");

        editJson(index, i -> i.remove("weight_map"));
        assertRejected(dir, "missing field weight_map");

        Path twice = copy("tiny-sv-hf-sharded");
        Path first = twice.resolve("model-00001-of-00002.safetensors");
        Raw norm = SafetensorsTestFiles.read(twice.resolve("model-00002-of-00002.safetensors")).get("model.norm.weight");
        editTensors(first, t -> t.put("model.norm.weight", norm));
        assertRejected(twice, "model-00002-of-00002.safetensors: tensor model.norm.weight is also in", first.toString());
    }

    @Test
    void tensorsMissingExtraOrMisshaped() throws IOException {
        Path dir = copy("tiny-sv-hf");
        Path st = dir.resolve("model.safetensors");
        byte[] original = Files.readAllBytes(st);

        editTensors(st, t -> t.remove("model.layers.1.mlp.up_proj.weight"));
        assertRejected(dir, "missing tensor model.layers.1.mlp.up_proj.weight");

        Files.write(st, original);
        editTensors(st, t -> t.put("model.layers.0.self_attn.q_proj.bias",
                new Raw("BF16", new long[] {64}, new byte[128])));
        assertRejected(dir, "unexpected tensor model.layers.0.self_attn.q_proj.bias");

        Files.write(st, original);
        editTensors(st, t -> {
            Raw k = t.get("model.layers.0.self_attn.k_proj.weight");
            t.put("model.layers.0.self_attn.k_proj.weight", new Raw(k.dtype(), new long[] {64, 32}, k.data()));
        });
        assertRejected(dir, "model.safetensors: tensor model.layers.0.self_attn.k_proj.weight has shape [64, 32], "
                + "expected [32, 64]");

        Files.write(st, original);
        editJson(dir.resolve("config.json"), c -> c.put("num_hidden_layers", 1));
        assertRejected(dir,
                "tensor model.layers.1.input_layernorm.weight belongs to a layer past num_hidden_layers = 1");

        Files.write(st, new byte[] {1, 2, 3});
        assertRejected(dir, "model.safetensors: too short");
    }

    @Test
    void tiedEmbeddings() throws Exception {
        Path dir = copy("tiny-sv-hf");
        editTensors(dir.resolve("model.safetensors"), t -> t.remove("lm_head.weight"));
        assertRejected(dir, "missing tensor lm_head.weight (config.json does not set tie_word_embeddings)");
        editJson(dir.resolve("config.json"), c -> c.put("tie_word_embeddings", true));
        try (LlamaWeights w = HfModelLoader.load(dir)) {
            assertThat(w.output()).isSameAs(w.tokenEmbeddings());
        }
    }
}
