package dev.llama3j.grammar;

import java.nio.charset.StandardCharsets;

/**
 * Where a constrained output stands under some grammar: an immutable state that answers, byte by byte, whether the
 * output may go on. {@link #accept(int)} returns the next state without changing this one and remembers it, so
 * that walking a vocabulary from a state computes each transition once. Every state reached can still be
 * completed into a whole output. States compare by value; they are safe to share between threads (a transition
 * computed twice by racing threads is the same value).
 *
 * @param <S> the state type of the grammar
 */
public abstract sealed class GrammarState<S extends GrammarState<S>> permits JsonState, GbnfState {
    private static final Object REJECTED = new Object();

    /** The next state by byte, filled on demand; REJECTED marks a rejected byte. */
    private Object[] next;
    /** 0: not known yet, 1: complete, 2: not complete. */
    private byte complete;

    GrammarState() {}

    /** The state after byte {@code b} (0..255) computed afresh: this state when nothing changes, null if rejected. */
    abstract S compute(int b);

    /** Whether the output so far is whole, so that generation may stop here. */
    public abstract boolean canEnd();

    /**
     * Whether every byte string of whole UTF-8 characters without quote, backslash or control character (DEL
     * included) leaves this state as it is: then {@link TokenMasks} allows those tokens without walking them.
     */
    abstract boolean isFreeText();

    /** An equal state that remembers no transitions, for keeping as a cache key. */
    abstract S detached();

    /** Whether steps cost enough that a vocabulary walk should share the steps of equal states ({@link WalkMemo}). */
    boolean costlySteps() {
        return false;
    }

    /** Whether a character is under way: a walk passes such states through rather than share their steps. */
    boolean midCharacter() {
        return false;
    }

    /** The state after output byte {@code b} (only its low 8 bits count), or null when the byte is not allowed. */
    @SuppressWarnings("unchecked")
    public final S accept(int b) {
        int i = b & 0xFF;
        Object[] memo = next;
        if (memo == null) {
            memo = new Object[256];
            next = memo;
        }
        Object r = memo[i];
        if (r == null) {
            S computed = compute(i);
            r = computed == null ? REJECTED : computed;
            memo[i] = r;
        }
        return r == REJECTED ? null : (S) r;
    }

    /**
     * {@link #accept(int)} without remembering the result (a transition already remembered is reused): for walks
     * over a vocabulary, whose many intermediate states would otherwise each keep a table of their own.
     */
    @SuppressWarnings("unchecked")
    final S step(int b) {
        int i = b & 0xFF;
        Object[] memo = next;
        Object r = memo == null ? null : memo[i];
        if (r == null) return compute(i);
        return r == REJECTED ? null : (S) r;
    }

    /** The state after all of {@code bytes}, or null when one of them is not allowed. */
    @SuppressWarnings("unchecked")
    public final S accept(byte[] bytes) {
        S s = (S) this;
        for (int i = 0; i < bytes.length && s != null; i++) s = s.accept(bytes[i]);
        return s;
    }

    /** The state after the UTF-8 bytes of {@code text}, or null when they are not allowed. */
    public final S accept(String text) {
        return accept(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether the output so far is whole and no byte may follow: generation must stop here. */
    public final boolean isComplete() {
        if (complete == 0) {
            boolean done = canEnd();
            for (int b = 0; b < 256 && done; b++) done = accept(b) == null;
            complete = (byte) (done ? 1 : 2);
        }
        return complete == 1;
    }
}
