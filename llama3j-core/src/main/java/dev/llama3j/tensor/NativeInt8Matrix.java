package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.Int8Activations;
import dev.llama3j.tensor.kernel.Int8Batch;
import dev.llama3j.tensor.kernel.NativeKernels;
import dev.llama3j.tensor.kernel.RowSlices;

/**
 * A Q4_0, Q4_K, Q6_K or Q8_0 matrix whose int8 products the {@link NativeKernels} compute from the file's own
 * blocks: no copy is made (the Java kernels' {@link RepackedMatrix} makes one on first use), so memory holds the
 * file's pages only and the first product does not wait. Prompts take int8 activations too where that is the
 * faster product (each vector with the bits of its matrix-vector product), else the float32 tiled product; row
 * reads take float slices of the same blocks.
 */
public final class NativeInt8Matrix implements Matrix {
    private final DenseMatrix source;
    private final long rowBytes;
    private final NativeKernels.Kernel kernel;

    private final boolean int8Prompts;

    /** With {@code int8Prompts} false, prompts take the float32 tiled product over {@link #slices} instead. */
    public NativeInt8Matrix(DenseMatrix source, boolean int8Prompts) {
        this.int8Prompts = int8Prompts;
        this.kernel = NativeKernels.forType(source.type().ggmlId, source.cols());
        if (kernel == null) {
            throw new IllegalArgumentException(source.name() + ": no native kernel reads " + source.type() + " rows");
        }
        this.source = source;
        this.rowBytes = source.type().bytesFor(source.cols());
    }

    @Override
    public int rows() {
        return source.rows();
    }

    @Override
    public int cols() {
        return source.cols();
    }

    @Override
    public DType type() {
        return source.type();
    }

    @Override
    public long byteSize() {
        return source.byteSize();
    }

    /** With int8 activations, as every product of this matrix. */
    @Override
    public float dot(int row, float[] x, int xOff) {
        float[] out = new float[1];
        matvec(Int8Activations.quantize(x, xOff, cols()), out, -row, row, row + 1);
        return out[0];
    }

    @Override
    public void row(int row, float[] dst, int dstOff) {
        source.row(row, dst, dstOff);
    }

    @Override
    public boolean takesInt8() {
        return true;
    }

    @Override
    public void matvec(float[] x, int xOff, float[] out, int outOff, int rowStart, int rowEnd) {
        matvec(Int8Activations.quantize(x, xOff, cols()), out, outOff, rowStart, rowEnd);
    }

    @Override
    public void matvec(Int8Activations x, float[] out, int outOff, int rowStart, int rowEnd) {
        NativeKernels.matvec(kernel, source.data().asSlice(rowStart * rowBytes, (rowEnd - rowStart) * rowBytes),
                rowBytes, cols(), x, out, outOff + rowStart, rowEnd - rowStart);
    }

    @Override
    public boolean takesInt8Batches() {
        return true;
    }

    @Override
    public boolean takesInt8Prompts() {
        return int8Prompts;
    }

    @Override
    public void matmul(Int8Batch x, float[] out, int rowStart, int rowEnd) {
        NativeKernels.matmul(kernel, source.data().asSlice(rowStart * rowBytes, (rowEnd - rowStart) * rowBytes),
                rowBytes, x, out, rowStart, rows(), rowEnd - rowStart);
    }

    @Override
    public RowSlices slices() {
        return source.slices();
    }
}
