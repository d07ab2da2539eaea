package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;

import static dev.llama3j.tensor.kernel.QuantBits.B;
import static dev.llama3j.tensor.kernel.QuantBits.GROUP;
import static dev.llama3j.tensor.kernel.QuantBits.PARTS;
import static dev.llama3j.tensor.kernel.QuantBits.QF;

/**
 * The one shape of every ggml block-quantized type: a block splits into sub-blocks, and element {@code j}
 * of sub-block {@code s} is {@code scale(s) * quant(j)}, plus {@code offset(s)} for types with a min.
 * Subclasses only say where the quants and scales lie; they compute them in float32 in the same order as
 * gguf-py's {@code dequantize}, so {@link #dequantize} is bit-exact with it.
 *
 * <p>{@link #dot} first unpacks a row's quants into signed bytes with vector code ({@link #unpack}), then
 * runs one vector loop for all types: per sub-block {@code sum(q*x)} and {@code sum(x)}, scaled once per
 * sub-block. Unpacking through a byte buffer keeps the per-type code out of the shared loop, so the loop
 * compiles once and no vector crosses a virtual call.
 */
public abstract sealed class QuantKernel implements RowKernel
        permits Q8_0Kernel, Q4Kernel, Q5Kernel, Q4KKernel, Q5KKernel, Q6KKernel {

    /** Per-thread buffers for one row's unpacked quants and sub-block scales. */
    private static final class Scratch {
        byte[] quants = new byte[0];
        float[] scales = new float[0];
        float[] offsets = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final int blockSize;
    private final int blockBytes;
    private final int subBlockSize;
    private final boolean hasOffset;

    QuantKernel(DType type, int subBlockSize, boolean hasOffset) {
        this.blockSize = type.blockSize;
        this.blockBytes = type.blockBytes;
        this.subBlockSize = subBlockSize;
        this.hasOffset = hasOffset;
    }

    /** The integer quant of element {@code j} (0 .. block size) of the block at byte {@code block}; scalar. */
    abstract int quant(MemorySegment w, long block, int j);

    /** The float32 factor of sub-block {@code sub}. */
    abstract float scale(MemorySegment w, long block, int sub);

    /** The float32 term added to sub-block {@code sub}'s products; only called when the type has one. */
    float offset(MemorySegment w, long block, int sub) {
        return 0f;
    }

    /** {@link #quant} of every element of the block into {@code q[qOff ..]}, with vector code. */
    abstract void unpack(MemorySegment w, long block, byte[] q, int qOff);

    @Override
    public final void dequantize(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        int subBlocks = blockSize / subBlockSize;
        for (int b = 0; b < n / blockSize; b++) {
            long block = off + (long) b * blockBytes;
            for (int s = 0; s < subBlocks; s++) {
                float scale = scale(w, block, s);
                float offset = hasOffset ? offset(w, block, s) : 0f;
                for (int j = s * subBlockSize; j < (s + 1) * subBlockSize; j++) {
                    float v = scale * quant(w, block, j);
                    // a symmetric type adds nothing: adding 0 would turn -0.0 into 0.0
                    dst[dstOff + b * blockSize + j] = hasOffset ? v + offset : v;
                }
            }
        }
    }

    @Override
    public final float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        int blocks = n / blockSize;
        int subBlocks = blockSize / subBlockSize;
        Scratch s = scratch(n, blocks * subBlocks);
        for (int b = 0; b < blocks; b++) {
            long block = off + (long) b * blockBytes;
            unpack(w, block, s.quants, b * blockSize);
            for (int sb = 0; sb < subBlocks; sb++) {
                s.scales[b * subBlocks + sb] = scale(w, block, sb);
                if (hasOffset) {
                    s.offsets[b * subBlocks + sb] = offset(w, block, sb);
                }
            }
        }
        return dotUnpacked(s.quants, s.scales, hasOffset ? s.offsets : null, subBlockSize, x, xOff, n);
    }

    private static Scratch scratch(int n, int subBlocks) {
        Scratch s = SCRATCH.get();
        if (s.quants.length < n) {
            s.quants = new byte[n];
        }
        if (s.scales.length < subBlocks) {
            s.scales = new float[subBlocks];
            s.offsets = new float[subBlocks];
        }
        return s;
    }

    /** {@code sum_s scales[s] * sum(q*x) + offsets[s] * sum(x)} over sub-blocks of {@code sub} elements. */
    private static float dotUnpacked(byte[] q, float[] scales, float[] offsets, int sub, float[] x, int xOff, int n) {
        int lanes = QF.length();
        FloatVector sum = FloatVector.zero(QF);
        FloatVector sumOffsets = FloatVector.zero(QF);
        for (int s = 0, j = 0; j < n; s++) {
            FloatVector acc = FloatVector.zero(QF);
            FloatVector accX = FloatVector.zero(QF);
            for (int end = j + sub; j < end; j += GROUP) {
                ByteVector group = ByteVector.fromArray(B, q, j);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector xv = FloatVector.fromArray(QF, x, xOff + j + p * lanes);
                    acc = ((FloatVector) group.convertShape(VectorOperators.B2F, QF, p)).fma(xv, acc);
                    if (offsets != null) {
                        accX = accX.add(xv);
                    }
                }
            }
            sum = acc.fma(FloatVector.broadcast(QF, scales[s]), sum);
            if (offsets != null) {
                sumOffsets = accX.fma(FloatVector.broadcast(QF, offsets[s]), sumOffsets);
            }
        }
        return sum.add(sumOffsets).reduceLanes(VectorOperators.ADD);
    }
}
