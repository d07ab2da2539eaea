package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.Int8Activations;
import dev.llama3j.tensor.kernel.Q6KRepacked;
import dev.llama3j.tensor.kernel.RowSlices;

import java.lang.foreign.MemorySegment;

/**
 * A Q6_K matrix copied at load into memory of its own in {@link Q6KRepacked}'s layout, for integer dot products with
 * int8 activations: its matrix-vector products always take them ({@link #takesInt8}). Prompts still multiply float
 * slices of the rows ({@link #slices}), the same bits as the original blocks give.
 */
public final class RepackedQ6KMatrix implements Matrix {
    private final int rows;
    private final int cols;
    private final long rowBytes;
    private final MemorySegment data;
    private final RowSlices slices = this::unpack;

    private RepackedQ6KMatrix(int rows, int cols, MemorySegment data) {
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = Q6KRepacked.rowBytes(cols);
        this.data = data;
    }

    /**
     * The Q6_K rows of {@code source} repacked, rows split across threads; a mapped source's pages are then released
     * (the file stays mapped and readable, they are just no longer resident for this process).
     */
    public static RepackedQ6KMatrix of(DenseMatrix source) {
        if (source.type() != DType.Q6_K) {
            throw new IllegalArgumentException(source.name() + " is " + source.type() + ", not Q6_K");
        }
        int rows = source.rows();
        int cols = source.cols();
        long rowBytes = Q6KRepacked.rowBytes(cols);
        MemorySegment data = WeightMemory.allocate(rowBytes * rows + Q6KRepacked.PADDING);
        MemorySegment src = source.data();
        long srcRowBytes = DType.Q6_K.bytesFor(cols);
        Parallel.RangeBody repack = (s, e) -> {
            for (int r = s; r < e; r++) {
                Q6KRepacked.repack(src, r * srcRowBytes, data, r * rowBytes, cols);
            }
        };
        // a segment confined to this thread (a caller's own arena) is repacked by this thread alone
        if (src.isAccessibleBy(new Thread(() -> { }))) {
            Parallel.forRange(rows, repack);
        } else {
            repack.run(0, rows);
        }
        if (src.isMapped()) {
            src.unload();
        }
        return new RepackedQ6KMatrix(rows, cols, data);
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
        return DType.Q6_K;
    }

    @Override
    public long byteSize() {
        return rowBytes * rows;
    }

    /** With int8 activations, as every product of this matrix: {@code x} is quantized first. */
    @Override
    public float dot(int row, float[] x, int xOff) {
        return Q6KRepacked.dot(data, row * rowBytes, cols, Int8Activations.quantize(x, xOff, cols));
    }

    @Override
    public void row(int row, float[] dst, int dstOff) {
        Q6KRepacked.unpackFloats(data, row * rowBytes, cols, 0, dst, dstOff, cols);
    }

    @Override
    public boolean takesInt8() {
        return true;
    }

    @Override
    public void matvec(float[] x, int xOff, float[] out, int outOff, int rowStart, int rowEnd) {
        matvec(Int8Activations.quantize(x, xOff, cols), out, outOff, rowStart, rowEnd);
    }

    @Override
    public void matvec(Int8Activations x, float[] out, int outOff, int rowStart, int rowEnd) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOff + r] = Q6KRepacked.dot(data, r * rowBytes, cols, x);
        }
    }

    @Override
    public RowSlices slices() {
        return slices;
    }

    private void unpack(int row, int col, int len, float[] dst, int dstOff) {
        Q6KRepacked.unpackFloats(data, row * rowBytes, cols, col, dst, dstOff, len);
    }
}
