package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.RowSlices;
import dev.llama3j.tensor.kernel.ScratchFloats;

/**
 * A view of another matrix with its rows reordered, without copying: row {@code r} of this matrix is row
 * {@code perm[r]} of the underlying one. Hugging Face checkpoints store wq/wk with the rows of each head
 * permuted for half-split RoPE; this view gives them back in Meta's order.
 */
public final class RowPermutedMatrix implements Matrix {
    private final Matrix base;
    private final int[] perm;
    /** The inverse permutation: the row of this view that reads row {@code b} of the underlying matrix. */
    private final int[] viewRow;
    private final RowSlices slices;
    /**
     * The underlying matrix's outputs for a {@link #matvec} range, before they move to their places: this view's own,
     * so that a view of a view does not write into the buffer its caller is filling.
     */
    private final ScratchFloats underlying = new ScratchFloats();

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
        this.viewRow = new int[perm.length];
        for (int r = 0; r < perm.length; r++) {
            viewRow[perm[r]] = r;
        }
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

    /**
     * The underlying matrix's own product (its native kernel, its rows in pairs) over each run of consecutive rows
     * that the range reads there, then every output moved to its place: each row the bits the underlying matrix
     * gives it. Hugging Face's permutation keeps a head's rows within the head, so a range reads a few long runs.
     */
    @Override
    public void matvec(float[] x, int xOff, float[] out, int outOff, int rowStart, int rowEnd) {
        if (rowStart >= rowEnd) {
            return;
        }
        int lo = Integer.MAX_VALUE;
        int hi = -1;
        for (int r = rowStart; r < rowEnd; r++) {
            lo = Math.min(lo, perm[r]);
            hi = Math.max(hi, perm[r]);
        }
        float[] under = underlying.get(hi - lo + 1);
        for (int b = lo; b <= hi; ) {
            if (!reads(b, rowStart, rowEnd)) {
                b++;
                continue;
            }
            int end = b + 1;
            while (end <= hi && reads(end, rowStart, rowEnd)) {
                end++;
            }
            base.matvec(x, xOff, under, -lo, b, end);
            b = end;
        }
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOff + r] = under[perm[r] - lo];
        }
    }

    /** Whether rows [rowStart, rowEnd) of this view read row {@code b} of the underlying matrix. */
    private boolean reads(int b, int rowStart, int rowEnd) {
        return viewRow[b] >= rowStart && viewRow[b] < rowEnd;
    }

    @Override
    public RowSlices slices() {
        return slices;
    }
}
