package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.Int8Activations;
import dev.llama3j.tensor.kernel.Int8Batch;
import dev.llama3j.tensor.kernel.RowSlices;
import dev.llama3j.tensor.kernel.ScratchFloats;
import dev.llama3j.tensor.kernel.TileMatmul;

/**
 * Matrix products split across the {@link Parallel} pool: which rows each thread takes, several matrices in one
 * parallel region, and the tiled product's packed layout, which callers see only through {@link #packedSize} and
 * {@link #forPackedRange}.
 */
public final class ParallelMatmul {
    private ParallelMatmul() {}

    /** {@code out = m * x} with rows split across threads (x quantized once first where m takes int8). */
    public static void matvec(Matrix m, float[] x, float[] out) {
        if (m.takesInt8()) {
            m.prepareInt8();
            Int8Activations q = Int8Activations.quantize(x, 0, m.cols());
            Parallel.forRange(m.rows(), (s, e) -> m.matvec(q, out, 0, s, e));
            return;
        }
        Parallel.forRange(m.rows(), (s, e) -> m.matvec(x, 0, out, 0, s, e));
    }

    /** Rows a thread runs every vector over before it takes the next ones ({@link #matvecs}): their weights stay in cache. */
    private static final int VECTOR_BLOCK_ROWS = 32;

    /**
     * {@code n} vectors, each through its own matrix-vector product ({@code outs[i][t*rows + r]}): every output has
     * the bits of {@link #matvec} of that vector alone, whatever the other vectors are. The matrices' rows, laid end
     * to end, are split across threads in one region; a thread runs all the vectors over a few rows at a time, so
     * the weights come from memory once for all of them.
     */
    public static void matvecs(Matrix[] ms, float[] x, int n, float[][] outs) {
        int[] starts = rowStarts(ms);
        if (n > 1 && all(ms, Matrix::takesInt8Batches)) {
            // the same bits, the weights unpacked once for several vectors
            int8Batches(ms, starts, x, n, outs);
            return;
        }
        int cols = ms[0].cols();
        Int8Activations[] q = takesInt8(ms) ? Int8Activations.quantizeEach(x, n, cols) : null;
        int block = n == 1 ? Integer.MAX_VALUE : VECTOR_BLOCK_ROWS;
        Parallel.forRange(starts[ms.length], n == 1 ? 1 : VECTOR_BLOCK_ROWS, (s, e) -> {
            for (int b0 = s; b0 < e; b0 += Math.min(block, e - b0)) {
                int b1 = b0 + Math.min(block, e - b0);
                for (int i = 0; i < ms.length; i++) {
                    int from = Math.max(b0, starts[i]) - starts[i];
                    int to = Math.min(b1, starts[i + 1]) - starts[i];
                    if (from >= to) {
                        continue;
                    }
                    int rows = ms[i].rows();
                    for (int t = 0; t < n; t++) {
                        if (ms[i].takesInt8()) {
                            ms[i].matvec(q[t], outs[i], t * rows, from, to);
                        } else {
                            ms[i].matvec(x, t * cols, outs[i], t * rows, from, to);
                        }
                    }
                }
            }
        });
    }

    /** {@code n} vectors at once: {@code out[t*rows + r] = row r . x[t*cols ..]}, rows split across threads. */
    public static void matmul(Matrix m, float[] x, int n, float[] out) {
        if (n == 1) {
            matvec(m, x, out);
            return;
        }
        matmul(new Matrix[] {m}, x, n, new float[][] {out});
    }

