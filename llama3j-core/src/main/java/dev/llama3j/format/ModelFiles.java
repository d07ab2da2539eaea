package dev.llama3j.format;

import dev.llama3j.LlamaException;
import dev.llama3j.format.gguf.GgufFile;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.ModelSplit;
import dev.llama3j.model.RankGroup;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tokenizer.SpecialTokenNames;
import dev.llama3j.tokenizer.Tokenizer;
import dev.llama3j.tokenizer.vocab.GgufTokenizer;
import dev.llama3j.tokenizer.vocab.HfTokenizerJson;
import dev.llama3j.tokenizer.vocab.TiktokenFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Opens a model from what is at a path, detecting the format from the files there, and finds its tokenizer:
 * an explicit tokenizer file wins; otherwise Meta's {@code tokenizer.model} next to the checkpoint, a Hugging Face
 * directory's {@code tokenizer.json} (else {@code original/tokenizer.model}, else {@code tokenizer.model}), or
 * the tokenizer a GGUF file carries.
 */
public final class ModelFiles {
    private ModelFiles() {}

    /** The format of the model at a path. */
    public enum Format {
        /** a directory with params.json and consolidated.NN.pth */
        META,
        /** a Hugging Face directory: config.json and safetensors */
        HF,
        /** a single .gguf file */
        GGUF
    }

    /** The formats, in the order they are tried. */
    private static final List<ModelFormat> FORMATS = List.of(new MetaFormat(), new HfFormat(), new GgufFormat());

    public static Format detect(Path path) {
        return format(path).id();
    }

    private static ModelFormat format(Path path) {
        if (!Files.exists(path)) {
            throw new LlamaException("model path " + path + " does not exist");
        }
        for (ModelFormat format : FORMATS) {
            if (format.detect(path)) {
                return format;
            }
        }
        if (Files.isDirectory(path)) {
            if (Files.isDirectory(path.resolve("original")) && Files.isRegularFile(path.resolve("original/params.json"))) {
                throw new LlamaException(path + " holds Meta's checkpoint in original/: pass " + path.resolve("original"));
            }
            throw new LlamaException(path + ": no model found (expected params.json + consolidated.NN.pth,"
                    + " config.json + *.safetensors, or a .gguf file)");
        }
        throw new LlamaException(path + ": not a model (expected a GGUF file or a checkpoint directory)");
    }

    /** The weights with float32 activations ({@link Numerics#EXACT}). */
    public static LlamaWeights loadWeights(Path path) {
        return loadWeights(path, Numerics.EXACT);
    }

    /** The weights: whole, or where {@link #distributeWith} was called, this rank's part through that loader. */
    public static LlamaWeights loadWeights(Path path, Numerics numerics) {
        WeightsLoader d = distributor;
        return d != null ? d.load(path, numerics) : format(path).loadWeights(path, numerics, null);
    }

    /** Loads weights: the distributed loader of a job over several processes. */
    @FunctionalInterface
    public interface WeightsLoader {
        LlamaWeights load(Path path, Numerics numerics);
    }

    private static volatile WeightsLoader distributor;

    /**
     * Makes every later {@link #loadWeights} and {@link #load} go through {@code loader}: a job over several
     * processes (rank 0) has every rank load its part ({@link #loadWeightsPart}).
     */
    public static void distributeWith(WeightsLoader loader) {
        distributor = loader;
    }

    /** With a {@code group}, this rank's part of the model at {@code path} ({@link ModelSplit}); else the whole. */
    public static LlamaWeights loadWeightsPart(Path path, Numerics numerics, RankGroup group) {
        return format(path).loadWeights(path, numerics, group);
    }

