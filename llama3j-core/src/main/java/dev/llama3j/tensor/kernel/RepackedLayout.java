package dev.llama3j.tensor.kernel;

import java.lang.foreign.MemorySegment;

/**
 * A weight type's rows copied into a layout of their own for integer dot products with {@link Int8Activations}: one
 * implementation per type ({@link Q4_0Repacked}, {@link Q4KRepacked}, {@link Q6KRepacked}).
 */
public interface RepackedLayout {

    /** Bytes of one repacked row of {@code cols} weights. */
    long rowBytes(int cols);

    /**
     * Bytes that must follow the last row: the scale loads of the last blocks read a whole vector of up to 512 bits
     * (a float vector for Q4_0 and Q4_K, a byte vector for Q6_K).
     */
    default int padding() {
        return 64;
    }

    /** Rows [rowStart, rowEnd) of the file's blocks (rows of {@code srcRowBytes}) repacked into {@code dst}. */
    default void repackRows(MemorySegment src, long srcRowBytes, MemorySegment dst, int cols, int rowStart,
                            int rowEnd) {
        for (int r = rowStart; r < rowEnd; r++) {
            repackRow(src, r * srcRowBytes, dst, r * rowBytes(cols), cols);
        }
    }

    /** The row of the file's blocks at {@code src[srcOff ..]} repacked into {@code dst[dstOff ..]}. */
    void repackRow(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int cols);

    /** {@code sum_j w[j] * x[j]} over the repacked row at byte {@code row}. */
    float dot(MemorySegment w, long row, int cols, Int8Activations x);

    /**
     * Whether {@link #unpackFloats} is vector code as fast as the file's own kernel: where not, prompts keep reading
     * the file's blocks (the same bits), and its pages stay resident beside the copy.
     */
    default boolean unpacksFast() {
        return true;
    }

    /** Columns [col, col + len) of the repacked row as floats: the same bits as the type's {@code dequantize}. */
    void unpackFloats(MemorySegment w, long row, int cols, int col, float[] dst, int dstOff, int len);

    /** The layout for weights of ggml type {@code ggmlId}, or null when that type has none. */
    static RepackedLayout forGgmlType(int ggmlId) {
        return switch (ggmlId) {
            case 2 -> Q4_0Repacked.LAYOUT;
            case 12 -> Q4KRepacked.LAYOUT;
            case 14 -> Q6KRepacked.LAYOUT;
            default -> null;
        };
    }
}
