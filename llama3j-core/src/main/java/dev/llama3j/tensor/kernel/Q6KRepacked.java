package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.llama3j.tensor.kernel.Vectors.FLOAT_LE;
import static dev.llama3j.tensor.kernel.Vectors.LE;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

/**
 * Q6_K rows repacked for integer dot products with {@link Int8Activations}: per row, the weights' {@code q - 32} as
 * signed bytes in 4 runs of {@code cols / 4}, where run k holds at {@code 4s + i} element {@code 16s + i + 4k}
 * (sub-block s, lane i), the order of {@link Int8Activations#quadLanes}; then each sub-block's int8 scale
 * ({@code cols / 16} bytes); then each block's {@code d} as float32 ({@code cols / 64} bytes). A 16-bit lane then
 * meets 4 weights of one sub-block, one per run: with the -32 in the stored quant a product is at most 32 * 127 in
 * magnitude, so the 4 products of a lane, and those of a pair of lanes, sum in 16 bits, and no activation sums are
 * needed. The layout does not depend on the vector width.
 */
public final class Q6KRepacked implements RepackedLayout {
    /** The layout; its row-level helpers ({@code repack}, {@code dequantize}) are static. */
    public static final Q6KRepacked LAYOUT = new Q6KRepacked();

    private Q6KRepacked() {}

    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, Vectors.F.vectorShape());
    /** As many bytes as {@link #S} has lanes. */
    private static final VectorSpecies<Byte> B =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Vectors.F.vectorBitSize() / 2));
    /** At least as many bytes as {@link #I} has lanes (64 bits the narrowest byte vector). */
    private static final VectorSpecies<Byte> SCALES =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, Vectors.F.vectorBitSize() / 4)));
    private static final VectorSpecies<Integer> I = Vectors.I;
    private static final VectorSpecies<Float> F = Vectors.F;
    /** Int lane j sums 16-bit lanes 2j and 2j+1: sub-block j / 2 of the step. */
    private static final VectorShuffle<Integer> SPREAD = VectorShuffle.fromOp(I, j -> j / 2);

    @Override
    public void repackRow(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int cols) {
        repack(src, srcOff, dst, dstOff, cols);
    }

    /** Scalar: the 4 runs of a sub-block would need a transpose to come out in element order. */
    @Override
    public boolean unpacksFast() {
        return false;
    }

    @Override
    public long rowBytes(int cols) {
        return cols + cols / 16 + cols / 64;
    }

    /** The row of Q6_K blocks at {@code src[srcOff ..]} repacked into {@code dst[dstOff ..]}. */
    public static void repack(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int cols) {
        byte[] quants = new byte[256];
        int run = cols / 4;
        for (int b = 0; b < cols / 256; b++) {
            long block = srcOff + 210L * b;
            Q6KKernel.INSTANCE.unpack(src, block, quants, 0);
            for (int j = 0; j < 256; j++) {
                int s = 16 * b + j / 16;
                dst.set(ValueLayout.JAVA_BYTE, dstOff + (long) run * (j / 4 % 4) + 4 * s + j % 4, quants[j]);
            }
            MemorySegment.copy(src, block + 192, dst, dstOff + cols + 16L * b, 16);
            dst.set(FLOAT_LE, dstOff + cols + cols / 16 + 4L * b, QuantBits.f16(src, block + 208));
        }
    }

    /**
     * {@code sum_j w[j] * x[j]} over the row at {@code row}: per sub-block of 16 the exact integer sum of quant times
     * activation quant (16-bit lanes, summed in adjacent pairs into ints) times the sub-block's int8 scale, converted
     * once per step and multiplied by the block's d and the activation block's scale.
     */
    @Override
    public float dot(MemorySegment w, long row, int cols, Int8Activations x) {
        x.requireLanes();
        short[] a = x.quadLanes;
        float[] laneScales = x.laneScales;
        int run = cols / 4;
        long rowScales = row + cols;
        long rowD = rowScales + cols / 16;
        FloatVector sum = FloatVector.zero(F);
        // a run is a multiple of 64 lanes: whole vectors at every width
        for (int s = 0; s < run; s += S.length()) {
            long at = row + s;
            ShortVector p = quants(w, at).mul(ShortVector.fromArray(S, a, s))
                    .add(quants(w, at + run).mul(ShortVector.fromArray(S, a, run + s)))
                    .add(quants(w, at + 2L * run).mul(ShortVector.fromArray(S, a, 2 * run + s)))
                    .add(quants(w, at + 3L * run).mul(ShortVector.fromArray(S, a, 3 * run + s)));
            // adjacent 16-bit lanes summed into 32 bits: high + low, exact while the sum fits in 16 bits
            IntVector pairs = (IntVector) p.reinterpretShape(I, 0);
            IntVector ints = pairs.add(pairs.lanewise(LSHL, 16)).lanewise(ASHR, 16);
            IntVector scales = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, rowScales + s / 4, LE)
                    .convertShape(B2I, I, 0)).rearrange(SPREAD);
            FloatVector d = FloatVector.fromArray(F, laneScales, s / 2).mul(w.get(FLOAT_LE, rowD + 4L * (s / 64)));
            sum = ((FloatVector) ints.mul(scales).convertShape(I2F, F, 0)).fma(d, sum);
        }
        return Vectors.sum(sum);
    }

    /** The {@link #S}-length run of quants at {@code at}, widened to 16 bits. */
    private static ShortVector quants(MemorySegment w, long at) {
        return (ShortVector) ByteVector.fromMemorySegment(B, w, at, LE).convertShape(B2S, S, 0);
    }

    /** {@code d * scale} of sub-block {@code sub}: the same float product as {@link Q6KKernel}'s scale. */
    private static float subScale(MemorySegment w, long row, int cols, int sub) {
        return w.get(FLOAT_LE, row + cols + cols / 16 + 4L * (sub / 16)) * w.get(ValueLayout.JAVA_BYTE, row + cols + sub);
    }

    /**
     * Columns {@code [col, col + len)} of the row at {@code row} as floats, {@code (d * scale) * (q - 32)}: the same
     * bits as {@link Q6KKernel#dequantize} of the original blocks. {@code col} and {@code len} are multiples of 16.
     * Per group of 4 sub-blocks, the 16 bytes of each run give elements {@code 16t + i + 4k} of those sub-blocks.
     */
    @Override
    public void unpackFloats(MemorySegment w, long row, int cols, int col, float[] dst, int dstOff, int len) {
        int run = cols / 4;
        int first = col / 16;
        int end = (col + len) / 16;
        float[] scale = new float[4];
        for (int sub = first; sub < end; sub += 4) {
            int subs = Math.min(4, end - sub);
            for (int t = 0; t < subs; t++) {
                scale[t] = subScale(w, row, cols, sub + t);
            }
            for (int k = 0; k < 4; k++) {
                long at = row + (long) run * k + 4L * sub;
                for (int t = 0; t < subs; t++) {
                    int out = dstOff + 16 * (sub + t) - col + 4 * k;
                    for (int i = 0; i < 4; i++) {
                        dst[out + i] = scale[t] * w.get(ValueLayout.JAVA_BYTE, at + 4 * t + i);
                    }
                }
            }
        }
    }
}