    /**
     * A tokenizer and the ids that end generation with it: the tokenizer's own (end_of_text, eot_id, and eom_id
     * where named) plus those the model's files name (GGUF eos/eot/eom ids, Hugging Face eos_token_id).
     *
     * @param source where the tokenizer came from, for messages
     */
    public record ModelTokenizer(Tokenizer tokenizer, String source, Set<Integer> stopTokens) {
        public ModelTokenizer {
            Set<Integer> all = new LinkedHashSet<>(tokenizer.stopTokens());
            all.addAll(stopTokens);
            stopTokens = Collections.unmodifiableSet(all);
        }

        /**
         * For a Llama 3.1+ model: a tokenizer.model carries no names, so take llama-models' (eom_id stops too);
         * names a model file gave are kept.
         */
        public ModelTokenizer withLlama31Names() {
            if (tokenizer.naming() != SpecialTokenNames.LLAMA_3) {
                return this;
            }
            return new ModelTokenizer(tokenizer.withNames(SpecialTokenNames.LLAMA_3_1), source, stopTokens);
        }
    }

    /** A model's weights and its tokenizer. */
    public record LoadedModel(LlamaWeights weights, ModelTokenizer tokenizer) {}

    /** The tokenizer of the model at {@code modelPath} (see the class comment). */
    public static ModelTokenizer loadTokenizer(Path modelPath) {
        return loadTokenizer(modelPath, null);
    }

    /**
     * The tokenizer for the model at {@code modelPath}: {@code tokenizerPath} (a tokenizer.model, a tokenizer.json
     * or a .gguf file) when given, else the model's own.
     */
    public static ModelTokenizer loadTokenizer(Path modelPath, Path tokenizerPath) {
        return format(modelPath).tokenizer(modelPath, tokenizerPath);
    }

    /** Weights and tokenizer, a GGUF file parsed once for both. */
    public static LoadedModel load(Path modelPath, Path tokenizerPath, Numerics numerics) {
        WeightsLoader d = distributor;
        if (d != null) {
            ModelTokenizer tokenizer = loadTokenizer(modelPath, tokenizerPath);
            return new LoadedModel(d.load(modelPath, numerics), tokenizer);
        }
        return format(modelPath).load(modelPath, tokenizerPath, numerics);
    }

    /**
     * A tokenizer file of any kind llama3j reads: a GGUF file's tokenizer (by its magic), a Hugging Face
     * tokenizer.json (by its .json name), else a tiktoken tokenizer.model.
     */
    public static ModelTokenizer readTokenizerFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new LlamaException("tokenizer " + file + " does not exist (expected tokenizer.model,"
                    + " tokenizer.json or a .gguf file)");
        }
        if (GgufFormat.isGguf(file)) {
            try (GgufFile gguf = GgufFile.open(file)) {
                GgufTokenizer data = GgufTokenizer.read(gguf.metadata(), gguf.source());
                return new ModelTokenizer(data.toTokenizer(gguf.source()), gguf.source(), data.stopTokenIds());
            }
        }
        if (file.getFileName().toString().endsWith(".json")) {
            Tokenizer t = HfTokenizerJson.load(file);
            Integer eos = HfTokenizerJson.configEosToken(file, t);
            return new ModelTokenizer(t, file.toString(), eos == null ? Set.of() : Set.of(eos));
        }
        return new ModelTokenizer(TiktokenFile.load(file), file.toString(), Set.of());
    }

    /**
     * The one place stop tokens are merged: the tokenizer's own, then those its file names, then {@code modelStops},
     * those the model's files name.
     */
    static ModelTokenizer withModelStops(ModelTokenizer tokenizer, Set<Integer> modelStops) {
        Set<Integer> stops = new LinkedHashSet<>(tokenizer.stopTokens());
        stops.addAll(modelStops);
        return new ModelTokenizer(tokenizer.tokenizer(), tokenizer.source(), stops);
    }

    /** The first of {@code candidates} (relative to {@code dir}) that is a file. */
    static Path firstTokenizerFile(Path dir, List<String> candidates) {
        for (String name : candidates) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new LlamaException(dir + " has no tokenizer (looked for " + String.join(", ", candidates)
                + "): give --tokenizer-path");
    }
}
