package dev.llama3j.tensor.kernel;

import java.lang.foreign.MemorySegment;

/**
 * One row's dot as {@link RowKernel#dot2} of the row with itself, for kernels whose prepared dot exists only for two
 * rows: a row gets the same bits alone as paired, from one loop.
 */
final class PairedRowDot {
    /** Per-thread result of the pair. */
    private static final ScratchFloats ONE_ROW = new ScratchFloats();

    private PairedRowDot() {}

    static float dot(RowKernel kernel, MemorySegment w, long off, float[] x, int xOff, int n, float[] prepared) {
        float[] one = ONE_ROW.get(1);
        kernel.dot2(w, off, off, x, xOff, n, prepared, one, 0, 0);
        return one[0];
    }
}
