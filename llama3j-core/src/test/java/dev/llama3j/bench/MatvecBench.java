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
 * Single-thread matrix-vector product (decode) per weight type at Llama-3.2-1B shapes. The score is microseconds per
 * matvec; weight GB/s = {@code byteSize / time} (printed at setup). Run in {@code llama3j-core/} (after
 * {@code mvn -B -o test-compile} and
 * {@code mvn -B -o dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test}):
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:$(cat target/cp.txt) \
 *   org.openjdk.jmh.Main MatvecBench -p shape=2048x2048 -p type=F32,Q8_0,Q4_0
 * </pre>
 * (JMH settings are fixed below: 1 fork, 3 warmup and 5 measurement iterations of 1 s.)
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MatvecBench {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    /** rows x cols: wq/wo, w1/w3, w2, output */
    @Param({"2048x2048", "8192x2048", "2048x8192", "128256x2048"})
    public String shape;

    private Arena arena;
    private DenseMatrix m;
    private float[] x;
    private float[] out;

    @Setup(Level.Trial)
    public void setUp() {
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        arena = Arena.ofShared();
        Random rnd = new Random(42);
        m = RandomWeights.matrix(arena, DType.valueOf(type), rows, cols, rnd);
        x = RandomWeights.gaussian(cols, rnd);
        out = new float[rows];
        System.out.printf("%n%s %s: %d weight bytes%n", type, shape, m.byteSize());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] matvec() {
        m.matvec(x, 0, out, 0, 0, m.rows());
        return out;
    }
}
