package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.RowSlices;

/**
 * A view of another matrix with its rows reordered, without copying: row {@code r} of this matrix is row
 * {@code perm[r]} of the underlying one. Hugging Face checkpoints store wq/wk with the rows of each head
 * permuted for half-split RoPE; this view gives them back in Meta's order.
 */
public final class RowPermutedMatrix implements Matrix {
    private final Matrix base;
    private final int[] perm;
    private final RowSlices slices;

    /** {@code perm} must be a permutation of {@code 0 .. base.rows()-1}; it is copied. */
    public RowPermutedMatrix(Matrix base, int[] perm) {
        if (perm.length != base.rows()) {
            throw new IllegalArgumentException("permutation of " + perm.length + " rows for a matrix of "
                    + base.rows());
        }
        boolean[] seen = new boolean[perm.length];
        for (int p : perm) {
            if (p < 0 || p >= perm.length || seen[p]) {
                throw new IllegalArgumentException("not a permutation of 0.." + (perm.length - 1) + ": row " + p);
            }
            seen[p] = true;
        }
        this.base = base;
        this.perm = perm.clone();
        RowSlices rows = base.slices();
        this.slices = rows == null ? null : new RowSlices() {
            @Override
            public void unpack(int row, int col, int len, float[] dst, int dstOff) {
                rows.unpack(RowPermutedMatrix.this.perm[row], col, len, dst, dstOff);
            }

            /** Row by row, each a call of the underlying matrix's (permuted rows are not consecutive there). */
            @Override
            public void unpackRows(int row, int count, int cols, int depth, float[] dst, int dstOff, int rowStride,
                                   int sliceStride) {
                for (int i = 0; i < count; i++) {
                    rows.unpackRows(RowPermutedMatrix.this.perm[row + i], 1, cols, depth, dst, dstOff + i * rowStride,
                            rowStride, sliceStride);
                }
            }
        };
    }

    /** Row of the underlying matrix that row {@code row} of this view reads. */
    public int sourceRow(int row) {
        return perm[row];
    }

    @Override
    public int rows() {
        return perm.length;
    }

    @Override
    public int cols() {
        return base.cols();
    }

    @Override
    public DType type() {
        return base.type();
    }

    @Override
    public long byteSize() {
        return base.byteSize();
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        return base.dot(perm[row], x, xOff);
    }

    @Override
    public void row(int row, float[] dst, int dstOff) {
        base.row(perm[row], dst, dstOff);
    }

    @Override
    public RowSlices slices() {
        return slices;
    }
}
