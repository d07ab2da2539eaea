package dev.llama3j.tensor;

import dev.llama3j.tensor.kernel.NativeKernels;

import java.lang.foreign.MemorySegment;

/** How a model's matrix products treat activations: a choice made when the model is loaded. */
public enum Numerics {
    /** Float32 activations in every product: Meta's numbers, within float rounding (the conformance check's path). */
    EXACT,
    /**
     * Activations quantized to int8 blocks, as llama.cpp does, for the weight types where llama3j has an integer
     * product faster than the float one in a whole decode: Q4_0, Q4_K, Q6_K and Q8_0 where the native kernels run,
     * else Q4_0, Q4_K and Q6_K (Java's Q8_0 integer product measured slower); float32 for the rest. Where the
     * native kernels run, prompts of Q4_0, Q4_K and Q6_K take int8 too (each vector the bits of its matrix-vector
     * product), faster than the float32 tiled product there; Q8_0 prompts keep that tiled product, faster for them
     * (figures: docs/performance.md).
     */
    INT8;

    /**
     * The matrix of {@code rows x cols} weights of type {@code type} in {@code data}: computed in place, except Q4_0,
     * Q4_K and Q6_K with int8 activations, repacked into memory of their own on first use ({@link RepackedMatrix}),
     * unless the {@link NativeKernels} compute them from the file's blocks ({@link NativeInt8Matrix}; Q8_0 too).
     */
    public Matrix matrix(String name, DType type, MemorySegment data, int rows, int cols) {
        DenseMatrix m = new DenseMatrix(name, type, data, rows, cols, int8For(type));
        if (this == INT8 && NativeKernels.forType(type.ggmlId, cols) != null) {
            return new NativeInt8Matrix(m, type != DType.Q8_0);
        }
        return int8For(type) ? RepackedMatrix.of(m) : m;
    }

    /**
     * A vocabulary matrix (the output, and embeddings tied to it): int8 activations only where a native kernel reads
     * the file's blocks in place, float32 otherwise, so the first token's logits never wait for a copy.
     */
    public Matrix vocabularyMatrix(String name, DType type, MemorySegment data, int rows, int cols) {
        DenseMatrix m = new DenseMatrix(name, type, data, rows, cols, false);
        boolean inPlace = this == INT8 && NativeKernels.forType(type.ggmlId, cols) != null;
        return inPlace ? new NativeInt8Matrix(m, type != DType.Q8_0) : m;
    }

    /** Whether matrices of type {@code t} take int8 activations under these numerics. */
    public boolean int8For(DType t) {
        return this == INT8 && (t == DType.Q4_0 || t == DType.Q4_K || t == DType.Q6_K);
    }
}
