package dev.llama3j.format.pth;

import dev.llama3j.tensor.DType;

/**
 * What the pickle of a torch state dict says about one tensor: a contiguous row-major view of
 * {@code numel(shape)} elements starting at element {@code storageOffset} of the storage saved as zip entry
 * {@code <archive>/data/<storageKey>}, which holds {@code storageNumel} elements of {@code type}.
 * Several views may share one storage (model-parallel shards do).
 */
public record TensorView(String storageKey, DType type, long storageNumel, long storageOffset, long[] shape) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
