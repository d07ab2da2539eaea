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

/** Exploration: Q4_0 decode variants, thread CPU time. */
public final class Q4Variants {
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    public static void main(String[] args) {
        int rows = Integer.parseInt(args[0]);
        int cols = 2048;
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(42);
            DenseMatrix m = RandomWeights.matrix(arena, DType.Q4_0, rows, cols, rnd);
            float[] x = RandomWeights.gaussian(cols, rnd);
            float[] out = new float[rows];
            float[] outI = new float[rows];
            short[] xq = new short[cols];
            float[] xd = new float[cols / 32];
            MemorySegment w = m.data();
            long rb = cols / 32L * 18;
            Runnable shipped = () -> m.matvec(x, 0, out, 0, 0, rows);
            Runnable int8 = () -> {
                quantize(x, xq, xd);
                for (int r = 0; r < rows; r++) {
                    outI[r] = dotInt8(w, r * rb, xq, xd, cols);
                }
            };
            float[] outU = new float[rows];
            Runnable unrolled = () -> {
                float[] p = dev.llama3j.tensor.kernel.Q4Kernel.Q4_0.prepare(x, 0, cols);
                for (int r = 0; r < rows; r++) {
                    outU[r] = dotUnrolled(w, r * rb, p, cols);
                }
            };
            float[] outS = new float[rows];
            Runnable scaled = () -> {
                float[] p = dev.llama3j.tensor.kernel.Q4Kernel.Q4_0.prepare(x, 0, cols);
                for (int r = 0; r < rows; r++) {
                    outS[r] = dotScaled(w, r * rb, p, cols);
                }
            };
            short[] xq2 = new short[cols];
            int[] corr = new int[cols / 4];
            float[] outB = new float[rows];
            Runnable int8b = () -> {
                quantize(x, xq, xd);
                for (int b = 0; b < cols / 32; b++) {
                    for (int j = 0; j < 16; j++) {
                        xq2[32 * b + j] = xq[32 * b + j];
                        xq2[32 * b + 16 + j] = (short) (xq[32 * b + 16 + j]);
                    }
                    // lane i (shorts 2i, 2i+1) of the pair-reduced sum: corr lane = 8 * (x[2i]+x[2i+1]+x[16+2i]+x[16+2i+1])
                    for (int i = 0; i < 8; i++) {
                        corr[8 * b + i] = 8 * (xq[32 * b + 2 * i] + xq[32 * b + 2 * i + 1]) + 8 * (xq[32 * b + 16 + 2 * i] + xq[32 * b + 17 + 2 * i]);
                    }
                }
                for (int r = 0; r < rows; r++) {
                    outB[r] = dotInt8b(w, r * rb, xq2, corr, xd, cols) / 1f;
                }
            };
            float[] outL = new float[rows];
            Runnable lng = () -> {
                float[] p = dev.llama3j.tensor.kernel.Q4Kernel.Q4_0.prepare(x, 0, cols);
                for (int r = 0; r < rows; r++) outL[r] = dotLong(w, r * rb, p, cols);
            };
            float[] outSl = new float[rows];
            Runnable slice = () -> {
                float[] p = dev.llama3j.tensor.kernel.Q4Kernel.Q4_0.prepare(x, 0, cols);
                for (int r = 0; r < rows; r++) outSl[r] = dotSlice(w, r * rb, p, cols);
            };
            String[] names = {"shipped", "int8b", "long", "slice"};
            Runnable[] ops = {shipped, int8b, lng, slice};
            double[][] res = new double[ops.length][5];
            for (int round = 0; round < 5; round++) {
                for (int k = 0; k < ops.length; k++) res[k][round] = m.byteSize() / CpuTimeBench.medianSeconds(ops[k]) / 1e9;
            }
            for (int k = 0; k < ops.length; k++) {
                double[] r = res[k].clone(); java.util.Arrays.sort(r);
                System.out.printf("%-9s median %.2f GB/s  %s%n", names[k], r[2], java.util.Arrays.toString(res[k]));
            }
            double ms = 0, mb = 0;
            for (int r = 0; r < rows; r++) { ms = Math.max(ms, Math.abs(out[r] - outS[r])); mb = Math.max(mb, Math.abs(outI[r] - outB[r])); }
            System.out.println("scaled max diff " + ms + " int8b vs int8 " + mb);
            double mu = 0;
            for (int r = 0; r < rows; r++) mu = Math.max(mu, Math.abs(out[r] - outU[r]));
            System.out.println("unrolled max diff " + mu);
            double rms = 0, maxErr = 0;
            for (int r = 0; r < rows; r++) {
                rms += (double) out[r] * out[r] / rows;
                maxErr = Math.max(maxErr, Math.abs(out[r] - outI[r]));
            }
            System.out.printf("max abs diff %.2e, rms %.2e%n", maxErr, Math.sqrt(rms));
        }
    }

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

    static final jdk.incubator.vector.VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    static final IntVector MASK4 = IntVector.broadcast(IntVector.SPECIES_256, 15);
    static final FloatVector M8 = FloatVector.broadcast(F8, -8f);

    private static FloatVector block(MemorySegment w, long block, float[] p, int xb, int xs) {
        IntVector q = ((ShortVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, block + 2, LE)
                .convertShape(VectorOperators.B2S, ShortVector.SPECIES_256, 0)).reinterpretAsInts();
        FloatVector a = ((FloatVector) q.and(MASK4).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F8, p, xb));
        FloatVector c = ((FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(MASK4).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F8, p, xb + 8));
        a = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(MASK4).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 16), a);
        c = ((FloatVector) q.lanewise(VectorOperators.LSHR, 20).and(MASK4).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 24), c);
        a = FloatVector.fromArray(F8, p, xs).fma(M8, a);
        return a.add(c);
    }

    static float dotUnrolled(MemorySegment w, long off, float[] p, int n) {
        FloatVector s0 = FloatVector.zero(F8);
        FloatVector s1 = FloatVector.zero(F8);
        int blocks = n / 32;
        for (int b = 0; b < blocks; b += 2) {
            long b0 = off + 18L * b;
            FloatVector a0 = block(w, b0, p, 32 * b, n + 8 * b);
            FloatVector a1 = block(w, b0 + 18, p, 32 * b + 32, n + 8 * b + 8);
            s0 = a0.fma(FloatVector.broadcast(F8, Float.float16ToFloat(w.get(SHORT_LE, b0))), s0);
            s1 = a1.fma(FloatVector.broadcast(F8, Float.float16ToFloat(w.get(SHORT_LE, b0 + 18))), s1);
        }
        return s0.add(s1).reduceLanes(VectorOperators.ADD);
    }

    static float dotScaled(MemorySegment w, long off, float[] p, int n) {
        FloatVector a0 = FloatVector.zero(F8), a1 = FloatVector.zero(F8), a2 = FloatVector.zero(F8), a3 = FloatVector.zero(F8);
        FloatVector bias = FloatVector.zero(F8);
        for (int b = 0; b < n / 32; b++) {
            long block = off + 18L * b;
            FloatVector d = FloatVector.broadcast(F8, Float.float16ToFloat(w.get(SHORT_LE, block)));
            IntVector q = ((ShortVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, block + 2, LE)
                    .convertShape(VectorOperators.B2S, ShortVector.SPECIES_256, 0)).reinterpretAsInts();
            int xb = 32 * b;
            a0 = ((FloatVector) q.and(MASK4).convert(VectorOperators.I2F, 0)).mul(d).fma(FloatVector.fromArray(F8, p, xb), a0);
            a1 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(MASK4).convert(VectorOperators.I2F, 0)).mul(d).fma(FloatVector.fromArray(F8, p, xb + 8), a1);
            a2 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(MASK4).convert(VectorOperators.I2F, 0)).mul(d).fma(FloatVector.fromArray(F8, p, xb + 16), a2);
            a3 = ((FloatVector) q.lanewise(VectorOperators.LSHR, 20).and(MASK4).convert(VectorOperators.I2F, 0)).mul(d).fma(FloatVector.fromArray(F8, p, xb + 24), a3);
            bias = FloatVector.fromArray(F8, p, n + 8 * b).fma(d, bias);
        }
        return a0.add(a1).add(a2.add(a3)).sub(bias.mul(8f)).reduceLanes(VectorOperators.ADD);
    }

    static float dotLong(MemorySegment w, long off, float[] p, int n) {
        FloatVector sum = FloatVector.zero(F8);
        int xb = 0;
        int xs = n;
        for (long block = off, end = off + 18L * (n / 32); block < end; block += 18, xb += 32, xs += 8) {
            IntVector q = ((ShortVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, block + 2, LE)
                    .convertShape(VectorOperators.B2S, ShortVector.SPECIES_256, 0)).reinterpretAsInts();
            FloatVector acc = ((FloatVector) q.and(MASK4).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F8, p, xb));
            acc = ((FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(MASK4).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 8), acc);
            acc = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(MASK4).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 16), acc);
            acc = ((FloatVector) q.lanewise(VectorOperators.LSHR, 20).and(MASK4).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 24), acc);
            acc = FloatVector.fromArray(F8, p, xs).fma(M8, acc);
            sum = acc.fma(FloatVector.broadcast(F8, Float.float16ToFloat(w.get(SHORT_LE, block))), sum);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    static float dotSlice(MemorySegment w0, long off, float[] p, int n) {
        MemorySegment w = w0.asSlice(off, 18L * (n / 32));
        FloatVector sum = FloatVector.zero(F8);
        for (int b = 0; b < n / 32; b++) {
            long block = 18L * b;
            IntVector q = ((ShortVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, block + 2, LE)
                    .convertShape(VectorOperators.B2S, ShortVector.SPECIES_256, 0)).reinterpretAsInts();
            int xb = 32 * b;
            FloatVector acc = ((FloatVector) q.and(MASK4).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F8, p, xb));
            acc = ((FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(MASK4).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 8), acc);
            acc = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(MASK4).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 16), acc);
            acc = ((FloatVector) q.lanewise(VectorOperators.LSHR, 20).and(MASK4).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F8, p, xb + 24), acc);
            acc = FloatVector.fromArray(F8, p, n + 8 * b).fma(M8, acc);
            sum = acc.fma(FloatVector.broadcast(F8, Float.float16ToFloat(w.get(SHORT_LE, block))), sum);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    static final ShortVector MASK_LO = ShortVector.broadcast(ShortVector.SPECIES_256, (short) 0x0F);
    static final ShortVector MASK_HI = ShortVector.broadcast(ShortVector.SPECIES_256, (short) 0xF0);

    /** xq: per block 16 low-element shorts then 16 high-element shorts; corr: per block 8 int lanes summing to 8*sum(x)*... */
    static float dotInt8b(MemorySegment w, long off, short[] xq, int[] corr, float[] xd, int n) {
        FloatVector acc = FloatVector.zero(F8);
        for (int b = 0; b < n / 32; b++) {
            long at = off + 18L * b;
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, at + 2, LE)
                    .convertShape(VectorOperators.B2S, ShortVector.SPECIES_256, 0);
            ShortVector p = q.and(MASK_LO).mul(ShortVector.fromArray(ShortVector.SPECIES_256, xq, 32 * b))
                    .add(q.lanewise(VectorOperators.LSHR, 4).and(MASK_LO).mul(ShortVector.fromArray(ShortVector.SPECIES_256, xq, 32 * b + 16)));
            IntVector pi = p.reinterpretAsInts();
            IntVector s = pi.add(pi.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                    .sub(IntVector.fromArray(IntVector.SPECIES_256, corr, 8 * b));
            float scale = Float.float16ToFloat(w.get(SHORT_LE, at)) * xd[b];
            acc = ((FloatVector) s.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F8, scale), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static final ShortVector LOW4 = ShortVector.broadcast(ShortVector.SPECIES_256, (short) 15);
    static final ShortVector EIGHT = ShortVector.broadcast(ShortVector.SPECIES_256, (short) 8);

    static float dotInt8(MemorySegment w, long off, short[] xq, float[] xd, int n) {
        FloatVector acc = FloatVector.zero(FloatVector.SPECIES_256);
        for (int b = 0; b < n / 32; b++) {
            long at = off + 18L * b;
            ShortVector q = (ShortVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, at + 2, LE)
                    .convertShape(VectorOperators.B2S, ShortVector.SPECIES_256, 0);
            ShortVector lo = q.and(LOW4).sub(EIGHT);
            ShortVector hi = q.lanewise(VectorOperators.LSHR, 4).and(LOW4).sub(EIGHT);
            ShortVector p = lo.mul(ShortVector.fromArray(ShortVector.SPECIES_256, xq, 32 * b))
                    .add(hi.mul(ShortVector.fromArray(ShortVector.SPECIES_256, xq, 32 * b + 16)));
            IntVector pi = p.reinterpretAsInts();
            IntVector s = pi.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(pi.lanewise(VectorOperators.ASHR, 16));
            float scale = Float.float16ToFloat(w.get(SHORT_LE, at)) * xd[b];
            acc = ((FloatVector) s.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(FloatVector.SPECIES_256, scale), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
