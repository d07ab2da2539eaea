package dev.llama3j.tensor;

import dev.llama3j.LlamaException;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Ranges of rows or columns of 2-D tensors, for one rank of a model split over processes. A tensor given in parts
 * (model-parallel shards) is the parts' rows one after another, or their columns side by side. Rows within one part
 * stay where they lie; anything else is copied once into memory of its own, only the wanted bytes read.
 */
public final class TensorSlices {
    private TensorSlices() {}

    /**
     * Columns of a tensor widened to whole quantization blocks: the wanted ones are {@code cols} columns from
     * {@code offset} of {@code tensor}; the others belong to other ranks, and their inputs are to be zeros
     * ({@link PaddedInputMatrix}).
     */
    public record Columns(Tensor tensor, int offset, int cols) {
        /** The tensor as a matrix whose inputs are the wanted columns only. */
        public Matrix asMatrix(Numerics numerics) {
            Matrix m = tensor.asMatrix(numerics);
            return offset == 0 && cols == m.cols() ? m : new PaddedInputMatrix(m, offset, cols);
        }
    }

    /** Rows {@code [from, to)} of the parts' rows one after another. */
    public static Tensor rows(List<Tensor> parts, int from, int to) {
        Tensor first = parts.getFirst();
        int cols = first.dim(1);
        long rowBytes = first.type().bytesFor(cols);
        int start = 0;
        for (Tensor p : parts) {
            if (from >= start && to <= start + p.dim(0)) {
                MemorySegment data = p.data().asSlice((from - start) * rowBytes, (to - from) * rowBytes);
                return new Tensor(p.name(), p.type(), new long[] {to - from, cols}, data);
            }
            start += p.dim(0);
        }
        MemorySegment copy = WeightMemory.allocate((to - from) * rowBytes);
        start = 0;
        long at = 0;
        for (Tensor p : parts) {
            int lo = Math.max(from, start);
            int hi = Math.min(to, start + p.dim(0));
            if (lo < hi) {
                MemorySegment.copy(p.data(), (lo - start) * rowBytes, copy, at, (hi - lo) * rowBytes);
                at += (hi - lo) * rowBytes;
            }
            start += p.dim(0);
        }
        if (start < to) {
            throw new LlamaException("tensor " + first.name() + ": rows " + from + ".." + to + " of " + start);
        }
        return new Tensor(first.name(), first.type(), new long[] {to - from, cols}, copy);
    }

    /** Columns {@code [from, to)} of the parts side by side, each row's covering blocks copied. */
    public static Columns columns(List<Tensor> parts, int from, int to) {
        Tensor first = parts.getFirst();
        DType type = first.type();
        int block = type.blockSize;
        int lo = from / block * block;
        int hi = Math.min((to + block - 1) / block * block, totalCols(parts));
        int rows = first.dim(0);
        long outRowBytes = type.bytesFor(hi - lo);
        MemorySegment copy = WeightMemory.allocate(rows * outRowBytes);
        int start = 0;
        long at = 0;
        for (Tensor p : parts) {
            int pLo = Math.max(lo, start);
            int pHi = Math.min(hi, start + p.dim(1));
            if (pLo < pHi) {
                if ((pLo - start) % block != 0 || (pHi - start) % block != 0 && pHi != start + p.dim(1)) {
                    throw new LlamaException("tensor " + p.name() + ": parts do not join on whole blocks");
                }
                long rowBytes = type.bytesFor(p.dim(1));
                long skip = type.bytesFor(pLo - start);
                long take = type.bytesFor(pHi - pLo);
                for (int r = 0; r < rows; r++) {
                    MemorySegment.copy(p.data(), r * rowBytes + skip, copy, r * outRowBytes + at, take);
                }
                at += take;
            }
            start += p.dim(1);
        }
        Tensor t = new Tensor(first.name(), type, new long[] {rows, hi - lo}, copy);
        return new Columns(t, from - lo, to - from);
    }

    private static int totalCols(List<Tensor> parts) {
        int n = 0;
        for (Tensor p : parts) {
            n += p.dim(1);
        }
        return n;
    }
}
