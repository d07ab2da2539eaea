package dev.llama3j.tensor.quant;

import dev.llama3j.tensor.DType;

/**
 * Q6_K (ggml quantize_row_q6_K_ref): 16 sub-blocks of 16 each get a signed scale from
 * {@link #fitScale} ({@code make_qx_quants}, weights x^2); the scales are quantized to int8 against the
 * largest (fp16 {@code d}) and the values requantized to 6 bits against them. Layout
 * {@code ql[128], qh[64], scales[16], d} as {@link dev.llama3j.tensor.kernel.Q6KKernel} reads it.
 */
final class Q6KQuantizer extends BlockQuantizer {
    /** ggml GROUP_MAX_EPS: a sub-block below it counts as all zeros */
    private static final float EPS = 1e-15f;
    private static final int NMAX = 32;

    private final int[] levels = new int[256];
    private final float[] scales = new float[16];

    Q6KQuantizer() {
        super(DType.Q6_K);
    }

    @Override
    void quantizeBlock(float[] x, int xOff, byte[] dst, int dstOff) {
        float maxScale = 0;
        float maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = fitScale(x, xOff + 16 * ib, 16 * ib);
            scales[ib] = scale;
            if (Math.abs(scale) > maxAbsScale) {
                maxAbsScale = Math.abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < EPS) {
            java.util.Arrays.fill(dst, dstOff, dstOff + 210, (byte) 0);
            return;
        }
        float iscale = -128f / maxScale;
        LittleEndian.putHalf(dst, dstOff + 208, 1 / iscale);
        float d = LittleEndian.roundTripHalf(1 / iscale);
        for (int ib = 0; ib < 16; ib++) {
            dst[dstOff + 192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        }
        for (int j = 0; j < 16; j++) {
            float sd = d * dst[dstOff + 192 + j];
            if (sd == 0) {
                continue;
            }
            for (int i = 0; i < 16; i++) {
                int l = nearestInt(x[xOff + 16 * j + i] / sd);
                levels[16 * j + i] = Math.max(-32, Math.min(31, l)) + 32;
            }
        }
        for (int half = 0; half < 2; half++) {
            int ql = dstOff + 64 * half;
            int qh = dstOff + 128 + 32 * half;
            int base = 128 * half;
            for (int l = 0; l < 32; l++) {
                int q1 = levels[base + l];
                int q2 = levels[base + l + 32];
                int q3 = levels[base + l + 64];
                int q4 = levels[base + l + 96];
                dst[ql + l] = (byte) ((q1 & 0xF) | (q3 & 0xF) << 4);
                dst[ql + l + 32] = (byte) ((q2 & 0xF) | (q4 & 0xF) << 4);
                dst[qh + l] = (byte) ((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
            }
        }
    }

    /**
     * ggml {@code make_qx_quants(16, 32, x, L, rmse_type 1, NULL)}: levels from the value of largest
     * magnitude, then 18 nearby grids; keeps the weighted (x^2) least-squares scale of the best one.
     */
    private float fitScale(float[] x, int at, int out) {
        int n = 16;
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[at + i]);
            if (ax > amax) {
                amax = ax;
                max = x[at + i];
            }
        }
        if (amax < EPS) {
            java.util.Arrays.fill(levels, out, out + n, 0);
            return 0f;
        }
        float iscale = -NMAX / max;
        float sumLX = 0;
        float sumL2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.max(-NMAX, Math.min(NMAX - 1, nearestInt(iscale * x[at + i])));
            levels[out + i] = l + NMAX;
            float w = x[at + i] * x[at + i];
            sumLX += w * x[at + i] * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0.0f;
        float best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(NMAX + 0.1f * is) / max;
            sumLX = 0;
            sumL2 = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(-NMAX, Math.min(NMAX - 1, nearestInt(iscale * x[at + i])));
                float w = x[at + i] * x[at + i];
                sumLX += w * x[at + i] * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) {
                    int l = nearestInt(iscale * x[at + i]);
                    levels[out + i] = NMAX + Math.max(-NMAX, Math.min(NMAX - 1, l));
                }
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }
}
