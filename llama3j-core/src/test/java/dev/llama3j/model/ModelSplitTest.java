package dev.llama3j.model;

import dev.llama3j.LlamaException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The parts of a split model: every query head, hidden unit and vocabulary row computed by exactly one rank, each
 * query head beside the KV head Meta's repeat_kv gives it ({@code h / (n_heads / n_kv_heads)}), and Meta's shards
 * where the counts divide.
 */
class ModelSplitTest {
    private static ModelConfig config(int heads, int kvHeads, int vocab, int ffn) {
        return new ModelConfig(heads * 16, 2, heads, kvHeads, vocab, ffn, 1e-5f, 500000f, null, 8192);
    }

    @Test
    void everyPartIsCoveredOnceAndEachQueryReadsItsOwnKvHead() {
        int[][] shapes = {{4, 2}, {4, 1}, {4, 4}, {32, 8}, {6, 3}, {24, 8}, {8, 1}};
        for (int[] shape : shapes) {
            ModelConfig c = config(shape[0], shape[1], 1001, 224);
            int group = shape[0] / shape[1];
            for (int ranks = 1; ranks <= shape[0]; ranks++) {
                int heads = 0;
                int ffn = 0;
                int vocab = 0;
                for (int r = 0; r < ranks; r++) {
                    ModelSplit s = new ModelSplit(r, ranks, c, null);
                    assertThat(s.headFrom()).isEqualTo(heads);
                    assertThat(s.ffnFrom()).isEqualTo(ffn);
                    assertThat(s.vocabFrom()).isEqualTo(vocab);
                    assertThat(s.headTo()).isGreaterThan(s.headFrom());
                    heads = s.headTo();
                    ffn = s.ffnTo();
                    vocab = s.vocabTo();
                    assertThat(s.vocabCounts()[r]).isEqualTo(s.vocabTo() - s.vocabFrom());
                    int local = s.headTo() - s.headFrom();
                    int[] kvOf = new int[local];
                    java.util.Arrays.fill(kvOf, -1);
                    for (int kv = 0; kv < s.kvHeadTo() - s.kvHeadFrom(); kv++) {
                        assertThat(s.queries(kv)).as("kv head %d of rank %d/%d", kv, r, ranks).isPositive();
                        for (int q = s.firstQuery(kv); q < s.firstQuery(kv) + s.queries(kv); q++) {
                            assertThat(kvOf[q]).as("query %d read twice", q).isEqualTo(-1);
                            kvOf[q] = s.kvHeadFrom() + kv;
                        }
                    }
                    for (int q = 0; q < local; q++) {
                        assertThat(kvOf[q]).as("shape %dx%d, rank %d of %d, head %d", shape[0], shape[1], r, ranks, q)
                                .isEqualTo((s.headFrom() + q) / group);
                    }
                }
                assertThat(heads).isEqualTo(shape[0]);
                assertThat(ffn).isEqualTo(224);
                assertThat(vocab).isEqualTo(1001);
            }
        }
    }

    /** fairscale gives shard r rows {@code [r*n/N, (r+1)*n/N)} of each split tensor: the same parts. */
    @Test
    void dividingCountsGiveMetasShards() {
        ModelConfig c = config(64, 8, 128256, 28672);   // Llama 3 70B's counts
        for (int r = 0; r < 8; r++) {
            ModelSplit s = new ModelSplit(r, 8, c, null);
            assertThat(s.headFrom()).isEqualTo(8 * r);
            assertThat(s.kvHeadFrom()).isEqualTo(r);
            assertThat(s.kvHeadTo()).isEqualTo(r + 1);
            assertThat(s.ffnFrom()).isEqualTo(3584 * r);
            assertThat(s.vocabFrom()).isEqualTo(16032 * r);
        }
    }

    @Test
    void moreRanksThanHeadsIsAnError() {
        assertThatThrownBy(() -> new ModelSplit(0, 5, config(4, 2, 512, 64), null))
                .isInstanceOf(LlamaException.class)
                .hasMessage("the model has 4 attention heads: it cannot be split over 5 ranks (at most one rank per"
                        + " head)");
    }
}
