package dev.llama3j.format;

import dev.llama3j.LlamaException;
import dev.llama3j.format.ModelFiles.ModelTokenizer;
import dev.llama3j.format.pth.MetaCheckpointLoader;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.RankGroup;

import java.io.IOException;
import java.nio.file.Files;
import dev.llama3j.tensor.Numerics;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** Meta's checkpoint: a directory with params.json, consolidated.NN.pth and tokenizer.model. */
final class MetaFormat implements ModelFormat {
    @Override
    public ModelFiles.Format id() {
        return ModelFiles.Format.META;
    }

    @Override
    public boolean detect(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve("params.json")) && hasPth(path);
    }

    @Override
    public LlamaWeights loadWeights(Path path, Numerics numerics, RankGroup group) {
        return MetaCheckpointLoader.load(path, group);
    }

    @Override
    public ModelTokenizer loadTokenizer(Path path) {
        return ModelFiles.readTokenizerFile(ModelFiles.firstTokenizerFile(path, List.of("tokenizer.model")));
    }

    /** params.json names none: the tokenizer's own stop. */
    @Override
    public Set<Integer> stopTokens(Path path) {
        return Set.of();
    }

    private static boolean hasPth(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".pth"));
        } catch (IOException e) {
            throw new LlamaException("cannot list " + dir + ": " + e.getMessage());
        }
    }
}
