package dev.llama3j.format.hf;

import dev.llama3j.model.ModelConfig;

import java.util.List;

/**
 * What a Hugging Face model directory says besides its weights: the transformer shape (config.json) and
 * what generation needs. generation_config.json, when present, overrides config.json's token ids, as
 * transformers' {@code generate()} does (Llama 3 Instruct lists two end tokens only there).
 *
 * @param tieWordEmbeddings the output projection is the embedding matrix (no {@code lm_head.weight})
 * @param bosTokenId        beginning-of-text token, or null when neither file names one
 * @param eosTokenIds       end tokens (an int or a list in the files); empty when neither file names one
 * @param temperature       generation_config.json's default sampling temperature, or null
 * @param topP              generation_config.json's default nucleus threshold, or null
 */
public record HfModelInfo(ModelConfig config, boolean tieWordEmbeddings, Integer bosTokenId,
                          List<Integer> eosTokenIds, Float temperature, Float topP) {

    public HfModelInfo {
        eosTokenIds = List.copyOf(eosTokenIds);
    }
}
