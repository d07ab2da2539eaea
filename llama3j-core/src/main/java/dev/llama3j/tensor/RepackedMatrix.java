package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.Int8Activations;
import dev.llama3j.tensor.kernel.RepackedLayout;
import dev.llama3j.tensor.kernel.RowSlices;

import java.lang.foreign.MemorySegment;

/**
 * A quantized matrix whose matrix-vector products take int8 activations ({@link #takesInt8}) against a copy of its
 * rows in the type's {@link RepackedLayout}, made by the first such product ({@link #prepareInt8}), not at load: a
 * prompt multiplies float slices of the rows (the same bits from the file's blocks or from the copy), so the first
 * token does not wait for the copy. Once copied, the file's pages are released (the file stays mapped and readable,
 * they are just no longer resident for this process) and everything reads the copy, unless the layout's float
 * slices are slow ({@link RepackedLayout#unpacksFast}): then prompts keep reading the file.
 */
public final class RepackedMatrix implements Matrix {
    private final DenseMatrix source;
    private final RepackedLayout layout;
    private final int cols;
    private final long rowBytes;
    private volatile MemorySegment data;
    private final RowSlices slices = this::unpack;

    private RepackedMatrix(DenseMatrix source, RepackedLayout layout) {
        this.source = source;
        this.layout = layout;
        this.cols = source.cols();
        this.rowBytes = layout.rowBytes(cols);
    }

    /** The matrix over {@code source}; its type must have a layout ({@link RepackedLayout#forGgmlType}). */
    public static RepackedMatrix of(DenseMatrix source) {
        RepackedLayout layout = RepackedLayout.forGgmlType(source.type().ggmlId);
        if (layout == null) {
            throw new IllegalArgumentException(source.name() + ": " + source.type() + " has no repacked layout");
        }
        return new RepackedMatrix(source, layout);
    }

    /**
     * Copies the rows into the repacked layout unless done, rows split across threads: callers of int8 products
     * call it before their parallel region ({@code ParallelMatmul} does).
     */
    @Override
    public void prepareInt8() {
        if (data == null) {
            repack(true);
        }
    }

    /** The copy, rows split across threads when {@code parallel} (only from outside the thread pool's regions). */
    private synchronized void repack(boolean parallel) {
        if (data != null) {
            return;
        }
        int rows = source.rows();
        MemorySegment src = source.data();
        MemorySegment copy = WeightMemory.allocate(rowBytes * rows + layout.padding());
        long srcRowBytes = source.type().bytesFor(cols);
        Parallel.RangeBody body = (s, e) -> layout.repackRows(src, srcRowBytes, copy, cols, s, e);
        // a segment confined to this thread (a caller's own arena) is repacked by this thread alone
        if (parallel && src.isAccessibleBy(new Thread(() -> { }))) {
            Parallel.forRange(rows, body);
        } else {
            body.run(0, rows);
        }
        data = copy;
        if (src.isMapped() && layout.unpacksFast()) {
            src.unload();
        }
    }

    /** Whether the rows have been copied (by {@link #prepareInt8}). */
    public boolean repacked() {
        return data != null;
    }

    @Override
    public int rows() {
        return source.rows();
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public DType type() {
        return source.type();
    }

    /** The bytes a product reads: the copy's once made. */
    @Override
    public long byteSize() {
        return data != null ? rowBytes * source.rows() : source.byteSize();
    }

    /** With int8 activations, as every product of this matrix: {@code x} is quantized first. */
    @Override
    public float dot(int row, float[] x, int xOff) {
        prepareInt8();
        return layout.dot(data, row * rowBytes, cols, Int8Activations.quantize(x, xOff, cols));
    }

    @Override
    public void row(int row, float[] dst, int dstOff) {
        unpack(row, 0, cols, dst, dstOff);
    }

    @Override
    public boolean takesInt8() {
        return true;
    }

    @Override
    public void matvec(float[] x, int xOff, float[] out, int outOff, int rowStart, int rowEnd) {
        prepareInt8();
        matvec(Int8Activations.quantize(x, xOff, cols), out, outOff, rowStart, rowEnd);
    }

    @Override
    public void matvec(Int8Activations x, float[] out, int outOff, int rowStart, int rowEnd) {
        prepareInt8();
        MemorySegment w = data;
        for (int r = rowStart; r < rowEnd; r++) {
            out[outOff + r] = layout.dot(w, r * rowBytes, cols, x);
        }
    }

    @Override
    public RowSlices slices() {
        return slices;
    }

    private void unpack(int row, int col, int len, float[] dst, int dstOff) {
        MemorySegment w = data;
        if (w == null || !layout.unpacksFast()) {
            source.slices().unpack(row, col, len, dst, dstOff);
        } else {
            layout.unpackFloats(w, row * rowBytes, cols, col, dst, dstOff, len);
        }
    }
}
