package dev.llama3j.model;

import dev.llama3j.LlamaException;

/**
 * The part of a model that rank {@code rank} of {@code ranks} computes, Meta's model parallelism (fairscale's
 * column- and row-parallel layers): its query heads, the KV heads they read, a slice of the FFN's hidden units and a
 * slice of the vocabulary, each an even split ({@code [r*n/N, (r+1)*n/N)}), which for Meta's shard counts is exactly
 * a shard's. wq, wk, wv, w1, w3, the embeddings and the output are cut by rows, wo and w2 by columns; the partial
 * outputs of wo and w2 and the embeddings are summed over the ranks ({@link RankGroup#allReduce}), the logits
 * gathered. Where the query heads of a rank share a KV head with another rank's (more ranks than KV heads), that
 * KV head is computed by both. Heads and hidden units are split in units ({@code headUnit}, {@code ffnUnit}) that
 * keep wo's and w2's column ranges on whole quantization blocks where the counts allow (else in ones, and the
 * loaders widen a range that splits a block).
 *
 * @param group how this rank reaches the others (null where only the arithmetic is wanted)
 */
public record ModelSplit(int rank, int ranks, ModelConfig config, RankGroup group, int headUnit, int ffnUnit) {

    public ModelSplit {
        if (ranks < 1 || rank < 0 || rank >= ranks) {
            throw new IllegalArgumentException("rank " + rank + " of " + ranks);
        }
        if (ranks > config.nHeads()) {
            throw new LlamaException("the model has " + config.nHeads() + " attention heads: it cannot be split over "
                    + ranks + " ranks (at most one rank per head)");
        }
        if (headUnit < 1 || config.nHeads() % headUnit != 0 || config.nHeads() / headUnit < ranks) {
            headUnit = 1;
        }
        if (ffnUnit < 1 || config.ffnDim() % ffnUnit != 0 || config.ffnDim() / ffnUnit < ranks) {
            ffnUnit = 1;
        }
    }

    /** A split in single heads and hidden units: Meta's shards where the counts divide. */
    public ModelSplit(int rank, int ranks, ModelConfig config, RankGroup group) {
        this(rank, ranks, config, group, 1, 1);
    }

    /**
     * A split whose wo and w2 column ranges fall on the weights' quantization blocks ({@code woBlock},
     * {@code w2Block} elements) where the counts allow.
     */
    public static ModelSplit onBlocks(RankGroup group, ModelConfig config, int woBlock, int w2Block) {
        int hd = config.headDim();
        int headUnit = woBlock > hd && woBlock % hd == 0 ? woBlock / hd : 1;
        return new ModelSplit(group.rank(), group.ranks(), config, group, headUnit, w2Block);
    }

    /** Element {@code part}'s start of {@code total} split evenly in {@code ranks}. */
    static int bound(int total, int part, int ranks) {
        return (int) ((long) total * part / ranks);
    }

    public int headFrom() {
        return bound(config.nHeads() / headUnit, rank, ranks) * headUnit;
    }

    public int headTo() {
        return bound(config.nHeads() / headUnit, rank + 1, ranks) * headUnit;
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
        return bound(config.ffnDim() / ffnUnit, rank, ranks) * ffnUnit;
    }

    public int ffnTo() {
        return bound(config.ffnDim() / ffnUnit, rank + 1, ranks) * ffnUnit;
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
