package dev.llama3j.format;

import dev.llama3j.format.ModelFiles.ModelTokenizer;
import dev.llama3j.format.hf.HfModelLoader;
import dev.llama3j.model.LlamaWeights;
import dev.llama3j.model.RankGroup;
import dev.llama3j.tokenizer.vocab.HfTokenizerJson;

import java.nio.file.Files;
import dev.llama3j.tensor.Numerics;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** A Hugging Face directory: config.json, safetensors, and tokenizer.json or Meta's tokenizer.model. */
final class HfFormat implements ModelFormat {
    @Override
    public ModelFiles.Format id() {
        return ModelFiles.Format.HF;
    }

    @Override
    public boolean detect(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve("config.json"));
    }

    @Override
    public LlamaWeights loadWeights(Path path, Numerics numerics, RankGroup group) {
        return HfModelLoader.load(path, group);
    }

    /** tokenizer.json, else original/tokenizer.model, else tokenizer.model. */
    @Override
    public ModelTokenizer loadTokenizer(Path path) {
        return ModelFiles.readTokenizerFile(ModelFiles.firstTokenizerFile(path,
                List.of(HfTokenizerJson.FILE_NAME, "original/tokenizer.model", "tokenizer.model")));
    }

    /** config.json's eos_token_id (one id or a list). */
    @Override
    public Set<Integer> stopTokens(Path path) {
        return new LinkedHashSet<>(HfModelLoader.readInfo(path).eosTokenIds());
    }
}
