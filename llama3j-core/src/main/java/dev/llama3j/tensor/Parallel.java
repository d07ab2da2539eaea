package dev.llama3j.tensor;

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
 *
 * <p>A model may have threads of its own ({@link #newWorkers}): code run through {@link #using} (its forward pass)
 * splits its ranges on them, so that two models in one JVM can use different thread counts.
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
            Runtime.getRuntime().availableProcessors())), "llama3j-worker-");

    /** The workers that {@link #using} puts in charge of the ranges of the code it runs on this thread. */
    private static final ThreadLocal<Pool> SCOPED = new ThreadLocal<>();
    /** On a worker thread, its pool: ranges split inside a chunk run there (inline). */
    private static final ThreadLocal<Pool> OWNER = new ThreadLocal<>();

    private Parallel() {}

    /** Threads of the pool ranges are split on here: a model's own within {@link #using}, else the process's. */
    public static int threads() {
        return current().threads;
    }

    private static Pool current() {
        Pool owner = OWNER.get();
        if (owner != null) {
            return owner;
        }
        Pool scoped = SCOPED.get();
        return scoped != null ? scoped : pool;
    }

    /** Worker threads of their own (a model's), used where {@link #using} runs code with them; close to stop them. */
    public static final class Workers implements AutoCloseable {
        private final Pool pool;

        private Workers(int threads) {
            this.pool = new Pool(threads, "llama3j-model-worker-");
        }

        public int threads() {
            return pool.threads;
        }

        @Override
        public void close() {
            pool.shutdown();
        }
    }

    /** {@code n} threads of their own (the calling thread counts as one of them). */
    public static Workers newWorkers(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        return new Workers(n);
    }

    /** Runs {@code body} with its ranges split on {@code workers}' threads (on the process's where null). */
    public static void using(Workers workers, Runnable body) {
        if (workers == null) {
            body.run();
            return;
        }
        Pool outer = SCOPED.get();
        SCOPED.set(workers.pool);
        try {
            body.run();
        } finally {
            SCOPED.set(outer);
        }
    }

    /** Replaces the pool with one of {@code n} threads (benchmarks compare thread counts). */
    public static synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + n);
        }
        if (n != pool.threads) {
            Pool old = pool;
            pool = new Pool(n, "llama3j-worker-");
            old.shutdown();
        }
    }

    /**
     * Runs {@code body} over [0, n) in contiguous chunks on up to {@link #threads()} threads, waiting for all. Which
     * thread runs which chunk is not fixed: a body must not depend on it (per-thread buffers are fine).
     */
    public static void forRange(int n, RangeBody body) {
        current().run(n, body);
    }

    /**
     * {@link #forRange} in units of {@code grain}: every chunk but the last starts and ends on a multiple of
     * {@code grain} (the row tiles of a matrix product stay whole).
     */
    public static void forRange(int n, int grain, RangeBody body) {
        current().run((n + grain - 1) / grain, (s, e) -> body.run(s * grain, Math.min(n, e * grain)));
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

    private static final class Pool {
        final int threads;
        private final Thread[] workers;
        private final ReentrantLock submit = new ReentrantLock();
        private volatile Job job = new Job(0, null, 0, 0, null, null, null, null);
        private volatile boolean stopped;

        Pool(int threads, String name) {
            this.threads = threads;
            this.workers = new Thread[threads - 1];
            for (int i = 0; i < workers.length; i++) {
                workers[i] = Thread.ofPlatform().daemon().name(name + (i + 1)).unstarted(this::work);
                workers[i].start();
            }
        }

        void run(int n, RangeBody body) {
            if (stopped) {
                throw new IllegalStateException("the worker threads have been closed");
            }
            // a range split inside a chunk (on a worker, or on the caller while its job runs) runs inline: a second
            // job would take the place of the first before every worker had seen it
            if (threads == 1 || n <= 1 || isWorker() || submit.isHeldByCurrentThread()) {
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
            OWNER.set(this);
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
