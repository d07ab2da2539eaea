package dev.llama3j.tokenizer;

import dev.llama3j.LlamaException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The names of the special tokens that follow the base vocabulary. The ids are the same in every Llama 3
 * release; the names of some reserved ids changed when Llama 3.1 gave them a meaning. Meta's code has two
 * fixed lists ({@link #LLAMA_3}, {@link #LLAMA_3_1}); GGUF and tokenizer.json files carry their own list
 * ({@link #fromFile}), whose names are taken as they are.
 */
public final class SpecialTokenNames {
    /** Number of special tokens after the base vocabulary in Meta's releases. */
    public static final int COUNT = 256;

    /** Generation ends at any of these tokens that the vocabulary has (Meta's stop tokens, in id order). */
    private static final List<String> STOP_NAMES = List.of("<|end_of_text|>", "<|eom_id|>", "<|eot_id|>");

    /** meta-llama/llama3 {@code llama/tokenizer.py}: stop on end_of_text or eot_id; no pad token. */
    public static final SpecialTokenNames LLAMA_3 = new SpecialTokenNames("LLAMA_3", llama3Names(), null);
    /**
     * meta-llama/llama-models {@code models/llama3/tokenizer.py} (Llama 3.1 and later): adds
     * finetune_right_pad_id, step_id, eom_id, python_tag and image; also stops on eom_id.
     */
    public static final SpecialTokenNames LLAMA_3_1 =
            new SpecialTokenNames("LLAMA_3_1", llama31Names(), "<|finetune_right_pad_id|>");

    private final String label;
    private final List<String> names;
    private final List<String> stopTokens;
    private final String padToken;

    private SpecialTokenNames(String label, List<String> names, String padToken) {
        this.label = label;
        this.names = List.copyOf(names);
        this.stopTokens = STOP_NAMES.stream().filter(this.names::contains).toList();
        this.padToken = padToken;
    }

    /**
     * The names a model file gives its special tokens, in id order. They must be distinct and non-empty;
     * the stop tokens are Meta's (end_of_text, eom_id, eot_id) where the file has them, the pad token
     * finetune_right_pad_id if present.
     *
     * @param source the file and key, for messages
     */
    public static SpecialTokenNames fromFile(String source, List<String> names) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (name == null || name.isEmpty()) {
                throw new LlamaException(source + ": special token " + i + " has an empty name");
            }
            if (!seen.add(name)) {
                throw new LlamaException(source + ": special token name '" + shown(name) + "' appears twice");
            }
        }
        String pad = "<|finetune_right_pad_id|>";
        if (names.equals(LLAMA_3.names)) {
            return LLAMA_3;
        }
        if (names.equals(LLAMA_3_1.names)) {
            return LLAMA_3_1;
        }
        return new SpecialTokenNames("names from " + source, names, names.contains(pad) ? pad : null);
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

    @Override
    public String toString() {
        return label;
    }

    public static String shown(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
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
        return names;
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
        return names;
    }
}
