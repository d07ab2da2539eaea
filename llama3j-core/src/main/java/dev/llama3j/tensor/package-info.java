/**
 * Weights and the operations on them: element types ({@code DType}), tensors, matrices (dense, concatenated, row
 * permuted), the thread pool ({@code Parallel}) and the parallel matrix products ({@code ParallelMatmul}). This
 * package depends on {@code tensor.kernel}, never the other way: a type finds its kernel through
 * {@code RowKernels}, and matrices hand the tiled product their rows as {@code RowSlices}.
 */
package dev.llama3j.tensor;
