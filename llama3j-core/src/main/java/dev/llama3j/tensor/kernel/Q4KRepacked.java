package dev.llama3j.tensor.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.llama3j.tensor.kernel.Vectors.FLOAT_LE;
import static dev.llama3j.tensor.kernel.Vectors.LE;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

/**
 * Q4_K rows repacked for integer dot products with {@link Int8Activations}: per row, the blocks' 128 quant bytes end
 * to end ({@code cols / 2} bytes), then per sub-block of 32 its scale {@code d * sc} as float32, then its offset
 * {@code -(dmin * m)} as float32 ({@code cols / 8} bytes each): the floats that {@link Q4KKernel#dequantize} computes,
 * so the repacked rows dequantize to the same bits. Read as 16-bit lanes, lane i of a 32-byte group holds elements
 * 2i, 2i+32, 2i+1 and 2i+33 of the group's 64 at bits 0, 4, 8 and 12 (positions 0 and 2 of sub-block 2c, 1 and 3 of
 * 2c+1), so one shift and one AND per position give the weights, ready to multiply by activations laid out to match
 * ({@link Int8Activations#kLanes}). The layout does not depend on the vector width.
 */
public final class Q4KRepacked implements RepackedLayout {
    /** The layout; its row-level helpers ({@code repack}, {@code dequantize}) are static. */
    public static final Q4KRepacked LAYOUT = new Q4KRepacked();

