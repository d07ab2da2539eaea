package dev.llama3j.convert;

import dev.llama3j.LlamaException;

import java.nio.file.Path;

/**
 * Where the convert and synth commands get a {@link GgufTokenizerSource} for a tiktoken {@code tokenizer.model}.
 * The export itself (tiktoken ranks to GPT-2 token text and merges) is built next to llama3j's tokenizer; this is
 * the one place that connects it.
 */
public final class GgufTokenizers {
    private GgufTokenizers() {}

    public static GgufTokenizerSource fromTokenizerModel(Path tokenizerModel) {
        throw new LlamaException(tokenizerModel + ": tokenizer export to GGUF is not available yet in this build");
    }
}
