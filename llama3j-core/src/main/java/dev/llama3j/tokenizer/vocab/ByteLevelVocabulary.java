package dev.llama3j.tokenizer.vocab;

import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.RankTable;
import dev.llama3j.tokenizer.SpecialTokenNames;
import dev.llama3j.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
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
     * @param baseTexts the base tokens by id, in GPT-2 characters (an element may be null: a gap in the file)
     * @param where     names base token {@code id} in the file, for messages
     * @param mergesKey names the merges in the file, for messages
     * @param namesKey  names the special tokens in the file, for messages
     */
    static Tokenizer build(String[] baseTexts, IntFunction<String> where, String[] merges, String mergesKey,
                           List<String> specialNames, String namesKey) {
        for (int id = 0; id < baseTexts.length; id++) {
            if (baseTexts[id] == null) {
                throw notByteLevel(where, id, "null");
            }
        }
        for (int i = 0; i < merges.length; i++) {
            if (merges[i] == null) {
                throw new LlamaException(mergesKey + "[" + i + "] is null, expected \"left right\"");
            }
        }
        return build(Utf8Strings.of(baseTexts), baseTexts.length, where, Utf8Strings.of(merges), mergesKey,
                specialNames, namesKey);
    }

    /**
     * @param texts     the tokens by id as the file stores them: base tokens in GPT-2 characters first
     * @param baseCount how many of {@code texts} are base tokens (any after them are not read)
     */
    static Tokenizer build(Utf8Strings texts, int baseCount, IntFunction<String> where, Utf8Strings merges,
                           String mergesKey, List<String> specialNames, String namesKey) {
        // Recognizing Meta's vocabulary (two digests) and decoding the tokens take about as long each in a cold
        // JVM; the digests run on a second thread (a start-up has a core to spare)
        FutureTask<Boolean> recognized = new FutureTask<>(() -> TiktokenMerges.isMetaVocabulary(texts, baseCount, merges));
        Thread.ofPlatform().daemon().name("llama3j-vocabulary-digest").start(recognized);
        RankTable ranks;
        try {
            ranks = decode(texts, baseCount, where);
        } catch (RankTable.DuplicateTokenException e) {
            throw new LlamaException(where.apply(e.secondRank) + " '" + shown(texts.get(e.secondRank))
                    + "' has the same bytes as token " + e.firstRank);
        }
        int missing = ranks.firstMissingByte();
        if (missing >= 0) {
            throw new LlamaException(namesKey + ": no base token for the single byte 0x"
                    + String.format("%02x", missing) + " (every byte must be a token)");
        }
        TiktokenMerges.verify(mergesKey, merges, ranks, texts, isTrue(recognized));
        for (String required : REQUIRED_SPECIALS) {
            if (!specialNames.contains(required)) {
                throw new LlamaException(namesKey + ": no special token " + required + " (a Llama 3 vocabulary has "
                        + String.join(", ", REQUIRED_SPECIALS) + ")");
            }
        }
        return Tokenizer.fromRanks(ranks, SpecialTokenNames.fromFile(namesKey, specialNames));
    }

    /** The rank table of the base tokens, decoded from their UTF-8 straight into one byte pool. */
    private static RankTable decode(Utf8Strings texts, int baseCount, IntFunction<String> where) {
        byte[] utf8 = texts.data();
        // a GPT-2 character is one or two UTF-8 bytes and stands for one byte: the UTF-8 size bounds the pool
        byte[] pool = new byte[baseCount == 0 ? 0 : texts.end(baseCount - 1) - texts.start(0)];
        int[] offsets = new int[baseCount + 1];
        int at = 0;
        for (int id = 0; id < baseCount; id++) {
            int start = texts.start(id);
            int end = texts.end(id);
            int next = Gpt2Bytes.decodeUtf8(utf8, start, end, pool, at);
            if (next <= at) {
                throw notByteLevel(where, id, shown(texts.get(id)));
            }
            offsets[id] = at;
            at = next;
        }
        offsets[baseCount] = at;
        return new RankTable(Arrays.copyOf(pool, at), offsets);
    }

    /** The task's result; false (check the long way) if waiting for it was interrupted. */
    private static boolean isTrue(FutureTask<Boolean> task) {
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    private static LlamaException notByteLevel(IntFunction<String> where, int id, String shownText) {
        return new LlamaException(where.apply(id) + " '" + shownText + "' is not a byte-level token (GPT-2 characters)");
    }

    static String shown(String s) {
        return s == null ? "null" : SpecialTokenNames.shown(s);
    }
}
