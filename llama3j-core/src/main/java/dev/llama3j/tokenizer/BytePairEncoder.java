package dev.llama3j.tokenizer;

import java.util.Arrays;

/**
 * tiktoken's byte pair merge: start from single bytes and repeatedly merge the adjacent pair whose
 * concatenation has the lowest rank (the leftmost such pair on ties) until no pair is a token.
 * <p>
 * Short pieces (nearly all of them) use flat arrays and a linear scan for the minimum, which is the
 * fastest shape for a handful of parts. Long pieces use a linked list and a min-heap keyed by
 * (rank, start offset), so a 25,000-byte run costs O(n log n) instead of O(n^2). Both give the same
 * result: the heap's tie-break on the start offset is exactly "leftmost", because a part keeps the
 * start offset of its left half when merged.
 * <p>
 * Holds scratch buffers: one instance per thread (per encode call).
 */
final class BytePairEncoder {
    /** Pieces up to this many bytes use the array scan; longer ones the heap. */
    static final int SMALL_PIECE = 48;

    private final RankTable ranks;
    private int[] starts = new int[64];
    private int[] tokens = new int[64];
    private int[] mergeRanks = new int[64];
    private int[] next = new int[0];
    private int[] prev = new int[0];
    private long[] heap = new long[0];

    BytePairEncoder(RankTable ranks) {
        this.ranks = ranks;
    }

    /** Appends the tokens of {@code piece[0, n)} (n >= 1) to {@code out}. */
    void encode(byte[] piece, int n, IntList out) {
        int whole = ranks.rank(piece, 0, n);
        if (whole != RankTable.NO_RANK) {
            out.add(whole);
        } else if (n <= SMALL_PIECE) {
            mergeByScan(piece, n, out);
        } else {
            mergeByHeap(piece, n, out);
        }
    }

    void mergeByScan(byte[] piece, int n, IntList out) {
        ensureCapacity(n + 1);
        int[] st = starts;
        int[] tok = tokens;
        int[] mr = mergeRanks;
        for (int i = 0; i < n; i++) {
            st[i] = i;
            tok[i] = ranks.byteRank(piece[i]);
        }
        st[n] = n;
        int parts = n;
        for (int i = 0; i < parts - 1; i++) {
            mr[i] = ranks.rank(piece, i, i + 2);
        }
        while (parts > 1) {
            int best = -1;
            int bestRank = RankTable.NO_RANK;
            for (int i = 0; i < parts - 1; i++) {
                if (mr[i] < bestRank) {
                    bestRank = mr[i];
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            tok[best] = bestRank;
            // drop part best+1: shift the parts after it one place left
            int tail = parts - best - 2;
            System.arraycopy(st, best + 2, st, best + 1, tail + 1);
            System.arraycopy(tok, best + 2, tok, best + 1, tail);
            System.arraycopy(mr, best + 2, mr, best + 1, tail > 0 ? tail - 1 : 0);
            parts--;
            mr[best] = best + 1 < parts ? ranks.rank(piece, st[best], st[best + 2]) : RankTable.NO_RANK;
            if (best > 0) {
                mr[best - 1] = ranks.rank(piece, st[best - 1], st[best + 1]);
            }
        }
        for (int i = 0; i < parts; i++) {
            out.add(tok[i]);
        }
    }

    void mergeByHeap(byte[] piece, int n, IntList out) {
        ensureCapacity(n + 1);
        if (next.length < n + 1) {
            next = new int[n + 1];
            prev = new int[n + 1];
            heap = new long[3 * n]; // n - 1 initial entries, then at most 2 pushes per merge
        }
        // part i starts at byte i; next[i] is the start of the following part (n = end)
        int[] tok = tokens;
        int[] mr = mergeRanks;
        for (int i = 0; i < n; i++) {
            tok[i] = ranks.byteRank(piece[i]);
            next[i] = i + 1;
            prev[i] = i - 1;
        }
        int heapSize = 0;
        for (int i = 0; i < n - 1; i++) {
            mr[i] = ranks.rank(piece, i, i + 2);
            if (mr[i] != RankTable.NO_RANK) {
                heapSize = push(heap, heapSize, key(mr[i], i));
            }
        }
        mr[n - 1] = RankTable.NO_RANK;
        while (heapSize > 0) {
            long top = heap[0];
            heapSize = pop(heap, heapSize);
            int at = (int) top;
            int rank = (int) (top >>> 32);
            if (tok[at] < 0 || mr[at] != rank) {
                continue; // stale: the part was merged away or its neighbour changed
            }
            int removed = next[at];
            tok[at] = rank;
            tok[removed] = -1;
            int after = next[removed];
            next[at] = after;
            if (after < n) {
                prev[after] = at;
            }
            mr[at] = after < n ? ranks.rank(piece, at, next[after]) : RankTable.NO_RANK;
            if (mr[at] != RankTable.NO_RANK) {
                heapSize = push(heap, heapSize, key(mr[at], at));
            }
            int before = prev[at];
            if (before >= 0) {
                mr[before] = ranks.rank(piece, before, after);
                if (mr[before] != RankTable.NO_RANK) {
                    heapSize = push(heap, heapSize, key(mr[before], before));
                }
            }
        }
        for (int i = 0; i < n; i = next[i]) {
            out.add(tok[i]);
        }
    }

    private void ensureCapacity(int size) {
        if (starts.length < size) {
            int cap = Math.max(size, starts.length * 2);
            starts = Arrays.copyOf(starts, cap);
            tokens = Arrays.copyOf(tokens, cap);
            mergeRanks = Arrays.copyOf(mergeRanks, cap);
        }
    }

    private static long key(int rank, int start) {
        return ((long) rank << 32) | start;
    }

    private static int push(long[] h, int size, long value) {
        int i = size;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (h[parent] <= value) {
                break;
            }
            h[i] = h[parent];
            i = parent;
        }
        h[i] = value;
        return size + 1;
    }

    private static int pop(long[] h, int size) {
        int last = size - 1;
        long value = h[last];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= last) {
                break;
            }
            if (child + 1 < last && h[child + 1] < h[child]) {
                child++;
            }
            if (h[child] >= value) {
                break;
            }
            h[i] = h[child];
            i = child;
        }
        h[i] = value;
        return last;
    }
}
