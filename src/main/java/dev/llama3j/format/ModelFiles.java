package dev.llama3j.format;

import dev.llama3j.LlamaException;
import dev.llama3j.model.LlamaWeights;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a model from what is at a path, detecting the format from the files there. */
public final class ModelFiles {
    private ModelFiles() {}

    /** The format of the model at {@code path}. */
    public enum Format { META, HF, GGUF }

    public static Format detect(Path path) {
        if (!Files.exists(path)) {
            throw new LlamaException("model path " + path + " does not exist");
        }
        throw new LlamaException(path + ": no loader for this model format yet");
    }

    public static LlamaWeights loadWeights(Path path) {
        Format f = detect(path);
        throw new LlamaException(path + ": " + f + " models are not loadable yet");
    }
}
