package dev.llama3j.tensor.kernel;

/**
 * A matrix's rows as floats, a slice at a time: what the tiled product ({@link TileMatmul}) reads, whatever the
 * matrix's type or layout.
 */
@FunctionalInterface
public interface RowSlices {
    /**
     * Columns {@code [col, col + len)} of row {@code row} as floats into {@code dst[dstOff ..]}, bit-exact with
     * the type's scalar dequantization. {@code col} is a multiple of the type's block size and {@code len} is
     * one too or reaches the end of the row ({@link TileMatmul} asks for multiples of {@link TileMatmul#DEPTH}).
     */
    void unpack(int row, int col, int len, float[] dst, int dstOff);
}
