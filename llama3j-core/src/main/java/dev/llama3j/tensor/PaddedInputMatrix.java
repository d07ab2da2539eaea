package dev.llama3j.tensor;

/**
 * A matrix whose inputs are {@code cols} of a wider matrix's columns, from {@code offset}: the other columns' inputs
 * are zeros. A rank of a split model whose column range does not fall on quantization blocks reads the straddling
 * blocks whole ({@link TensorSlices#columns}) and zeroes the other ranks' part of its input.
 */
public final class PaddedInputMatrix implements Matrix {
    private final Matrix inner;
    private final int offset;
    private final int cols;

    public PaddedInputMatrix(Matrix inner, int offset, int cols) {
        if (offset < 0 || cols < 1 || offset + cols > inner.cols()) {
            throw new IllegalArgumentException("columns " + offset + "+" + cols + " of " + inner.cols());
        }
        this.inner = inner;
        this.offset = offset;
        this.cols = cols;
        // its products run the inner matrix's float path, which would lay out an int8 copy inside a parallel region
        if (inner.takesInt8()) {
            inner.prepareInt8();
        }
    }

    @Override
    public int rows() {
        return inner.rows();
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public DType type() {
        return inner.type();
    }

    @Override
    public long byteSize() {
        return inner.byteSize();
    }

    /** {@code n} vectors of {@code cols} inputs placed in vectors of the inner matrix's width, zeros around them. */
    private float[] widen(float[] x, int xOff, int n) {
        int wide = inner.cols();
        float[] out = new float[n * wide];
        for (int t = 0; t < n; t++) {
            System.arraycopy(x, xOff + t * cols, out, t * wide + offset, cols);
        }
        return out;
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        return inner.dot(row, widen(x, xOff, 1), 0);
    }

    @Override
    public void row(int row, float[] dst, int dstOff) {
        float[] all = new float[inner.cols()];
        inner.row(row, all, 0);
        System.arraycopy(all, offset, dst, dstOff, cols);
    }

    @Override
    public void matvec(float[] x, int xOff, float[] out, int outOff, int rowStart, int rowEnd) {
        inner.matvec(widen(x, xOff, 1), 0, out, outOff, rowStart, rowEnd);
    }

    @Override
    public void matmul(float[] x, int n, float[] out, int rowStart, int rowEnd) {
        inner.matmul(widen(x, 0, n), n, out, rowStart, rowEnd);
    }
}
