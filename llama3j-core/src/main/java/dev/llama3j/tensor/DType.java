package dev.llama3j.tensor;

import dev.llama3j.LlamaException;
import dev.llama3j.tensor.kernel.RowKernel;
import dev.llama3j.tensor.kernel.RowKernels;

/**
 * Element types of weights as they lie in a file. Block types pack {@link #blockSize} elements into
 * {@link #blockBytes} bytes; plain types have a block of one element. The ids are ggml's, so GGUF
 * tensor infos map straight onto this enum.
 */
public enum DType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    BF16(30, 1, 2);

    /** ggml's numeric id of the type (GGUF tensor info). */
    public final int ggmlId;
    /** elements per block */
    public final int blockSize;
    /** bytes per block */
    public final int blockBytes;

    DType(int ggmlId, int blockSize, int blockBytes) {
        this.ggmlId = ggmlId;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Bytes taken by {@code n} consecutive elements; n must be a multiple of the block size. */
    public long bytesFor(long n) {
        if (n % blockSize != 0) {
            throw new LlamaException(name() + " needs a multiple of " + blockSize + " elements per row, got " + n);
        }
        return n / blockSize * blockBytes;
    }

    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** The kernel that reads rows of this type in place. */
    public RowKernel kernel() {
        return RowKernels.forGgmlType(ggmlId);
    }

    /** The type with ggml id {@code id}, or null when llama3j does not know it. */
    public static DType ofGgmlId(int id) {
        for (DType t : values()) {
            if (t.ggmlId == id) {
                return t;
            }
        }
        return null;
    }
}
