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
    private final RowSlices slices = this::unpack;

    public DenseMatrix(String name, DType type, MemorySegment data, int rows, int cols) {
        this.name = name;
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

    /**
     * One {@link RowKernel#prepare} of {@code x} serves every row; with int8 activations turned on
     * ({@link Int8Activations#enable}) and a type that has them, one quantization of {@code x} does.
     */
    @Override
    public void matvec(float[] x, int xOff, float[] out, int outOff, int rowStart, int rowEnd) {
        if (kernel.hasInt8Dot() && Int8Activations.enabled()) {
            Int8Activations quantized = Int8Activations.quantize(x, xOff, cols);
            for (int r = rowStart; r < rowEnd; r++) {
                out[outOff + r] = kernel.dot(data, r * rowBytes, quantized, cols);
            }
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

    private void unpack(int row, int col, int len, float[] dst, int dstOff) {
        kernel.unpackFloats(data, row * rowBytes + type.bytesFor(col), dst, dstOff, len);
    }
}
