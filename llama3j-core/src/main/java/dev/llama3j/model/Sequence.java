package dev.llama3j.model;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.kernel.ScratchFloats;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One sequence of tokens in a model's KV cache: the tokens it has been given so far, and their keys and values in
 * every layer, off the Java heap in the cache's element types ({@link CacheType}). A layer's keys lie head-major
 * ({@code [kvHead][position][headDim]}), so that one head's positions are consecutive: attention reads them in
 * order, and a quantized type unpacks them in one run. {@link Transformer#forward(java.util.List)} appends to it; it
 * can be cut back ({@link #truncate}), copied ({@link #fork}) and closed, which frees its memory and returns its
 * room to the cache's budget. Not thread-safe: one step at a time.
 */
public final class Sequence implements AutoCloseable {
    /** Positions a sequence grows by at least, so that decoding does not copy its cache every step. */
    private static final int MIN_GROWTH = 64;

    private final KVCache cache;
    private final MemorySegment[] keys;
    private final MemorySegment[] values;
    /** One arena per layer, holding that layer's keys and values: a layer's memory is freed as soon as it moved. */
    private final Arena[] arenas;
    /** Positions each layer has room for: {@link #capacity}, or more in layers that grew before a failed growth. */
    private final int[] layerCapacity;
    private int[] tokens = new int[0];
    private int length;
    private int capacity;
    private boolean closed;
    /** This sequence's number in its cache (the same on every rank of a split model) */
    private final long id;

    Sequence(KVCache cache, long id) {
        this.cache = cache;
        this.id = id;
        this.keys = new MemorySegment[cache.layers];
        this.values = new MemorySegment[cache.layers];
        this.arenas = new Arena[cache.layers];
        this.layerCapacity = new int[cache.layers];
        Arrays.fill(keys, MemorySegment.NULL);
        Arrays.fill(values, MemorySegment.NULL);
    }

    /** This sequence's number among its cache's sequences, in the order they were made. */
    public long id() {
        return id;
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
        for (int l = 0; l < keys.length; l++) {
            copyHeads(keys[l], layerCapacity[l], s.keys[l], s.layerCapacity[l], cache.keyType);
            copyHeads(values[l], layerCapacity[l], s.values[l], s.layerCapacity[l], cache.valueType);
        }
        s.tokens = Arrays.copyOf(tokens, Math.max(length, 1));
        s.length = length;
        RankGroup group = cache.group();
        if (group != null) {
            group.forked(cache.owner(), this, s);
        }
        return s;
    }

    /** Whether {@link #close} has been called. */
    public boolean isClosed() {
        return closed;
    }

    /** Frees this sequence's memory and gives its room back to the cache's budget; it cannot be used after. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            RankGroup group = cache.group();
            if (group != null) {
                group.closed(cache.owner(), this);
            }
            cache.release(capacity, true);
            for (int l = 0; l < keys.length; l++) {
                if (arenas[l] != null) {
                    arenas[l].close();
                    arenas[l] = null;
                }
                keys[l] = MemorySegment.NULL;
                values[l] = MemorySegment.NULL;
                layerCapacity[l] = 0;
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
        RankGroup group = cache.group();
        if (group != null) {
            group.reserved(cache.owner(), this, positions);
        }
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
        long elements = (long) newCapacity * cache.kvDim;
        try {
            for (int l = 0; l < keys.length; l++) {
                if (layerCapacity[l] >= newCapacity) {
                    continue;
                }
                Arena arena = Arena.ofShared();
                MemorySegment k, v;
                try {
                    k = arena.allocate(cache.keyType.bytes(elements), 64);
                    v = arena.allocate(cache.valueType.bytes(elements), 64);
                } catch (OutOfMemoryError e) {
                    arena.close();
                    throw new LlamaException("cannot allocate the KV cache of a " + newCapacity + "-position sequence ("
                            + e.getMessage() + "): lower the context size or choose a smaller cache type");
                }
                copyHeads(keys[l], layerCapacity[l], k, newCapacity, cache.keyType);
                copyHeads(values[l], layerCapacity[l], v, newCapacity, cache.valueType);
                if (arenas[l] != null) {
                    arenas[l].close();
                }
                arenas[l] = arena;
                keys[l] = k;
                values[l] = v;
                layerCapacity[l] = newCapacity;
            }
        } catch (LlamaException e) {
            cache.release(granted, false);
            throw e;
        }
        capacity = newCapacity;
    }

    /** Copies each head's first {@link #length} positions from a layer of capacity {@code fromCap} to one of toCap. */
    private void copyHeads(MemorySegment from, int fromCap, MemorySegment to, int toCap, CacheType type) {
        if (length == 0) {
            return;
        }
        int hd = cache.headDim;
        for (int h = 0; h < cache.kvHeads; h++) {
            MemorySegment.copy(from, type.bytes((long) h * fromCap * hd), to, type.bytes((long) h * toCap * hd),
                    type.bytes((long) length * hd));
        }
    }

    /**
     * Writes the key and value of position {@code pos} of a layer: {@code kvDim} floats each from
     * {@code k[kOff ..]} and {@code v[vOff ..]}, head by head.
     */
    void store(int layer, int pos, float[] k, int kOff, float[] v, int vOff) {
        int hd = cache.headDim;
        byte[] tmp = cache.rowScratch();
        for (int h = 0; h < cache.kvHeads; h++) {
            long at = (long) h * layerCapacity[layer] + pos;
            cache.keyType.store(k, kOff + h * hd, hd, keys[layer], cache.keyType.bytes(at * hd), tmp);
            cache.valueType.store(v, vOff + h * hd, hd, values[layer], cache.valueType.bytes(at * hd), tmp);
        }
    }

    /** A layer's keys as stored; with float32 keys, head h's start at float {@link #headOffset}. */
    MemorySegment keyLayer(int layer) {
        return keys[layer];
    }

    /** A layer's values as stored; with float32 values, head h's start at float {@link #headOffset}. */
    MemorySegment valueLayer(int layer) {
        return values[layer];
    }

    /** Where head {@code h}'s positions begin in a layer, in elements. */
    long headOffset(int layer, int h) {
        return (long) h * layerCapacity[layer] * cache.headDim;
    }

    /** Head {@code h}'s keys at positions [0, len) of a layer as floats, {@code headDim} per position. */
    MemorySegment keys(int layer, int h, int len, ScratchFloats scratch) {
        return head(keys[layer], layerCapacity[layer], cache.keyType, h, len, scratch);
    }

    /** Head {@code h}'s values at positions [0, len) of a layer as floats, {@code headDim} per position. */
    MemorySegment values(int layer, int h, int len, ScratchFloats scratch) {
        return head(values[layer], layerCapacity[layer], cache.valueType, h, len, scratch);
    }

    /** The cache's own memory for float32; another type unpacked into this thread's {@code scratch}. */
    private MemorySegment head(MemorySegment layer, int layerCap, CacheType type, int h, int len,
                               ScratchFloats scratch) {
        int hd = cache.headDim;
        int n = len * hd;
        long at = type.bytes((long) h * layerCap * hd);
        if (type == CacheType.F32) {
            return layer.asSlice(at, 4L * n);
        }
        float[] floats = scratch.get(n);
        type.load(layer, at, n, floats);
        return MemorySegment.ofArray(floats);
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
