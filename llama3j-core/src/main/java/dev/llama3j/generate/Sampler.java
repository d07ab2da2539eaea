package dev.llama3j.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Next-token choice as Meta's {@code generation.py}: greedy argmax at temperature 0, otherwise
 * softmax(logits / T) then nucleus sampling ({@code sample_top_p}) with a seeded generator.
 */
public final class Sampler {
    private final SplittableRandom random;

    public Sampler(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** The token for one row of logits ({@code logits[off .. off+vocab)}). */
    public int sample(float[] logits, int off, int vocab, float temperature, float topP) {
        if (temperature <= 0f) {
            return argmax(logits, off, vocab);
        }
        Nucleus nucleus = nucleus(logits, off, vocab, temperature, topP);
        double u = random.nextDouble() * nucleus.total;
        double acc = 0;
        for (int i = 0; i < nucleus.size; i++) {
            acc += nucleus.probs[i];
            if (u < acc) {
                return nucleus.ids[i];
            }
        }
        return nucleus.ids[nucleus.size - 1];
    }

    /** Index of the largest value; the first one on ties, like {@code torch.argmax}. */
    public static int argmax(float[] v, int off, int n) {
        int best = 0;
        float max = v[off];
        for (int i = 1; i < n; i++) {
            if (v[off + i] > max) {
                max = v[off + i];
                best = i;
            }
        }
        return best;
    }

    /** The index of the first NaN or infinite value of {@code v[off .. off+n)}, or -1 when all are finite. */
    public static int firstNonFinite(float[] v, int off, int n) {
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(v[off + i])) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The tokens {@code sample_top_p} may draw, most probable first, with their (unnormalized) probabilities.
     *
     * @param ids   token ids in descending probability order, {@code size} of them kept
     * @param total sum of the kept probabilities (the renormalizer)
     */
    public record Nucleus(int[] ids, float[] probs, int size, double total) {
        public int[] keptIds() {
            return Arrays.copyOf(ids, size);
        }
    }

    /**
     * softmax(logits / T) in float32, sorted descending; a token is kept while the cumulative probability of the tokens
     * before it is {@code <= topP} ({@code probs_sum - probs_sort > p} masks the rest). PyTorch's CPU cumsum accumulates
     * float32 in double, which is what this does.
     */
    public static Nucleus nucleus(float[] logits, int off, int vocab, float temperature, float topP) {
        float[] p = softmax(logits, off, vocab, temperature);
        // Sort (probability, id) pairs packed in longs: non-negative float bits order like the floats, and the
        // complemented id makes equal probabilities come out lowest id first when read from the top.
        long[] keys = new long[vocab];
        for (int i = 0; i < vocab; i++) {
            keys[i] = ((long) Float.floatToRawIntBits(p[i]) << 32) | (~i & 0xffffffffL);
        }
        Arrays.sort(keys);
        int[] ids = new int[vocab];
        float[] probs = new float[vocab];
        double cumulative = 0;
        int size = 0;
        double total = 0;
        for (int i = 0; i < vocab; i++) {
            int id = ~(int) keys[vocab - 1 - i];
            cumulative += p[id];
            float exclusive = (float) cumulative - p[id];
            ids[i] = id;
            probs[i] = p[id];
            if (exclusive > topP) {
                break;
            }
            size++;
            total += p[id];
        }
        return new Nucleus(ids, probs, size, total);
    }

    /** {@code softmax(logits / temperature)} in float32 as torch computes it (max-shifted exp, then divide by sum). */
    public static float[] softmax(float[] logits, int off, int vocab, float temperature) {
        float[] p = new float[vocab];
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            p[i] = logits[off + i] / temperature;
            max = Math.max(max, p[i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = (float) Math.exp(p[i] - max);
            sum += p[i];
        }
        float s = (float) sum;
        for (int i = 0; i < vocab; i++) {
            p[i] /= s;
        }
        return p;
    }

    /** log softmax of one logit row at {@code target}: the per-token logprob generation.py reports. */
    public static float logProb(float[] logits, int off, int vocab, int target) {
        return (float) (logits[off + target] - logNormalizer(logits, off, vocab));
    }

    /** {@code log(sum(exp(logits)))}, computed from the largest logit on: a token's log-probability is its logit less it. */
    public static double logNormalizer(float[] logits, int off, int vocab) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[off + i] - max);
        }
        return max + Math.log(sum);
    }
}
