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
 * Q4_0 rows repacked for integer dot products with {@link Int8Activations}: per row, the blocks' 16 quant bytes end
 * to end ({@code cols / 2} bytes, as in the file but without the scales between them), then the blocks' scales as
 * float32 ({@code cols / 8} bytes). With the quants contiguous, one vector load reads whole blocks (4 at 512 bits),
 * and read as 16-bit lanes, lane i of a block holds four nibbles, elements 2i, 2i+16, 2i+1 and 2i+17 at bits 0, 4, 8
 * and 12, so one shift and one AND per position give the weights in 16-bit lanes, ready to multiply by activations
 * laid out to match ({@link Int8Activations#nibbleLanes}). The layout does not depend on the vector width.
 */
public final class Q4_0Repacked implements RepackedLayout {
    /** The layout; its row-level helpers ({@code repack}, {@code dequantize}) are static. */
    public static final Q4_0Repacked LAYOUT = new Q4_0Repacked();

    private Q4_0Repacked() {}

    /** 16-bit lanes in vectors as wide as {@link Vectors#F} (the layout itself does not depend on the width). */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, Vectors.F.vectorShape());
    private static final VectorSpecies<Integer> I = Vectors.I;
    private static final VectorSpecies<Float> F = Vectors.F;
    /** Each block's scale in its 4 int lanes: lane j of a vector belongs to block j / 4 of it. */
    private static final VectorShuffle<Float> SPREAD = VectorShuffle.fromOp(F, j -> j / 4);

    @Override
    public void repackRow(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int cols) {
        repack(src, srcOff, dst, dstOff, cols, new byte[repackBufferBytes(cols)]);
    }

    /** One buffer for all the rows. */
    @Override
    public void repackRows(MemorySegment src, long srcRowBytes, MemorySegment dst, int cols, int rowStart, int rowEnd) {
        byte[] buffer = new byte[repackBufferBytes(cols)];
        for (int r = rowStart; r < rowEnd; r++) {
            repack(src, r * srcRowBytes, dst, r * rowBytes(cols), cols, buffer);
        }
    }

    @Override
    public long rowBytes(int cols) {
        return cols / 2 + cols / 8;
    }

    /**
     * The row of Q4_0 blocks at {@code src[srcOff ..]} repacked into {@code dst[dstOff ..]}, through heap buffers of
     * at least {@link #repackBufferBytes} bytes: bulk copies in and out, and plain array code between them, which
     * is fast even before the JIT compiles it (per-block segment accesses and vectors in the interpreter made
     * loading a 1B model seconds slower).
     */
    public static void repack(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int cols,
                              byte[] buffer) {
        int blocks = cols / 32;
        int quants = cols / 2;
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOff, buffer, 0, 18 * blocks);
        float[] scales = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            scales[b] = Float.float16ToFloat((short) ((buffer[18 * b] & 0xFF) | (buffer[18 * b + 1] << 8)));
            // the quants move down over the block's own scale and the earlier blocks' scales: never ahead of reading
            System.arraycopy(buffer, 18 * b + 2, buffer, 16 * b, 16);
        }
        MemorySegment.copy(buffer, 0, dst, ValueLayout.JAVA_BYTE, dstOff, quants);
        MemorySegment.copy(scales, 0, dst, FLOAT_LE, dstOff + quants, blocks);
    }

    /** Bytes of the buffer {@link #repack} needs for rows of {@code cols} weights. */
    public static int repackBufferBytes(int cols) {
        return cols / 32 * 18;
    }

    /**
     * {@code sum_j w[j] * x[j]} over the row at {@code row}: per block the exact integer sum of quant times
     * activation quant (16-bit lanes: a lane sums 4 products of at most 15 * 127, a pair of lanes 8), less 8 times
     * the activations' sum for Q4_0's offset, then one float multiply-add by the two scales.
     */
    @Override
    public float dot(MemorySegment w, long row, int cols, Int8Activations x) {
        x.requireLanes();
        short[] a = x.nibbleLanes;
        int[] offsets = x.nibbleOffsets;
        float[] scales = x.laneScales;
        int quarter = cols / 4;
        long rowScales = row + cols / 2;
        // in registers, not static vectors: C2 reloads a static vector's payload in every iteration
        ShortVector low4 = ShortVector.broadcast(S, (short) 0x0F);
        FloatVector sum = FloatVector.zero(F);
        int whole = quarter - quarter % S.length();
        for (int s = 0; s < whole; s += S.length()) {
            ShortVector q = ShortVector.fromMemorySegment(S, w, row + 2L * s, LE);
            ShortVector p = q.and(low4).mul(ShortVector.fromArray(S, a, s))
                    .add(q.lanewise(LSHR, 4).and(low4).mul(ShortVector.fromArray(S, a, quarter + s)))
                    .add(q.lanewise(LSHR, 8).and(low4).mul(ShortVector.fromArray(S, a, 2 * quarter + s)))
                    .add(q.lanewise(LSHR, 12).mul(ShortVector.fromArray(S, a, 3 * quarter + s)));
            // adjacent 16-bit lanes summed into 32 bits: high + low, exact while the sum fits in 16 bits
            IntVector pairs = (IntVector) p.reinterpretShape(I, 0);
            IntVector ints = pairs.add(pairs.lanewise(LSHL, 16)).lanewise(ASHR, 16)
                    .sub(IntVector.fromArray(I, offsets, s / 2));
            FloatVector d = FloatVector.fromMemorySegment(F, w, rowScales + 4L * (s / 8), LE).rearrange(SPREAD);
            sum = ((FloatVector) ints.convertShape(I2F, F, 0)).mul(FloatVector.fromArray(F, scales, s / 2)).fma(d, sum);
        }
        return whole == quarter ? Vectors.sum(sum) : Vectors.sum(sum) + tail(w, row, cols, x, whole / 8);
    }

    /** Blocks from {@code first} on, fewer than one vector holds, in scalar code (rows of a few blocks only). */
    private static float tail(MemorySegment w, long row, int cols, Int8Activations x, int first) {
        float sum = 0f;
        for (int b = first; b < cols / 32; b++) {
            int integer = 0;
            for (int j = 0; j < 16; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, row + 16L * b + j) & 0xFF;
                integer += ((packed & 0x0F) - 8) * x.q[32 * b + j] + ((packed >>> 4) - 8) * x.q[32 * b + j + 16];
            }
            sum += integer * (w.get(FLOAT_LE, row + cols / 2 + 4L * b) * x.d[b]);
        }
        return sum;
    }

    /**
     * Columns {@code [col, col + len)} of the row at {@code row} as floats, {@code d * (q - 8)}: the same bits as
     * {@link Q4Kernel#dequantize} of the original blocks.
     */
    @Override
    public void unpackFloats(MemorySegment w, long row, int cols, int col, float[] dst, int dstOff, int len) {
        ByteVector eight = ByteVector.broadcast(QuantBits.B, (byte) 8);
        int lanes = Vectors.F.length();
        for (int b = col / 32; b < (col + len) / 32; b++) {
            int at = dstOff + 32 * b - col;
            FloatVector d = FloatVector.broadcast(Vectors.F, w.get(FLOAT_LE, row + cols / 2 + 4L * b));
            ByteVector packed = QuantBits.load(w, row + 16L * b);
            ByteVector low = packed.and(QuantBits.LOW_4).sub(eight);
            ByteVector high = packed.reinterpretAsInts().lanewise(LSHR, 4).reinterpretAsBytes()
                    .and(QuantBits.LOW_4).sub(eight);
            for (int p = 0; p < QuantBits.GROUP / lanes; p++) {
                ((FloatVector) low.convertShape(VectorOperators.B2F, Vectors.F, p)).mul(d)
                        .intoArray(dst, at + p * lanes);
                ((FloatVector) high.convertShape(VectorOperators.B2F, Vectors.F, p)).mul(d)
                        .intoArray(dst, at + 16 + p * lanes);
            }
        }
    }
}
