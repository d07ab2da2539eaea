package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.FloatVector;

import java.util.Arrays;

import static dev.llama3j.tensor.kernel.Vectors.F;

/**
 * Matrix times many vectors (a prompt) for every weight type, blocked like a BLAS matrix product so that the FMA units,
 * not the caches, set the pace.
 *
 * <p>The micro-kernel keeps a tile of 4 output rows by {@link #TOKENS} tokens in 8 vector registers. Per column k it
 * loads the k-th element of {@link #TOKENS} activation vectors as two vectors (the activations are packed transposed,
 * token-minor, once per call) and broadcasts the k-th weight of each of the 4 rows: 2 loads and 4 broadcasts feed 8
 * FMAs, with no horizontal sums anywhere. Weights are the broadcast side so that they can stay in their natural
 * row-major order: a row is unpacked to floats ({@link RowSlices#unpack}) exactly once per call, and only the
 * activations, whose packing is amortized over every row of the matrix, are transposed. Four rows, not five or six: C2
 * tends to load every broadcast of an iteration before the first FMA, and with more rows the sums, broadcasts and
 * activations no longer fit the 16 AVX2 registers, so a sum is spilled and every iteration waits on a store-to-load
 * round trip (half speed). Where a native variant of this width runs, it does the multiply-adds ({@link
 * NativeKernels#tile}, the same bits) in taller tiles, as many rows as its registers hold ({@link #ROWS}).
 *
 * <p>Blocking: {@link #blockRows} rows are unpacked whole, row after row (long sequential reads, which the hardware
 * prefetches from memory), into per-thread panels of {@link #DEPTH} columns (192 KiB for a long prompt, L2). For each
 * depth panel and each group of {@link #TOKENS} tokens, the packed activations of those columns (16 KiB, L1) are
 * multiplied with every row tile of the panel. The panels' partial sums are added into a per-thread sum buffer, so
 * the float rounding is that of a blocked sum: at most {@link #DEPTH} + ceil(cols / {@link #DEPTH}) roundings on the
 * path of any term. The weight panels and sums are per thread; the packed activations are read only, so threads that
 * split a matrix's rows share one packing ({@link #pack} then {@link #multiply}). Every buffer grows only, so steady
 * state allocates nothing.
 */
public final class TileMatmul {
    private static final int LANES = F.length();
    /** The native tile with this width's bits, or NONE: then the Java tile runs. */
    private static final NativeKernels.Isa NATIVE = NativeKernels.floatFor(LANES);
    /**
     * Output rows per tile of the Java tiles ({@link #tiles}): 8 where vectors are 512 bits wide, run as two of its
     * {@link #MICRO_ROWS}-row tiles, else 4.
     */
    static final int JAVA_ROWS = LANES >= 16 ? 8 : 4;
    /**
     * Output rows per tile of the layout: the native tile's shape where one runs, 8 at 512 bits (AVX-512 has 32
     * registers: 16 sums, 2 activations, 8 broadcasts) and 6 at 256 (AVX2's 16: 12 sums, 2 activations, a
     * broadcast), else {@link #JAVA_ROWS}. The block heights are multiples of it (checked below), so a block's
     * padded last tile stays within its depth panel. The tile's shape leaves every sum's rounding as it is: each
     * (row, token) sum still runs over k in order within a depth panel.
     */
    public static final int ROWS = NATIVE == NativeKernels.Isa.NONE ? JAVA_ROWS : LANES >= 16 ? 8 : 6;
    /** Rows of the Java micro-kernel ({@link #tile}): see the class comment for why 4. */
    private static final int MICRO_ROWS = 4;
    /** Tokens per micro-tile: two activation vectors (4 rows: 8 sums + 2 activations + 4 broadcasts, 14 registers). */
    public static final int TOKENS = 2 * LANES;
    /** Columns per depth block: a multiple of every block size (256 for the K-quants). */
    public static final int DEPTH = 256;
    /**
     * Rows unpacked at a time ({@link #blockRows}) for a long prompt. Every row block streams all the
     * packed activations once (16 MiB for a 512-token prompt through an 8192-column matrix, far beyond L2), so the
     * block is as tall as L2 allows: its depth panel is 192 KiB. 192 rows instead of 48 quarter that traffic
     * (figures: docs/performance.md).
     */
    public static final int BLOCK_ROWS = 192;
    /** Rows unpacked at a time for a short prompt, whose activations fit the caches anyway. */
    private static final int SHORT_BLOCK_ROWS = 48;
    /** Prompts up to this many tokens take {@link #SHORT_BLOCK_ROWS}. */
    static final int SHORT_PROMPT = 64;