    private Q4KRepacked() {}

    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, Vectors.F.vectorShape());
    private static final VectorSpecies<Integer> I = Vectors.I;
    private static final VectorSpecies<Float> F = Vectors.F;
    /** Int lane j of a vector's even sub-blocks takes scale 2 (j / 8) of the vector's first sub-block on. */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(F, j -> 2 * (j / 8));
    /** The odd sub-blocks': scale 2 (j / 8) + 1. */
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(F, j -> 2 * (j / 8) + 1);

    @Override
    public void repackRow(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int cols) {
        repack(src, srcOff, dst, dstOff, cols);
    }

    @Override
    public long rowBytes(int cols) {
        return cols / 2 + cols / 4;
    }

    /** The row of Q4_K blocks at {@code src[srcOff ..]} repacked into {@code dst[dstOff ..]}. */
    public static void repack(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int cols) {
        long scales = dstOff + cols / 2;
        long offsets = scales + cols / 8;
        Q4KKernel k = Q4KKernel.INSTANCE;
        for (int b = 0; b < cols / 256; b++) {
            long block = srcOff + 144L * b;
            for (int sub = 0; sub < 8; sub++) {
                dst.set(FLOAT_LE, scales + 4L * (8 * b + sub), k.scale(src, block, sub));
                dst.set(FLOAT_LE, offsets + 4L * (8 * b + sub), k.offset(src, block, sub));
            }
            MemorySegment.copy(src, block + 16, dst, dstOff + 128L * b, 128);
        }
    }

    /**
     * {@code sum_j w[j] * x[j]} over the row at {@code row}: per sub-block the exact integer sum of quant times
     * activation quant (16-bit lanes: a lane sums 2 products of at most 15 * 127 per sub-block, a pair of lanes 4),
     * one float multiply-add by the two scales; then the offsets times the activation blocks' scaled sums.
     * cols is a multiple of 256, so whole vectors (at most 128 weights) cover the row.
     */
    @Override
    public float dot(MemorySegment w, long row, int cols, Int8Activations x) {
        x.requireLanes();
        short[] a = x.kLanes;
        float[] xd = x.d;
        int quarter = cols / 4;
        long rowScales = row + cols / 2;
        // in registers, not static vectors: C2 reloads a static vector's payload in every iteration
        ShortVector low4 = ShortVector.broadcast(S, (short) 0x0F);
        FloatVector sum = FloatVector.zero(F);
        for (int s = 0; s < quarter; s += S.length()) {
            ShortVector q = ShortVector.fromMemorySegment(S, w, row + 2L * s, LE);
            ShortVector even = q.and(low4).mul(ShortVector.fromArray(S, a, s))
                    .add(q.lanewise(LSHR, 8).and(low4).mul(ShortVector.fromArray(S, a, 2 * quarter + s)));
            ShortVector odd = q.lanewise(LSHR, 4).and(low4).mul(ShortVector.fromArray(S, a, quarter + s))
                    .add(q.lanewise(LSHR, 12).mul(ShortVector.fromArray(S, a, 3 * quarter + s)));
            // adjacent 16-bit lanes summed into 32 bits: high + low, exact while the sum fits in 16 bits
            IntVector e = (IntVector) even.reinterpretShape(I, 0);
            IntVector o = (IntVector) odd.reinterpretShape(I, 0);
            e = e.add(e.lanewise(LSHL, 16)).lanewise(ASHR, 16);
            o = o.add(o.lanewise(LSHL, 16)).lanewise(ASHR, 16);
            // sub-blocks from s / 8 on: weight scale times activation scale, spread to the int lanes
            int sub = 2 * (s / 16);
            FloatVector scales = FloatVector.fromMemorySegment(F, w, rowScales + 4L * sub, LE)
                    .mul(FloatVector.fromArray(F, xd, sub));
            sum = ((FloatVector) e.convertShape(I2F, F, 0)).fma(scales.rearrange(EVEN), sum);
            sum = ((FloatVector) o.convertShape(I2F, F, 0)).fma(scales.rearrange(ODD), sum);
        }
        return Vectors.sum(sum) + offsets(w, rowScales + cols / 8, cols / 32, x.scaledSums);
    }

    /** {@code sum_j offset_j * scaledSums_j} over the row's sub-blocks: the mins' share of the product. */
    private static float offsets(MemorySegment w, long offsets, int subBlocks, float[] scaledSums) {
        FloatVector sum = FloatVector.zero(F);
        int whole = subBlocks - subBlocks % F.length();
        for (int j = 0; j < whole; j += F.length()) {
            sum = FloatVector.fromMemorySegment(F, w, offsets + 4L * j, LE).fma(FloatVector.fromArray(F, scaledSums, j), sum);
        }
        float total = Vectors.sum(sum);
        for (int j = whole; j < subBlocks; j++) {
            total += w.get(FLOAT_LE, offsets + 4L * j) * scaledSums[j];
        }
        return total;
    }

    /**
     * Columns {@code [col, col + len)} (multiples of 32) of the row at {@code row} as floats,
     * {@code (d * sc) * q + -(dmin * m)}: the same bits as {@link Q4KKernel#dequantize} of the original blocks.
     */
    @Override
    public void unpackFloats(MemorySegment w, long row, int cols, int col, float[] dst, int dstOff, int len) {
        int lanes = Vectors.F.length();
        for (int sub = col / 32; sub < (col + len) / 32; sub++) {
            int at = dstOff + 32 * sub - col;
            FloatVector d = FloatVector.broadcast(Vectors.F, w.get(FLOAT_LE, row + cols / 2 + 4L * sub));
            FloatVector m = FloatVector.broadcast(Vectors.F, w.get(FLOAT_LE, row + cols / 2 + cols / 8 + 4L * sub));
            long group = row + 32L * (sub / 2);
            int shift = 4 * (sub % 2);
            for (int h = 0; h < 32; h += QuantBits.GROUP) {
                ByteVector q = QuantBits.load(w, group + h).reinterpretAsInts().lanewise(LSHR, shift)
                        .reinterpretAsBytes().and(QuantBits.LOW_4);
                for (int p = 0; p < QuantBits.GROUP / lanes; p++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, Vectors.F, p)).mul(d).add(m)
                            .intoArray(dst, at + h + p * lanes);
                }
            }
        }
    }
}
