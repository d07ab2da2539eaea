/**
 * The compute kernels: one {@code RowKernel} per weight type (found by ggml type id in {@code RowKernels}), the tiled
 * matrix product over {@code RowSlices}, vector helpers and per-thread scratch buffers. It depends on no other
 * llama3j package, so everything above can use it without a cycle.
 */
package dev.llama3j.tensor.kernel;
