package dev.llama3j.format;

import dev.llama3j.LlamaException;
import dev.llama3j.format.ModelFiles.LoadedModel;
import dev.llama3j.format.ModelFiles.ModelTokenizer;
import dev.llama3j.format.gguf.GgufFile;
import dev.llama3j.format.gguf.GgufMetadata;
import dev.llama3j.format.gguf.GgufModelLoader;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.RankGroup;
import dev.llama3j.tokenizer.vocab.GgufTokenizer;

import java.io.IOException;
import dev.llama3j.tensor.Numerics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** A single GGUF file: weights, tokenizer and stop tokens in its metadata; parsed once when loading both. */
final class GgufFormat implements ModelFormat {
    @Override
    public ModelFiles.Format id() {
        return ModelFiles.Format.GGUF;
    }

    @Override
    public boolean detect(Path path) {
        return !Files.isDirectory(path) && isGguf(path);
    }

    @Override
    public LlamaWeights loadWeights(Path path, Numerics numerics, RankGroup group) {
        return GgufModelLoader.load(path, numerics, group);
    }

    @Override
    public ModelTokenizer loadTokenizer(Path path) {
        try (GgufFile file = GgufFile.open(path)) {
            return ownTokenizer(file);
        }
    }

    @Override
    public Set<Integer> stopTokens(Path path) {
        try (GgufFile file = GgufFile.open(path)) {
            return stopTokens(file.metadata());
        }
    }

    @Override
    public ModelTokenizer tokenizer(Path path, Path tokenizerPath) {
        try (GgufFile file = GgufFile.open(path)) {
            return tokenizer(file, tokenizerPath);
        }
    }

    @Override
    public LoadedModel load(Path path, Path tokenizerPath, Numerics numerics) {
        GgufFile file = GgufFile.open(path);
        try {
            ModelTokenizer tokenizer = tokenizer(file, tokenizerPath);
            return new LoadedModel(GgufModelLoader.load(file, numerics), tokenizer);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static ModelTokenizer tokenizer(GgufFile file, Path tokenizerPath) {
        Set<Integer> modelStops = stopTokens(file.metadata());
        ModelTokenizer tokenizer = tokenizerPath != null
                ? ModelFiles.readTokenizerFile(tokenizerPath)
                : ownTokenizer(file);
        return ModelFiles.withModelStops(tokenizer, modelStops);
    }

    private static ModelTokenizer ownTokenizer(GgufFile file) {
        return new ModelTokenizer(GgufTokenizer.load(file.metadata(), file.source()), file.source(), Set.of());
    }

    /** The eos, eot and eom ids the metadata names. */
    private static Set<Integer> stopTokens(GgufMetadata meta) {
        Set<Integer> stops = new LinkedHashSet<>();
        for (String key : List.of(GgufTokenizer.EOS_ID, GgufTokenizer.EOT_ID, GgufTokenizer.EOM_ID)) {
            if (meta.has(key)) {
                stops.add(meta.getInt(key));
            }
        }
        return stops;
    }

    /** Whether the file starts with GGUF's magic. */
    static boolean isGguf(Path file) {
        try (var in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F';
        } catch (IOException e) {
            throw new LlamaException("cannot read " + file + ": " + e.getMessage());
        }
    }
}
