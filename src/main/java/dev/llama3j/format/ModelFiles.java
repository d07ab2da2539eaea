package dev.llama3j.format;

import dev.llama3j.LlamaException;
import dev.llama3j.format.gguf.GgufFile;
import dev.llama3j.format.gguf.GgufMetadata;
import dev.llama3j.format.gguf.GgufModelLoader;
import dev.llama3j.format.hf.HfModelLoader;
import dev.llama3j.format.pth.MetaCheckpointLoader;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.tokenizer.SpecialTokenNames;
import dev.llama3j.tokenizer.Tokenizer;
import dev.llama3j.tokenizer.vocab.GgufTokenizer;
import dev.llama3j.tokenizer.vocab.HfTokenizerJson;
import dev.llama3j.tokenizer.vocab.TiktokenFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

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

    public static Format detect(Path path) {
        if (!Files.exists(path)) {
            throw new LlamaException("model path " + path + " does not exist");
        }
        if (Files.isDirectory(path)) {
            if (Files.isRegularFile(path.resolve("params.json")) && hasPth(path)) {
                return Format.META;
            }
            if (Files.isRegularFile(path.resolve("config.json"))) {
                return Format.HF;
            }
            if (Files.isDirectory(path.resolve("original")) && Files.isRegularFile(path.resolve("original/params.json"))) {
                throw new LlamaException(path + " holds Meta's checkpoint in original/: pass " + path.resolve("original"));
            }
            throw new LlamaException(path + ": no model found (expected params.json + consolidated.NN.pth,"
                    + " config.json + *.safetensors, or a .gguf file)");
        }
        if (isGguf(path)) {
            return Format.GGUF;
        }
        throw new LlamaException(path + ": not a model (expected a GGUF file or a checkpoint directory)");
    }

    public static LlamaWeights loadWeights(Path path) {
        return switch (detect(path)) {
            case META -> MetaCheckpointLoader.load(path);
            case HF -> HfModelLoader.load(path);
            case GGUF -> GgufModelLoader.load(path);
        };
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
        Format format = detect(modelPath);
        if (format == Format.GGUF) {
            try (GgufFile file = GgufFile.open(modelPath)) {
                return ggufModelTokenizer(file, tokenizerPath);
            }
        }
        return directoryModelTokenizer(modelPath, format, tokenizerPath);
    }

    /** Weights and tokenizer, a GGUF file parsed once for both. */
    public static LoadedModel load(Path modelPath, Path tokenizerPath) {
        Format format = detect(modelPath);
        if (format == Format.GGUF) {
            GgufFile file = GgufFile.open(modelPath);
            try {
                ModelTokenizer tokenizer = ggufModelTokenizer(file, tokenizerPath);
                return new LoadedModel(GgufModelLoader.load(file), tokenizer);
            } catch (RuntimeException e) {
                file.close();
                throw e;
            }
        }
        ModelTokenizer tokenizer = directoryModelTokenizer(modelPath, format, tokenizerPath);
        return new LoadedModel(loadWeights(modelPath), tokenizer);
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
        if (isGguf(file)) {
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

    private static ModelTokenizer ggufModelTokenizer(GgufFile file, Path tokenizerPath) {
        GgufMetadata meta = file.metadata();
        Set<Integer> modelStops = new LinkedHashSet<>();
        for (String key : List.of(GgufTokenizer.EOS_ID, GgufTokenizer.EOT_ID, GgufTokenizer.EOM_ID)) {
            if (meta.has(key)) {
                modelStops.add(meta.getInt(key));
            }
        }
        if (tokenizerPath != null) {
            ModelTokenizer explicit = readTokenizerFile(tokenizerPath);
            modelStops.addAll(explicit.stopTokens());
            return new ModelTokenizer(explicit.tokenizer(), explicit.source(), modelStops);
        }
        return new ModelTokenizer(GgufTokenizer.load(meta, file.source()), file.source(), modelStops);
    }

    private static ModelTokenizer directoryModelTokenizer(Path dir, Format format, Path tokenizerPath) {
        Set<Integer> modelStops = format == Format.HF
                ? new LinkedHashSet<>(HfModelLoader.readInfo(dir).eosTokenIds())
                : Set.of();
        ModelTokenizer t = readTokenizerFile(tokenizerPath != null ? tokenizerPath : defaultTokenizerFile(dir, format));
        Set<Integer> stops = new LinkedHashSet<>(t.stopTokens());
        stops.addAll(modelStops);
        return new ModelTokenizer(t.tokenizer(), t.source(), stops);
    }

    private static Path defaultTokenizerFile(Path dir, Format format) {
        List<String> candidates = format == Format.HF
                ? List.of(HfTokenizerJson.FILE_NAME, "original/tokenizer.model", "tokenizer.model")
                : List.of("tokenizer.model");
        for (String name : candidates) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new LlamaException(dir + " has no tokenizer (looked for " + String.join(", ", candidates)
                + "): give --tokenizer-path");
    }

    private static boolean hasPth(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".pth"));
        } catch (IOException e) {
            throw new LlamaException("cannot list " + dir + ": " + e.getMessage());
        }
    }

    private static boolean isGguf(Path file) {
        try (var in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
        } catch (IOException e) {
            throw new LlamaException("cannot read " + file + ": " + e.getMessage());
        }
    }
}
