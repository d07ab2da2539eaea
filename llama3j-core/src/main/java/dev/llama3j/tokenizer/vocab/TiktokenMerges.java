package dev.llama3j.tokenizer.vocab;

import dev.llama3j.LlamaException;
import dev.llama3j.tokenizer.RankTable;
import dev.llama3j.tokenizer.SpecialTokenNames;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The BPE merge list of a tiktoken vocabulary, as Hugging Face's tiktoken conversion writes it into
 * tokenizer.json (and llama.cpp copies it into GGUF): for each multi-byte token in rank order, every split
 * into two tokens (left, right), ordered by the left part's rank. For Llama 3 that is 280,147 merges.
 * <p>
 * Why this list and rank-based BPE agree: a merge's position orders first by the rank of the token it
 * makes, so "lowest merge index" picks the same pair as tiktoken's "lowest rank of the concatenation", and
 * every adjacent pair tiktoken could merge is listed. llama3j therefore encodes with the ranks and only
 * checks that a file's merges are exactly this list; any other list could tokenize differently.
 */
final class TiktokenMerges {
    /** Meta's Llama 3 vocabulary: base tokens, merges, and the SHA-256 of each list (see {@link #verify}). */
    static final int META_BASE_TOKENS = 128_000;
    static final int META_MERGES = 280_147;
    static final byte[] META_TOKENS_SHA256 = HexFormat.of().parseHex(
            "6f6eeae2668f11ca736b5c1e8a207ec72545f735a3cf8f815ac917e5df14a2b0");
    static final byte[] META_MERGES_SHA256 = HexFormat.of().parseHex(
            "44546c8009a5993ff850e2288dbd2b0213643cd224445cd9c8c6bf452112d669");

    private TiktokenMerges() {}

    /** The merges as (left rank, right rank) pairs, flattened: element 2i is merge i's left part. */
    static int[] derive(RankTable ranks) {
        int n = ranks.size();
        int[] out = new int[1024];
        int count = 0;
        byte[] token = new byte[64];
        int[] lefts = new int[64];
        int[] rights = new int[64];
        for (int rank = 0; rank < n; rank++) {
            int len = ranks.length(rank);
            if (len < 2) {
                continue;
            }
            if (token.length < len) {
                token = new byte[2 * len];
                lefts = new int[2 * len];
                rights = new int[2 * len];
            }
            ranks.copyBytes(rank, token, 0);
            int splits = 0;
            for (int cut = 1; cut < len; cut++) {
                int left = ranks.rank(token, 0, cut);
                int right = left == RankTable.NO_RANK ? RankTable.NO_RANK : ranks.rank(token, cut, len);
                if (right == RankTable.NO_RANK) {
                    continue;
                }
                // insertion sort by the left part's rank (splits are few; lefts differ as they differ in length)
                int at = splits++;
                while (at > 0 && lefts[at - 1] > left) {
                    lefts[at] = lefts[at - 1];
                    rights[at] = rights[at - 1];
                    at--;
                }
                lefts[at] = left;
                rights[at] = right;
            }
            if (out.length < 2 * (count + splits)) {
                out = java.util.Arrays.copyOf(out, Math.max(2 * out.length, 2 * (count + splits)));
            }
            for (int i = 0; i < splits; i++) {
                out[2 * count] = lefts[i];
                out[2 * count + 1] = rights[i];
                count++;
            }
        }
        return java.util.Arrays.copyOf(out, 2 * count);
    }

    /** The merges as GGUF / tokenizer.json write them: "left right" in GPT-2 characters. */
    static String[] asText(int[] pairs, String[] tokenTexts) {
        String[] out = new String[pairs.length / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = tokenTexts[pairs[2 * i]] + " " + tokenTexts[pairs[2 * i + 1]];
        }
        return out;
    }

    /**
     * Checks that a file's merges ("left right" in GPT-2 characters) are exactly those its vocabulary
     * derives; {@code tokenTexts} are the file's tokens by id, the base tokens (ranks) first.
     * <p>
     * Meta's vocabulary (every Llama 3 release has the same one) is recognized by the SHA-256 of its base
     * token texts; if the merges then have the SHA-256 of the merges it derives, they are those merges and
     * deriving them again is skipped (a noticeable part of a cold start). Any other vocabulary or merge list is
     * derived and compared merge by merge.
     *
     * @param key        the file and key, for messages
     * @param recognized whether {@link #isMetaVocabulary} holds, computed by the caller (on another thread)
     */
    static void verify(String key, Utf8Strings merges, RankTable ranks, Utf8Strings tokenTexts, boolean recognized) {
        if (!recognized) {
            verifyDerived(key, merges, ranks, tokenTexts);
        }
    }

    /**
     * Whether the first {@code baseCount} token texts are Meta's Llama 3 base vocabulary and the merges
     * exactly the ones it derives. The two digests are slow in a cold JVM (SHA-256 runs interpreted until C2
     * compiles it), so the loader runs this beside decoding the tokens.
     */
    static boolean isMetaVocabulary(Utf8Strings tokenTexts, int baseCount, Utf8Strings merges) {
        return baseCount == META_BASE_TOKENS && merges.size() == META_MERGES
                && Arrays.equals(tokenTexts.sha256(0, META_BASE_TOKENS), META_TOKENS_SHA256)
                && Arrays.equals(merges.sha256(0, META_MERGES), META_MERGES_SHA256);
    }

    /** {@link #verify} without the shortcut: derives the merges and compares them one by one. */
    static void verifyDerived(String key, Utf8Strings merges, RankTable ranks, Utf8Strings tokenTexts) {
        int[] expected = derive(ranks);
        int count = expected.length / 2;
        byte[] m = merges.data();
        byte[] t = tokenTexts.data();
        for (int i = 0; i < Math.min(count, merges.size()); i++) {
            int left = expected[2 * i];
            int right = expected[2 * i + 1];
            int leftLen = tokenTexts.end(left) - tokenTexts.start(left);
            int at = merges.start(i);
            boolean same = merges.end(i) - at == leftLen + 1 + tokenTexts.end(right) - tokenTexts.start(right)
                    && Arrays.equals(m, at, at + leftLen, t, tokenTexts.start(left), tokenTexts.end(left))
                    && m[at + leftLen] == ' '
                    && Arrays.equals(m, at + leftLen + 1, merges.end(i), t, tokenTexts.start(right), tokenTexts.end(right));
            if (!same) {
                throw new LlamaException(key + "[" + i + "] is '" + shown(merges.get(i)) + "', expected '"
                        + shown(tokenTexts.get(left) + " " + tokenTexts.get(right))
                        + "': llama3j supports only the merges a tiktoken vocabulary gives (each token's splits"
                        + " in rank order), as Llama 3's converters write them");
            }
        }
        if (merges.size() != count) {
            throw new LlamaException(key + " has " + merges.size() + " merges, expected " + count
                    + " (every split of every token in rank order, as Llama 3's converters write them)");
        }
    }

    private static String shown(String s) {
        return s == null ? "null" : SpecialTokenNames.shown(s);
    }
}
