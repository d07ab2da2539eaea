package dev.llama3j.convert;

import dev.llama3j.format.gguf.GgufWriter;

/**
 * A tokenizer written into a GGUF file as llama.cpp's converter writes Llama 3's: {@code tokenizer.ggml.model}
 * ("gpt2"), {@code .pre} ("llama-bpe"), {@code .tokens}, {@code .token_type}, {@code .merges}, the special token
 * ids and the chat template. Files without one get {@code tokenizer.ggml.model = "none"}.
 */
public interface GgufTokenizerSource {

    /** Number of tokens; must equal the model's vocabulary size. */
    int vocabSize();

    /** Puts every {@code tokenizer.*} key, in the order llama.cpp writes them. */
    void putMetadata(GgufWriter writer);
}
