package dev.llama3j.model;

import dev.llama3j.LlamaException;

import java.util.Arrays;

/**
 * One sequence of tokens in a model's KV cache: the tokens it has been given so far, and their keys and values in
 * every layer, position-major ({@code [pos][kvHead][headDim]}) so attention reads consecutive positions in order.
 * {@link Transformer#forward(java.util.List)} appends to it; it can be cut back ({@link #truncate}), copied
 * ({@link #fork}) and closed, which returns its room to the cache's budget. Not thread-safe: one step at a time.
 */
public final class Sequence implements AutoCloseable {
    /** Positions a sequence grows by at least, so that decoding does not copy its cache every step. */
    private static final int MIN_GROWTH = 64;

    private final KVCache cache;
    final float[][] keys;
    final float[][] values;
    private int[] tokens = new int[0];
    private int length;
    private int capacity;
    private boolean closed;

    Sequence(KVCache cache) {
        this.cache = cache;
        this.keys = new float[cache.layers][0];
        this.values = new float[cache.layers][0];
    }

    /** Positions filled: the next token goes at this position. */
    public int length() {
        return length;
    }

    /** The tokens at positions 0 .. length - 1. */
    public int[] tokens() {
        return Arrays.copyOf(tokens, length);
    }

    /** How many leading tokens of {@code prompt} this sequence already holds at the same positions. */
    public int commonPrefix(int[] prompt) {
        int n = Math.min(length, prompt.length);
        int i = 0;
        while (i < n && tokens[i] == prompt[i]) {
            i++;
        }
        return i;
    }

    /** Forgets the positions from {@code newLength} on (llama.cpp's seq_rm of the tail); keeps the room. */
    public void truncate(int newLength) {
        checkOpen();
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a sequence of " + length + " tokens to " + newLength);
        }
        length = newLength;
    }

    /** A new sequence holding a copy of this one's tokens, keys and values. */
    public Sequence fork() {
        checkOpen();
        Sequence s = cache.newSequence();
        try {
            s.ensureCapacity(length);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        int floats = length * cache.kvDim;
        for (int l = 0; l < keys.length; l++) {
            System.arraycopy(keys[l], 0, s.keys[l], 0, floats);
            System.arraycopy(values[l], 0, s.values[l], 0, floats);
        }
        s.tokens = Arrays.copyOf(tokens, Math.max(length, 1));
        s.length = length;
        return s;
    }

    /** Whether {@link #close} has been called. */
    public boolean isClosed() {
        return closed;
    }

    /** Gives this sequence's room back to the cache's budget; the sequence cannot be used after. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            cache.release(capacity, true);
            for (int l = 0; l < keys.length; l++) {
                keys[l] = new float[0];
                values[l] = new float[0];
            }
            capacity = 0;
            length = 0;
        }
    }

    boolean belongsTo(KVCache c) {
        return cache == c;
    }

    void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the sequence has been closed");
        }
    }

    /**
     * Room for {@code positions} positions, taken from the cache's budget now (so that appending up to there cannot
     * fail for want of it).
     *
     * @throws LlamaException when the budget or max_seq_len has no room for them
     */
    public void reserve(int positions) {
        checkOpen();
        ensureCapacity(positions);
    }

    /** Room for {@code positions} positions, taken from the budget (doubling, within the budget and max_seq_len). */
    void ensureCapacity(int positions) {
        if (positions <= capacity) {
            return;
        }
        if (positions > cache.maxSeqLen()) {
            throw new LlamaException("a sequence of " + positions + " tokens does not fit max_seq_len "
                    + cache.maxSeqLen());
        }
        int wanted = Math.min(cache.maxSeqLen(), Math.max(positions, Math.max(2 * capacity, MIN_GROWTH)));
        int granted = cache.reserve(positions - capacity, wanted - capacity);
        int newCapacity = capacity + granted;
        int floats = newCapacity * cache.kvDim;
        for (int l = 0; l < keys.length; l++) {
            keys[l] = Arrays.copyOf(keys[l], floats);
            values[l] = Arrays.copyOf(values[l], floats);
        }
        capacity = newCapacity;
    }

    /** Records {@code added} at positions length .. length + added.length - 1 (their keys and values are written). */
    void appended(int[] added) {
        if (tokens.length < length + added.length) {
            tokens = Arrays.copyOf(tokens, Math.max(length + added.length, 2 * tokens.length));
        }
        System.arraycopy(added, 0, tokens, length, added.length);
        length += added.length;
    }
}
