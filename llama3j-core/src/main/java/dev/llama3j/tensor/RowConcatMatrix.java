package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.RowSlices;

import java.util.List;

/**
 * Matrices stacked on dim 0 (rows), without copying: how model-parallel shards of wq/wk/wv/w1/w3/output
 * and tok_embeddings form the full matrix. All parts have the same shape.
 */
public final class RowConcatMatrix implements Matrix {
    private final Matrix[] parts;
    private final RowSlices slices;
    private final int partRows;
    private final int cols;

    public RowConcatMatrix(List<Matrix> parts) {
        this.parts = parts.toArray(Matrix[]::new);
        this.partRows = this.parts[0].rows();
        this.cols = this.parts[0].cols();
        for (Matrix p : this.parts) {
            if (p.rows() != partRows || p.cols() != cols) {
                throw new IllegalArgumentException("row-concatenated parts differ in shape");
            }
        }
        this.slices = partSlices();
    }

    private RowSlices partSlices() {
        RowSlices[] rows = new RowSlices[parts.length];
        for (int i = 0; i < parts.length; i++) {
            if ((rows[i] = parts[i].slices()) == null) {
                return null;
            }
        }
        return new RowSlices() {
            @Override
            public void unpack(int row, int col, int len, float[] dst, int dstOff) {
                rows[row / partRows].unpack(row % partRows, col, len, dst, dstOff);
            }

            /** Each part's rows of the block in one call of that part's. */
            @Override
            public void unpackRows(int row, int count, int cols, int depth, float[] dst, int dstOff, int rowStride,
                                   int sliceStride) {
                for (int i = 0; i < count; ) {
                    int r = row + i;
                    int inPart = Math.min(count - i, partRows - r % partRows);
                    rows[r / partRows].unpackRows(r % partRows, inPart, cols, depth, dst, dstOff + i * rowStride,
                            rowStride, sliceStride);
                    i += inPart;
                }
            }
        };
    }

    @Override
    public int rows() {
        return partRows * parts.length;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public DType type() {
        return parts[0].type();
    }

    @Override
    public long byteSize() {
        long n = 0;
        for (Matrix p : parts) {
            n += p.byteSize();
        }
        return n;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        return parts[row / partRows].dot(row % partRows, x, xOff);
    }

    @Override
    public void row(int row, float[] dst, int dstOff) {
        parts[row / partRows].row(row % partRows, dst, dstOff);
    }

    @Override
    public RowSlices slices() {
        return slices;
    }
}