    static {
        if (BLOCK_ROWS % ROWS != 0 || SHORT_BLOCK_ROWS % ROWS != 0) {
            throw new ExceptionInInitializerError("row blocks of " + BLOCK_ROWS + " and " + SHORT_BLOCK_ROWS
                    + " rows do not hold whole tiles of " + ROWS);
        }
    }

    /**
     * Rows per block for a pass of {@code tokens} tokens; threads that split a matrix split it on these blocks. A
     * short prompt keeps small blocks: more of them to share between the threads while the kernels are not yet
     * compiled (tall blocks delayed the first token; figures: docs/performance.md).
     */
    public static int blockRows(int tokens) {
        return tokens > SHORT_PROMPT ? BLOCK_ROWS : SHORT_BLOCK_ROWS;
    }

    /**
     * Packed activation floats per pass (8 MiB): longer prompts go through in several passes of tokens. Activations
     * that come packed (ParallelMatmul.matmulPacked) go through in one pass: each pass unpacks every weight again,
     * and the per-thread sum buffer then holds {@link #BLOCK_ROWS} floats per token (6 MiB for 8192 tokens, beside the
     * prompt's own 2 x 256 MiB of FFN activations).
     */
    private static final int PACKED_FLOATS = 1 << 21;

    /** Per-thread buffers, grown on demand. */
    private static final class Buffers {
        float[] weights = new float[0];
        float[] acts = new float[0];
        float[] sums = new float[0];
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    private TileMatmul() {}

    /**
     * {@code out[t * outStride + r] = row r . x[t * cols ..]} for r in [rowStart, rowEnd) and tokens t in [0, n);
     * nothing else of {@code out} is written. Packs the activations in a per-thread buffer: a caller that splits the
     * rows across threads packs them once instead ({@link #passTokens}, {@link #pack}, {@link #multiply}).
     */
    public static void matmul(RowSlices w, int cols, float[] x, int n, float[] out, int outStride,
                              int rowStart, int rowEnd) {
        Buffers b = BUFFERS.get();
        int pass = passTokens(cols);
        for (int t0 = 0; t0 < n; t0 += pass) {
            int tokens = Math.min(pass, n - t0);
            int size = packedSize(cols, tokens);
            if (b.acts.length < size) {
                b.acts = new float[size];
            }
            pack(x, cols, t0, tokens, b.acts, 0, groups(tokens));
            multiply(w, cols, b.acts, t0, tokens, out, outStride, rowStart, rowEnd);
        }
    }

    /** Tokens per pass: a prompt goes through in passes of at most this many tokens (8 MiB of packed floats). */
    public static int passTokens(int cols) {
        return Math.max(TOKENS, PACKED_FLOATS / cols / TOKENS * TOKENS);
    }

    /** Groups of {@link #TOKENS} tokens that {@code tokens} tokens pack into (the last one zero-padded). */
    public static int groups(int tokens) {
        return (tokens + TOKENS - 1) / TOKENS;
    }

    /** Floats that {@link #pack} writes for {@code tokens} tokens of {@code cols} columns. */
    public static int packedSize(int cols, int tokens) {
        return groups(tokens) * cols * TOKENS;
    }

