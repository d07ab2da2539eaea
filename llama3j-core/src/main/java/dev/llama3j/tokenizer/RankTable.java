package dev.llama3j.tokenizer;

import java.util.Arrays;

/**
 * The mergeable ranks of a tiktoken vocabulary: token bytes by rank and rank by token bytes.
 * All token bytes live in one array; lookups hash a slice of the caller's buffer directly, so the
 * BPE inner loop never allocates (no String or byte[] key per lookup).
 */
public final class RankTable {
    public static final int NO_RANK = Integer.MAX_VALUE;

    private final byte[] pool;
    private final int[] offsets;   // rank -> start in pool; offsets[size] = pool.length
    private final int[] slots;     // open addressing: rank + 1, 0 = empty
    private final int[] slotHashes;
    private final int mask;
    /** Rank of each two-byte sequence, indexed by (b0 << 8) | b1: the most frequent lookup in BPE. */
    private final int[] pairRanks = new int[1 << 16];
    private final int[] byteRanks = new int[256];

    /**
     * Builds the table from the token bytes of ranks 0..n-1, all of them in one pool.
     *
     * @throws DuplicateTokenException when two ranks have the same bytes
     */
    public RankTable(byte[] pool, int[] offsets) {
        this.pool = pool;
        this.offsets = offsets;
        int n = offsets.length - 1;
        int capacity = Integer.highestOneBit(Math.max(4, n) * 2 - 1) << 1;
        slots = new int[capacity];
        slotHashes = new int[capacity];
        mask = capacity - 1;
        Arrays.fill(pairRanks, NO_RANK);
        Arrays.fill(byteRanks, NO_RANK);
        for (int rank = 0; rank < n; rank++) {
            int from = offsets[rank];
            int to = offsets[rank + 1];
            int h = hash(pool, from, to);
            int slot = h & mask;
            while (slots[slot] != 0) {
                int other = slots[slot] - 1;
                if (slotHashes[slot] == h && sameBytes(other, pool, from, to)) {
                    throw new DuplicateTokenException(other, rank);
                }
                slot = (slot + 1) & mask;
            }
            slots[slot] = rank + 1;
            slotHashes[slot] = h;
            int len = to - from;
            if (len == 1) {
                byteRanks[pool[from] & 0xFF] = rank;
            } else if (len == 2) {
                pairRanks[((pool[from] & 0xFF) << 8) | (pool[from + 1] & 0xFF)] = rank;
            }
        }
    }

    /** The smallest byte value that is not a token, or -1 when every byte is one (as BPE needs). */
    public int firstMissingByte() {
        for (int b = 0; b < 256; b++) {
            if (byteRanks[b] == NO_RANK) {
                return b;
            }
        }
        return -1;
    }

    /** Thrown by the constructor; the loader turns it into a message naming the file lines. */
    public static final class DuplicateTokenException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        public final int firstRank;
        public final int secondRank;

        DuplicateTokenException(int firstRank, int secondRank) {
            super(null, null, false, false);
            this.firstRank = firstRank;
            this.secondRank = secondRank;
        }
    }

    public int size() {
        return offsets.length - 1;
    }

    /** The rank of a single byte, or {@link #NO_RANK}. */
    int byteRank(int b) {
        return byteRanks[b & 0xFF];
    }

    /** The rank of {@code bytes[from, to)}, or {@link #NO_RANK}. */
    public int rank(byte[] bytes, int from, int to) {
        int len = to - from;
        if (len == 1) {
            return byteRanks[bytes[from] & 0xFF];
        }
        if (len == 2) {
            return pairRanks[((bytes[from] & 0xFF) << 8) | (bytes[from + 1] & 0xFF)];
        }
        int h = hash(bytes, from, to);
        int slot = h & mask;
        int entry;
        while ((entry = slots[slot]) != 0) {
            if (slotHashes[slot] == h && sameBytes(entry - 1, bytes, from, to)) {
                return entry - 1;
            }
            slot = (slot + 1) & mask;
        }
        return NO_RANK;
    }

    byte[] bytes(int rank) {
        return Arrays.copyOfRange(pool, offsets[rank], offsets[rank + 1]);
    }

    /** Appends the bytes of {@code rank} to {@code out} at {@code pos}; returns the new position. */
    public int copyBytes(int rank, byte[] out, int pos) {
        int from = offsets[rank];
        int len = offsets[rank + 1] - from;
        System.arraycopy(pool, from, out, pos, len);
        return pos + len;
    }

    public int length(int rank) {
        return offsets[rank + 1] - offsets[rank];
    }

    private boolean sameBytes(int rank, byte[] bytes, int from, int to) {
        return Arrays.equals(pool, offsets[rank], offsets[rank + 1], bytes, from, to);
    }

    private static int hash(byte[] bytes, int from, int to) {
        int h = 0x811C9DC5 ^ (to - from);
        for (int i = from; i < to; i++) {
            h = (h ^ (bytes[i] & 0xFF)) * 0x01000193;
        }
        // FNV alone leaves the low bits (the slot index) weakly mixed
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        return h;
    }
}
