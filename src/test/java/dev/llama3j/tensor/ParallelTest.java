package dev.llama3j.tensor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
}
