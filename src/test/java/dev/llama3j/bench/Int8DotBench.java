package dev.llama3j.bench;

import dev.llama3j.tensor.DType;
import dev.llama3j.tensor.DenseMatrix;
import dev.llama3j.tensor.RandomWeights;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Measures ggml's decode strategy against the shipped one on Q8_0 (where it has the best chance): the activation
 * vector quantized once to int8 blocks of 32, then integer dot products per block, versus the float path of
 * {@code QuantKernel.dot}. The Vector API cannot express vpmaddubsw/vpmaddwd, so the integer product is spelled as
 * bytes widened to 16-bit lanes, a 16-bit multiply, and the pairwise 16-to-32-bit add done with shifts. Prints
 * GB/s of each (thread CPU time, like {@link CpuTimeBench}). Run:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp target/test-classes:target/classes dev.llama3j.bench.Int8DotBench
 * </pre>
 */
public final class Int8DotBench {
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Int8DotBench() {}

    public static void main(String[] args) {
        int rows = 2048;
        int cols = 2048;
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(42);
            DenseMatrix m = RandomWeights.matrix(arena, DType.Q8_0, rows, cols, rnd);
            float[] x = RandomWeights.gaussian(cols, rnd);
            float[] out = new float[rows];
            float[] outInt = new float[rows];
            short[] xq = new short[cols];
            float[] xd = new float[cols / 32];
            Runnable floatPath = () -> m.matvec(x, 0, out, 0, 0, rows);
            Runnable intPath = () -> {
                quantize(x, xq, xd);
                for (int r = 0; r < rows; r++) {
                    outInt[r] = dotInt8(m.data(), r * (cols / 32L) * 34, xq, xd, cols);
                }
            };
            float[] outDirect = new float[rows];
            Runnable directPath = () -> {
                for (int r = 0; r < rows; r++) {
                    outDirect[r] = dotFloatDirect(m.data(), r * (cols / 32L) * 34, x, cols);
                }
            };
            double f = CpuTimeBench.medianSeconds(floatPath);
            double d = CpuTimeBench.medianSeconds(directPath);
            double i = CpuTimeBench.medianSeconds(intPath);
            double rms = 0;
            double maxErr = 0;
            for (int r = 0; r < rows; r++) {
                rms += (double) out[r] * out[r] / rows;
                maxErr = Math.max(maxErr, Math.abs(out[r] - outInt[r]));
            }
            System.out.printf("Q8_0 shipped float path %.2f GB/s, fused float path %.2f GB/s, int8 path %.2f GB/s "
                            + "(int8 max abs diff %.2e of output rms %.2e)%n",
                    m.byteSize() / f / 1e9, m.byteSize() / d / 1e9, m.byteSize() / i / 1e9, maxErr, Math.sqrt(rms));
        }
    }

    /** Blocks of 32: {@code xd = max|x| / 127}, {@code xq = round(x / xd)}, kept widened to 16 bits. */
    static void quantize(float[] x, short[] xq, float[] xd) {
        for (int b = 0; b < xd.length; b++) {
            float max = 0;
            for (int j = 0; j < 32; j++) {
                max = Math.max(max, Math.abs(x[b * 32 + j]));
            }
            float d = max / 127f;
            float inv = d == 0 ? 0 : 1 / d;
            xd[b] = d;
            for (int j = 0; j < 32; j++) {
                xq[b * 32 + j] = (short) Math.round(x[b * 32 + j] * inv);
            }
        }
    }

    /** Strategy (a) without the shared unpacking: quants widened straight from the segment, one FMA per 8. */
    static float dotFloatDirect(MemorySegment w, long off, float[] x, int n) {
        FloatVector acc = FloatVector.zero(FloatVector.SPECIES_256);
        for (int b = 0; b < n / 32; b++) {
            long at = off + 34L * b + 2;
            FloatVector p = FloatVector.zero(FloatVector.SPECIES_256);
            for (int k = 0; k < 32; k += 8) {
                p = ((FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, w, at + k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, FloatVector.SPECIES_256, 0))
                        .fma(FloatVector.fromArray(FloatVector.SPECIES_256, x, 32 * b + k), p);
            }
            acc = p.fma(FloatVector.broadcast(FloatVector.SPECIES_256, Float.float16ToFloat(w.get(SHORT_LE, at - 2))), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float dotInt8(MemorySegment w, long off, short[] xq, float[] xd, int n) {
        FloatVector acc = FloatVector.zero(FloatVector.SPECIES_256);
        for (int b = 0; b < n / 32; b++) {
            long at = off + 34L * b;
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, at + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, ShortVector.SPECIES_256, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, at + 18, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, ShortVector.SPECIES_256, 0);
            // |w| <= 128 and |x| <= 127: each product and the sum of two fit in 16 bits
            ShortVector p = w0.mul(ShortVector.fromArray(ShortVector.SPECIES_256, xq, 32 * b))
                    .add(w1.mul(ShortVector.fromArray(ShortVector.SPECIES_256, xq, 32 * b + 16)));
            IntVector pi = p.reinterpretAsInts();
            IntVector s = pi.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(pi.lanewise(VectorOperators.ASHR, 16));
            float scale = Float.float16ToFloat(w.get(SHORT_LE, at)) * xd[b];
            acc = ((FloatVector) s.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(FloatVector.SPECIES_256, scale), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
