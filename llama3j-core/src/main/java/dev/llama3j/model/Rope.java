package dev.llama3j.model;

/**
 * Rotary position embedding as Meta's {@code model.py} applies it: each head's vector is a list of complex numbers
 * made of ADJACENT pairs (x[2i], x[2i+1]), multiplied by {@code cis(pos * freq_i)}.
 *
 * <p>The frequencies and angles are computed in float32 in the same order as PyTorch does in
 * {@code precompute_freqs_cis}, so the tables match Meta's bit for bit (or within an ulp of cos/sin).
 */
public final class Rope {
    private final int half;
    private final int positions;
    private final float[] cos;
    private final float[] sin;

    /**
     * @param divisors  GGUF {@code rope_freqs} (Llama 3.1 files): freq_i /= divisors[i]; null when absent
     * @param positions how many positions to precompute (the KV cache length)
     */
    public Rope(ModelConfig config, float[] divisors, int positions) {
        this(frequencies(config, divisors), positions);
    }

    public Rope(float[] freqs, int positions) {
        this.half = freqs.length;
        this.positions = positions;
        this.cos = new float[positions * half];
        this.sin = new float[positions * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) p * freqs[i]; // torch.outer(t, freqs) in float32
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    /** The per-pair frequencies for a model: Meta's base frequencies, scaled for Llama 3.1 where configured. */
    public static float[] frequencies(ModelConfig config, float[] divisors) {
        float[] freqs = baseFrequencies(config.headDim(), config.ropeTheta());
        if (divisors != null) {
            if (divisors.length != freqs.length) {
                throw new dev.llama3j.LlamaException("rope_freqs has " + divisors.length + " values, expected "
                        + freqs.length + " (head dimension / 2)");
            }
            for (int i = 0; i < freqs.length; i++) {
                freqs[i] = freqs[i] / divisors[i];
            }
        } else if (config.ropeScaling() != null) {
            freqs = scale(freqs, config.ropeScaling());
        }
        return freqs;
    }

    /** {@code 1.0 / (theta ** (arange(0, hd, 2).float() / hd))} in float32. */
    public static float[] baseFrequencies(int headDim, float theta) {
        float[] f = new float[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            float pow = (float) Math.pow(theta, exponent);
            f[i] = 1.0f / pow;
        }
        return f;
    }

    /**
     * llama-models {@code apply_scaling}, float32 like the tensor code it mirrors. PyTorch evaluates
     * {@code scalar / tensor} as {@code reciprocal(tensor) * scalar}, hence the reciprocals below.
     */
    public static float[] scale(float[] freqs, RopeScaling s) {
        float lowFreqWavelen = (float) s.originalMaxPositions() / s.lowFreqFactor();
        float highFreqWavelen = (float) s.originalMaxPositions() / s.highFreqFactor();
        float twoPi = (float) (2 * Math.PI);
        float[] out = new float[freqs.length];
        for (int i = 0; i < freqs.length; i++) {
            float freq = freqs[i];
            float wavelen = (1.0f / freq) * twoPi;
            if (wavelen < highFreqWavelen) {
                out[i] = freq;
            } else if (wavelen > lowFreqWavelen) {
                out[i] = freq / s.factor();
            } else {
                float ratio = (1.0f / wavelen) * (float) s.originalMaxPositions();
                float smooth = (ratio - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                out[i] = (1 - smooth) * freq / s.factor() + smooth * freq;
            }
        }
        return out;
    }

    public int positions() {
        return positions;
    }

    /** Rotates {@code heads} consecutive head vectors starting at {@code v[off]} for position {@code pos}. */
    public void apply(float[] v, int off, int heads, int pos) {
        int base = pos * half;
        for (int h = 0; h < heads; h++) {
            int o = off + h * 2 * half;
            for (int i = 0; i < half; i++) {
                float c = cos[base + i];
                float s = sin[base + i];
                float x0 = v[o + 2 * i];
                float x1 = v[o + 2 * i + 1];
                v[o + 2 * i] = x0 * c - x1 * s;
                v[o + 2 * i + 1] = x0 * s + x1 * c;
            }
        }
    }
}
