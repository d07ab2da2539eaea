package dev.llama3j.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * The names of the 256 special tokens that follow the base vocabulary. The ids are the same in every
 * Llama 3 release; the names of some reserved ids changed when Llama 3.1 gave them a meaning.
 */
public enum SpecialTokenNames {
    /** meta-llama/llama3 {@code llama/tokenizer.py}: stop on end_of_text or eot_id; no pad token. */
    LLAMA_3(llama3Names(), List.of("<|end_of_text|>", "<|eot_id|>"), null),
    /**
     * meta-llama/llama-models {@code models/llama3/tokenizer.py} (Llama 3.1 and later): adds
     * finetune_right_pad_id, step_id, eom_id, python_tag and image; also stops on eom_id.
     */
    LLAMA_3_1(llama31Names(), List.of("<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"), "<|finetune_right_pad_id|>");

    /** Number of special tokens after the base vocabulary. */
    public static final int COUNT = 256;

    private final List<String> names;
    private final List<String> stopTokens;
    private final String padToken;

    SpecialTokenNames(List<String> names, List<String> stopTokens, String padToken) {
        this.names = names;
        this.stopTokens = stopTokens;
        this.padToken = padToken;
    }

    /** The names in id order: element i is token {@code baseVocabSize + i}. */
    public List<String> names() {
        return names;
    }

    List<String> stopTokens() {
        return stopTokens;
    }

    /** The pad token's name, or null where the release has none (Meta then uses pad id -1). */
    String padToken() {
        return padToken;
    }

    private static List<String> llama3Names() {
        List<String> names = new ArrayList<>(List.of(
                "<|begin_of_text|>", "<|end_of_text|>",
                "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
                "<|reserved_special_token_2|>", "<|reserved_special_token_3|>",
                "<|start_header_id|>", "<|end_header_id|>",
                "<|reserved_special_token_4|>", "<|eot_id|>"));
        for (int i = 5; names.size() < COUNT; i++) {
            names.add("<|reserved_special_token_" + i + "|>");
        }
        return List.copyOf(names);
    }

    private static List<String> llama31Names() {
        List<String> names = new ArrayList<>(List.of(
                "<|begin_of_text|>", "<|end_of_text|>",
                "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
                "<|finetune_right_pad_id|>", "<|step_id|>",
                "<|start_header_id|>", "<|end_header_id|>",
                "<|eom_id|>", "<|eot_id|>", "<|python_tag|>", "<|image|>"));
        for (int i = 2; names.size() < COUNT; i++) {
            names.add("<|reserved_special_token_" + i + "|>");
        }
        return List.copyOf(names);
    }
}
