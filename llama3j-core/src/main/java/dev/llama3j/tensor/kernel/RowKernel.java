package dev.llama3j.tensor.kernel;

import java.lang.foreign.MemorySegment;

/**
 * How one weight type is read in place: one implementation per type, one shape for all.
 * {@code off} is a byte offset into {@code w} at the start of a block; {@code n} is a multiple of the
 * type's block size.
 */
public interface RowKernel {

    /** {@code sum_i w[i] * x[xOff + i]} over n weights, vectorized. */
    float dot(MemorySegment w, long off, float[] x, int xOff, int n);

    /**
     * What this kernel can compute once per activation vector and reuse for every row of a matrix-vector product
     * (x reordered to the weights' nibble layout plus per-block lane sums, for the quantized types), or null when
     * nothing. The result may be a per-thread buffer: use it before the next {@code prepare} on the same thread.
     */
    default float[] prepare(float[] x, int xOff, int n) {
        return null;
    }

    /** {@link #dot} given {@code prepared = prepare(x, xOff, n)} for the same vector. */
    default float dot(MemorySegment w, long off, float[] x, int xOff, int n, float[] prepared) {
        return dot(w, off, x, xOff, n);
    }

    /**
     * Whether {@link #dot2} reads two rows at once rather than one after the other: worth it where a core's memory
     * stream, not its arithmetic, sets the pace.
     */
    default boolean pairsRows() {
        return false;
    }

    /**
     * {@code out[outA]} and {@code out[outB]}: {@link #dot(MemorySegment, long, float[], int, int, float[])} of the
     * rows at {@code offA} and {@code offB}, the same bits; where {@link #pairsRows}, read together.
     */
    default void dot2(MemorySegment w, long offA, long offB, float[] x, int xOff, int n, float[] prepared,
                      float[] out, int outA, int outB) {
        out[outA] = dot(w, offA, x, xOff, n, prepared);
        out[outB] = dot(w, offB, x, xOff, n, prepared);
    }

    /**
     * The {@code rows} rows at {@code off}, {@code rowBytes} apart, with {@code x} into {@code out[outOff ..]},
     * each the bits of {@link #dot}, by a native kernel: false, with nothing written, where none runs here.
     */
    default boolean nativeMatvec(MemorySegment w, long off, long rowBytes, float[] x, int xOff, int n, float[] out,
                                 int outOff, int rows) {
        return false;
    }

    /** Whether this type has the integer dot product with {@link Int8Activations}. */
    default boolean hasInt8Dot() {
        return false;
    }

    /**
     * {@code sum_i w[i] * x[i]} with the activations quantized to int8 blocks ({@code x} from element 0): integer
     * products per block of 32, then one float multiply-add by the two scales. Only where {@link #hasInt8Dot}.
     */
    default float dot(MemorySegment w, long off, Int8Activations x, int n) {
        throw new UnsupportedOperationException("no int8 dot product for this weight type");
    }

    /** n weights as floats into {@code dst[dstOff ..]}; plain scalar code, also the tests' reference. */
    void dequantize(MemorySegment w, long off, float[] dst, int dstOff, int n);

    /**
     * The same floats as {@link #dequantize}, bit for bit, with vector code: how {@link TileMatmul} turns rows into
     * float tiles once per prompt.
     */
    void unpackFloats(MemorySegment w, long off, float[] dst, int dstOff, int n);

    /**
     * {@link #unpackFloats} of the first {@code n} weights of {@code rows} rows {@code rowBytes} apart from
     * {@code off}, by a native kernel, in slices of {@code depth} floats laid out as {@link RowSlices#unpackRows}
     * lays them: false, with nothing written, where none runs here.
     */
    default boolean nativeUnpack(MemorySegment w, long off, long rowBytes, int rows, int n, int depth, float[] dst,
                                 int dstOff, int rowStride, int sliceStride) {
        return false;
    }
}
