package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.Int8Activations;
import dev.llama3j.tensor.kernel.RowKernel;
import dev.llama3j.tensor.kernel.RowSlices;

import java.lang.foreign.MemorySegment;

/** A contiguous row-major matrix of one element type, computed in place by that type's kernel. */
public final class DenseMatrix implements Matrix {
    private final String name;
    private final DType type;
    private final RowKernel kernel;
    private final MemorySegment data;
    private final int rows;
    private final int cols;
    private final long rowBytes;
    private final boolean int8;
    private final RowSlices slices = new Slices();

    /** A matrix with float32 activations. */
    public DenseMatrix(String name, DType type, MemorySegment data, int rows, int cols) {
        this(name, type, data, rows, cols, false);
    }

    /**
     * With {@code int8}, and a type whose kernel has an integer dot ({@link RowKernel#hasInt8Dot}), matrix-vector
     * products take int8 activations ({@link #takesInt8}).
     */
    public DenseMatrix(String name, DType type, MemorySegment data, int rows, int cols, boolean int8) {
        this.name = name;
        this.int8 = int8 && type.kernel().hasInt8Dot();
        this.type = type;
        this.kernel = type.kernel();
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type.bytesFor(cols);
        if (data.byteSize() != rowBytes * rows) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes for " + rows + "x" + cols + " " + type);
        }
    }

    public String name() {
        return name;
    }

    public MemorySegment data() {
        return data;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public DType type() {
        return type;
    }

    @Override
    public long byteSize() {
        return data.byteSize();
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        return kernel.dot(data, row * rowBytes, x, xOff, cols);
    }

    @Override
    public void row(int row, float[] dst, int dstOff) {
        kernel.dequantize(data, row * rowBytes, dst, dstOff, cols);
    }

    @Override
    public boolean takesInt8() {
        return int8;
    }

    @Override
    public void matvec(Int8Activations x, float[] out, int outOff, int rowStart, int rowEnd) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOff + r] = kernel.dot(data, r * rowBytes, x, cols);
        }
    }

    /** One {@link RowKernel#prepare} of {@code x}, or one int8 quantization where {@link #takesInt8}, serves every row. */
    @Override
    public void matvec(float[] x, int xOff, float[] out, int outOff, int rowStart, int rowEnd) {
        if (int8) {
            matvec(Int8Activations.quantize(x, xOff, cols), out, outOff, rowStart, rowEnd);
            return;
        }
        if (kernel.nativeMatvec(data, rowStart * rowBytes, rowBytes, x, xOff, cols, out, outOff + rowStart,
                rowEnd - rowStart)) {
            return;
        }
        float[] prepared = kernel.prepare(x, xOff, cols);
        if (kernel.pairsRows()) {
            // the range's two halves side by side, two memory streams; the logits stay bit-identical to one row at a
            // time (figures: docs/performance.md)
            int half = (rowEnd - rowStart) / 2;
            for (int r = rowStart; r < rowStart + half; r++) {
                kernel.dot2(data, r * rowBytes, (r + half) * rowBytes, x, xOff, cols, prepared, out, outOff + r,
                        outOff + r + half);
            }
            rowStart += 2 * half;
        }
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOff + r] = kernel.dot(data, r * rowBytes, x, xOff, cols, prepared);
        }
    }

    @Override
    public RowSlices slices() {
        return slices;
    }

    /** Rows as float slices; a block of rows in one call through the kernel's native unpacking where it has one. */
    private final class Slices implements RowSlices {
        @Override
        public void unpack(int row, int col, int len, float[] dst, int dstOff) {
            kernel.unpackFloats(data, row * rowBytes + type.bytesFor(col), dst, dstOff, len);
        }

        @Override
        public void unpackRows(int row, int rows, int cols, int depth, float[] dst, int dstOff, int rowStride,
                               int sliceStride) {
            if (!kernel.nativeUnpack(data, row * rowBytes, rowBytes, rows, cols, depth, dst, dstOff, rowStride,
                    sliceStride)) {
                RowSlices.super.unpackRows(row, rows, cols, depth, dst, dstOff, rowStride, sliceStride);
            }
        }
    }
}
