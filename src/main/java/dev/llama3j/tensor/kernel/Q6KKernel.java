package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.llama3j.tensor.kernel.QuantBits.B;
import static dev.llama3j.tensor.kernel.QuantBits.GROUP;

/**
 * Q6_K: blocks of 256 as {@code u8 ql[128], u8 qh[64], int8 scales[16], fp16 d}, 16 sub-blocks of 16:
 * {@code w = (d*scale) * (q - 32)}. Each half {@code h} of 128 elements uses {@code ql[64h ..]} and
 * {@code qh[32h ..]}: element {@code r} of the half has its low 4 bits in nibble {@code r/64} of
 * {@code ql[r mod 64]} and its top 2 bits at bit {@code 2*(r/32)} of {@code qh[r mod 32]}.
 */
public final class Q6KKernel extends QuantKernel {
    public static final Q6KKernel INSTANCE = new Q6KKernel();

    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;
    private static final ByteVector MINUS = ByteVector.broadcast(QuantBits.B, (byte) 32);

    private Q6KKernel() {
        super(DType.Q6_K, 16, false);
    }

    private static long lowByte(int j) {
        return 64L * (j >>> 7) + (j & 63);
    }

    private static int lowShift(int j) {
        return ((j >>> 6) & 1) * 4;
    }

    private static long highByte(int j) {
        return QH + 32L * (j >>> 7) + (j & 31);
    }

    private static int highShift(int j) {
        return ((j >>> 5) & 3) * 2;
    }

    @Override
    int quant(MemorySegment w, long block, int j) {
        int high = (QuantBits.u8(w, block + highByte(j)) >>> highShift(j)) & 3;
        return (QuantBits.nibble(w, block + lowByte(j), lowShift(j)) | high << 4) - 32;
    }

    @Override
    float scale(MemorySegment w, long block, int sub) {
        return QuantBits.f16(w, block + D) * w.get(ValueLayout.JAVA_BYTE, block + SCALES + sub);
    }

    /** Elements {@code j .. j+16} (j a multiple of 16) of the block, minus 32. */
    private static ByteVector quants16(MemorySegment w, long block, int j) {
        return QuantBits.nibbles(w, block + lowByte(j), lowShift(j))
                .or(QuantBits.times16(QuantBits.bits(w, block + highByte(j), highShift(j), QuantBits.LOW_2)))
                .sub(MINUS);
    }

    @Override
    void unpack(MemorySegment w, long block, byte[] q, int qOff) {
        for (int j = 0; j < 256; j += GROUP) {
            quants16(w, block, j).intoArray(q, qOff + j);
        }
    }

    /**
     * 16 elements at a time as in {@link #dot32}, widened and scaled in registers: the same float product as
     * {@link #dequantize}, so the same bits.
     */
    @Override
    public void unpackFloats(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        for (int b = 0; b < n / 256; b++) {
            long block = off + 210L * b;
            float d = QuantBits.f16(w, block + D);
            for (int j = 0; j < 256; j += GROUP) {
                FloatVector scale = FloatVector.broadcast(Vectors.F, d * w.get(ValueLayout.JAVA_BYTE, block + SCALES + j / 16));
                ByteVector low = ByteVector.fromMemorySegment(B, w, block + lowByte(j), Vectors.LE)
                        .reinterpretAsInts().lanewise(VectorOperators.LSHR, lowShift(j)).reinterpretAsBytes()
                        .and(QuantBits.LOW_4);
                ByteVector high = ByteVector.fromMemorySegment(B, w, block + highByte(j), Vectors.LE)
                        .reinterpretAsInts().lanewise(VectorOperators.LSHR, highShift(j)).reinterpretAsBytes()
                        .and(QuantBits.LOW_2)
                        .reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes();
                ByteVector q = low.or(high).sub(MINUS);
                for (int p = 0; p < GROUP / Vectors.F.length(); p++) {
                    ((FloatVector) q.convertShape(VectorOperators.B2F, Vectors.F, p)).mul(scale)
                            .intoArray(dst, dstOff + 256 * b + j + p * Vectors.F.length());
                }
            }
        }
    }

    /**
     * Sub-blocks {@code j/16} and {@code j/16 + 1} times their scales, dotted with {@code x[xj ..]}. Spelled out with
     * no helper calls between it and the Vector API: C2 inlines at most 15 levels deep, and the Vector API's own
     * layers use most of them; an operation past that is not intrinsified and boxes every vector.
     */
    private static float dot32(MemorySegment w, long block, int j, float d, float[] x, int xj) {
        int lowShift = lowShift(j);
        int highShift = highShift(j);
        FloatVector acc = FloatVector.zero(Vectors.F);
        FloatVector scale0 = FloatVector.broadcast(Vectors.F, d * w.get(ValueLayout.JAVA_BYTE, block + SCALES + j / 16));
        FloatVector scale1 = FloatVector.broadcast(Vectors.F, d * w.get(ValueLayout.JAVA_BYTE, block + SCALES + j / 16 + 1));
        for (int h = 0; h < 32; h += 16) {
            ByteVector low = ByteVector.fromMemorySegment(B, w, block + lowByte(j + h), Vectors.LE)
                    .reinterpretAsInts().lanewise(VectorOperators.LSHR, lowShift).reinterpretAsBytes()
                    .and(QuantBits.LOW_4);
            ByteVector high = ByteVector.fromMemorySegment(B, w, block + highByte(j + h), Vectors.LE)
                    .reinterpretAsInts().lanewise(VectorOperators.LSHR, highShift).reinterpretAsBytes()
                    .and(QuantBits.LOW_2)
                    .reinterpretAsInts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes();
            ByteVector q = low.or(high).sub(MINUS);
            FloatVector part = FloatVector.zero(Vectors.F);
            for (int p = 0; p < GROUP / Vectors.F.length(); p++) {
                part = ((FloatVector) q.convertShape(VectorOperators.B2F, Vectors.F, p))
                        .fma(FloatVector.fromArray(Vectors.F, x, xj + h + p * Vectors.F.length()), part);
            }
            acc = part.fma(h == 0 ? scale0 : scale1, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** 32 elements per call that returns a float, for the reason given at {@link Q4KKernel#dot}. */
    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        float sum = 0f;
        for (int b = 0; b < n / 256; b++) {
            long block = off + 210L * b;
            float d = QuantBits.f16(w, block + D);
            for (int j = 0; j < 256; j += 32) {
                sum += dot32(w, block, j, d, x, xOff + 256 * b + j);
            }
        }
        return sum;
    }
}
