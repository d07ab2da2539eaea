package dev.llama3j.generate;

import dev.llama3j.LlamaException;
import dev.llama3j.SharedData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Llama.build picks each model's own tokenizer: a GGUF file's embedded one behaves as Meta's tokenizer.model. */
class LlamaTokenizerChoiceTest {

    @Test
    void ggufWithEmbeddedTokenizerGeneratesLikeTheMetaCheckpoint() {
        Path gguf = SharedData.require("fixtures/gguf/tiny-gguf-q8_0.gguf");
        Path meta = SharedData.require("fixtures/meta/tiny-meta");
        try (Llama fromGguf = Llama.build(gguf, null, 64, 1, 1);
             Llama fromMeta = Llama.build(meta, null, 64, 1, 1)) {
            String prompt = "Hello, I'm a language model,";
            int[] ids = fromMeta.tokenizer().encode(prompt, true, false);
            assertThat(fromGguf.tokenizer().encode(prompt, true, false)).containsExactly(ids);
            assertThat(ids).startsWith(128000, 9906, 11);
            assertThat(fromGguf.stopTokens()).containsExactly(fromMeta.stopTokens()).containsExactly(128001, 128009);
            // q8_0 weights differ slightly from bf16, so only check that both generate (conformance checks numerics)
            var g = fromGguf.textCompletion(List.of(prompt), 0f, 0.9f, 8, true, false, TokenListener.NONE).getFirst();
            var m = fromMeta.textCompletion(List.of(prompt), 0f, 0.9f, 8, true, false, TokenListener.NONE).getFirst();
            assertThat(g.tokens()).hasSizeBetween(1, 8);
            assertThat(m.tokens()).hasSizeBetween(1, 8);
            assertThat(String.join("", g.tokens())).isEqualTo(g.generation());
        }
    }

    @Test
    void smallVocabGgufWithoutTokenizerAsksForOne() {
        Path gguf = SharedData.require("fixtures/gguf/tiny-sv-gguf-q8_0.gguf");
        assertThatThrownBy(() -> Llama.build(gguf, null, 64, 1, 1))
                .isInstanceOf(LlamaException.class)
                .hasMessage(gguf + " has no tokenizer (tokenizer.ggml.model is 'none'): give --tokenizer-path");
        Path tokenizer = SharedData.require("llama3/tokenizer.model");
        assertThatThrownBy(() -> Llama.build(gguf, tokenizer, 64, 1, 1))
                .isInstanceOf(LlamaException.class)
                .hasMessage("the model's vocab_size 512 does not match the 128256 tokens of " + tokenizer);
    }
}
