package dev.llama3j.tensor.kernel;

/**
 * The float rounding bound of {@link TileMatmul}: each term passes through at most {@code DEPTH} roundings in its depth
 * panel's FMA chain, then one per panel when the panels' sums are added, so the error is at most
 * {@code gamma_m * sum |w x|} with {@code m = DEPTH + ceil(cols / DEPTH)} and {@code gamma_m = m u / (1 - m u)}.
 */
public final class TileErrorBound {
    private TileErrorBound() {}

    public static double of(int cols, double magnitude) {
        double mu = (TileMatmul.DEPTH + (cols + TileMatmul.DEPTH - 1) / TileMatmul.DEPTH) * Math.ulp(1f) / 2;
        return mu / (1 - mu) * magnitude;
    }
}
