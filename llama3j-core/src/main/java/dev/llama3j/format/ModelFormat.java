package dev.llama3j.format;

import dev.llama3j.format.ModelFiles.LoadedModel;
import dev.llama3j.format.ModelFiles.ModelTokenizer;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.ModelSplit;
import dev.llama3j.model.RankGroup;

import dev.llama3j.tensor.Numerics;

import java.nio.file.Path;
import java.util.Set;

/**
 * One on-disk model format: how to recognise it, read its weights, find its own tokenizer and the stop tokens its
 * files name. {@link ModelFiles} picks the format and merges the stop tokens; a new format implements this and is
 * listed there.
 */
interface ModelFormat {
    ModelFiles.Format id();

    /** Whether the existing {@code path} holds a model in this format. */
    boolean detect(Path path);

    /**
     * The weights; {@code numerics} matters only for the quantized types that have int8 products. With a
     * {@code group}, this rank's part of the model split over the group's ranks ({@link ModelSplit}); else whole.
     */
    LlamaWeights loadWeights(Path path, Numerics numerics, RankGroup group);

    /** The model's own tokenizer, with the stop tokens its tokenizer file names. */
    ModelTokenizer loadTokenizer(Path path);

    /** The stop tokens the model's files name beside its tokenizer (GGUF eos/eot/eom, config.json eos_token_id). */
    Set<Integer> stopTokens(Path path);

    /** The tokenizer to run the model with: {@code tokenizerPath} when given, else the model's own. */
    default ModelTokenizer tokenizer(Path path, Path tokenizerPath) {
        Set<Integer> modelStops = stopTokens(path);
        ModelTokenizer tokenizer = tokenizerPath != null ? ModelFiles.readTokenizerFile(tokenizerPath) : loadTokenizer(path);
        return ModelFiles.withModelStops(tokenizer, modelStops);
    }

    /** Weights and tokenizer; a format that parses one file for both overrides this to parse it once. */
    default LoadedModel load(Path path, Path tokenizerPath, Numerics numerics) {
        ModelTokenizer tokenizer = tokenizer(path, tokenizerPath);
        return new LoadedModel(loadWeights(path, numerics, null), tokenizer);
    }
}
