package dev.llama3j.grammar;

import dev.llama3j.LlamaException;
import dev.llama3j.generate.TokenConstraint;
import dev.llama3j.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * A {@link Grammar} (a JSON Schema's or a GBNF grammar's) as a sampling constraint: the tokens whose bytes the
 * output's state accepts, and the stop tokens once the output may end there (only those once nothing may follow).
 * Follows one output.
 */
public final class GrammarConstraint implements TokenConstraint {
    private static final Map<Tokenizer, TokenMasks> MASKS = new WeakHashMap<>();

    private final TokenMasks masks;
    private final int[] stopTokens;
    private final float[] stopLogits;
    private GrammarState<?> state;

    /** @param stopTokens the tokens that end the output, allowed where the grammar may end */
    public GrammarConstraint(Grammar grammar, TokenMasks masks, int[] stopTokens) {
        this.masks = masks;
        this.stopTokens = stopTokens.clone();
        this.stopLogits = new float[stopTokens.length];
        this.state = grammar.start();
    }

    /** The masks of {@code tokenizer}'s vocabulary, built on first use and shared while it is in use. */
    public static TokenMasks masks(Tokenizer tokenizer) {
        synchronized (MASKS) {
            return MASKS.computeIfAbsent(tokenizer, GrammarConstraint::build);
        }
    }

    private static TokenMasks build(Tokenizer tokenizer) {
        byte[][] bytes = new byte[tokenizer.vocabSize()][];
        for (int id = 0; id < bytes.length; id++) {
            bytes[id] = tokenizer.isSpecial(id) ? null : tokenizer.tokenBytes(id);
        }
        return new TokenMasks(bytes);
    }

    @Override
    public void restrict(float[] logits, int off, int vocab) {
        boolean end = state.canEnd();
        for (int i = 0; i < stopTokens.length; i++) {
            stopLogits[i] = stopTokens[i] < vocab ? logits[off + stopTokens[i]] : 0f;
        }
        long[] allowed;
        try {
            allowed = state.isComplete() ? new long[0] : masks.allowed(state);
        } catch (GbnfException e) {
            // an ambiguous grammar past its bounds: the output cannot go on
            throw new LlamaException(e.getMessage());
        }
        for (int w = 0; w * 64 < vocab; w++) {
            long bits = w < allowed.length ? allowed[w] : 0L;
            int from = w * 64;
            int to = Math.min(vocab, from + 64);
            if (bits == 0L) {
                Arrays.fill(logits, off + from, off + to, Float.NEGATIVE_INFINITY);
            } else if (bits != -1L || to - from < 64) {
                for (int i = from; i < to; i++) {
                    if ((bits >>> (i & 63) & 1L) == 0) {
                        logits[off + i] = Float.NEGATIVE_INFINITY;
                    }
                }
            }
        }
        boolean any = false;
        if (end) {
            for (int i = 0; i < stopTokens.length; i++) {
                if (stopTokens[i] < vocab) {
                    logits[off + stopTokens[i]] = stopLogits[i];
                    any = true;
                }
            }
        }
        for (int w = 0; w < allowed.length && !any; w++) {
            any = allowed[w] != 0;
        }
        if (!any) {
            throw new LlamaException("no token of the vocabulary continues the constrained output here (the model's "
                    + "vocabulary lacks the bytes the grammar needs, or it has no stop token)");
        }
    }

    @Override
    public void accept(int token) {
        GrammarState<?> next;
        try {
            next = masks.advance(state, token);
        } catch (GbnfException e) {
            throw new LlamaException(e.getMessage());
        }
        if (next == null) {
            throw new IllegalStateException("token " + token + " does not continue the constrained output");
        }
        state = next;
    }

    /** Whether the output so far may end here. */
    public boolean canEnd() {
        return state.canEnd();
    }
}
