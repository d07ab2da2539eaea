package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.TileMatmul;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Splits index ranges across a dedicated pool of platform threads, one per core by default
 * ({@code -Dllama3j.threads=N} or {@link #setThreads}); the caller works too.
 *
 * <p>A range is cut into {@link #CHUNKS_PER_THREAD} contiguous chunks per thread, which the threads take in turn
 * from a shared counter until none is left, instead of one fixed share each: cores do not run at the same speed. On
 * a cloud VM the same single-thread kernel runs faster pinned to one core than to the other (figures:
 * docs/performance.md), so with fixed halves the fast core idled at every step while the slow one finished its half.
 *
 * <p>A forward pass issues a few dozen parallel operations per layer, each lasting tens of microseconds, so the
 * hand-off must cost far less than an executor's queue and futures. Workers spin briefly on a volatile job counter
 * (catching back-to-back operations without a system call), then park, so that a pool sharing the machine with other
 * processes does not burn their cores (llama.cpp's spinning barriers collapse in that situation).
 */
public final class Parallel {

    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** how long an idle thread spins before parking */
    private static final long SPIN_NANOS = 50_000;
    /** Chunks per thread: enough for a fast core to take over a slow core's work, few enough to cost nothing. */
    static final int CHUNKS_PER_THREAD = 8;

    private static volatile Pool pool = new Pool(Math.max(1, Integer.getInteger("llama3j.threads",
            Runtime.getRuntime().availableProcessors())));

    private Parallel() {}

    public static int threads() {
        return pool.threads;
    }

    /** Replaces the pool with one of {@code n} threads (benchmarks compare thread counts). */
    public static synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        if (n != pool.threads) {
            Pool old = pool;
            pool = new Pool(n);
            old.shutdown();
        }
    }

    /**
     * Runs {@code body} over [0, n) in contiguous chunks on up to {@link #threads()} threads, waiting for all. Which
     * thread runs which chunk is not fixed: a body must not depend on it (per-thread buffers are fine).
     */
    public static void forRange(int n, RangeBody body) {
        pool.run(n, body);
    }

    /**
     * {@link #forRange} in units of {@code grain}: every chunk but the last starts and ends on a multiple of
     * {@code grain} (the row tiles of a matrix product stay whole).
     */
    public static void forRange(int n, int grain, RangeBody body) {
        pool.run((n + grain - 1) / grain, (s, e) -> body.run(s * grain, Math.min(n, e * grain)));
    }

    /** {@code out = m * x} with rows split across threads. */
    public static void matvec(Matrix m, float[] x, float[] out) {
        forRange(m.rows(), (s, e) -> m.matvec(x, 0, out, 0, s, e));
    }

    /** {@code n} vectors at once: {@code out[t*rows + r] = row r . x[t*cols ..]}, rows split across threads. */
    public static void matmul(Matrix m, float[] x, int n, float[] out) {
        if (n == 1) {
            matvec(m, x, out);
            return;
        }
        matmul(new Matrix[] {m}, x, n, new float[][] {out});
    }

    /** One parallel operation; immutable, so a worker that reads it late still sees one consistent job. */
    private record Job(long epoch, RangeBody body, int size, int chunks, AtomicInteger next, AtomicInteger pending,
                       AtomicReference<Throwable> failure, Thread caller) {

        /** Takes chunks until none is left. */
        void runChunks() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                body.run(bound(size, chunks, c), bound(size, chunks, c + 1));
            }
        }

        private static int bound(int n, int parts, int i) {
            return (int) ((long) n * i / parts);
        }
    }

    /**
     * Several matrices reading the same input (wq/wk/wv, or w1/w3) in ONE parallel region: their rows are laid end
     * to end and split across threads, so the threads meet once instead of once per matrix. With several vectors and
     * tiled matrices, the threads first pack the activations together into one buffer that they all read (each
     * thread packing all of them for its own rows would repeat that work and the cache traffic on every thread).
     */
    public static void matmul(Matrix[] ms, float[] x, int n, float[][] outs) {
        int[] starts = rowStarts(ms);
        TileMatmul.RowSlices[] slices = n > 1 ? slices(ms) : null;
        if (slices == null) {
            forRange(starts[ms.length], n == 1 ? 1 : TileMatmul.ROWS, (s, e) -> {
                for (int i = 0; i < ms.length; i++) {
                    int from = Math.max(s, starts[i]) - starts[i];
                    int to = Math.min(e, starts[i + 1]) - starts[i];
                    if (from < to) {
                        if (n == 1) {
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
        TileMatmul.RowSlices[] slices = n > 1 ? slices(ms) : null;
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
        TileMatmul.RowSlices slices = m.slices();
        if (slices == null) {
            throw new IllegalArgumentException(m.getClass().getSimpleName() + " has no tiled product");
        }
        forRange(m.rows(), TileMatmul.blockRows(n),
                (s, e) -> TileMatmul.multiply(slices, m.cols(), acts, 0, n, out, m.rows(), s, e));
    }

    /** Whether {@link #matmulToPacked} and {@link #matmulPacked} take these matrices. */
    public static boolean isTiled(Matrix... ms) {
        return slices(ms) != null;
    }

    /** The matrices' row slices, or null when one of them has none. */
    private static TileMatmul.RowSlices[] slices(Matrix[] ms) {
        TileMatmul.RowSlices[] slices = new TileMatmul.RowSlices[ms.length];
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

    private static void tiled(Matrix[] ms, TileMatmul.RowSlices[] slices, int[] starts, float[] x, int n,
                              float[][] outs, boolean packedOut) {
        int cols = ms[0].cols();
        int pass = TileMatmul.passTokens(cols);
        for (int t0 = 0; t0 < n; t0 += pass) {
            int first = t0;
            int tokens = Math.min(pass, n - t0);
            float[] acts = PACKED.get(TileMatmul.packedSize(cols, tokens));
            forRange(TileMatmul.groups(tokens), (s, e) -> TileMatmul.pack(x, cols, first, tokens, acts, s, e));
            // chunks of whole row blocks: a chunk that ends inside one unpacks that block's weights twice
            forRange(starts[ms.length], TileMatmul.blockRows(tokens), (s, e) -> {
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

    private static final class Pool {
        final int threads;
        private final Thread[] workers;
        private final ReentrantLock submit = new ReentrantLock();
        private volatile Job job = new Job(0, null, 0, 0, null, null, null, null);
        private volatile boolean stopped;

        Pool(int threads) {
            this.threads = threads;
            this.workers = new Thread[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                workers[i] = Thread.ofPlatform().daemon().name("llama3j-worker-" + (i + 1)).unstarted(this::work);
                workers[i].start();
            }
        }

        void run(int n, RangeBody body) {
            if (threads == 1 || n <= 1 || isWorker()) {
                if (n > 0) {
                    body.run(0, n);
                }
                return;
            }
            submit.lock();
            try {
                Job j = new Job(job.epoch + 1, body, n, Math.min(n, threads * CHUNKS_PER_THREAD), new AtomicInteger(),
                        new AtomicInteger(workers.length), new AtomicReference<>(), Thread.currentThread());
                job = j;
                for (Thread w : workers) {
                    LockSupport.unpark(w);
                }
                Throwable mine = null;
                try {
                    j.runChunks();
                } catch (Throwable t) {
                    mine = t;
                }
                awaitWorkers(j);
                Throwable t = mine != null ? mine : j.failure.get();
                if (t instanceof RuntimeException re) {
                    throw re;
                }
                if (t instanceof Error err) {
                    throw err;
                }
            } finally {
                submit.unlock();
            }
        }

        private void awaitWorkers(Job j) {
            long start = System.nanoTime();
            int spins = 0;
            while (j.pending.get() > 0) {
                if (++spins < 64 || System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 100_000);
                }
            }
        }

        private void work() {
            long seen = 0;
            while (true) {
                Job j;
                long start = System.nanoTime();
                int spins = 0;
                while ((j = job).epoch == seen) {
                    if (stopped) {
                        return;
                    }
                    if (++spins < 64 || System.nanoTime() - start < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                }
                seen = j.epoch;
                try {
                    j.runChunks();
                } catch (Throwable t) {
                    j.failure.compareAndSet(null, t);
                }
                if (j.pending.decrementAndGet() == 0) {
                    LockSupport.unpark(j.caller);
                }
            }
        }

        private boolean isWorker() {
            Thread me = Thread.currentThread();
            for (Thread w : workers) {
                if (w == me) {
                    return true;
                }
            }
            return false;
        }

        void shutdown() {
            stopped = true;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
        }
    }
}
