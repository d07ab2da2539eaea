package dev.llama3j.model;

import java.util.Arrays;
import java.util.Map;

/**
 * A scalar transcription of meta-llama/llama-models {@code models/llama3/model.py} in double precision, written
 * apart from the engine (no {@link Rope}, {@link Attention}, {@link RmsNorm} or {@link Transformer}), for tests that
 * compare the engine with it. The RoPE frequencies and angles are float32, as torch computes them: at positions near
 * 10,000 an angle's float32 rounding moves it by a few 1e-4 radians, far more than double's rounding of the rest.
 * Fed one token at a time with a KV cache, as model.py's incremental decoding.
 */
final class ModelPyReference {
    private final ModelConfig c;
    private final Map<String, float[]> t;
    private final int hd;
    /** cos and sin of each position's angles, {@code [pos * hd / 2 + i]} */
    private final double[] cos;
    private final double[] sin;
    /**
     * per layer and KV head, the rotated keys of every position, dimension-major ({@code [d * positions + pos]}, so
     * that all positions' scores are summed together, each one's terms in order), and the values, hd per position
     */
    private final double[][][] keys;
    private final double[][][] values;
    private final int positions;
    private int pos;

    /**
     * @param t         the weights by Meta's checkpoint names ({@code layers.0.attention.wq.weight}, ...), row-major
     *                  {@code [out][in]} as {@code nn.Linear} holds them
     * @param freqs     the RoPE frequencies ({@link #baseFrequencies}, scaled or not)
     * @param positions how many positions will be fed
     */
    ModelPyReference(ModelConfig c, Map<String, float[]> t, float[] freqs, int positions) {
        this.c = c;
        this.t = t;
        this.hd = c.dim() / c.nHeads();
        this.positions = positions;
        int half = hd / 2;
        this.cos = new double[positions * half];
        this.sin = new double[positions * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                // torch.outer(t, freqs) with float32 t and freqs: the float32 product, then torch.polar
                float angle = (float) p * freqs[i];
                cos[p * half + i] = Math.cos(angle);
                sin[p * half + i] = Math.sin(angle);
            }
        }
        this.keys = new double[c.nLayers()][c.nKvHeads()][positions * hd];
        this.values = new double[c.nLayers()][c.nKvHeads()][positions * hd];
    }

    /**
     * precompute_freqs_cis's frequencies, in float32:
     * {@code 1.0 / (theta ** (torch.arange(0, dim, 2)[: (dim // 2)].float() / dim))}.
     */
    static float[] baseFrequencies(int headDim, float theta) {
        float[] f = new float[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            float exponent = (float) (2 * i) / headDim;
            f[i] = 1.0f / (float) Math.pow(theta, exponent);
        }
        return f;
    }

    /**
     * apply_scaling with Meta's Llama 3.1 constants, in double from the published formula; each result rounded to
     * float32 as {@code torch.tensor(new_freqs, dtype=freqs.dtype)}. (Torch's float32 steps can end an ulp away in
     * the smoothed band: under 1e-6 radians at position 10,000.)
     */
    static float[] applyScaling(float[] freqs) {
        double scaleFactor = 8;
        double lowFreqFactor = 1;
        double highFreqFactor = 4;
        double oldContextLen = 8192;
        double lowFreqWavelen = oldContextLen / lowFreqFactor;
        double highFreqWavelen = oldContextLen / highFreqFactor;
        float[] out = new float[freqs.length];
        for (int i = 0; i < freqs.length; i++) {
            double freq = freqs[i];
            double wavelen = 2 * Math.PI / freq;
            double scaled;
            if (wavelen < highFreqWavelen) {
                scaled = freq;
            } else if (wavelen > lowFreqWavelen) {
                scaled = freq / scaleFactor;
            } else {
                double smooth = (oldContextLen / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                scaled = (1 - smooth) * freq / scaleFactor + smooth * freq;
            }
            out[i] = (float) scaled;
        }
        return out;
    }

    /**
     * Feeds the next token; returns its logits, or null when not {@code wanted}: then the last layer only caches its
     * key and value (all that later positions read of it).
     */
    double[] next(int token, boolean wanted) {
        int dim = c.dim();
        double[] h = new double[dim];
        float[] emb = t.get("tok_embeddings.weight");
        for (int d = 0; d < dim; d++) {
            h[d] = emb[token * dim + d];
        }
        for (int l = 0; l < c.nLayers(); l++) {
            String p = "layers." + l + ".";
            double[] xn = rmsNorm(h, t.get(p + "attention_norm.weight"));
            boolean last = l == c.nLayers() - 1;
            double[] attn = attention(l, xn, p, !last || wanted);
            if (attn == null) {
                pos++;
                return null;
            }
            add(h, linear(p + "attention.wo.weight", attn));
            double[] fn = rmsNorm(h, t.get(p + "ffn_norm.weight"));
            add(h, feedForward(p, fn));
        }
        pos++;
        return linear("output.weight", rmsNorm(h, t.get("norm.weight")));
    }

    /** Attention.forward at this position: caches the rotated key and the value, then, if asked, attends. */
    private double[] attention(int layer, double[] x, String p, boolean attend) {
        double[] k = linear(p + "attention.wk.weight", x);
        double[] v = linear(p + "attention.wv.weight", x);
        rotate(k);
        for (int kh = 0; kh < c.nKvHeads(); kh++) {
            for (int d = 0; d < hd; d++) {
                keys[layer][kh][d * positions + pos] = k[kh * hd + d];
            }
            System.arraycopy(v, kh * hd, values[layer][kh], pos * hd, hd);
        }
        if (!attend) {
            return null;
        }
        double[] q = linear(p + "attention.wq.weight", x);
        rotate(q);
        int nRep = c.nHeads() / c.nKvHeads();
        double[] out = new double[c.dim()];
        double[] scores = new double[pos + 1];
        double scale = 1 / Math.sqrt(hd);
        for (int head = 0; head < c.nHeads(); head++) {
            // repeat_kv: query head h reads KV head h // n_rep; the causal mask leaves positions 0 .. pos
            double[] hk = keys[layer][head / nRep];
            double[] hv = values[layer][head / nRep];
            Arrays.fill(scores, 0);
            for (int d = 0; d < hd; d++) {
                double qd = q[head * hd + d];
                for (int j = 0; j <= pos; j++) {
                    scores[j] += qd * hk[d * positions + j];
                }
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= pos; j++) {
                scores[j] *= scale;
                max = Math.max(max, scores[j]);
            }
            double sum = 0;
            for (int j = 0; j <= pos; j++) {
                scores[j] = Math.exp(scores[j] - max);
                sum += scores[j];
            }
            double[] oh = new double[hd];
            for (int j = 0; j <= pos; j++) {
                double w = scores[j];
                for (int d = 0; d < hd; d++) {
                    oh[d] += w * hv[j * hd + d];
                }
            }
            for (int d = 0; d < hd; d++) {
                out[head * hd + d] = oh[d] / sum;
            }
        }
        return out;
    }

    /** apply_rotary_emb: adjacent pairs (x[2i], x[2i+1]) as complex numbers times cis(angle_i), head by head. */
    private void rotate(double[] x) {
        int half = hd / 2;
        for (int o = 0; o < x.length; o += hd) {
            for (int i = 0; i < half; i++) {
                double c0 = cos[pos * half + i];
                double s0 = sin[pos * half + i];
                double re = x[o + 2 * i];
                double im = x[o + 2 * i + 1];
                x[o + 2 * i] = re * c0 - im * s0;
                x[o + 2 * i + 1] = re * s0 + im * c0;
            }
        }
    }

    /** FeedForward: {@code w2(silu(w1(x)) * w3(x))}. */
    private double[] feedForward(String p, double[] x) {
        double[] a = linear(p + "feed_forward.w1.weight", x);
        double[] b = linear(p + "feed_forward.w3.weight", x);
        for (int i = 0; i < a.length; i++) {
            a[i] = a[i] / (1 + Math.exp(-a[i])) * b[i];
        }
        return linear(p + "feed_forward.w2.weight", a);
    }

    /** RMSNorm: {@code x * rsqrt(mean(x^2) + eps) * weight}. */
    private double[] rmsNorm(double[] x, float[] weight) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double scale = 1 / Math.sqrt(ss / x.length + c.normEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale * weight[i];
        }
        return out;
    }

    /** nn.Linear without bias: {@code W x} for the {@code [out][in]} matrix named {@code name}. */
    private double[] linear(String name, double[] x) {
        float[] w = t.get(name);
        int rows = w.length / x.length;
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s += w[r * x.length + i] * x[i];
            }
            y[r] = s;
        }
        return y;
    }

    private static void add(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            x[i] += y[i];
        }
    }
}
