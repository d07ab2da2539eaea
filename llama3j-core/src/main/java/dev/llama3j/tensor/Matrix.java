package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.Int8Activations;
import dev.llama3j.tensor.kernel.Int8Batch;
import dev.llama3j.tensor.kernel.RowSlices;
import dev.llama3j.tensor.kernel.TileMatmul;

/**
 * A weight matrix {@code [rows, cols]} times activations: row {@code r} produces output element {@code r}.
 * Implementations read their weights in place (mapped file), whatever the element type.
 * Callers split rows across threads; every method is safe to call concurrently on disjoint rows.
 */
public interface Matrix {

    int rows();

    int cols();

    /** The element type of the weights (for a matrix merged from shards, that of the first shard). */
    DType type();

    /** Bytes of weights this matrix reads per full pass. */
    long byteSize();

    /** Dot product of row {@code row} with {@code x[xOff .. xOff + cols)}. */
    float dot(int row, float[] x, int xOff);

    /** Row {@code row} as floats into {@code dst[dstOff .. dstOff + cols)} (embedding lookup). */
    void row(int row, float[] dst, int dstOff);

    /** {@code out[outOff + r] = dot(r, x, xOff)} for r in [rowStart, rowEnd). */
    default void matvec(float[] x, int xOff, float[] out, int outOff, int rowStart, int rowEnd) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOff + r] = dot(r, x, xOff);
        }
    }

    /**
     * Whether this matrix's matrix-vector products take activations quantized to int8 blocks
     * ({@link Int8Activations}): then callers quantize a vector once and pass it to
     * {@link #matvec(Int8Activations, float[], int, int, int)} for every range of rows.
     */
    default boolean takesInt8() {
        return false;
    }

    /**
     * Work an int8 product needs done once, before the threads split the rows (a layout of its own built on first
     * use); called on the calling thread, outside any parallel region.
     */
    default void prepareInt8() {
    }

    /** {@link #matvec(float[], int, float[], int, int, int)} of the quantized vector; only where {@link #takesInt8}. */
    default void matvec(Int8Activations x, float[] out, int outOff, int rowStart, int rowEnd) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no int8 product");
    }

    /**
     * Whether this matrix computes several int8 vectors at once ({@link #matmul(Int8Batch, float[], int, int)}),
     * each vector's output the bits of its matrix-vector product: several decoding sequences take it.
     */
    default boolean takesInt8Batches() {
        return false;
    }

    /** Whether prompts take those int8 batches too, rather than the float32 tiled product (the faster of the two). */
    default boolean takesInt8Prompts() {
        return false;
    }

    /**
     * {@code out[t*rows + r] = row r . x_t} for every vector of {@code x}, rows [rowStart, rowEnd) only; only where
     * {@link #takesInt8Batches}.
     */
    default void matmul(Int8Batch x, float[] out, int rowStart, int rowEnd) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no int8 batch product");
    }

    /**
     * Rows as float slices for the tiled matrix product ({@link TileMatmul}), or null when this matrix can only
     * compute dot products.
     */
    default RowSlices slices() {
        return null;
    }

    /**
     * Several activation vectors at once (a prompt): {@code x} holds {@code n} vectors of {@code cols}
     * floats, {@code out} receives {@code n} vectors of {@code rows} floats; rows [rowStart, rowEnd) only.
     * With {@link #slices} the tiled product, which reads each weight once per call; otherwise one dot per row
     * and vector, rows outermost so a row's weights are reused from cache for every vector.
     */
    default void matmul(float[] x, int n, float[] out, int rowStart, int rowEnd) {
        RowSlices slices = slices();
        if (slices != null) {
            TileMatmul.matmul(slices, cols(), x, n, out, rows(), rowStart, rowEnd);
            return;
        }
        int cols = cols();
        int rows = rows();
        for (int r = rowStart; r < rowEnd; r++) {
            for (int t = 0; t < n; t++) {
                out[t * rows + r] = dot(r, x, t * cols);
            }
        }
    }
}
