package dev.llama3j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.llama3j.SharedData;
import dev.llama3j.format.ModelFiles;
import dev.llama3j.format.SafetensorsTestFiles;
import dev.llama3j.format.gguf.GgufFile;
import dev.llama3j.format.gguf.GgufMetadata;
import dev.llama3j.model.LayerWeights;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.ModelConfig;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tokenizer.Tokenizer;
import dev.llama3j.tokenizer.vocab.GgufTokenizer;
import dev.llama3j.tokenizer.vocab.HfTokenizerJsonFiles;
import dev.llama3j.tokenizer.vocab.TiktokenFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code convert} embeds a Hugging Face directory's tokenizer.json as llama.cpp's convert_hf_to_gguf.py does for
 * Llama 3, and refuses to write a GGUF without a tokenizer unless told to. The Hugging Face directory is tiny-meta
 * rewritten in Hugging Face's layout (bf16 safetensors with q/k rows permuted as FORMAT.md describes,
 * tokenizer.json with Meta's vocabulary, tokenizer_config.json with the chat template of llama.cpp's file).
 */
@Tag("slow")
class ConvertTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TOKENIZER_KEYS = List.of(GgufTokenizer.MODEL, GgufTokenizer.PRE,
            GgufTokenizer.TOKENS, GgufTokenizer.TOKEN_TYPE, GgufTokenizer.MERGES, GgufTokenizer.BOS_ID,
            GgufTokenizer.EOS_ID, GgufTokenizer.CHAT_TEMPLATE, GgufTokenizer.EOT_ID);

    @TempDir
    static Path dir;
    static Path hf;
    static Path fromHf;
    static Path fromMeta;

    @BeforeAll
    static void convertBoth() throws Exception {
        Path meta = SharedData.require("fixtures/meta/tiny-meta");
        Path llamaCpp = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf");
        hf = writeHfDirectory(meta, llamaCpp, dir.resolve("tiny-hf"));
        fromHf = dir.resolve("from-hf.gguf");
        fromMeta = dir.resolve("from-meta.gguf");
        for (Path[] job : new Path[][] {{hf, fromHf}, {meta, fromMeta}}) {
            CliRunner.Run r = CliRunner.run("convert", job[0].toString(), "-o", job[1].toString(), "--type", "q8_0",
                    "--name", "tiny-gguf-q8_0");
            assertThat(r.exit()).as(r.stderr()).isZero();
            assertThat(r.stderr()).contains(job[0] == hf ? "HF -> q8_0, tokenizer tokenizer.json"
                    : "META -> q8_0, tokenizer tokenizer.model");
        }
    }

    /** llama.cpp's own file of these weights and this tokenizer, byte for byte: tokenizer keys, then weights. */
    @Test
    void theHfDirectoryConvertsToLlamaCppsFile() throws IOException {
        Path llamaCpp = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf");
        try (GgufFile a = GgufFile.open(fromHf); GgufFile b = GgufFile.open(fromMeta);
             GgufFile e = GgufFile.open(llamaCpp)) {
            for (String key : TOKENIZER_KEYS) {
                assertThat(a.metadata().type(key)).as(key).isEqualTo(e.metadata().type(key));
                assertThat(value(a.metadata(), key)).as(key).isEqualTo(value(e.metadata(), key))
                        .isEqualTo(value(b.metadata(), key));
            }
            assertThat(a.metadata().keys()).containsExactlyElementsOf(e.metadata().keys());
        }
        assertThat(Files.mismatch(fromHf, llamaCpp)).isEqualTo(-1L);
    }

    /** Meta's tokenizer-cases (tiktoken's ids), encoded by the tokenizer llama3j reads back from the file. */
    @Test
    void llama3jTokenizesWithTheEmbeddedTokenizerAsMetaDoes() throws IOException {
        ModelFiles.ModelTokenizer fromFile = ModelFiles.loadTokenizer(fromHf);
        Tokenizer t = fromFile.tokenizer();
        Tokenizer meta = TiktokenFile.load(SharedData.require("llama3/tokenizer.model"));
        assertThat(t.specialTokens()).isEqualTo(meta.specialTokens());
        assertThat(fromFile.stopTokens()).containsExactlyInAnyOrder(128001, 128009);
        int cases = 0;
        for (String line : Files.readAllLines(SharedData.require("llama3/tokenizer-cases.jsonl"))) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode c = JSON.readTree(line);
            int[] expected = JSON.convertValue(c.get("ids"), int[].class);
            int[] ids = t.encode(c.get("text").asText(), c.get("bos").asBoolean(), c.get("eos").asBoolean());
            assertThat(ids).as(c.get("text").asText()).isEqualTo(expected);
            assertThat(t.decode(ids)).isEqualTo(meta.decode(ids));
            cases++;
        }
        assertThat(cases).isGreaterThan(400);
    }

    @Test
    void noTokenizerIsRefusedUnlessAsked() throws IOException {
        Path noTok = SharedData.require("fixtures/hf/tiny-sv-hf");
        Path out = dir.resolve("none.gguf");
        CliRunner.Run refused = CliRunner.run("convert", noTok.toString(), "-o", out.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.stderr().strip()).isEqualTo("llama3j: " + noTok + " has no tokenizer (looked for"
                + " tokenizer.json, original/tokenizer.model, tokenizer.model): give --tokenizer FILE, or"
                + " --no-tokenizer to write token ids only (llama.cpp cannot load that)");
        assertThat(out).doesNotExist();

        CliRunner.Run asked = CliRunner.run("convert", noTok.toString(), "-o", out.toString(), "--no-tokenizer");
        assertThat(asked.exit()).as(asked.stderr()).isZero();
        assertThat(asked.stderr()).contains("HF -> bf16, tokenizer none");
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.metadata().getString(GgufTokenizer.MODEL)).isEqualTo(GgufTokenizer.MODEL_NONE);
        }
        CliRunner.Run both = CliRunner.run("convert", noTok.toString(), "-o", dir.resolve("b.gguf").toString(),
                "--no-tokenizer", "--tokenizer", hf.resolve("tokenizer.json").toString());
        assertThat(both.exit()).isEqualTo(1);
        assertThat(both.stderr().strip())
                .isEqualTo("llama3j: --tokenizer and --no-tokenizer contradict each other: give one of them");
    }

    /**
     * An Instruct download names {@code <|eot_id|>} as eos in tokenizer_config.json, and a config without a chat
     * template gets none (convert_hf_to_gguf.py writes what the files say); --tokenizer takes a tokenizer.json too.
     */
    @Test
    void eosAndChatTemplateComeFromTokenizerConfig() throws IOException {
        Path instruct = Files.createDirectories(dir.resolve("instruct-tokenizer"));
        Files.copy(hf.resolve("tokenizer.json"), instruct.resolve("tokenizer.json"));
        Files.writeString(instruct.resolve("tokenizer_config.json"),
                "{\"bos_token\": \"<|begin_of_text|>\", \"eos_token\": \"<|eot_id|>\"}");
        Path out = dir.resolve("instruct.gguf");
        CliRunner.Run r = CliRunner.run("convert", SharedData.require("fixtures/meta/tiny-meta").toString(), "-o",
                out.toString(), "--type", "f32", "--tokenizer", instruct.resolve("tokenizer.json").toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stderr()).contains("META -> f32, tokenizer tokenizer.json");
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.metadata().getInt(GgufTokenizer.EOS_ID)).isEqualTo(128009);
            assertThat(f.metadata().getInt(GgufTokenizer.BOS_ID)).isEqualTo(128000);
            assertThat(f.metadata().has(GgufTokenizer.CHAT_TEMPLATE)).isFalse();
        }
    }

    private static Object value(GgufMetadata m, String key) {
        Object v = m.get(key);
        return v instanceof dev.llama3j.format.gguf.GgufArray a ? List.of(arrayValues(a)) : v;
    }

    private static Object[] arrayValues(dev.llama3j.format.gguf.GgufArray a) {
        Object values = a.values();
        int n = java.lang.reflect.Array.getLength(values);
        Object[] out = new Object[n];
        for (int i = 0; i < n; i++) {
            out[i] = java.lang.reflect.Array.get(values, i);
        }
        return out;
    }

    /** tiny-meta in Hugging Face's layout, with a tokenizer.json and tokenizer_config.json. */
    private static Path writeHfDirectory(Path meta, Path llamaCpp, Path out) throws IOException {
        Files.createDirectories(out);
        Map<String, SafetensorsTestFiles.Raw> tensors = new LinkedHashMap<>();
        ModelConfig c;
        try (LlamaWeights w = ModelFiles.loadWeights(meta)) {
            c = w.config();
            int hd = c.headDim();
            tensors.put("model.embed_tokens.weight", bf16(w.tokenEmbeddings(), 0));
            for (int i = 0; i < c.nLayers(); i++) {
                LayerWeights l = w.layers().get(i);
                String p = "model.layers." + i + ".";
                tensors.put(p + "input_layernorm.weight", bf16(l.attentionNorm()));
                tensors.put(p + "self_attn.q_proj.weight", bf16(l.wq(), hd));
                tensors.put(p + "self_attn.k_proj.weight", bf16(l.wk(), hd));
                tensors.put(p + "self_attn.v_proj.weight", bf16(l.wv(), 0));
                tensors.put(p + "self_attn.o_proj.weight", bf16(l.wo(), 0));
                tensors.put(p + "post_attention_layernorm.weight", bf16(l.ffnNorm()));
                tensors.put(p + "mlp.gate_proj.weight", bf16(l.w1(), 0));
                tensors.put(p + "mlp.down_proj.weight", bf16(l.w2(), 0));
                tensors.put(p + "mlp.up_proj.weight", bf16(l.w3(), 0));
            }
            tensors.put("model.norm.weight", bf16(w.norm()));
            tensors.put("lm_head.weight", bf16(w.output(), 0));
        }
        Files.write(out.resolve("model.safetensors"), SafetensorsTestFiles.file(tensors));
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add("LlamaForCausalLM");
        config.put("model_type", "llama").put("hidden_size", c.dim()).put("intermediate_size", c.ffnDim())
                .put("num_attention_heads", c.nHeads()).put("num_key_value_heads", c.nKvHeads())
                .put("num_hidden_layers", c.nLayers()).put("rms_norm_eps", 1e-5).put("rope_theta", 500000.0)
                .put("max_position_embeddings", 8192).put("vocab_size", c.vocabSize())
                .put("tie_word_embeddings", false).put("torch_dtype", "bfloat16")
                .put("bos_token_id", 128000).put("eos_token_id", 128001).putNull("rope_scaling");
        JSON.writeValue(out.resolve("config.json").toFile(), config);

        Tokenizer tokenizer = TiktokenFile.load(meta.resolve("tokenizer.model"));
        JSON.writeValue(out.resolve("tokenizer.json").toFile(), HfTokenizerJsonFiles.llama3(tokenizer, false));
        String template;
        try (GgufFile f = GgufFile.open(llamaCpp)) {
            template = f.metadata().getString(GgufTokenizer.CHAT_TEMPLATE);
        }
        ObjectNode tokConfig = JSON.createObjectNode().put("bos_token", "<|begin_of_text|>")
                .put("eos_token", "<|end_of_text|>").put("chat_template", template);
        JSON.writeValue(out.resolve("tokenizer_config.json").toFile(), tokConfig);
        return out;
    }

    /**
     * A matrix's rows as bf16 (tiny-meta's values are bf16, so exact); with {@code headDim > 0} in Hugging Face's
     * q/k order: row j of a head is Meta's row 2j for j < hd/2, else 2(j - hd/2) + 1.
     */
    private static SafetensorsTestFiles.Raw bf16(Matrix m, int headDim) {
        ByteBuffer b = ByteBuffer.allocate(m.rows() * m.cols() * 2).order(ByteOrder.LITTLE_ENDIAN);
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            int src = r;
            if (headDim > 0) {
                int head = r / headDim;
                int j = r % headDim;
                src = head * headDim + (j < headDim / 2 ? 2 * j : 2 * (j - headDim / 2) + 1);
            }
            m.row(src, row, 0);
            for (float v : row) {
                b.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
            }
        }
        return new SafetensorsTestFiles.Raw("BF16", new long[] {m.rows(), m.cols()}, b.array());
    }

    private static SafetensorsTestFiles.Raw bf16(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putShort((short) (Float.floatToRawIntBits(x) >>> 16));
        }
        return new SafetensorsTestFiles.Raw("BF16", new long[] {v.length}, b.array());
    }
}
