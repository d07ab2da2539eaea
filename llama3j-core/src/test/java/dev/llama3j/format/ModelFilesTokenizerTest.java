package dev.llama3j.format;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import dev.llama3j.tokenizer.SpecialTokenNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which tokenizer and stop tokens a model path gets. */
class ModelFilesTokenizerTest {
    @TempDir
    Path dir;

    @Test
    void ggufUsesItsEmbeddedTokenizer() {
        Path gguf = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf");
        ModelFiles.ModelTokenizer t = ModelFiles.loadTokenizer(gguf);
        assertThat(t.source()).isEqualTo(gguf.toString());
        assertThat(t.tokenizer().vocabSize()).isEqualTo(128256);
        assertThat(t.tokenizer().encode("Hello", true, false)).containsExactly(128000, 9906);
        // eos 128001 and eot 128009 from the metadata; Meta's names give the same two
        assertThat(t.stopTokens()).containsExactly(128001, 128009);
    }

    @Test
    void metaCheckpointUsesItsTokenizerModel() {
        Path meta = SharedData.require("fixtures/meta/tiny-meta");
        ModelFiles.ModelTokenizer t = ModelFiles.loadTokenizer(meta);
        assertThat(t.source()).isEqualTo(meta.resolve("tokenizer.model").toString());
        assertThat(t.stopTokens()).containsExactly(128001, 128009);
        assertThat(t.withLlama31Names().stopTokens()).containsExactly(128001, 128008, 128009);
        assertThat(t.withLlama31Names().tokenizer().naming()).isSameAs(SpecialTokenNames.LLAMA_3_1);
    }

    @Test
    void modelsWithoutTokenizerNeedTokenizerPath() {
        Path gguf = SharedData.require("fixtures/gguf/tiny-sv-gguf-f32.gguf");
        assertThatThrownBy(() -> ModelFiles.loadTokenizer(gguf))
                .isInstanceOf(LlamaException.class)
                .hasMessage(gguf + " has no tokenizer (tokenizer.ggml.model is 'none'): give --tokenizer-path");
        Path hf = SharedData.require("fixtures/hf/tiny-sv-hf");
        assertThatThrownBy(() -> ModelFiles.loadTokenizer(hf))
                .isInstanceOf(LlamaException.class)
                .hasMessage(hf + " has no tokenizer (looked for tokenizer.json, original/tokenizer.model,"
                        + " tokenizer.model): give --tokenizer-path");
    }

    @Test
    void anExplicitTokenizerWinsAndMayBeAGgufFile() {
        Path model = SharedData.require("llama3/tokenizer.model");
        Path gguf = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf");
        Path hf = SharedData.require("fixtures/hf/tiny-sv-hf");
        ModelFiles.ModelTokenizer explicit = ModelFiles.loadTokenizer(hf, model);
        assertThat(explicit.source()).isEqualTo(model.toString());
        // generation_config.json's eos_token_id (a placeholder 1 in this small-vocab fixture) stops too
        assertThat(explicit.stopTokens()).containsExactly(128001, 128009, 1);
        ModelFiles.ModelTokenizer fromGguf = ModelFiles.loadTokenizer(SharedData.require("fixtures/meta/tiny-meta"), gguf);
        assertThat(fromGguf.source()).isEqualTo(gguf.toString());
        assertThat(fromGguf.tokenizer().encode("Hello world", false, false)).containsExactly(9906, 1917);
        assertThatThrownBy(() -> ModelFiles.loadTokenizer(hf, dir.resolve("missing.model")))
                .isInstanceOf(LlamaException.class).hasMessageContaining("missing.model does not exist");
    }

    @Test
    void huggingFaceDirectoryFallsBackToOriginalTokenizerModel() throws IOException {
        Path hf = SharedData.require("fixtures/hf/tiny-sv-hf");
        Files.copy(hf.resolve("config.json"), dir.resolve("config.json"));
        Files.createDirectories(dir.resolve("original"));
        Path original = Files.copy(SharedData.require("llama3/tokenizer.model"), dir.resolve("original/tokenizer.model"));
        ModelFiles.ModelTokenizer t = ModelFiles.loadTokenizer(dir);
        assertThat(t.source()).isEqualTo(original.toString());
        assertThat(t.stopTokens()).contains(128001, 128009, 1);
    }
}