    /**
     * Groups [gStart, gEnd) of tokens [t0, t0 + tokens) of x, transposed per group of {@link #TOKENS}:
     * {@code acts[(g * cols + k) * TOKENS + j]} is element k of token {@code t0 + g * TOKENS + j}, zero past the last
     * token. Disjoint group ranges may be packed concurrently.
     */
    public static void pack(float[] x, int cols, int t0, int tokens, float[] acts, int gStart, int gEnd) {
        for (int g = gStart; g < gEnd; g++) {
            int base = g * cols * TOKENS;
            for (int j = 0; j < TOKENS; j++) {
                int t = g * TOKENS + j;
                if (t < tokens) {
                    int src = (t0 + t) * cols;
                    for (int k = 0; k < cols; k++) {
                        acts[base + k * TOKENS + j] = x[src + k];
                    }
                } else {
                    for (int k = 0; k < cols; k++) {
                        acts[base + k * TOKENS + j] = 0f;
                    }
                }
            }
        }
    }

    /**
     * {@link #matmul} of tokens [t0, t0 + tokens) from their {@link #pack packed} activations (read only, so threads
     * that split the rows share one packing).
     */
    public static void multiply(RowSlices w, int cols, float[] acts, int t0, int tokens, float[] out, int outStride,
                                int rowStart, int rowEnd) {
        multiply(w, cols, acts, t0, tokens, out, outStride, rowStart, rowEnd, false);
    }

    /**
     * {@link #multiply} with the output in {@link #pack}'s layout: row r of token {@code t0 + g * TOKENS + j} at
     * {@code out[((t0 / TOKENS + g) * outRows + r) * TOKENS + j]} ({@code t0} a multiple of {@link #TOKENS}); the
     * padding tokens of a last, partial group get the sums of zero activations, 0. A product whose output reaches
     * the next tiled product through element-wise steps only (w1 and w3, SwiGLU, then w2) keeps it in this layout:
     * a block's rows are copied as they lie in the sum buffer instead of transposed to token-major, and the next
     * product takes them as its packed activations instead of packing them.
     */
    public static void multiplyPacked(RowSlices w, int cols, float[] acts, int t0, int tokens, float[] out,
                                      int outRows, int rowStart, int rowEnd) {
        multiply(w, cols, acts, t0, tokens, out, outRows, rowStart, rowEnd, true);
    }

    private static void multiply(RowSlices w, int cols, float[] acts, int t0, int tokens, float[] out, int outStride,
                                 int rowStart, int rowEnd, boolean packedOut) {
        Buffers b = BUFFERS.get();
        int groups = groups(tokens);
        int blockRows = blockRows(tokens);
        for (int r0 = rowStart; r0 < rowEnd; r0 += blockRows) {
            int rows = Math.min(blockRows, rowEnd - r0);
            multiplyBlock(b, w, cols, r0, rows, blockRows, acts, tokens, groups);
            if (packedOut) {
                storePacked(b.sums, rows, groups, out, outStride, t0 / TOKENS, r0);
            } else {
                store(b.sums, rows, tokens, groups, out, outStride, t0, r0);
            }
        }
    }

