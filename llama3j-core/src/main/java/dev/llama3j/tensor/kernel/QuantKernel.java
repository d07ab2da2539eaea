package dev.llama3j.tensor.kernel;

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
 * <p>{@link #dot} (decode) is written per type where it pays (Q8_0, Q4_0/Q4_1, Q4_K, Q6_K): each reads its quants
 * straight from the mapped weights into 32-bit lanes, against the activations reordered once per matrix-vector
 * product ({@link #prepare}), with the block's scale factored out; Q8_0 also has the integer dot
 * against {@link Int8Activations} (Q4_0's and Q4_K's are on rows repacked at load: {@link Q4_0Repacked},
 * {@link Q4KRepacked}). It cannot be one shared loop calling a per-type "give me 16 quants"
 * method: a vector returned through a call that C2 does not inline (a call site that has seen three or more
 * types, or one past C2's inlining node budget) is boxed on the heap, several times slower. The other types use
 * the general path below, through a per-thread buffer.
 *
 * <p>{@link #unpackFloats} (the weight panels of {@link TileMatmul}) is written per type the same way (Q8_0, Q4_0/Q4_1,
 * Q4_K, Q6_K): quants widened and scaled in registers. The general version below serves Q5_0, Q5_1 and Q5_K:
 * {@link #unpack} writes a block's quants as signed bytes into a per-thread buffer, then one loop scales them.
 */
public abstract sealed class QuantKernel implements RowKernel
        permits Q8_0Kernel, Q4Kernel, Q5Kernel, Q4KKernel, Q5KKernel, Q6KKernel {

    /** Byte lanes that widen into one float vector (at 128 bits, the first half of the smallest byte vector). */
    private static final VectorSpecies<Byte> BF =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, Vectors.F.length() * 8)));
    private static final int LANES = Vectors.F.length();

    /** Per-thread buffers for one block's unpacked quants and sub-block scales. */
    static final class Scratch {
        /** a block's quants, and room for the last load of {@link #BF} */
        final byte[] quants = new byte[256 + 8];
        final float[] scales = new float[16];
        final float[] offsets = new float[16];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** This thread's buffers: {@code scales} and {@code offsets} also hold a block's decoded scales in a dot. */
    static Scratch scratch() {
        return SCRATCH.get();
    }

    private final int blockSize;
    private final int blockBytes;
    private final int subBlockSize;
    private final int subBlocks;
    private final boolean hasOffset;

    /** A type of {@code blockSize} elements in {@code blockBytes} bytes (the geometry of its ggml type). */
    QuantKernel(int blockSize, int blockBytes, int subBlockSize, boolean hasOffset) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
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

    /**
     * The general path, for types without a loop of their own (Q5_0, Q5_1, Q5_K): each block is unpacked into the
     * per-thread buffer, then multiplied 16 quants at a time with the sub-block's scale factored out. Two sums
     * alternate so consecutive 16-element chunks do not wait on each other's FMA.
     */
    @Override
    public float dot(MemorySegment w, long off, float[] x, int xOff, int n) {
        Scratch s = SCRATCH.get();
        int chunksPerSub = subBlockSize / 16;
        FloatVector even = FloatVector.zero(Vectors.F);
        FloatVector odd = FloatVector.zero(Vectors.F);
        FloatVector offsets = FloatVector.zero(Vectors.F);
        for (int b = 0; b < n / blockSize; b++) {
            unpackBlock(w, off + (long) b * blockBytes, s);
            int xb = xOff + b * blockSize;
            for (int j = 0; j < blockSize; j += 32) {
                // spelled out, no helpers: see Q6KKernel's dot32 on C2's inlining depth
                FloatVector a0 = FloatVector.zero(Vectors.F);
                FloatVector a1 = FloatVector.zero(Vectors.F);
                FloatVector xs = FloatVector.zero(Vectors.F);
                for (int p = 0; p < 16; p += LANES) {
                    FloatVector x0 = FloatVector.fromArray(Vectors.F, x, xb + j + p);
                    FloatVector x1 = FloatVector.fromArray(Vectors.F, x, xb + j + 16 + p);
                    a0 = quants(s.quants, j + p).fma(x0, a0);
                    a1 = quants(s.quants, j + 16 + p).fma(x1, a1);
                    if (hasOffset) {
                        xs = xs.add(x0).add(x1);
                    }
                }
                even = a0.fma(FloatVector.broadcast(Vectors.F, s.scales[j / 16 / chunksPerSub]), even);
                odd = a1.fma(FloatVector.broadcast(Vectors.F, s.scales[(j / 16 + 1) / chunksPerSub]), odd);
                if (hasOffset) {
                    // every type with an offset has sub-blocks of 32: these 32 elements are one sub-block
                    offsets = xs.fma(FloatVector.broadcast(Vectors.F, s.offsets[j / 32]), offsets);
                }
            }
        }
        return Vectors.sum(even.add(odd).add(offsets));
    }

    /** Vector dequantization, bit-exact with {@link #dequantize}: scale times quant, then plus offset. */
    @Override
    public void unpackFloats(MemorySegment w, long off, float[] dst, int dstOff, int n) {
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
