package dev.llama3j.tokenizer;

import dev.llama3j.LlamaException;

import java.util.List;
import java.util.function.IntFunction;

/**
 * Builds a tokenizer from a byte-level BPE vocabulary as model files store it (GGUF, tokenizer.json): base
 * tokens in GPT-2 characters by id (the id is the tiktoken rank), their merges, and special-token names.
 */
final class ByteLevelVocabulary {
    /** The special tokens {@link Tokenizer} looks up by name. */
    private static final List<String> REQUIRED_SPECIALS = List.of("<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>");

    private ByteLevelVocabulary() {}

    /**
     * @param baseTexts the base tokens by id, in GPT-2 characters
     * @param where     names base token {@code id} in the file, for messages
     * @param mergesKey names the merges in the file, for messages
     * @param namesKey  names the special tokens in the file, for messages
     */
    static Tokenizer build(String[] baseTexts, IntFunction<String> where, String[] merges, String mergesKey,
                           List<String> specialNames, String namesKey) {
        byte[][] baseBytes = new byte[baseTexts.length][];
        for (int id = 0; id < baseTexts.length; id++) {
            baseBytes[id] = baseTexts[id] == null ? null : Gpt2Bytes.decode(baseTexts[id]);
            if (baseBytes[id] == null || baseBytes[id].length == 0) {
                throw new LlamaException(where.apply(id) + " '" + shown(baseTexts[id])
                        + "' is not a byte-level token (GPT-2 characters)");
            }
        }
        RankTable ranks;
        try {
            ranks = RankTable.of(baseBytes);
        } catch (RankTable.DuplicateTokenException e) {
            throw new LlamaException(where.apply(e.secondRank) + " '" + shown(baseTexts[e.secondRank])
                    + "' has the same bytes as token " + e.firstRank);
        }
        int missing = ranks.firstMissingByte();
        if (missing >= 0) {
            throw new LlamaException(namesKey + ": no base token for the single byte 0x"
                    + String.format("%02x", missing) + " (every byte must be a token)");
        }
        TiktokenMerges.verify(mergesKey, merges, ranks, baseTexts);
        for (String required : REQUIRED_SPECIALS) {
            if (!specialNames.contains(required)) {
                throw new LlamaException(namesKey + ": no special token " + required + " (a Llama 3 vocabulary has "
                        + String.join(", ", REQUIRED_SPECIALS) + ")");
            }
        }
        return Tokenizer.fromRanks(ranks, SpecialTokenNames.fromFile(namesKey, specialNames));
    }

    static String shown(String s) {
        return s == null ? "null" : SpecialTokenNames.shown(s);
    }
}
