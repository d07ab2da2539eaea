package dev.llama3j.bench;

import dev.llama3j.model.Attention;
import dev.llama3j.model.RmsNorm;
import dev.llama3j.model.Rope;
import dev.llama3j.tensor.RandomWeights;
import dev.llama3j.tensor.VectorMath;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The non-matmul work of one decode step of one layer at Llama-3.2-1B shapes (dim 2048, 32 query heads, 8 KV heads of
 * 64), single thread: RMSNorm of the residual, RoPE of the queries and keys, attention of every query head over
 * {@code context} cached positions, and SwiGLU of the 8192 hidden units. The score is microseconds per call. Run
 * (classpath as in {@link MatvecBench}):
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes:$(cat target/cp.txt) \
 *   org.openjdk.jmh.Main LayerOpsBench -p context=512,4096
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LayerOpsBench {
    private static final int DIM = 2048;
    private static final int HEADS = 32;
    private static final int KV_HEADS = 8;
    private static final int HEAD_DIM = 64;
    private static final int HIDDEN = 8192;

    /** Cached positions the query attends over (its own position is the last). */
    @Param({"128", "512", "4096"})
    public int context;

    private float[] x;
    private float[] weight;
    private float[] out;
    private float[] q;
    private float[] k;
    private float[] keys;
    private float[] values;
    private float[] scores;
    private float[] attended;
    private float[] gate;
    private float[] up;
    private float[] gated;
    private Rope rope;

    @Setup(Level.Trial)
    public void setUp() {
        Random rnd = new Random(42);
        x = RandomWeights.gaussian(DIM, rnd);
        weight = RandomWeights.gaussian(DIM, rnd);
        out = new float[DIM];
        q = RandomWeights.gaussian(DIM, rnd);
        k = RandomWeights.gaussian(KV_HEADS * HEAD_DIM, rnd);
        keys = RandomWeights.gaussian(context * KV_HEADS * HEAD_DIM, rnd);
        values = RandomWeights.gaussian(context * KV_HEADS * HEAD_DIM, rnd);
        scores = new float[context];
        attended = new float[DIM];
        gate = RandomWeights.gaussian(HIDDEN, rnd);
        up = RandomWeights.gaussian(HIDDEN, rnd);
        gated = new float[HIDDEN];
        rope = new Rope(Rope.baseFrequencies(HEAD_DIM, 500000f), context);
    }

    @Benchmark
    public float[] rmsNorm() {
        RmsNorm.apply(x, 0, weight, 1e-5f, out, 0);
        return out;
    }

    /** Rotates in place: the values drift over iterations, which does not change the work. */
    @Benchmark
    public float[] rope() {
        rope.apply(q, 0, HEADS, context - 1);
        rope.apply(k, 0, KV_HEADS, context - 1);
        return q;
    }

    @Benchmark
    public float[] attention() {
        int kvDim = KV_HEADS * HEAD_DIM;
        float scale = (float) Math.sqrt(HEAD_DIM);
        for (int h = 0; h < HEADS; h++) {
            int kvOff = h / (HEADS / KV_HEADS) * HEAD_DIM;
            Attention.head(q, h * HEAD_DIM, offHeap(keys), offHeap(values), kvOff, kvDim, HEAD_DIM, context, scale, scores, attended,
                    h * HEAD_DIM);
        }
        return attended;
    }

    /** Includes copying the 8192 gates in (the op works in place; gating its own output would drift to zero). */
    @Benchmark
    public float[] swiglu() {
        System.arraycopy(gate, 0, gated, 0, HIDDEN);
        VectorMath.swiglu(gated, up, 0, HIDDEN);
        return gated;
    }

    /** {@code floats} in native memory, as a sequence's KV cache holds them. */
    private static java.lang.foreign.MemorySegment offHeap(float[] floats) {
        return java.lang.foreign.Arena.ofAuto().allocateFrom(java.lang.foreign.ValueLayout.JAVA_FLOAT, floats);
    }
}
