package dev.llama3j.tensor;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Splits index ranges statically across a fixed pool of platform threads (one per core by default,
 * {@code -Dllama3j.threads=N} to change). The caller runs the first chunk itself.
 */
public final class Parallel {

    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static final int THREADS = Math.max(1, Integer.getInteger("llama3j.threads",
            Runtime.getRuntime().availableProcessors()));
    private static final ExecutorService POOL = Executors.newFixedThreadPool(Math.max(1, THREADS - 1), r -> {
        Thread t = new Thread(r, "llama3j-worker");
        t.setDaemon(true);
        return t;
    });

    private Parallel() {}

    public static int threads() {
        return THREADS;
    }

    /** Runs {@code body} over [0, n) in up to {@link #threads()} contiguous chunks, waiting for all. */
    public static void forRange(int n, RangeBody body) {
        int chunks = Math.min(THREADS, n);
        if (chunks <= 1) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        CountDownLatch done = new CountDownLatch(chunks - 1);
        Throwable[] failure = new Throwable[1];
        for (int c = 1; c < chunks; c++) {
            int start = (int) ((long) n * c / chunks);
            int end = (int) ((long) n * (c + 1) / chunks);
            POOL.execute(() -> {
                try {
                    body.run(start, end);
                } catch (Throwable t) {
                    synchronized (failure) {
                        failure[0] = t;
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        body.run(0, (int) ((long) n / chunks));
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        synchronized (failure) {
            if (failure[0] instanceof RuntimeException re) {
                throw re;
            }
            if (failure[0] instanceof Error err) {
                throw err;
            }
        }
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
        forRange(m.rows(), (s, e) -> m.matmul(x, n, out, s, e));
    }

}
