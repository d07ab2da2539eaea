package dev.llama3j.tensor.kernel;

/**
 * The kernel of each weight type, keyed by ggml's type id (the ids GGUF files and {@code tensor.DType} use), so
 * that a type's description does not name the kernel classes.
 */
public final class RowKernels {
    private RowKernels() {}

    /** The kernel that reads rows of ggml type {@code ggmlId} in place, or null when there is none. */
    public static RowKernel forGgmlType(int ggmlId) {
        return switch (ggmlId) {
            case 0 -> F32Kernel.INSTANCE;
            case 1 -> F16Kernel.INSTANCE;
            case 2 -> Q4Kernel.Q4_0;
            case 3 -> Q4Kernel.Q4_1;
            case 6 -> Q5Kernel.Q5_0;
            case 7 -> Q5Kernel.Q5_1;
            case 8 -> Q8_0Kernel.INSTANCE;
            case 12 -> Q4KKernel.INSTANCE;
            case 13 -> Q5KKernel.INSTANCE;
            case 14 -> Q6KKernel.INSTANCE;
            case 30 -> BF16Kernel.INSTANCE;
            default -> null;
        };
    }
}
