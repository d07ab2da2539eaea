package dev.llama3j.model;

import dev.llama3j.LlamaException;

/**
 * The part of a model that rank {@code rank} of {@code ranks} computes, Meta's model parallelism (fairscale's
 * column- and row-parallel layers): its query heads, the KV heads they read, a slice of the FFN's hidden units and a
 * slice of the vocabulary, each an even split ({@code [r*n/N, (r+1)*n/N)}), which for Meta's shard counts is exactly
 * a shard's. wq, wk, wv, w1, w3, the embeddings and the output are cut by rows, wo and w2 by columns; the partial
 * outputs of wo and w2 and the embeddings are summed over the ranks ({@link RankGroup#allReduce}), the logits
 * gathered. Where the query heads of a rank share a KV head with another rank's (more ranks than KV heads), that
 * KV head is computed by both.
 *
 * @param group how this rank reaches the others (null where only the arithmetic is wanted)
 */
public record ModelSplit(int rank, int ranks, ModelConfig config, RankGroup group) {

    public ModelSplit {
        if (ranks < 1 || rank < 0 || rank >= ranks) {
            throw new IllegalArgumentException("rank " + rank + " of " + ranks);
        }
        if (ranks > config.nHeads()) {
            throw new LlamaException("the model has " + config.nHeads() + " attention heads: it cannot be split over "
                    + ranks + " ranks (at most one rank per head)");
        }
    }

    /** Element {@code part}'s start of {@code total} split evenly in {@code ranks}. */
    static int bound(int total, int part, int ranks) {
        return (int) ((long) total * part / ranks);
    }

    public int headFrom() {
        return bound(config.nHeads(), rank, ranks);
    }

    public int headTo() {
        return bound(config.nHeads(), rank + 1, ranks);
    }

    /** Query heads per KV head (Meta's n_rep). */
    int groupSize() {
        return config.nHeads() / config.nKvHeads();
    }

    /** The first KV head this rank's query heads read. */
    public int kvHeadFrom() {
        return headFrom() / groupSize();
    }

    public int kvHeadTo() {
        return (headTo() - 1) / groupSize() + 1;
    }

    public int ffnFrom() {
        return bound(config.ffnDim(), rank, ranks);
    }

    public int ffnTo() {
        return bound(config.ffnDim(), rank + 1, ranks);
    }

    public int vocabFrom() {
        return bound(config.vocabSize(), rank, ranks);
    }

    public int vocabTo() {
        return bound(config.vocabSize(), rank + 1, ranks);
    }

    /** Local KV head {@code kv}'s first query head, local numbering. */
    int firstQuery(int kv) {
        return Math.max(headFrom(), (kvHeadFrom() + kv) * groupSize()) - headFrom();
    }

    /** How many of this rank's query heads read local KV head {@code kv}. */
    int queries(int kv) {
        int end = Math.min(headTo(), (kvHeadFrom() + kv + 1) * groupSize()) - headFrom();
        return end - firstQuery(kv);
    }

    /** Vocabulary rows of every rank, in rank order (the gathered logits' layout). */
    public int[] vocabCounts() {
        int[] counts = new int[ranks];
        for (int r = 0; r < ranks; r++) {
            counts[r] = bound(config.vocabSize(), r + 1, ranks) - bound(config.vocabSize(), r, ranks);
        }
        return counts;
    }
}
