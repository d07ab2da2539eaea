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

    /**
     * The first {@code cols} columns of rows {@code [row, row + rows)} ({@link #unpack}'s floats) in slices of
     * {@code depth}, slice s of row {@code row + i} at {@code dstOff + i * rowStride + s * sliceStride}: a block of
     * {@link TileMatmul}'s depth panels in one call, row after row.
     */
    default void unpackRows(int row, int rows, int cols, int depth, float[] dst, int dstOff, int rowStride,
                            int sliceStride) {
        for (int i = 0; i < rows; i++) {
            for (int k0 = 0, s = 0; k0 < cols; k0 += depth, s++) {
                unpack(row + i, k0, Math.min(depth, cols - k0), dst, dstOff + i * rowStride + s * sliceStride);
            }
        }
    }
}