    /**
     * Several matrices reading the same input (wq/wk/wv, or w1/w3) in ONE parallel region: their rows are laid end
     * to end and split across threads, so the threads meet once instead of once per matrix. With several vectors and
     * tiled matrices, the threads first pack the activations together into one buffer that they all read (each
     * thread packing all of them for its own rows would repeat that work and the cache traffic on every thread).
     */
    public static void matmul(Matrix[] ms, float[] x, int n, float[][] outs) {
        int[] starts = rowStarts(ms);
        if (n > 1 && all(ms, Matrix::takesInt8Prompts)) {
            int8Batches(ms, starts, x, n, outs);
            return;
        }
        RowSlices[] slices = n > 1 ? slices(ms) : null;
        if (slices == null) {
            // one quantization of x for all the threads, where a matrix takes int8 (its buffer is this thread's)
            Int8Activations q = n == 1 && takesInt8(ms) ? Int8Activations.quantize(x, 0, ms[0].cols()) : null;
            Parallel.forRange(starts[ms.length], n == 1 ? 1 : TileMatmul.ROWS, (s, e) -> {
                for (int i = 0; i < ms.length; i++) {
                    int from = Math.max(s, starts[i]) - starts[i];
                    int to = Math.min(e, starts[i + 1]) - starts[i];
                    if (from < to) {
                        if (n == 1 && ms[i].takesInt8()) {
                            ms[i].matvec(q, outs[i], 0, from, to);
                        } else if (n == 1) {
                            ms[i].matvec(x, 0, outs[i], 0, from, to);
                        } else {
                            ms[i].matmul(x, n, outs[i], from, to);
                        }
                    }
                }
            });
            return;
        }
        tiled(ms, slices, starts, x, n, outs, false);
    }

    /**
     * {@link #matmul} of several vectors with the outputs left in the tiled product's packed layout
     * ({@link TileMatmul#multiplyPacked}: {@code outs[i]} holds {@link TileMatmul#packedSize}{@code (rows, n)}
     * floats), for outputs that reach another product only through element-wise steps ({@link #matmulPacked}).
     *
     * @throws IllegalArgumentException unless {@code n > 1} and every matrix is tiled ({@link #isTiled})
     */
    public static void matmulToPacked(Matrix[] ms, float[] x, int n, float[][] outs) {
        RowSlices[] slices = n > 1 ? slices(ms) : null;
        if (slices == null) {
            throw new IllegalArgumentException("the packed layout needs several vectors and tiled matrices");
        }
        tiled(ms, slices, rowStarts(ms), x, n, outs, true);
    }

    /**
     * {@code out = m * x} for {@code n} vectors given in the tiled product's packed layout ({@link TileMatmul#pack}
     * of all n from group 0, as {@link #matmulToPacked} leaves them): no packing pass.
     *
     * @throws IllegalArgumentException unless {@code m} is tiled
     */
    public static void matmulPacked(Matrix m, float[] acts, int n, float[] out) {
        RowSlices slices = m.slices();
        if (slices == null) {
            throw new IllegalArgumentException(m.getClass().getSimpleName() + " has no tiled product");
        }
        Parallel.forRange(m.rows(), TileMatmul.blockRows(n),
                (s, e) -> TileMatmul.multiply(slices, m.cols(), acts, 0, n, out, m.rows(), s, e));
    }

    /**
     * Rows per chunk of an int8 batch product, at least: each chunk prepares every vector's activations once, so
     * a thread takes few large chunks (two per thread, in multiples of this).
     */
    private static final int BATCH_ROWS = 64;

    /** Whether every matrix has {@code property}. */
    private static boolean all(Matrix[] ms, java.util.function.Predicate<Matrix> property) {
        for (Matrix m : ms) {
            if (!property.test(m)) {
                return false;
            }
        }
        return true;
    }

    /** The vectors quantized once, by all threads, then the matrices' rows split across threads. */
    private static void int8Batches(Matrix[] ms, int[] starts, float[] x, int n, float[][] outs) {
        Int8Batch q = Int8Batch.forThread(n, ms[0].cols());
        Parallel.forRange(n, (s, e) -> q.quantize(x, s, e));
        int rows = starts[ms.length];
        int chunk = Math.max(BATCH_ROWS, (rows / (2 * Parallel.threads()) + BATCH_ROWS - 1) / BATCH_ROWS * BATCH_ROWS);
        Parallel.forRange(rows, chunk, (s, e) -> {
            for (int i = 0; i < ms.length; i++) {
                int from = Math.max(s, starts[i]) - starts[i];
                int to = Math.min(e, starts[i + 1]) - starts[i];
                if (from < to) {
                    ms[i].matmul(q, outs[i], from, to);
                }
            }
        });
    }

