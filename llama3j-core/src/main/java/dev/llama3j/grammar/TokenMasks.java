package dev.llama3j.grammar;

import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which tokens of one vocabulary may come next from a {@link GrammarState} (of a JSON Schema or a GBNF grammar):
 * every token whose whole byte string the state accepts. Built once per vocabulary and shared by all grammars and
 * outputs. A mask is computed by walking the vocabulary's byte trie with the state, skipping a subtree at its
 * first rejected byte, and is cached by state (most outputs revisit a few states, such as the inside of a free
 * string). Special tokens (no bytes) are never allowed: the caller allows its end-of-turn tokens when
 * {@link GrammarState#canEnd()}.
 */
public final class TokenMasks {
    /** Masks kept by default: 256 masks of a 128,256-token vocabulary take 4 MiB. */
    public static final int DEFAULT_CACHE_SIZE = 256;

    private final byte[][] tokenBytes;
    private final VocabularyTrie trie;
    /** The tokens that leave a free-text state as it is, and a trie of the others. */
    private final long[] plainText;
    private final VocabularyTrie notPlainText;
    private final Map<GrammarState<?>, long[]> cache;

    /** @param tokenBytes each token's bytes by id; null or empty for special tokens */
    public TokenMasks(byte[][] tokenBytes) {
        this(tokenBytes, DEFAULT_CACHE_SIZE);
    }

    public TokenMasks(byte[][] tokenBytes, int cacheSize) {
        this.tokenBytes = new byte[tokenBytes.length][];
        for (int i = 0; i < tokenBytes.length; i++) {
            this.tokenBytes[i] = tokenBytes[i] == null ? null : tokenBytes[i].clone();
        }
        this.trie = new VocabularyTrie(this.tokenBytes);
        this.plainText = new long[(tokenBytes.length + 63) >>> 6];
        byte[][] others = new byte[tokenBytes.length][];
        for (int i = 0; i < tokenBytes.length; i++) {
            if (isPlainText(this.tokenBytes[i])) {
                plainText[i >>> 6] |= 1L << i;
            } else {
                others[i] = this.tokenBytes[i];
            }
        }
        this.notPlainText = new VocabularyTrie(others);
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<GrammarState<?>, long[]> eldest) {
                return size() > cacheSize;
            }
        };
    }

    public int vocabSize() {
        return tokenBytes.length;
    }

    /** The allowed tokens as a bit set in words ({@code vocabSize()} bits, bit i of word i/64 for token i). */
    public long[] allowed(GrammarState<?> state) {
        long[] words;
        synchronized (cache) {
            words = cache.get(state);
        }
        if (words == null) {
            words = walkUncached(state);
            synchronized (cache) {
                cache.put(state.detached(), words);
            }
        }
        return words.clone();
    }

    /** Clears {@code out} and sets the allowed tokens in it. */
    public void allowed(GrammarState<?> state, BitSet out) {
        out.clear();
        out.or(BitSet.valueOf(allowed(state)));
    }

    /** The state after token {@code tokenId}'s bytes, or null when the token is not allowed from {@code state}. */
    public <S extends GrammarState<S>> S advance(GrammarState<S> state, int tokenId) {
        byte[] bytes = tokenBytes[tokenId];
        return bytes == null || bytes.length == 0 ? null : state.accept(bytes);
    }

    /** The allowed tokens computed afresh, bypassing the cache (for benchmarks and tests). */
    long[] walkUncached(GrammarState<?> state) {
        if (state.isFreeText()) {
            long[] words = plainText.clone();
            walk(notPlainText, state, words);
            return words;
        }
        long[] words = new long[(tokenBytes.length + 63) >>> 6];
        walk(trie, state, words);
        return words;
    }

    /** Whether {@code bytes} are whole UTF-8 characters, none a quote, a backslash or a control character (DEL too). */
    private static boolean isPlainText(byte[] bytes) {
        if (bytes == null || bytes.length == 0) return false;
        int u = 0;
        for (byte x : bytes) {
            int b = x & 0xFF;
            if (u == 0 && b < 0x80) {
                if (b < 0x20 || b == 0x7F || b == '"' || b == '\\') return false;
                continue;
            }
            u = Utf8Step.next(u, b);
            if (u < 0) return false;
            if (!Utf8Step.partial(u)) u = 0;
        }
        return u == 0;
    }

    private static void walk(VocabularyTrie trie, GrammarState<?> state, long[] words) {
        byte[] label = trie.label;
        int[] depth = trie.depth;
        int[] end = trie.end;
        int[] token = trie.token;
        GrammarState<?>[] at = new GrammarState<?>[trie.maxDepth + 1];
        at[0] = state;
        WalkMemo memo = state.costlySteps() ? new WalkMemo() : null;
        int n = label.length;
        int i = 0;
        while (i < n) {
            int d = depth[i];
            // the walked state's own transitions are remembered (the next walk from it reuses them), deeper ones not
            GrammarState<?> next = d == 1 ? at[0].accept(label[i])
                    : memo != null ? memo.step(at[d - 1], label[i]) : at[d - 1].step(label[i]);
            if (next == null) {
                i = end[i];
                continue;
            }
            at[d] = next;
            for (int t = token[i]; t >= 0; t = trie.sameBytes[t]) words[t >>> 6] |= 1L << t;
            i++;
        }
    }

    @Override
    public String toString() {
        return "TokenMasks[" + tokenBytes.length + " tokens, " + trie.size() + " trie nodes]";
    }
}