    /**
     * Sums of rows [r0, r0 + rows) times every packed token group into {@code b.sums}: tile (rt, g) at
     * {@code (rt * groups + g) * ROWS * TOKENS}, row-major within the tile.
     */
    private static void multiplyBlock(Buffers b, RowSlices w, int cols, int r0, int rows, int blockRows,
                                      float[] acts, int tokens, int groups) {
        int tiles = (rows + ROWS - 1) / ROWS;
        int size = tiles * groups * ROWS * TOKENS;
        if (b.sums.length < size) {
            b.sums = new float[size];
        }
        float[] sums = b.sums;
        Arrays.fill(sums, 0, size, 0f);
        // depth block kb of row r at (kb * blockRows + r) * DEPTH: the micro-kernel's rows lie DEPTH apart
        int panel = blockRows * DEPTH;
        int panels = (cols + DEPTH - 1) / DEPTH;
        if (b.weights.length < panels * panel) {
            b.weights = new float[panels * panel];
        }
        float[] weights = b.weights;
        // row by row: long sequential reads, which the hardware prefetches from memory (48 rows read a slice at a
        // time would be 48 short streams, each paying the memory latency)
        w.unpackRows(r0, rows, cols, DEPTH, weights, 0, DEPTH, panel);
        // a short last tile multiplies zero rows and its extra sums are dropped
        for (int kb = 0; kb < panels; kb++) {
            Arrays.fill(weights, kb * panel + rows * DEPTH, kb * panel + tiles * ROWS * DEPTH, 0f);
        }
        // a last group of at most LANES tokens needs only the narrow kernel
        boolean narrowLast = tokens - (groups - 1) * TOKENS <= LANES;
        if (NATIVE != NativeKernels.Isa.NONE) {
            for (int k0 = 0; k0 < cols; k0 += DEPTH) {
                NativeKernels.tile(NATIVE, weights, panel, cols, k0, acts, groups, tiles, narrowLast, sums);
            }
        } else {
            tiles(ROWS, weights, panel, cols, acts, groups, tiles, narrowLast, sums);
        }
    }

    /**
     * The multiply-adds of a row block in Java (what {@link NativeKernels#tile} does natively) in a layout of
     * {@code rowsPerTile} rows per tile, a multiple of {@link #MICRO_ROWS}: for each depth panel, group and row tile,
     * the tile's sums grow by the panel's products.
     */
    static void tiles(int rowsPerTile, float[] weights, int panel, int cols, float[] acts, int groups, int tiles,
                      boolean narrowLast, float[] sums) {
        if (rowsPerTile % MICRO_ROWS != 0) {
            throw new IllegalArgumentException("Java tiles of " + rowsPerTile + " rows: not a multiple of "
                    + MICRO_ROWS);
        }
        for (int k0 = 0; k0 < cols; k0 += DEPTH) {
            int depth = Math.min(DEPTH, cols - k0);
            for (int g = 0; g < groups; g++) {
                int a = (g * cols + k0) * TOKENS;
                boolean narrow = narrowLast && g == groups - 1;
                for (int rt = 0; rt < tiles; rt++) {
                    int s = (rt * groups + g) * rowsPerTile * TOKENS;
                    int wt = k0 / DEPTH * panel + rt * rowsPerTile * DEPTH;
                    // an 8-row tile as two 4-row ones: each sum's operations are the same
                    for (int h = 0; h < rowsPerTile; h += MICRO_ROWS) {
                        if (narrow) {
                            tileNarrow(weights, wt + h * DEPTH, depth, acts, a, sums, s + h * TOKENS);
                        } else {
                            tile(weights, wt + h * DEPTH, depth, acts, a, sums, s + h * TOKENS);
                        }
                    }
                }
            }
        }
    }

    /**
     * The block's sums, transposed into token-major {@code out}; padding rows and tokens are skipped. Token by
     * token, so that the writes run along a row of {@code out} and the scattered reads hit the small sum buffer.
     */
    private static void store(float[] sums, int rows, int tokens, int groups, float[] out, int outStride, int t0,
                              int r0) {
        int tiles = (rows + ROWS - 1) / ROWS;
        for (int t = 0; t < tokens; t++) {
            int o = (t0 + t) * outStride + r0;
            // token t's sum for row i of tile rt is at column + (rt * groups * ROWS + i) * TOKENS
            int column = t / TOKENS * ROWS * TOKENS + t % TOKENS;
            for (int rt = 0; rt < tiles; rt++) {
                int from = column + rt * groups * ROWS * TOKENS;
                int count = Math.min(ROWS, rows - rt * ROWS);
                for (int i = 0; i < count; i++) {
                    out[o + rt * ROWS + i] = sums[from + i * TOKENS];
                }
            }
        }
    }

