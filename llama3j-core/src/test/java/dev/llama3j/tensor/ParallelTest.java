package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.TileMatmul;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParallelTest {
    private final int original = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(original);
    }

    @Test
    void everyIndexRunsExactlyOnceForManyBackToBackJobsAndThreadCounts() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            Parallel.setThreads(threads);
            for (int n : new int[] {0, 1, 2, 3, 7, 100, 1001}) {
                for (int rep = 0; rep < 200; rep++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                    Parallel.forRange(n, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertThat(hits.get(i)).as("threads %d n %d index %d", threads, n, i).isEqualTo(1);
                    }
                }
            }
        }
    }

    @Test
    void aFailureInAnyChunkReachesTheCallerAndThePoolKeepsWorking() {
        Parallel.setThreads(3);
        assertThatThrownBy(() -> Parallel.forRange(9, (s, e) -> {
            if (s > 0) {
                throw new IllegalStateException("chunk " + s);
            }
        })).isInstanceOf(IllegalStateException.class);
        int[] sum = new int[1];
        Parallel.forRange(1, (s, e) -> sum[0] += e - s);
        AtomicIntegerArray hits = new AtomicIntegerArray(9);
        Parallel.forRange(9, (s, e) -> {
            for (int i = s; i < e; i++) {
                hits.incrementAndGet(i);
            }
        });
        for (int i = 0; i < 9; i++) {
            assertThat(hits.get(i)).isEqualTo(1);
        }
    }

    /**
     * The thread that runs the first chunk stays in it until every other index is done: with a fixed half per thread
     * that would never happen (its half holds more than one chunk); with shared chunks the other thread takes them all.
     */
    @Test
    void aThreadHeldUpInOneChunkLeavesTheRestToTheOthers() throws InterruptedException {
        Parallel.setThreads(2);
        int n = 1000;
        int first = chunkLength(n);
        assertThat(first).as("a chunk is a small part of one thread's share").isLessThanOrEqualTo(n / 2 / 4);
        CountDownLatch others = new CountDownLatch(n - first);
        AtomicBoolean waited = new AtomicBoolean();
        Parallel.forRange(n, (s, e) -> {
            if (s == 0) {
                try {
                    waited.set(others.await(30, TimeUnit.SECONDS));
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            } else {
                for (int i = s; i < e; i++) {
                    others.countDown();
                }
            }
        });
        assertThat(waited).as("the rest of the range ran while the first chunk waited").isTrue();
    }

    /** Length of the first chunk of [0, n). */
    private static int chunkLength(int n) {
        int[] first = new int[1];
        Parallel.forRange(n, (s, e) -> {
            if (s == 0) {
                first[0] = e;
            }
        });
        return first[0];
    }

    @Test
    void grainedRangesCoverEveryIndexOnceAndChunksStartOnTheGrain() {
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            for (int n : new int[] {0, 1, 3, 4, 5, 13, 2048, 2051}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                AtomicIntegerArray badStarts = new AtomicIntegerArray(1);
                Parallel.forRange(n, 4, (s, e) -> {
                    if (s % 4 != 0 || (e % 4 != 0 && e != n)) {
                        badStarts.incrementAndGet(0);
                    }
                    for (int i = s; i < e; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                assertThat(badStarts.get(0)).as("threads %d n %d: chunks off the grain", threads, n).isZero();
                for (int i = 0; i < n; i++) {
                    assertThat(hits.get(i)).as("threads %d n %d index %d", threads, n, i).isEqualTo(1);
                }
            }
        }
    }

    /**
     * Several matrices through one parallel region, activations packed once and shared by the threads: every output
     * equals the single-thread product of that matrix bit for bit (same blocking, so the same roundings; the
     * single-thread product is checked against double sums in {@link MatrixMatmulTest}).
     */
    @Test
    void sharedPackingMatchesEachMatrixAlone() {
        Random rnd = new Random(7);
        int cols = 64;
        try (Arena arena = Arena.ofShared()) {
            // 419 rows: three row blocks, split across the threads and across matrices
            Matrix[] ms = {RandomWeights.matrix(arena, DType.Q8_0, 200, cols, rnd),
                RandomWeights.matrix(arena, DType.F32, 9, cols, rnd),
                RandomWeights.matrix(arena, DType.Q4_0, 210, cols, rnd)};
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                for (int n : new int[] {2, 15, 17, 70}) {
                    float[] x = RandomWeights.gaussian(n * cols, rnd);
                    float[][] outs = new float[ms.length][];
                    for (int i = 0; i < ms.length; i++) {
                        outs[i] = new float[n * ms[i].rows()];
                    }
                    ParallelMatmul.matmul(ms, x, n, outs);
                    for (int i = 0; i < ms.length; i++) {
                        float[] alone = new float[n * ms[i].rows()];
                        ms[i].matmul(x, n, alone, 0, ms[i].rows());
                        assertThat(outs[i]).as("threads %d n %d matrix %d", threads, n, i).isEqualTo(alone);
                    }
                }
            }
        }
    }

    /**
     * A product into the packed layout, then one out of it (w1/w3, SwiGLU, w2 of a prompt): every packed output
     * holds the same bits as the token-major product at its place, zero for the padding tokens of a last partial
     * group, and the product of the packed vectors equals the product of the same vectors token-major, bit for bit.
     * 8192 columns and 300 tokens take two passes of 256 tokens (with 8-lane vectors the second one's groups start at
     * group 16); the second product's rows span several row blocks, split across the threads.
     */
    @Test
    void packedOutputsAndInputsMatchTheTokenMajorProducts() {
        Random rnd = new Random(11);
        try (Arena arena = Arena.ofShared()) {
            for (int cols : new int[] {64, 8192}) {
                Matrix[] up = {RandomWeights.matrix(arena, DType.Q4_0, 203, cols, rnd),
                    RandomWeights.matrix(arena, DType.F16, 9, cols, rnd)};
                Matrix down = RandomWeights.matrix(arena, DType.F16, 2 * TileMatmul.BLOCK_ROWS + 13, up[0].rows(),
                        rnd);
                for (int threads : new int[] {1, 2, 3}) {
                    Parallel.setThreads(threads);
                    for (int n : cols == 64 ? new int[] {2, 15, 16, 17, 70} : new int[] {300}) {
                        float[] x = RandomWeights.gaussian(n * cols, rnd);
                        float[][] packed = new float[up.length][];
                        float[][] tokenMajor = new float[up.length][];
                        for (int i = 0; i < up.length; i++) {
                            packed[i] = new float[TileMatmul.packedSize(up[i].rows(), n)];
                            Arrays.fill(packed[i], Float.NaN);
                            tokenMajor[i] = new float[n * up[i].rows()];
                        }
                        ParallelMatmul.matmulToPacked(up, x, n, packed);
                        ParallelMatmul.matmul(up, x, n, tokenMajor);
                        for (int i = 0; i < up.length; i++) {
                            int rows = up[i].rows();
                            for (int t = 0; t < TileMatmul.groups(n) * TileMatmul.TOKENS; t++) {
                                for (int r = 0; r < rows; r++) {
                                    float got = packed[i][((t / TileMatmul.TOKENS) * rows + r) * TileMatmul.TOKENS
                                            + t % TileMatmul.TOKENS];
                                    float want = t < n ? tokenMajor[i][t * rows + r] : 0f;
                                    assertThat(got).as("cols %d threads %d n %d matrix %d token %d row %d", cols,
                                            threads, n, i, t, r).isEqualTo(want);
                                }
                            }
                        }
                        // the first product's packed output as the input of the next
                        float[] fromPacked = new float[n * down.rows()];
                        float[] fromTokenMajor = new float[n * down.rows()];
                        ParallelMatmul.matmulPacked(down, packed[0], n, fromPacked);
                        ParallelMatmul.matmul(down, tokenMajor[0], n, fromTokenMajor);
                        assertThat(fromPacked).as("cols %d threads %d n %d", cols, threads, n)
                                .isEqualTo(fromTokenMajor);
                    }
                }
            }
        }
    }

    @Test
    void thePackedLayoutRefusesSingleVectorsAndUntiledMatrices() {
        // a view without row slices (one that can only compute dot products)
        Matrix plain = new Matrix() {
            @Override
            public int rows() {
                return 2;
            }

            @Override
            public int cols() {
                return 3;
            }

            @Override
            public DType type() {
                return DType.F32;
            }

            @Override
            public long byteSize() {
                return 24;
            }

            @Override
            public float dot(int row, float[] x, int xOff) {
                return 0;
            }

            @Override
            public void row(int row, float[] dst, int dstOff) {
            }
        };
        assertThat(ParallelMatmul.isTiled(plain)).isFalse();
        assertThatThrownBy(() -> ParallelMatmul.matmulToPacked(new Matrix[] {plain}, new float[6], 2,
                new float[][] {new float[64]})).isInstanceOf(IllegalArgumentException.class);
        Matrix tiled = RandomWeights.matrix(Arena.ofAuto(), DType.F32, 2, 3, new Random(1));
        assertThatThrownBy(() -> ParallelMatmul.matmulToPacked(new Matrix[] {tiled}, new float[3], 1,
                new float[][] {new float[32]})).as("one vector").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ParallelMatmul.matmulPacked(plain, new float[96], 2, new float[4]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** A model's own workers: its ranges run there (and on the caller), the process's pool untouched. */
    @Test
    void workersOfTheirOwnRunWhatUsingRunsAndOnlyThat() throws Exception {
        Parallel.setThreads(2);
        try (Parallel.Workers mine = Parallel.newWorkers(3)) {
            java.util.Set<String> names = java.util.concurrent.ConcurrentHashMap.newKeySet();
            int[] seen = new int[2];
            Thread other = new Thread(() -> seen[1] = Parallel.threads());
            Parallel.using(mine, () -> {
                seen[0] = Parallel.threads();
                other.start();   // a thread started here is not in the scope: the process's pool
                for (int rep = 0; rep < 200; rep++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(1000);
                    Parallel.forRange(1000, (s, e) -> {
                        names.add(Thread.currentThread().getName());
                        for (int i = s; i < e; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < 1000; i++) {
                        assertThat(hits.get(i)).isEqualTo(1);
                    }
                }
            });
            other.join();
            assertThat(seen).containsExactly(3, 2);
            assertThat(Parallel.threads()).isEqualTo(2);
            assertThat(names).allMatch(n -> n.equals(Thread.currentThread().getName())
                    || n.startsWith("llama3j-model-worker-"));
        }
    }

    /** A range split inside a chunk (a matrix laying out its int8 copy on first use, say) runs inline, no hang. */
    @Test
    void aRangeSplitInsideAChunkRunsInline() {
        Parallel.setThreads(3);
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> {
            for (int rep = 0; rep < 200; rep++) {
                AtomicIntegerArray hits = new AtomicIntegerArray(64 * 64);
                Parallel.forRange(64, (s, e) -> {
                    for (int i = s; i < e; i++) {
                        int row = i;
                        Parallel.forRange(64, (s2, e2) -> {
                            for (int j = s2; j < e2; j++) {
                                hits.incrementAndGet(row * 64 + j);
                            }
                        });
                    }
                });
                for (int i = 0; i < 64 * 64; i++) {
                    assertThat(hits.get(i)).isEqualTo(1);
                }
            }
        });
    }

    @Test
    void closedWorkersRefuseWorkInsteadOfWaitingForever() {
        Parallel.Workers w = Parallel.newWorkers(2);
        w.close();
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () ->
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> Parallel.using(w,
                        () -> Parallel.forRange(100, (s, e) -> { })))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessage("the worker threads have been closed"));
    }
}
