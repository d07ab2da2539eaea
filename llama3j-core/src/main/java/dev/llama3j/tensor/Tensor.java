package dev.llama3j.tensor;

import dev.llama3j.LlamaException;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named, contiguous, row-major tensor whose bytes lie in place (usually a slice of a memory-mapped file).
 * {@code shape} is outermost first, as PyTorch writes it: a weight matrix is {@code [rows, cols]}
 * (GGUF lists dims innermost first; its reader reverses them).
 */
public record Tensor(String name, DType type, long[] shape, MemorySegment data) {

    public Tensor {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new LlamaException("tensor " + name + ": negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        long inner = shape.length == 0 ? 1 : shape[shape.length - 1];
        if (inner % type.blockSize != 0) {
            throw new LlamaException("tensor " + name + ": row length " + inner + " is not a multiple of the "
                    + type + " block size " + type.blockSize);
        }
        long need = n / type.blockSize * type.blockBytes;
        if (data.byteSize() != need) {
            throw new LlamaException("tensor " + name + ": " + type + " " + Arrays.toString(shape) + " needs "
                    + need + " bytes, the file gives " + data.byteSize());
        }
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public int rank() {
        return shape.length;
    }

    /** Dimension {@code i} as an int, with a clear error when it does not fit. */
    public int dim(int i) {
        long d = shape[i];
        if (d > Integer.MAX_VALUE) {
            throw new LlamaException("tensor " + name + ": dimension " + d + " is too large");
        }
        return (int) d;
    }

    /** This 2-D tensor as a matrix computed in place, with float32 activations. */
    public Matrix asMatrix() {
        return asMatrix(Numerics.EXACT);
    }

    /** This 2-D tensor as a matrix with the given numerics ({@link Numerics#matrix}). */
    public Matrix asMatrix(Numerics numerics) {
        if (shape.length != 2) {
            throw new LlamaException("tensor " + name + ": expected 2 dimensions, got " + Arrays.toString(shape));
        }
        return numerics.matrix(name, type, data, dim(0), dim(1));
    }

    /** This 2-D tensor as a vocabulary matrix ({@link Numerics#vocabularyMatrix}). */
    public Matrix asVocabularyMatrix(Numerics numerics) {
        if (shape.length != 2) {
            throw new LlamaException("tensor " + name + ": expected 2 dimensions, got " + Arrays.toString(shape));
        }
        return numerics.vocabularyMatrix(name, type, data, dim(0), dim(1));
    }

    /** This tensor's elements as floats on the heap; only for small tensors such as norm weights. */
    public float[] toFloats() {
        long n = elementCount();
        if (n > (1 << 26)) {
            throw new LlamaException("tensor " + name + " is too large to copy to the heap (" + n + " elements)");
        }
        float[] out = new float[(int) n];
        type.kernel().dequantize(data, 0, out, 0, (int) n);
        return out;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