    /**
     * The block's sums into {@link #multiplyPacked}'s layout: the rows of a micro-tile lie {@link #TOKENS} floats
     * apart in the sum buffer, as consecutive rows of a group do in the packed output, so each tile and group is one
     * copy.
     */
    private static void storePacked(float[] sums, int rows, int groups, float[] out, int outRows, int g0, int r0) {
        int tiles = (rows + ROWS - 1) / ROWS;
        for (int rt = 0; rt < tiles; rt++) {
            int count = Math.min(ROWS, rows - rt * ROWS);
            for (int g = 0; g < groups; g++) {
                System.arraycopy(sums, (rt * groups + g) * ROWS * TOKENS, out,
                        ((g0 + g) * outRows + r0 + rt * ROWS) * TOKENS, count * TOKENS);
            }
        }
    }

    /**
     * {@code sums[s + i * TOKENS + j] += sum_k weights[w + i * DEPTH + k] * acts[a + k * TOKENS + j]} for the
     * {@link #MICRO_ROWS} rows i and {@link #TOKENS} tokens j of one micro-tile. Spelled out: the 8 sums must stay in
     * registers.
     */
    private static void tile(float[] weights, int w, int depth, float[] acts, int a, float[] sums, int s) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        // one induction variable, the weight index, with the activation index affine in it: C2 then addresses the
        // four rows from one register and drops 6 of the loop's 13 integer instructions (a counter per array kept
        // the weights' range checks in the loop; figures: docs/performance.md)
        int shift = a - w * TOKENS;
        for (int k = w; k < w + depth; k++) {
            int ak = shift + k * TOKENS;
            FloatVector x0 = FloatVector.fromArray(F, acts, ak);
            FloatVector x1 = FloatVector.fromArray(F, acts, ak + LANES);
            FloatVector v = FloatVector.broadcast(F, weights[k]);
            c00 = v.fma(x0, c00);
            c01 = v.fma(x1, c01);
            v = FloatVector.broadcast(F, weights[k + DEPTH]);
            c10 = v.fma(x0, c10);
            c11 = v.fma(x1, c11);
            v = FloatVector.broadcast(F, weights[k + 2 * DEPTH]);
            c20 = v.fma(x0, c20);
            c21 = v.fma(x1, c21);
            v = FloatVector.broadcast(F, weights[k + 3 * DEPTH]);
            c30 = v.fma(x0, c30);
            c31 = v.fma(x1, c31);
        }
        add(c00, sums, s);
        add(c01, sums, s + LANES);
        add(c10, sums, s + TOKENS);
        add(c11, sums, s + TOKENS + LANES);
        add(c20, sums, s + 2 * TOKENS);
        add(c21, sums, s + 2 * TOKENS + LANES);
        add(c30, sums, s + 3 * TOKENS);
        add(c31, sums, s + 3 * TOKENS + LANES);
    }

    /** {@link #tile} for the first {@link #LANES} tokens of the group only (a prompt's last few tokens). */
    private static void tileNarrow(float[] weights, int w, int depth, float[] acts, int a, float[] sums, int s) {
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F);
        FloatVector c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
        int shift = a - w * TOKENS;
        for (int k = w; k < w + depth; k++) {
            FloatVector x0 = FloatVector.fromArray(F, acts, shift + k * TOKENS);
            c0 = x0.fma(FloatVector.broadcast(F, weights[k]), c0);
            c1 = x0.fma(FloatVector.broadcast(F, weights[k + DEPTH]), c1);
            c2 = x0.fma(FloatVector.broadcast(F, weights[k + 2 * DEPTH]), c2);
            c3 = x0.fma(FloatVector.broadcast(F, weights[k + 3 * DEPTH]), c3);
        }
        add(c0, sums, s);
        add(c1, sums, s + TOKENS);
        add(c2, sums, s + 2 * TOKENS);
        add(c3, sums, s + 3 * TOKENS);
    }

    private static void add(FloatVector v, float[] sums, int at) {
        v.add(FloatVector.fromArray(F, sums, at)).intoArray(sums, at);
    }
}
