package dev.llama3j.bench;

import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.DenseMatrix;
import dev.llama3j.tensor.Matrix;
import dev.llama3j.tensor.Numerics;
import dev.llama3j.tensor.RandomWeights;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Random;

/**
 * The same single-thread matvec and matmul as {@link MatvecBench} and {@link MatmulBench}, timed by the thread's CPU
 * time instead of wall time: on a machine shared with other jobs, time spent descheduled does not count, so the
 * per-type ratios stay readable. Prints the median of the repetitions as GB/s (matvec, weight bytes) or GFLOP/s
 * (matmul), and the ratio to F32 measured in the same run. Run:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes dev.llama3j.bench.CpuTimeBench \
 *   matvec 2048x2048 F32,Q8_0,Q4_0     # or: matmul 64 F32,Q4_K  (a 2048x2048 matrix times 64 vectors)
 *                                      # or: matmul 512 F16 2048x8192  (another shape)
 * </pre>
 * A type written {@code Q8_0:int8} runs its matvec with int8 activations ({@link Numerics#INT8}, Q4_0, Q4_K and Q6_K repacked), for a float-vs-int8
 * comparison in one run ({@code matvec 2048x8192 Q8_0,Q8_0:int8,Q4_0,Q4_0:int8}); where the native kernels run, Q4_0,
 * Q4_K and Q6_K int8 products are theirs ({@code -Dllama3j.native=off|avx2} picks the Java or the AVX2 kernels).
 * <pre>
 * </pre>
 */
public final class CpuTimeBench {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private CpuTimeBench() {}

    public static void main(String[] args) {
        boolean matvec = args[0].equals("matvec");
        String[] types = args.length > 2 ? args[2].split(",")
                : Arrays.stream(DType.values()).map(Enum::name).toArray(String[]::new);
        double f32 = Double.NaN;
        for (String type : types) {
            boolean int8 = type.endsWith(":int8");
            DType t = DType.valueOf(int8 ? type.substring(0, type.length() - 5) : type);
            String matmulShape = args.length > 3 ? args[3] : "2048x2048";
            double rate = matvec ? matvec(t, args[1], int8 ? Numerics.INT8 : Numerics.EXACT) : matmul(t, Integer.parseInt(args[1]), matmulShape);
            if (type.equals("F32")) {
                f32 = rate;
            }
            System.out.printf("%-9s %s %-10s %8.2f %s  x%.2f vs F32%n", type, args[0], args[1], rate,
                    matvec ? "GB/s" : "GFLOP/s", rate / f32);
        }
    }

    private static double matvec(DType t, String shape, Numerics numerics) {
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(42);
            DenseMatrix dense = RandomWeights.matrix(arena, t, rows, cols, rnd);
            Matrix m = numerics == Numerics.INT8 ? new DenseMatrix("w", t, dense.data(), rows, cols, true) : dense;
            if ((t == DType.Q4_0 || t == DType.Q4_K || t == DType.Q6_K) && numerics == Numerics.INT8) {
                m = Numerics.INT8.matrix("w", t, dense.data(), rows, cols);
            }
            float[] x = RandomWeights.gaussian(cols, rnd);
            float[] out = new float[rows];
            Matrix product = m;
            double seconds = medianSeconds(() -> product.matvec(x, 0, out, 0, 0, rows));
            return dense.byteSize() / seconds / 1e9;
        }
    }

    private static double matmul(DType t, int n, String shape) {
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(42);
            DenseMatrix m = RandomWeights.matrix(arena, t, rows, cols, rnd);
            float[] x = RandomWeights.gaussian(n * cols, rnd);
            float[] out = new float[n * rows];
            double seconds = medianSeconds(() -> m.matmul(x, n, out, 0, rows));
            return 2.0 * rows * cols * n / seconds / 1e9;
        }
    }

    /** Runs {@code op} for about 2 s of CPU time to warm up, then times batches for about 3 s; the median batch. */
    static double medianSeconds(Runnable op) {
        long warmEnd = cpu() + 2_000_000_000L;
        int perBatch = 0;
        long start = cpu();
        while (cpu() < warmEnd) {
            op.run();
            perBatch++;
        }
        perBatch = Math.max(1, perBatch / 20);
        double[] batches = new double[15];
        for (int b = 0; b < batches.length; b++) {
            long t0 = cpu();
            for (int i = 0; i < perBatch; i++) {
                op.run();
            }
            batches[b] = (cpu() - t0) / 1e9 / perBatch;
        }
        Arrays.sort(batches);
        return batches[batches.length / 2];
    }

    private static long cpu() {
        return THREADS.getCurrentThreadCpuTime();
    }
}
