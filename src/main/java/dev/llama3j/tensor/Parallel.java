package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.TileMatmul;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Splits index ranges statically across a dedicated pool of platform threads, one per core by default
 * ({@code -Dllama3j.threads=N} or {@link #setThreads}). The caller runs the first chunk itself.
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

    /** Runs {@code body} over [0, n) in up to {@link #threads()} contiguous chunks, waiting for all. */
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
    private record Job(long epoch, RangeBody body, int size, int chunks, AtomicInteger pending,
                       AtomicReference<Throwable> failure, Thread caller) {}

    /**
     * Several matrices reading the same input (wq/wk/wv, or w1/w3) in ONE parallel region: their rows are laid end
     * to end and split across threads, so the threads meet once instead of once per matrix. With several vectors and
     * tiled matrices, the threads first pack the activations together into one buffer that they all read (each
     * thread packing all of them for its own rows would repeat that work and the cache traffic on every thread).
     */
    public static void matmul(Matrix[] ms, float[] x, int n, float[][] outs) {
        int[] starts = new int[ms.length + 1];
        TileMatmul.RowSlices[] slices = new TileMatmul.RowSlices[ms.length];
        boolean tiled = n > 1;
        for (int i = 0; i < ms.length; i++) {
            starts[i + 1] = starts[i] + ms[i].rows();
            slices[i] = n > 1 ? ms[i].slices() : null;
            tiled &= slices[i] != null;
        }
        if (!tiled) {
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
        int cols = ms[0].cols();
        int pass = TileMatmul.passTokens(cols);
        for (int t0 = 0; t0 < n; t0 += pass) {
            int first = t0;
            int tokens = Math.min(pass, n - t0);
            float[] acts = packed(TileMatmul.packedSize(cols, tokens));
            forRange(TileMatmul.groups(tokens), (s, e) -> TileMatmul.pack(x, cols, first, tokens, acts, s, e));
            forRange(starts[ms.length], TileMatmul.ROWS, (s, e) -> {
                for (int i = 0; i < ms.length; i++) {
                    int from = Math.max(s, starts[i]) - starts[i];
                    int to = Math.min(e, starts[i + 1]) - starts[i];
                    if (from < to) {
                        TileMatmul.multiply(slices[i], cols, acts, first, tokens, outs[i], ms[i].rows(), from, to);
                    }
                }
            });
        }
    }

    /** The calling thread's buffer for packed activations, grown only. */
    private static final ThreadLocal<float[][]> PACKED = ThreadLocal.withInitial(() -> new float[][] {new float[0]});

    private static float[] packed(int size) {
        float[][] holder = PACKED.get();
        if (holder[0].length < size) {
            holder[0] = new float[size];
        }
        return holder[0];
    }

    private static final class Pool {
        final int threads;
        private final Thread[] workers;
        private final ReentrantLock submit = new ReentrantLock();
        private volatile Job job = new Job(0, null, 0, 0, null, null, null);
        private volatile boolean stopped;

        Pool(int threads) {
            this.threads = threads;
            this.workers = new Thread[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                int chunk = i + 1;
                workers[i] = Thread.ofPlatform().daemon().name("llama3j-worker-" + chunk).unstarted(() -> work(chunk));
                workers[i].start();
            }
        }

        void run(int n, RangeBody body) {
            int parts = Math.min(threads, n);
            if (parts <= 1 || isWorker()) {
                if (n > 0) {
                    body.run(0, n);
                }
                return;
            }
            submit.lock();
            try {
                Job j = new Job(job.epoch + 1, body, n, parts, new AtomicInteger(parts - 1), new AtomicReference<>(),
                        Thread.currentThread());
                job = j;
                for (int i = 0; i < parts - 1; i++) {
                    LockSupport.unpark(workers[i]);
                }
                Throwable mine = null;
                try {
                    body.run(0, bound(n, parts, 1));
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

        private void work(int chunk) {
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
                if (chunk < j.chunks) {
                    try {
                        j.body.run(bound(j.size, j.chunks, chunk), bound(j.size, j.chunks, chunk + 1));
                    } catch (Throwable t) {
                        j.failure.compareAndSet(null, t);
                    }
                    if (j.pending.decrementAndGet() == 0) {
                        LockSupport.unpark(j.caller);
                    }
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

        private static int bound(int n, int parts, int i) {
            return (int) ((long) n * i / parts);
        }

        void shutdown() {
            stopped = true;
            for (Thread w : workers) {
                LockSupport.unpark(w);
            }
        }
    }
}
