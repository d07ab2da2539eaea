package dev.llama3j.bench;

import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.DenseMatrix;
import dev.llama3j.tensor.RandomWeights;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Single-thread matrix-matrix product (prefill) per weight type: a 2048x2048 matrix (wq/wo of Llama-3.2-1B) times
 * {@code n} activation vectors. The score is milliseconds per matmul; GFLOP/s = {@code 2 * 2048 * 2048 * n / time}.
 * Run (see {@link MatvecBench} for building target/cp.txt):
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:$(cat target/cp.txt) \
 *   org.openjdk.jmh.Main MatmulBench -p n=64 -p type=F32,Q8_0,Q4_0
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MatmulBench {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    @Param({"64", "512"})
    public int n;

    private static final int ROWS = 2048;
    private static final int COLS = 2048;

    private Arena arena;
    private DenseMatrix m;
    private float[] x;
    private float[] out;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        Random rnd = new Random(42);
        m = RandomWeights.matrix(arena, DType.valueOf(type), ROWS, COLS, rnd);
        x = RandomWeights.gaussian(n * COLS, rnd);
        out = new float[n * ROWS];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] matmul() {
        m.matmul(x, n, out, 0, ROWS);
        return out;
    }
}
