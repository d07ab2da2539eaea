package dev.llama3j.tokenizer;

import dev.llama3j.LlamaException;

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
     * derives; {@code tokenTexts} are the file's base tokens by rank.
     *
     * @param key the file and key, for messages
     */
    static void verify(String key, String[] merges, RankTable ranks, String[] tokenTexts) {
        int[] expected = derive(ranks);
        int count = expected.length / 2;
        for (int i = 0; i < Math.min(count, merges.length); i++) {
            String left = tokenTexts[expected[2 * i]];
            String right = tokenTexts[expected[2 * i + 1]];
            String m = merges[i];
            boolean same = m != null && m.length() == left.length() + 1 + right.length()
                    && m.startsWith(left) && m.charAt(left.length()) == ' ' && m.endsWith(right);
            if (!same) {
                throw new LlamaException(key + "[" + i + "] is '" + shown(m) + "', expected '" + shown(left + " " + right)
                        + "': llama3j supports only the merges a tiktoken vocabulary gives (each token's splits"
                        + " in rank order), as Llama 3's converters write them");
            }
        }
        if (merges.length != count) {
            throw new LlamaException(key + " has " + merges.length + " merges, expected " + count
                    + " (every split of every token in rank order, as Llama 3's converters write them)");
        }
    }

    private static String shown(String s) {
        return s == null ? "null" : SpecialTokenNames.shown(s);
    }
}
