package dev.llama3j.tensor.kernel;

import dev.llama3j.tensor.DType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * The one shape of every ggml block-quantized type: a block splits into sub-blocks, and element {@code j}
 * of sub-block {@code s} is {@code scale(s) * quant(j)}, plus {@code offset(s)} for types with a min.
 * Subclasses only say where the quants and scales lie; they compute them in float32 in the same order as
 * gguf-py's {@code dequantize}, so {@link #dequantize} is bit-exact with it.
 *
 * <p>The vector paths all go block by block: {@link #unpack} turns a block's quants into signed bytes in a
 * small per-thread buffer that stays in L1 (vector code, the only per-type part), the sub-block scales are read
 * once, and one shared loop does the arithmetic. {@link #dot} factors the scale out of each sub-block
 * ({@code scale * sum(q*x) + offset * sum(x)}), so the inner loop is a byte-to-float widening and an FMA per
 * {@link Vectors#F} lanes; it keeps two sums so consecutive 16-element chunks do not wait on each other's FMA.
 */
public abstract sealed class QuantKernel implements RowKernel
        permits Q8_0Kernel, Q4Kernel, Q5Kernel, Q4KKernel, Q5KKernel, Q6KKernel {

    /** Elements per step of the dot loop: the smallest sub-block (Q6_K's). */
    private static final int CHUNK = 16;
    /** Byte lanes that widen into one float vector. */
    private static final VectorSpecies<Byte> BF =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Vectors.F.length() * 8));
    private static final int LANES = Vectors.F.length();

    /** Per-thread buffers for one block's unpacked quants and sub-block scales. */
    private static final class Scratch {
        final byte[] quants = new byte[256];
        final float[] scales = new float[16];
        final float[] offsets = new float[16];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final int blockSize;
    private final int blockBytes;
    private final int subBlockSize;
    private final int subBlocks;
    private final boolean hasOffset;

    QuantKernel(DType type, int subBlockSize, boolean hasOffset) {
        this.blockSize = type.blockSize;
        this.blockBytes = type.blockBytes;
        this.subBlockSize = subBlockSize;
        this.subBlocks = blockSize / subBlockSize;
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

    /** Unpacks the block's quants and sub-block scales (and offsets) into {@code s}. */
    private void unpackBlock(MemorySegment w, long block, Scratch s) {
        unpack(w, block, s.quants, 0);
        for (int sub = 0; sub < subBlocks; sub++) {
            s.scales[sub] = scale(w, block, sub);
            if (hasOffset) {
                s.offsets[sub] = offset(w, block, sub);
            }
        }
    }

    /** Quants {@code [j, j + LANES)} of the unpacked block, as floats. */
    private static FloatVector quants(byte[] q, int j) {
        return (FloatVector) ByteVector.fromArray(BF, q, j).convertShape(VectorOperators.B2F, Vectors.F, 0);
    }

    /** {@code sum(q*x)} over the 16 elements from {@code j}, as a vector of partial sums. */
    private static FloatVector chunkDot(byte[] q, int j, float[] x, int xAt) {
        FloatVector acc = quants(q, j).mul(FloatVector.fromArray(Vectors.F, x, xAt));
        for (int p = LANES; p < CHUNK; p += LANES) {
            acc = quants(q, j + p).fma(FloatVector.fromArray(Vectors.F, x, xAt + p), acc);
        }
        return acc;
    }

    /** {@code sum(x)} over the 16 elements from {@code xAt}, as a vector of partial sums. */
    private static FloatVector chunkSum(float[] x, int xAt) {
        FloatVector acc = FloatVector.fromArray(Vectors.F, x, xAt);
        for (int p = LANES; p < CHUNK; p += LANES) {
            acc = acc.add(FloatVector.fromArray(Vectors.F, x, xAt + p));
        }
        return acc;
    }

    @Override
    public final float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        Scratch s = SCRATCH.get();
        byte[] q = s.quants;
        int subShift = Integer.numberOfTrailingZeros(subBlockSize / CHUNK);
        FloatVector even = FloatVector.zero(Vectors.F);
        FloatVector odd = FloatVector.zero(Vectors.F);
        FloatVector offsets = FloatVector.zero(Vectors.F);
        for (int b = 0; b < n / blockSize; b++) {
            unpackBlock(w, off + (long) b * blockBytes, s);
            int xb = xOff + b * blockSize;
            for (int c = 0; c < blockSize / CHUNK; c += 2) {
                int j = c * CHUNK;
                even = chunkDot(q, j, x, xb + j).fma(FloatVector.broadcast(Vectors.F, s.scales[c >>> subShift]), even);
                odd = chunkDot(q, j + CHUNK, x, xb + j + CHUNK).fma(FloatVector.broadcast(Vectors.F, s.scales[(c + 1) >>> subShift]), odd);
                if (hasOffset) {
                    // every type with an offset has sub-blocks of 32: this chunk pair is one sub-block
                    FloatVector xs = chunkSum(x, xb + j).add(chunkSum(x, xb + j + CHUNK));
                    offsets = xs.fma(FloatVector.broadcast(Vectors.F, s.offsets[c >>> 1]), offsets);
                }
            }
        }
        return even.add(odd).add(offsets).reduceLanes(VectorOperators.ADD);
    }

    /** Vector dequantization, bit-exact with {@link #dequantize}: scale times quant, then plus offset. */
    @Override
    public final void unpackFloats(MemorySegment w, long off, float[] dst, int dstOff, int n) {
        Scratch s = SCRATCH.get();
        for (int b = 0; b < n / blockSize; b++) {
            unpackBlock(w, off + (long) b * blockBytes, s);
            int db = dstOff + b * blockSize;
            for (int j = 0; j < blockSize; j += LANES) {
                int sub = j / subBlockSize;
                FloatVector v = quants(s.quants, j).mul(s.scales[sub]);
                if (hasOffset) {
                    v = v.add(s.offsets[sub]);
                }
                v.intoArray(dst, db + j);
            }
        }
    }
}