    /** Whether any of the matrices takes int8 activations; those are prepared ({@link Matrix#prepareInt8}). */
    private static boolean takesInt8(Matrix[] ms) {
        boolean any = false;
        for (Matrix m : ms) {
            if (m.takesInt8()) {
                m.prepareInt8();
                any = true;
            }
        }
        return any;
    }

    /**
     * Whether {@link #matmulToPacked} and {@link #matmulPacked} take these matrices: they have float slices and
     * their prompts do not go through int8 batch products.
     */
    public static boolean isTiled(Matrix... ms) {
        return slices(ms) != null && !all(ms, Matrix::takesInt8Prompts);
    }

    /** The matrices' row slices, or null when one of them has none. */
    private static RowSlices[] slices(Matrix[] ms) {
        RowSlices[] slices = new RowSlices[ms.length];
        for (int i = 0; i < ms.length; i++) {
            slices[i] = ms[i].slices();
            if (slices[i] == null) {
                return null;
            }
        }
        return slices;
    }

    /** Where each matrix's rows start when they are laid end to end. */
    private static int[] rowStarts(Matrix[] ms) {
        int[] starts = new int[ms.length + 1];
        for (int i = 0; i < ms.length; i++) {
            starts[i + 1] = starts[i] + ms[i].rows();
        }
        return starts;
    }

    private static void tiled(Matrix[] ms, RowSlices[] slices, int[] starts, float[] x, int n,
                              float[][] outs, boolean packedOut) {
        int cols = ms[0].cols();
        int pass = TileMatmul.passTokens(cols);
        for (int t0 = 0; t0 < n; t0 += pass) {
            int first = t0;
            int tokens = Math.min(pass, n - t0);
            float[] acts = PACKED.get(TileMatmul.packedSize(cols, tokens));
            Parallel.forRange(TileMatmul.groups(tokens), (s, e) -> TileMatmul.pack(x, cols, first, tokens, acts, s, e));
            // chunks of whole row blocks: a chunk that ends inside one unpacks that block's weights twice
            Parallel.forRange(starts[ms.length], TileMatmul.blockRows(tokens), (s, e) -> {
                for (int i = 0; i < ms.length; i++) {
                    int from = Math.max(s, starts[i]) - starts[i];
                    int to = Math.min(e, starts[i + 1]) - starts[i];
                    if (from < to) {
                        if (packedOut) {
                            TileMatmul.multiplyPacked(slices[i], cols, acts, first, tokens, outs[i], ms[i].rows(),
                                    from, to);
                        } else {
                            TileMatmul.multiply(slices[i], cols, acts, first, tokens, outs[i], ms[i].rows(), from,
                                    to);
                        }
                    }
                }
            });
        }
    }

    /** The calling thread's buffer for packed activations. */
    private static final ScratchFloats PACKED = new ScratchFloats();

    /**
     * Floats that {@code n} vectors of length {@code cols} take in the packed layout (groups of vectors, the last one
     * padded): the size of an output of {@link #matmulToPacked}.
     */
    public static int packedSize(int cols, int n) {
        return TileMatmul.packedSize(cols, n);
    }

    /**
     * Runs {@code body} over the floats of {@code n} packed vectors of length {@code cols} across threads, in whole
     * groups: for element-wise steps between {@link #matmulToPacked} and {@link #matmulPacked}.
     */
    public static void forPackedRange(int cols, int n, Parallel.RangeBody body) {
        int group = TileMatmul.packedSize(cols, 1);
        Parallel.forRange(TileMatmul.groups(n), (s, e) -> body.run(s * group, e * group));
    }
}
