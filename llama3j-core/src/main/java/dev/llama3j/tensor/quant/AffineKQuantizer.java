package dev.llama3j.tensor.quant;

import dev.llama3j.tensor.DType;

/**
 * Q4_K and Q5_K (ggml quantize_row_q4_K_ref / q5_K_ref): 8 sub-blocks of 32 each get a scale and a min
 * fitted by {@link #fitScaleAndMin} ({@code make_qkx2_quants}, weighted by {@code rms + |x|}); scales and
 * mins are then quantized to 6 bits against the block's largest (fp16 {@code d}, {@code dmin}) and the
 * values are requantized against those rounded scales. Layout: {@code d, dmin, scales[12]}, for Q5_K
 * {@code qh[32]} (bit {@code s} of {@code qh[j]}: 5th bit of element j of sub-block s), then nibbles
 * ({@code qs[32k + j]}: sub-block 2k low, 2k+1 high).
 */
final class AffineKQuantizer extends BlockQuantizer {
    private final int nmax;
    private final float rmin;
    private final int nstep;
    private final boolean fiveBits;

    private final int[] levels = new int[256];
    private final int[] trial = new int[32];
    private final float[] weights = new float[32];
    private final float[] scales = new float[8];
    private final float[] mins = new float[8];
    /** the min found by the last {@link #fitScaleAndMin} (ggml's {@code the_min} out parameter) */
    private float fittedMin;

    AffineKQuantizer(DType type) {
        super(type);
        this.fiveBits = type == DType.Q5_K;
        this.nmax = fiveBits ? 31 : 15;
        this.rmin = fiveBits ? -0.5f : -1f;
        this.nstep = fiveBits ? 15 : 20;
    }

    @Override
    void quantizeBlock(float[] x, int xOff, byte[] dst, int dstOff) {
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            int at = xOff + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[at + l] * x[at + l];
            }
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[l] = avX + Math.abs(x[at + l]);
            }
            scales[j] = fitScaleAndMin(x, at, 32 * j);
            mins[j] = fittedMin;
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        int packed = dstOff + 4;
        java.util.Arrays.fill(dst, packed, packed + 12, (byte) 0);
        for (int j = 0; j < 8; j++) {
            // uint8_t in ggml: the int is truncated to a byte before the cap
            int ls = Math.min(63, nearestInt(invScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(invMin * mins[j]) & 0xFF);
            if (j < 4) {
                dst[packed + j] = (byte) ls;
                dst[packed + j + 4] = (byte) lm;
            } else {
                dst[packed + j + 4] = (byte) ((ls & 0xF) | (lm & 0xF) << 4);
                dst[packed + j - 4] |= (byte) ((ls >> 4) << 6);
                dst[packed + j] |= (byte) ((lm >> 4) << 6);
            }
        }
        LittleEndian.putHalf(dst, dstOff, maxScale / 63f);
        LittleEndian.putHalf(dst, dstOff + 2, maxMin / 63f);
        float d = LittleEndian.roundTripHalf(maxScale / 63f);
        float dmin = LittleEndian.roundTripHalf(maxMin / 63f);
        for (int j = 0; j < 8; j++) {
            float scale = d * scaleOf(dst, packed, j);
            if (scale == 0) {
                continue;   // keeps the levels of the fit, as ggml does
            }
            float min = dmin * minOf(dst, packed, j);
            for (int i = 0; i < 32; i++) {
                int l = nearestInt((x[xOff + 32 * j + i] + min) / scale);
                levels[32 * j + i] = Math.max(0, Math.min(nmax, l));
            }
        }
        pack(dst, dstOff + 16);
    }

    private void pack(byte[] dst, int at) {
        int qs = at;
        if (fiveBits) {
            java.util.Arrays.fill(dst, at, at + 32, (byte) 0);
            qs = at + 32;
            for (int j = 0; j < 256; j++) {
                if (levels[j] > 15) {
                    dst[at + (j & 31)] |= (byte) (1 << (j >>> 5));
                }
            }
        }
        for (int k = 0; k < 4; k++) {
            for (int l = 0; l < 32; l++) {
                dst[qs + 32 * k + l] = (byte) ((levels[64 * k + l] & 0xF) | (levels[64 * k + 32 + l] & 0xF) << 4);
            }
        }
    }

    /** ggml get_scale_min_k4, scale half. */
    private static int scaleOf(byte[] q, int at, int j) {
        return j < 4 ? q[at + j] & 63 : (q[at + j + 4] & 0xF) | ((q[at + j - 4] & 0xFF) >> 6) << 4;
    }

    /** ggml get_scale_min_k4, min half. */
    private static int minOf(byte[] q, int at, int j) {
        return j < 4 ? q[at + j + 4] & 63 : ((q[at + j + 4] & 0xFF) >> 4) | ((q[at + j] & 0xFF) >> 6) << 4;
    }

    /**
     * ggml {@code make_qkx2_quants} on 32 values from {@code x[at ..]} with the current {@link #weights}
     * (use_mad false): starts from the min/max grid, then tries {@code nstep + 1} slightly different grids
     * and keeps the weighted least-squares scale and min with the smallest weighted squared error. Levels go
     * to {@code levels[out ..]}; returns the scale, the (negated) min is left in {@link #fittedMin}.
     */
    private float fitScaleAndMin(float[] x, int at, int out) {
        int n = 32;
        float min = x[at];
        float max = x[at];
        float sumW = weights[0];
        float sumX = sumW * x[at];
        for (int i = 1; i < n; i++) {
            // C's comparisons, not Math.min/max: those order -0.0 below 0.0 and would change a zero's sign
            if (x[at + i] < min) {
                min = x[at + i];
            }
            if (x[at + i] > max) {
                max = x[at + i];
            }
            sumW += weights[i];
            sumX += weights[i] * x[at + i];
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            java.util.Arrays.fill(levels, out, out + n, 0);
            fittedMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[at + i] - min))));
            levels[out + i] = l;
            float diff = scale * l + min - x[at + i];
            bestError += weights[i] * (diff * diff);
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + 0.1f * is + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[at + i] - min))));
                trial[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[at + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * trial[i] + thisMin - x[at + i];
                    error += weights[i] * (diff * diff);
                }
                if (error < bestError) {
                    System.arraycopy(trial, 0, levels, out, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        fittedMin = -min;
        return scale;
    }
}
