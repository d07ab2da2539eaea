package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.RowSlices;

import java.util.List;

/**
 * Matrices placed side by side on dim 1 (columns), without copying: how model-parallel shards of wo and w2
 * form the full matrix. A row's dot product is the sum of the parts' partial dot products.
 */
public final class ColConcatMatrix implements Matrix {
    private final Matrix[] parts;
    private final RowSlices slices;
    private final int rows;
    private final int partCols;

    public ColConcatMatrix(List<Matrix> parts) {
        this.parts = parts.toArray(Matrix[]::new);
        this.rows = this.parts[0].rows();
        this.partCols = this.parts[0].cols();
        for (Matrix p : this.parts) {
            if (p.rows() != rows || p.cols() != partCols) {
                throw new IllegalArgumentException("column-concatenated parts differ in shape");
            }
        }
        this.slices = partSlices();
    }

    /** A slice may span parts: each part unpacks its own columns (a part boundary is block-aligned in the part). */
    private RowSlices partSlices() {
        RowSlices[] cols = new RowSlices[parts.length];
        for (int i = 0; i < parts.length; i++) {
            if ((cols[i] = parts[i].slices()) == null) {
                return null;
            }
        }
        return (row, col, len, dst, dstOff) -> {
            while (len > 0) {
                int part = col / partCols;
                int from = col - part * partCols;
                int take = Math.min(len, partCols - from);
                cols[part].unpack(row, from, take, dst, dstOff);
                col += take;
                dstOff += take;
                len -= take;
            }
        };
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return partCols * parts.length;
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
        float sum = 0f;
        for (int i = 0; i < parts.length; i++) {
            sum += parts[i].dot(row, x, xOff + i * partCols);
        }
        return sum;
    }

    @Override
    public void row(int row, float[] dst, int dstOff) {
        for (int i = 0; i < parts.length; i++) {
            parts[i].row(row, dst, dstOff + i * partCols);
        }
    }

    @Override
    public RowSlices slices() {
        return slices;
    }
}
