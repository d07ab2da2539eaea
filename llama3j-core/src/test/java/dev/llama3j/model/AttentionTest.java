package dev.llama3j.model;

import dev.llama3j.tensor.RandomWeights;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class AttentionTest {

    @Test
    void dot4KeysIsBitIdenticalToFourDots() {
        Random rnd = new Random(3);
        for (int n : new int[] {1, 3, 8, 16, 64, 67, 128}) {
            int stride = n + 5;
            float[] q = RandomWeights.gaussian(n + 2, rnd);
            java.lang.foreign.MemorySegment keys = offHeap(RandomWeights.gaussian(1 + 4 * stride, rnd));
            float[] out = new float[6];
            Attention.dot4Keys(q, 2, keys, 1, stride, n, out, 1);
            for (int j = 0; j < 4; j++) {
                assertThat(out[1 + j]).as("n %d key %d", n, j).isEqualTo(Attention.dot(q, 2, keys, 1 + j * stride, n));
            }
        }
    }

    /** Against softmax(q.k / scale) . v written out in double, for head sizes with and without a vector tail. */
    @Test
    void headMatchesAPlainSoftmaxWeightedSum() {
        Random rnd = new Random(11);
        int kvHeads = 2;
        for (int hd : new int[] {8, 12, 64, 128}) {
            int kvDim = kvHeads * hd;
            for (int len : new int[] {1, 3, 4, 6, 17, 19, 64}) {
                float[] q = RandomWeights.gaussian(2 + hd, rnd);
                float[] keys = RandomWeights.gaussian(len * kvDim, rnd);
                float[] values = RandomWeights.gaussian(len * kvDim, rnd);
                float scale = (float) Math.sqrt(hd);
                float[] out = new float[1 + hd];
                Attention.head(q, 2, offHeap(keys), offHeap(values), hd, kvDim, hd, len, scale, new float[len], out, 1);

                double[] expected = plainAttention(q, 2, keys, values, hd, kvDim, hd, len, scale);
                for (int i = 0; i < hd; i++) {
                    assertThat((double) out[1 + i]).as("hd %d, %d positions, element %d", hd, len, i)
                            .isCloseTo(expected[i], within(1e-5));
                }
            }
        }
    }

    /**
     * The grouped path must give exactly the bits of one head() per head, for every group size and head size: by
     * construction, each score is dot()'s sum in dot()'s order, the softmax is shared and {@link
     * dev.llama3j.tensor.Exp} gives the same bits in every lane and in scalar code, compiled or not.
     */
    @Test
    void groupIsBitIdenticalToOneHeadAtATime() {
        Random rnd = new Random(12);
        for (int hd : new int[] {8, 12, 16, 64, 128}) {
            for (int heads : new int[] {1, 3, 4, 5, 8}) {
                int kvHeads = 2;
                int kvDim = kvHeads * hd;
                for (int len : new int[] {1, 3, 4, 6, 17, 19, 64}) {
                    float[] q = RandomWeights.gaussian(3 + heads * hd, rnd);
                    float[] keys = RandomWeights.gaussian(len * kvDim, rnd);
                    float[] values = RandomWeights.gaussian(len * kvDim, rnd);
                    float scale = (float) Math.sqrt(hd);
                    float[] grouped = new float[2 + heads * hd];
                    Attention.group(q, 3, heads, offHeap(keys), offHeap(values), hd, kvDim, hd, len, scale, new float[heads * len],
                            grouped, 2);
                    assertThat(grouped).as("hd %d, %d heads, %d positions", hd, heads, len)
                            .containsExactly(oneHeadAtATime(q, heads, keys, values, kvDim, hd, len, scale));
                }
            }
        }
    }

    private static float[] oneHeadAtATime(float[] q, int heads, float[] keys, float[] values, int kvDim, int hd,
                                          int len, float scale) {
        float[] out = new float[2 + heads * hd];
        for (int g = 0; g < heads; g++) {
            Attention.head(q, 3 + g * hd, offHeap(keys), offHeap(values), hd, kvDim, hd, len, scale, new float[len], out, 2 + g * hd);
        }
        return out;
    }

    /**
     * A prompt block (several tokens, their heads scored together) against softmax(q.k / scale) . v written out in
     * double, each token over its own causal range: a later position leaking into an earlier token, a padding lane
     * or a head mixed up would be off by far more than the float roundings; nothing else of the output is written.
     */
    @Test
    void blockMatchesAPlainCausalSoftmaxWeightedSumPerTokenAndHead() {
        Random rnd = new Random(13);
        int kvHeads = 2;
        for (int hd : new int[] {16, 64, 128}) {
            if (Attention.blockTokens(1, hd) == 0) {
                continue;   // a vector wider than this head size
            }
            int kvDim = kvHeads * hd;
            for (int heads : new int[] {1, 3, 4, 8}) {
                int stride = 5 + kvHeads * heads * hd;  // one token's query vector, with room around the group
                int most = Attention.blockTokens(heads, hd);
                for (int tokens = 1; tokens <= most; tokens = tokens < 4 || tokens == most ? tokens + 1
                        : Math.min(tokens + 3, most)) {
                    for (int pos0 : new int[] {0, 1, 5, 30}) {
                        int len = pos0 + tokens;
                        float[] q = RandomWeights.gaussian(3 + tokens * stride, rnd);
                        // exactly len positions, the second KV head last: a read past position len - 1 fails
                        float[] keys = RandomWeights.gaussian(len * kvDim, rnd);
                        float[] values = RandomWeights.gaussian(len * kvDim, rnd);
                        float scale = (float) Math.sqrt(hd);
                        float[] out = new float[3 + tokens * stride];
                        Arrays.fill(out, Float.NaN);
                        int qOff = 3 + hd;  // a group that starts off any vector boundary
                        Attention.block(q, qOff, stride, tokens, heads, offHeap(keys), offHeap(values), hd, kvDim, hd, pos0, scale, out,
                                qOff);
                        for (int i = 0; i < tokens; i++) {
                            for (int g = 0; g < heads; g++) {
                                int at = qOff + i * stride + g * hd;
                                double[] expected = plainAttention(q, at, keys, values, hd, kvDim, hd, pos0 + i + 1,
                                        scale);
                                for (int e = 0; e < hd; e++) {
                                    assertThat((double) out[at + e]).as("hd %d, %d heads, %d tokens from %d: token %d"
                                            + " head %d element %d", hd, heads, tokens, pos0, i, g, e)
                                            .isCloseTo(expected[e], within(1e-5));
                                    out[at + e] = Float.NaN;
                                }
                            }
                        }
                        for (int o = 0; o < out.length; o++) {
                            assertThat(out[o]).as("element %d outside the block's outputs", o).isNaN();
                        }
                    }
                }
            }
        }
    }

    /** softmax(q.k / scale) . v over positions 0 .. len - 1, in double. */
    private static double[] plainAttention(float[] q, int qOff, float[] keys, float[] values, int kvOff, int kvDim,
                                           int hd, int len, float scale) {
        double[] weights = new double[len];
        double max = Double.NEGATIVE_INFINITY;
        for (int p = 0; p < len; p++) {
            double dot = 0;
            for (int i = 0; i < hd; i++) {
                dot += (double) q[qOff + i] * keys[p * kvDim + kvOff + i];
            }
            weights[p] = dot / scale;
            max = Math.max(max, weights[p]);
        }
        double sum = 0;
        for (int p = 0; p < len; p++) {
            weights[p] = Math.exp(weights[p] - max);
            sum += weights[p];
        }
        double[] out = new double[hd];
        for (int i = 0; i < hd; i++) {
            for (int p = 0; p < len; p++) {
                out[i] += weights[p] / sum * values[p * kvDim + kvOff + i];
            }
        }
        return out;
    }

    /** {@code floats} in native memory, as a sequence's KV cache holds them. */
    private static java.lang.foreign.MemorySegment offHeap(float[] floats) {
        return java.lang.foreign.Arena.ofAuto().allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, floats);
    }
}
