/*
 * llama3j's optional native kernels: integer dot products of quantized weight rows with int8 activations, through
 * the byte multiply-adds the Vector API cannot express (x86 vpmaddubsw; AVX-512 VNNI's vpdpbusd), and F16 rows
 * with float32 activations through vcvtph2ps (the Vector API has no half-precision conversion). They read Q4_0,
 * Q4_K and Q6_K rows in the file's own blocks (no copy), and are loaded through FFM by
 * dev.llama3j.tensor.kernel.NativeKernels, and are tested against the Java kernels and the scalar rule.
 *
 * Activations come as Int8Activations holds them: quants xq (int8, element order), and per block of 32 its scale
 * xd and its scaled sum xs = xd * sum(xq). Each function computes, for each of `rows` rows of `row_bytes` bytes at
 * w, sum_j w[j] * x[j] into out[row]; a batch variant (_n) does so for n vectors laid end to end, vector t's into
 * out[t * out_stride + row], each with the bits of the single-vector function. The AVX2 and VNNI variants add the
 * same numbers in the same order: the same bits.
 *
 * llama3j_quantize_ISA: `blocks` blocks of 32 activations to xq, xd and xs, bit for bit as Int8Activations does.
 *
 * llama3j_f16_ISA: F16 rows with float32 activations, out[row] = sum_j w[j] * x[j], each variant in the lane order
 * of the Java F16Kernel at its width (AVX2: 8 lanes, VNNI: 16), whose bits it gives.
 *
 * llama3j_bf16_ISA: BF16 rows with float32 activations, as llama3j_f16_ISA, in the lane order of the Java BF16Kernel.
 *
 * llama3j_unpack_{f16,bf16,q8_0}_ISA: F16, BF16 or Q8_0 rows (n weights each, whole Q8_0 blocks) as floats, exact,
 * in slices of `depth` (a multiple of 32), rows and slices at the strides given: TileMatmul's weight panels.
 *
 * llama3j_tile_ISA: the multiply-adds of one depth panel of a TileMatmul row block (float32 weights unpacked per
 * thread, packed activations, its sum buffer) at the variant's width, with the Java tile's bits; -1, and nothing
 * done, when the layout asked for (rows per tile, tokens per group, columns per panel) is not the variant's.
 */
#ifndef LLAMA3J_KERNELS_H
#define LLAMA3J_KERNELS_H

#include <stdint.h>

#define LLAMA3J_DECLARE_TYPE(type, isa)                                                                       \
    void llama3j_##type##_##isa(const uint8_t *w, int64_t row_bytes, int32_t cols, const int8_t *xq,          \
                                const float *xd, const float *xs, float *out, int32_t rows);                   \
    void llama3j_##type##_n_##isa(const uint8_t *w, int64_t row_bytes, int32_t cols, int32_t n,                \
                                  const int8_t *xq, const float *xd, const float *xs, float *out,              \
                                  int64_t out_stride, int32_t rows);

#define LLAMA3J_DECLARE(isa)                                                                                   \
    LLAMA3J_DECLARE_TYPE(q4_0, isa)                                                                            \
    LLAMA3J_DECLARE_TYPE(q4_k, isa)                                                                            \
    LLAMA3J_DECLARE_TYPE(q6_k, isa)                                                                            \
    LLAMA3J_DECLARE_TYPE(q8_0, isa)                                                                            \
    void llama3j_f16_##isa(const uint8_t *w, int64_t row_bytes, int32_t cols, const float *x, float *out,      \
                           int32_t rows);                                                                      \
    void llama3j_bf16_##isa(const uint8_t *w, int64_t row_bytes, int32_t cols, const float *x, float *out,     \
                            int32_t rows);                                                                     \
    void llama3j_unpack_f16_##isa(const uint8_t *w, int64_t row_bytes, int32_t rows, int32_t n, int32_t depth,  \
                                  float *out, int64_t row_stride, int64_t slice_stride);                       \
    void llama3j_unpack_bf16_##isa(const uint8_t *w, int64_t row_bytes, int32_t rows, int32_t n, int32_t depth, \
                                   float *out, int64_t row_stride, int64_t slice_stride);                      \
    void llama3j_unpack_q8_0_##isa(const uint8_t *w, int64_t row_bytes, int32_t rows, int32_t n, int32_t depth, \
                                   float *out, int64_t row_stride, int64_t slice_stride);                      \
    void llama3j_quantize_##isa(const float *x, int32_t blocks, int8_t *xq, float *xd, float *xs);              \
    int32_t llama3j_tile_##isa(int32_t rows_per_tile, int32_t tokens_per_group, int32_t depth_per_panel,       \
                               const float *weights, int64_t panel, int32_t cols, int32_t k0,                  \
                               const float *acts, int32_t groups, int32_t tiles, int32_t narrow_last,          \
                               float *sums);

LLAMA3J_DECLARE(avx2)
LLAMA3J_DECLARE(vnni)

/* Bit 0: the AVX2 kernels can run here (AVX2, FMA, F16C); bit 1: the AVX-512 VNNI ones (also F, VL, BW). */
int32_t llama3j_features(void);

#endif
