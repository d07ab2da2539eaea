/*
 * The kernels, compiled once per instruction set (kernels_avx2.c, kernels_vnni.c define ISA and, for VNNI,
 * USE_VNNI). They read the file's own blocks, one stream per row (a layout with the scales apart from the
 * nibbles read two streams and ran at half the speed from memory), in chunks of 128 weights. The VNNI variant
 * holds a chunk in one 512-bit register; the AVX2 variant in two 256-bit halves that play its lower and upper 8
 * lanes, doing per lane the same integer sums and the same float operations in the same order, so both give the
 * same bits. Each row has its own accumulator, summed at the end in a fixed order, so a row's result does not
 * depend on the rows beside it. The F16 product at the end is the exception: each variant at its own width, as the
 * Java F16Kernel at that width.
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, ISA)

/* Most columns a row may have (NativeKernels checks it). */
#define MAX_COLS 65536

/* How far ahead the weight streams of Q4_0, Q4_K and Q8_0 are prefetched: a single vector's product streams from
 * memory and gains from looking further ahead than a batch, whose rows are read again from L2 (figures:
 * docs/performance.md). The F16 and BF16 products read two rows at once, each HALF_PREFETCH_BYTES ahead. */
#ifndef PREFETCH_BYTES
#define PREFETCH_BYTES 1024
#endif
#ifndef STREAM_PREFETCH_BYTES
#define STREAM_PREFETCH_BYTES 8192
#endif
#ifndef HALF_PREFETCH_BYTES
#define HALF_PREFETCH_BYTES 4096
#endif
#define PREFETCH(p) _mm_prefetch((const char *) (p), _MM_HINT_T0)
/* The distance for a row read with V vectors. */
#define PREFETCH_FOR(V) ((V) == 1 ? STREAM_PREFETCH_BYTES : PREFETCH_BYTES)

#ifdef USE_VNNI
typedef __m512 vf;
typedef __m512i vi;
#else
typedef struct { __m256 lo, hi; } vf;
typedef struct { __m256i lo, hi; } vi;
#endif

static inline vf FN(vf_zero)(void) {
#ifdef USE_VNNI
    return _mm512_setzero_ps();
#else
    vf z = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    return z;
#endif
}

static inline vi FN(vi_load)(const void *p) {
#ifdef USE_VNNI
    return _mm512_loadu_si512(p);
#else
    vi v = {_mm256_loadu_si256((const __m256i *) p), _mm256_loadu_si256((const __m256i *) ((const char *) p + 32))};
    return v;
#endif
}

/* Nibbles 0 (low) or 1 (high) of each byte, as bytes 0..15. */
static inline vi FN(nibbles)(vi v, int high) {
#ifdef USE_VNNI
    __m512i m = _mm512_set1_epi8(0x0F);
    return _mm512_and_si512(high ? _mm512_srli_epi16(v, 4) : v, m);
#else
    __m256i m = _mm256_set1_epi8(0x0F);
    vi r = {_mm256_and_si256(high ? _mm256_srli_epi16(v.lo, 4) : v.lo, m),
            _mm256_and_si256(high ? _mm256_srli_epi16(v.hi, 4) : v.hi, m)};
    return r;
#endif
}

/* acc + per int32 lane the sum of 4 adjacent products of unsigned u (at most 15) and signed s bytes. */
static inline vi FN(dot4)(vi acc, vi u, vi s) {
#ifdef USE_VNNI
    return _mm512_dpbusd_epi32(acc, u, s);
#else
    __m256i one = _mm256_set1_epi16(1);
    vi r = {_mm256_add_epi32(acc.lo, _mm256_madd_epi16(_mm256_maddubs_epi16(u.lo, s.lo), one)),
            _mm256_add_epi32(acc.hi, _mm256_madd_epi16(_mm256_maddubs_epi16(u.hi, s.hi), one))};
    return r;
#endif
}

/* Per int32 lane the sum of dot4(0, u0, s0) and dot4(0, u1, s1), for u0 and u1 at most 15 and s0, s1 at least -127:
 * AVX2 adds the two pairwise products in 16 bits (at most 4 * 15 * 127 in magnitude) and widens once. */
static inline vi FN(dot4x2)(vi u0, vi s0, vi u1, vi s1) {
#ifdef USE_VNNI
    return _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), u0, s0), u1, s1);
#else
    __m256i one = _mm256_set1_epi16(1);
    vi r = {_mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(u0.lo, s0.lo), _mm256_maddubs_epi16(u1.lo, s1.lo)),
                              one),
            _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(u0.hi, s0.hi), _mm256_maddubs_epi16(u1.hi, s1.hi)),
                              one)};
    return r;
#endif
}

static inline vi FN(vi_zero)(void) {
#ifdef USE_VNNI
    return _mm512_setzero_si512();
#else
    vi z = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    return z;
#endif
}

/* acc + float(isum) * scale, lanewise. */
static inline vf FN(fma_int)(vi isum, vf scale, vf acc) {
#ifdef USE_VNNI
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), scale, acc);
#else
    vf r = {_mm256_fmadd_ps(_mm256_cvtepi32_ps(isum.lo), scale.lo, acc.lo),
            _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum.hi), scale.hi, acc.hi)};
    return r;
#endif
}

/* The 4 floats of s spread to 16 lanes: lane j takes s[idx(j)], idx given as 16 ints. */
static inline vf FN(spread)(__m128 s, const int32_t *idx) {
#ifdef USE_VNNI
    return _mm512_permutexvar_ps(_mm512_loadu_si512(idx), _mm512_castps128_ps512(s));
#else
    __m256 s8 = _mm256_castps128_ps256(s);
    vf r = {_mm256_permutevar8x32_ps(s8, _mm256_loadu_si256((const __m256i *) idx)),
            _mm256_permutevar8x32_ps(s8, _mm256_loadu_si256((const __m256i *) (idx + 8)))};
    return r;
#endif
}

/* The 16 lanes summed in a fixed order: upper 8 onto lower 8, then halves, pairs, the last two. */
static inline float FN(sum16)(vf v) {
#ifdef USE_VNNI
    __m256 upper = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), upper);
#else
    __m256 s8 = _mm256_add_ps(v.lo, v.hi);
#endif
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

static inline float FN(sum4)(__m128 s) {
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* 16 floats from 16 int8s. */
static inline vf FN(i8_to_f)(const int8_t *p) {
#ifdef USE_VNNI
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) p)));
#else
    vf r = {_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *) p))),
            _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *) (p + 8))))};
    return r;
#endif
}

static inline vf FN(vf_load)(const float *p) {
#ifdef USE_VNNI
    return _mm512_loadu_ps(p);
#else
    vf r = {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)};
    return r;
#endif
}

static inline vf FN(vf_mul)(vf a, vf b) {
#ifdef USE_VNNI
    return _mm512_mul_ps(a, b);
#else
    vf r = {_mm256_mul_ps(a.lo, b.lo), _mm256_mul_ps(a.hi, b.hi)};
    return r;
#endif
}

static inline vf FN(vf_fma)(vf a, vf b, vf c) {
#ifdef USE_VNNI
    return _mm512_fmadd_ps(a, b, c);
#else
    vf r = {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)};
    return r;
#endif
}

static inline vf FN(vf_set1)(float x) {
#ifdef USE_VNNI
    return _mm512_set1_ps(x);
#else
    vf r = {_mm256_set1_ps(x), _mm256_set1_ps(x)};
    return r;
#endif
}

/* Lane j takes f's lane idx[j]; each group of 8 output lanes draws from one 8-lane half of f. */
static inline vf FN(spread16)(vf f, const int32_t *idx) {
#ifdef USE_VNNI
    return _mm512_permutexvar_ps(_mm512_loadu_si512(idx), f);
#else
    __m256i seven = _mm256_set1_epi32(7);
    __m256i i0 = _mm256_and_si256(_mm256_loadu_si256((const __m256i *) idx), seven);
    __m256i i1 = _mm256_and_si256(_mm256_loadu_si256((const __m256i *) (idx + 8)), seven);
    vf r = {_mm256_permutevar8x32_ps(idx[0] < 8 ? f.lo : f.hi, i0),
            _mm256_permutevar8x32_ps(idx[8] < 8 ? f.lo : f.hi, i1)};
    return r;
#endif
}

/* A Q6_K half's 2-bit highs (32 bytes, both halves of the register) moved to bits 4..5 for the low-nibble weights
 * (elements 0..63 of the half: shifts 4 then 2) or the high-nibble ones (64..127: shifts 0 then -2). */
static inline vi FN(q6_highs)(const uint8_t *qh, int high) {
#ifdef USE_VNNI
    __m512i h = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *) qh));
    __m512i moved = high ? _mm512_srlv_epi64(h, _mm512_setr_epi64(0, 0, 0, 0, 2, 2, 2, 2))
                         : _mm512_sllv_epi64(h, _mm512_setr_epi64(4, 4, 4, 4, 2, 2, 2, 2));
    return _mm512_and_si512(moved, _mm512_set1_epi8(0x30));
#else
    __m256i h = _mm256_loadu_si256((const __m256i *) qh);
    __m256i m = _mm256_set1_epi8(0x30);
    vi r = {_mm256_and_si256(high ? h : _mm256_slli_epi64(h, 4), m),
            _mm256_and_si256(high ? _mm256_srli_epi64(h, 2) : _mm256_slli_epi64(h, 2), m)};
    return r;
#endif
}

static inline vi FN(vi_or)(vi a, vi b) {
#ifdef USE_VNNI
    return _mm512_or_si512(a, b);
#else
    vi r = {_mm256_or_si256(a.lo, b.lo), _mm256_or_si256(a.hi, b.hi)};
    return r;
#endif
}

static const int32_t BLOCK_OF_LANE[16] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3};
static const int32_t EVEN_OF_LANE[16] = {0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2};
static const int32_t ODD_OF_LANE[16] = {1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3};


/* Q6_K groups of 16 for the int32 lanes of a half's low-nibble (Q6_LOW) and high-nibble (Q6_HIGH) weights. */
static const int32_t Q6_LOW[2][16] = {{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3},
                                      {8, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11}};
static const int32_t Q6_HIGH[2][16] = {{4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7},
                                       {12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15}};

/*
 * A batch row's sums kept between column segments (see DEFINE_KERNELS): per vector two slots of 16 floats, the
 * accumulator and the offsets. A row function given columns [c0, c1) starts from zeros at c0 == 0, else from its
 * state, and at c1 < cols keeps its sums there instead of writing its result; stored and loaded whole, they give the
 * bits of one pass over the row. A single-vector product passes the whole row and no state.
 */
#define SEGMENT int32_t c0, int32_t c1, float *state
#define STATE_FLOATS 32
static inline vf FN(state_vf)(const float *state, int v, int slot, int32_t c0) {
    return c0 == 0 ? FN(vf_zero)() : FN(vf_load)(state + (2 * v + slot) * 16);
}
static inline __m128 FN(state_m128)(const float *state, int v, int32_t c0) {
    return c0 == 0 ? _mm_setzero_ps() : _mm_loadu_ps(state + (2 * v + 1) * 16);
}
static inline void FN(keep_vf)(float *state, int v, int slot, vf x) {
#ifdef USE_VNNI
    _mm512_storeu_ps(state + (2 * v + slot) * 16, x);
#else
    _mm256_storeu_ps(state + (2 * v + slot) * 16, x.lo);
    _mm256_storeu_ps(state + (2 * v + slot) * 16 + 8, x.hi);
#endif
}
static inline void FN(keep_m128)(float *state, int v, __m128 x) {
    _mm_storeu_ps(state + (2 * v + 1) * 16, x);
}

/* The most vectors a batch product takes together per row: their accumulators stay in registers. */
#ifdef USE_VNNI
#define BATCH_VECTORS 8
#else
#define BATCH_VECTORS 4
#endif

/* Rows a batch product takes at a time: their weights stay in L2 while every group of vectors runs over them. */
#define BATCH_ROWS 64
/* Most vectors a batch product prepares at once, which bounds its thread's scratch. */
#define BATCH_SLAB 256
/* Widest rows a VNNI batch product runs in one pass; wider ones run in segments of SEGMENT_COLS columns, every row
 * of a block per segment, so that a group's activations stay in L1 across the rows. The AVX2 variant, with half the
 * vectors per group, measured slower so (figures: docs/performance.md) and runs whole rows. */
#ifdef USE_VNNI
#define ONE_PASS_COLS 4096
#else
#define ONE_PASS_COLS MAX_COLS
#endif
#define SEGMENT_COLS 2048
/* Most bytes of a single-vector product's activations on the stack (HotSpot's stack for native calls is ample for
 * that, not for a very wide row's). */
#define STACK_ACTS 16384

/*
 * Every type has: TYPE_ACTS(cols), the bytes of one vector's activations as its products read them; TYPE_prepare,
 * which writes those of a group of `count` vectors (laid end to end in xq, xd, xs), interleaved per step of the row
 * so that a row's pass reads them in one stream; TYPE_row, the dot products of one row with V vectors of a group
 * (V a constant: 1 or BATCH_VECTORS), which share the unpacked weights, over a segment of the row's columns; and
 * TYPE_SEGMENTED, whether its batches run wide rows in segments (Q8_0's measured slower so). Each vector's sums take
 * the same operations in the same order whatever V and the segments are, so a result has the same bits alone or in
 * a batch. DEFINE_KERNELS makes the entry points from them: the single-vector product (activations on the stack)
 * and the batch one (all the vectors prepared once, in groups of BATCH_VECTORS and then of 4, 2 or 1, into the
 * calling thread's scratch).
 */
#define DEFINE_KERNELS(type)                                                                                    \
    DEFINE_ROWS(type)                                                                                            \
                                                                                                                 \
    void FN(llama3j_##type)(const uint8_t *w, int64_t row_bytes, int32_t cols, const int8_t *xq, const float *xd, \
                            const float *xs, float *out, int32_t rows) {                                         \
        /* on the stack up to STACK_ACTS bytes; a wider row's in the thread's scratch */                         \
        const size_t size = type##_ACTS(cols);                                                                   \
        uint8_t stack[size <= STACK_ACTS ? size : 1] __attribute__((aligned(64)));                              \
        uint8_t *acts = size <= STACK_ACTS ? stack : FN(scratch)(size);                                          \
        if (acts == NULL) {                                                                                      \
            abort(); /* no memory for a few hundred kB: nothing sensible is left to do */                        \
        }                                                                                                        \
        FN(type##_prepare)(xq, xd, xs, cols, 1, acts);                                                           \
        for (int32_t r = 0; r < rows; r++) {                                                                     \
            FN(type##_row)(w + (int64_t) r * row_bytes, cols, 1, acts, out + r, 0, 0, cols, NULL);               \
        }                                                                                                        \
    }                                                                                                            \
                                                                                                                 \
    void FN(llama3j_##type##_n)(const uint8_t *w, int64_t row_bytes, int32_t cols, int32_t n, const int8_t *xq,  \
                                const float *xd, const float *xs, float *out, int64_t out_stride, int32_t rows) { \
        const int32_t blocks = cols / 32;                                                                        \
        const size_t per_vector = type##_ACTS(cols);                                                             \
        if (n > BATCH_SLAB) {                                                                                    \
            /* slabs of vectors: the scratch stays bounded, the bits are the same */                             \
            for (int32_t s0 = 0; s0 < n; s0 += BATCH_SLAB) {                                                     \
                FN(llama3j_##type##_n)(w, row_bytes, cols, n - s0 < BATCH_SLAB ? n - s0 : BATCH_SLAB,            \
                                       xq + (int64_t) s0 * cols, xd + (int64_t) s0 * blocks,                     \
                                       xs + (int64_t) s0 * blocks, out + s0 * out_stride, out_stride, rows);     \
            }                                                                                                    \
            return;                                                                                              \
        }                                                                                                        \
        uint8_t *acts = FN(scratch)(per_vector * (size_t) n);                                                    \
        if (acts == NULL) {                                                                                      \
            /* no memory: one vector at a time, the same bits */                                                 \
            for (int32_t t = 0; t < n; t++) {                                                                    \
                FN(llama3j_##type)(w, row_bytes, cols, xq + (int64_t) t * cols, xd + (int64_t) t * blocks,         \
                                   xs + (int64_t) t * blocks, out + t * out_stride, rows);                       \
            }                                                                                                    \
            return;                                                                                              \
        }                                                                                                        \
        for (int32_t t = 0; t < n;) {                                                                            \
            int32_t count = FN(group_size)(n - t);                                                               \
            FN(type##_prepare)(xq + (int64_t) t * cols, xd + (int64_t) t * blocks, xs + (int64_t) t * blocks,     \
                               cols, count, acts + per_vector * (size_t) t);                                     \
            t += count;                                                                                          \
        }                                                                                                        \
        /* without memory for the states, whole rows: the same bits */                                           \
        float *states = type##_SEGMENTED && cols > ONE_PASS_COLS ? FN(states)() : NULL;                          \
        const int32_t segment = states != NULL ? SEGMENT_COLS : cols;                                            \
        for (int32_t r0 = 0; r0 < rows; r0 += BATCH_ROWS) {                                                      \
            int32_t r1 = r0 + BATCH_ROWS < rows ? r0 + BATCH_ROWS : rows;                                        \
            for (int32_t t = 0; t < n;) {                                                                        \
                int32_t count = FN(group_size)(n - t);                                                           \
                const uint8_t *a = acts + per_vector * (size_t) t;                                               \
                float *o = out + t * out_stride;                                                                 \
                if (segment == cols) {                                                                           \
                    /* one pass: the row functions compiled without the states */                                \
                    for (int32_t r = r0; r < r1; r++) {                                                          \
                        FN(type##_rows)(w + (int64_t) r * row_bytes, cols, count, a, o + r, out_stride, 0, cols, \
                                        NULL);                                                                   \
                    }                                                                                            \
                } else {                                                                                         \
                    for (int32_t c0 = 0; c0 < cols; c0 += segment) {                                             \
                        int32_t c1 = cols - c0 > segment ? c0 + segment : cols;                                  \
                        for (int32_t r = r0; r < r1; r++) {                                                      \
                            FN(type##_rows)(w + (int64_t) r * row_bytes, cols, count, a, o + r, out_stride, c0,  \
                                            c1, states + (size_t) (r - r0) * STATE_FLOATS * BATCH_VECTORS);      \
                        }                                                                                        \
                    }                                                                                            \
                }                                                                                                \
                t += count;                                                                                      \
            }                                                                                                    \
        }                                                                                                        \
    }

/* TYPE_row for a group of `count` vectors (BATCH_VECTORS, 4, 2 or 1): one inlined copy per count. */
#define DEFINE_ROWS(type)                                                                                       \
    static inline __attribute__((always_inline)) void FN(type##_rows)(const uint8_t *row, int32_t cols,         \
                                                                      int32_t count, const uint8_t *a,          \
                                                                      float *o, int64_t out_stride, SEGMENT) {  \
        if (count == BATCH_VECTORS) {                                                                            \
            FN(type##_row)(row, cols, BATCH_VECTORS, a, o, out_stride, c0, c1, state);                           \
        } else if (count == 4) {                                                                                 \
            FN(type##_row)(row, cols, 4, a, o, out_stride, c0, c1, state);                                       \
        } else if (count == 2) {                                                                                 \
            FN(type##_row)(row, cols, 2, a, o, out_stride, c0, c1, state);                                       \
        } else {                                                                                                 \
            FN(type##_row)(row, cols, 1, a, o, out_stride, c0, c1, state);                                       \
        }                                                                                                        \
    }

/* Vectors in the next group, of `left`: BATCH_VECTORS, else the largest of 4, 2 and 1 that fits. */
static inline int32_t FN(group_size)(int32_t left) {
    return left >= BATCH_VECTORS ? BATCH_VECTORS : left >= 4 ? 4 : left >= 2 ? 2 : 1;
}

/* A thread's buffers, kept for its next batch (a fresh allocation per call would fault its pages in again each
 * time) and freed when the thread ends (a model's worker threads end with it). */
struct FN(buffers) {
    uint8_t *scratch;
    size_t size;
    float *states;
};
static pthread_key_t FN(buffers_key);
static pthread_once_t FN(buffers_once) = PTHREAD_ONCE_INIT;

static void FN(free_buffers)(void *p) {
    struct FN(buffers) *b = p;
    free(b->scratch);
    free(b->states);
    free(b);
}

static void FN(make_buffers_key)(void) {
    pthread_key_create(&FN(buffers_key), FN(free_buffers));
}

/* The calling thread's buffers; NULL when there is no memory. */
static struct FN(buffers) *FN(buffers)(void) {
    pthread_once(&FN(buffers_once), FN(make_buffers_key));
    struct FN(buffers) *b = pthread_getspecific(FN(buffers_key));
    if (b == NULL) {
        b = calloc(1, sizeof *b);
        if (b == NULL || pthread_setspecific(FN(buffers_key), b) != 0) {
            free(b);
            return NULL;
        }
    }
    return b;
}

/* The calling thread's row states for a block of BATCH_ROWS rows (64 kB); NULL when there is no memory. */
static float *FN(states)(void) {
    struct FN(buffers) *b = FN(buffers)();
    if (b == NULL) {
        return NULL;
    }
    if (b->states == NULL) {
        b->states = malloc(sizeof(float) * BATCH_ROWS * BATCH_VECTORS * STATE_FLOATS);
    }
    return b->states;
}

/* The calling thread's scratch of at least `bytes`; NULL when there is no memory. */
static uint8_t *FN(scratch)(size_t bytes) {
    struct FN(buffers) *b = FN(buffers)();
    if (b == NULL) {
        return NULL;
    }
    if (b->size < bytes) {
        free(b->scratch);
        b->scratch = malloc(bytes);
        b->size = b->scratch == NULL ? 0 : bytes;
    }
    return b->scratch;
}

/*
 * Q6_K in the file's own blocks (no copy): per 256 weights 128 bytes of low nibbles, 64 of 2-bit highs, 16 int8
 * scales (one per group of 16) and an f16 d; weights are 6-bit values minus 32. Half h of a block (128 weights):
 * its 64 low-nibble bytes' low nibbles with highs from bits 0..1 and 2..3 are elements 0..63, their high nibbles
 * with bits 4..5 and 6..7 elements 64..127, in element order. Per group the factor d * sc * xd (its activation
 * block's scale) scales the integer sums; the -32 is taken off last: 32 * sum_g factor_g * (sum of its quants).
 * A vector's activations per block (Q6_K_STEP bytes): its 256 quants, and per group of 16 its block scale and the
 * sum of its quants.
 */
#define Q6_K_STEP 384
#define q6_k_ACTS(cols) ((size_t) (cols) / 256 * Q6_K_STEP)

static void FN(q6_k_prepare)(const int8_t *xq, const float *xd, const float *xs, int32_t cols, int32_t count,
                             uint8_t *acts) {
    (void) xs;
    const int32_t blocks = cols / 256;
    for (int32_t v = 0; v < count; v++) {
        for (int32_t b = 0; b < blocks; b++) {
            uint8_t *p = acts + ((size_t) b * count + v) * Q6_K_STEP;
            const int8_t *q = xq + (int64_t) v * cols + 256 * b;
            float xdg[16], sums[16];
            for (int g = 0; g < 16; g++) {
                int32_t sum = 0;
                for (int i = 0; i < 16; i++) {
                    sum += q[16 * g + i];
                }
                sums[g] = (float) sum;
                xdg[g] = xd[(int64_t) v * (cols / 32) + 8 * b + g / 2];
            }
            memcpy(p, q, 256);
            memcpy(p + 256, xdg, 64);
            memcpy(p + 320, sums, 64);
        }
    }
}

static inline __attribute__((always_inline)) void FN(q6_k_row)(const uint8_t *row, int32_t cols, const int V,
                                                               const uint8_t *acts, float *out,
                                                               int64_t out_stride, SEGMENT) {
    static const int32_t *const RUNS[4] = {Q6_LOW[0], Q6_HIGH[0], Q6_LOW[1], Q6_HIGH[1]};
    vf acc[BATCH_VECTORS], offset[BATCH_VECTORS];
    for (int v = 0; v < V; v++) {
        acc[v] = FN(state_vf)(state, v, 0, c0);
        offset[v] = FN(state_vf)(state, v, 1, c0);
    }
    for (int32_t b = c0 / 256; b < c1 / 256; b++) {
        const uint8_t *blk = row + 210 * (int64_t) b;
        uint16_t dh;
        memcpy(&dh, blk + 208, 2);
        vf scd = FN(vf_mul)(FN(i8_to_f)((const int8_t *) (blk + 192)), FN(vf_set1)(_cvtsh_ss(dh)));
        vi w[4];
        for (int h = 0; h < 2; h++) {
            vi l = FN(vi_load)(blk + 64 * h);
            const uint8_t *qh = blk + 128 + 32 * h;
            w[2 * h] = FN(vi_or)(FN(nibbles)(l, 0), FN(q6_highs)(qh, 0));
            w[2 * h + 1] = FN(vi_or)(FN(nibbles)(l, 1), FN(q6_highs)(qh, 1));
        }
        const uint8_t *p = acts + (size_t) b * V * Q6_K_STEP;
        for (int v = 0; v < V; v++, p += Q6_K_STEP) {
            vf factor = FN(vf_mul)(scd, FN(vf_load)((const float *) (p + 256)));
            offset[v] = FN(vf_fma)(factor, FN(vf_load)((const float *) (p + 320)), offset[v]);
            for (int k = 0; k < 4; k++) {
                vi isum = FN(dot4)(FN(vi_zero)(), w[k], FN(vi_load)(p + 64 * k));
                acc[v] = FN(fma_int)(isum, FN(spread16)(factor, RUNS[k]), acc[v]);
            }
        }
    }
    if (c1 < cols) {
        for (int v = 0; v < V; v++) {
            FN(keep_vf)(state, v, 0, acc[v]);
            FN(keep_vf)(state, v, 1, offset[v]);
        }
        return;
    }
    for (int v = 0; v < V; v++) {
        out[v * out_stride] = FN(sum16)(acc[v]) - 32.0f * FN(sum16)(offset[v]);
    }
}

#define q6_k_SEGMENTED 1
DEFINE_KERNELS(q6_k)

/* Four consecutive Q4_0 blocks (18 bytes each) of a row: block L's 16 nibble bytes in 128-bit lane L. */
static inline vi FN(q4_0_chunk)(const uint8_t *c) {
#ifdef USE_VNNI
    __m512i v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *) (c + 2)));
    v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *) (c + 20)), 1);
    v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *) (c + 38)), 2);
    return _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *) (c + 56)), 3);
#else
    vi r = {_mm256_set_m128i(_mm_loadu_si128((const __m128i *) (c + 20)), _mm_loadu_si128((const __m128i *) (c + 2))),
            _mm256_set_m128i(_mm_loadu_si128((const __m128i *) (c + 56)), _mm_loadu_si128((const __m128i *) (c + 38)))};
    return r;
#endif
}

/*
 * Q4_0 in the file's own blocks (no copy): per 32 weights an f16 d and 16 bytes, element i in the low nibble of
 * byte i, i + 16 in the high. A row is read in chunks of 4 blocks (72 bytes, one stream); block L of a chunk goes
 * to 128-bit lane L, its low nibbles meeting its elements 0..15 and its high ones 16..31. The -8 of every weight is
 * taken off last: 8 * sum_b d_b * xs_b. A vector's activations per chunk (Q4_0_STEP bytes): its quants rearranged
 * into [4 x elements 0..15][4 x elements 16..31], its 4 block scales and its 4 scaled sums; blocks past the row's
 * end are zero.
 */
#define Q4_0_STEP 160
#define q4_0_ACTS(cols) ((size_t) ((cols) / 32 + 3) / 4 * Q4_0_STEP)

static void FN(q4_0_prepare)(const int8_t *xq, const float *xd, const float *xs, int32_t cols, int32_t count,
                             uint8_t *acts) {
    const int32_t blocks = cols / 32;
    const int32_t chunks = (blocks + 3) / 4;
    for (int32_t v = 0; v < count; v++) {
        for (int32_t q = 0; q < chunks; q++) {
            uint8_t *p = acts + ((size_t) q * count + v) * Q4_0_STEP;
            float d4[4], s4[4];
            memset(p, 0, 128);
            for (int lane = 0; lane < 4; lane++) {
                int32_t b = 4 * q + lane;
                int in = b < blocks;
                if (in) {
                    memcpy(p + 16 * lane, xq + (int64_t) v * cols + 32 * b, 16);
                    memcpy(p + 64 + 16 * lane, xq + (int64_t) v * cols + 32 * b + 16, 16);
                }
                d4[lane] = in ? xd[(int64_t) v * blocks + b] : 0.0f;
                s4[lane] = in ? xs[(int64_t) v * blocks + b] : 0.0f;
            }
            memcpy(p + 128, d4, 16);
            memcpy(p + 144, s4, 16);
        }
    }
}

static inline __attribute__((always_inline)) void FN(q4_0_row)(const uint8_t *row, int32_t cols, const int V,
                                                               const uint8_t *acts, float *out,
                                                               int64_t out_stride, SEGMENT) {
    const int32_t blocks = cols / 32;
    const int32_t chunks = (blocks + 3) / 4;
    vf acc[BATCH_VECTORS];
    __m128 offset[BATCH_VECTORS];
    for (int v = 0; v < V; v++) {
        acc[v] = FN(state_vf)(state, v, 0, c0);
        offset[v] = FN(state_m128)(state, v, c0);
    }
    uint8_t tail[72 + 16];
    for (int32_t q = c0 / 128; q < (c1 == cols ? chunks : c1 / 128); q++) {
        const uint8_t *c = row + 72 * (int64_t) q;
        PREFETCH(c + PREFETCH_FOR(V));
        if (4 * q + 4 > blocks) {
            /* the last, partial chunk: zero blocks past the row's end */
            memset(tail, 0, sizeof tail);
            memcpy(tail, c, 18 * (size_t) (blocks - 4 * q));
            c = tail;
        }
        uint16_t h0, h1, h2, h3;
        memcpy(&h0, c, 2);
        memcpy(&h1, c + 18, 2);
        memcpy(&h2, c + 36, 2);
        memcpy(&h3, c + 54, 2);
        /* the scales joined in a general register: inserting each into a vector register cost a third of the time */
        const uint64_t halves = (uint64_t) h0 | (uint64_t) h1 << 16 | (uint64_t) h2 << 32 | (uint64_t) h3 << 48;
        __m128 dw = _mm_cvtph_ps(_mm_cvtsi64_si128((long long) halves));
        vi w = FN(q4_0_chunk)(c);
        vi lo = FN(nibbles)(w, 0);
        vi hi = FN(nibbles)(w, 1);
        const uint8_t *p = acts + (size_t) q * V * Q4_0_STEP;
        for (int v = 0; v < V; v++, p += Q4_0_STEP) {
            vi isum = FN(dot4x2)(lo, FN(vi_load)(p), hi, FN(vi_load)(p + 64));
            __m128 scale = _mm_mul_ps(dw, _mm_loadu_ps((const float *) (p + 128)));
            acc[v] = FN(fma_int)(isum, FN(spread)(scale, BLOCK_OF_LANE), acc[v]);
            offset[v] = _mm_fmadd_ps(dw, _mm_loadu_ps((const float *) (p + 144)), offset[v]);
        }
    }
    if (c1 < cols) {
        for (int v = 0; v < V; v++) {
            FN(keep_vf)(state, v, 0, acc[v]);
            FN(keep_m128)(state, v, offset[v]);
        }
        return;
    }
    for (int v = 0; v < V; v++) {
        out[v * out_stride] = FN(sum16)(acc[v]) - 8.0f * FN(sum4)(offset[v]);
    }
}

#define q4_0_SEGMENTED 1
DEFINE_KERNELS(q4_0)

/*
 * Q4_K in the file's own blocks (no copy): per 256 weights f16 d and dmin, 12 bytes of 6-bit scales and mins for
 * its 8 sub-blocks of 32, then 128 nibble bytes (group g of 64 elements in 32 bytes: low nibbles sub-block 2g, high
 * ones 2g+1). Each block is two chunks of 128 weights, sub-blocks 4q..4q+3: low nibbles meet 4q (lanes 0..7) and
 * 4q+2 (8..15), high ones 4q+1 and 4q+3. The scales d * sc and offsets -(dmin * m) are the floats Q4KKernel's
 * dequantize computes; the mins' share, sum_s offset_s * xs_s, is added last. A vector's activations per chunk
 * (Q4_K_STEP bytes): its quants rearranged into sub-blocks [4q, 4q+2, 4q+1, 4q+3], its 4 sub-block scales and its
 * 4 scaled sums.
 */
#define Q4_K_STEP 160
#define q4_k_ACTS(cols) ((size_t) (cols) / 128 * Q4_K_STEP)

static void FN(q4_k_prepare)(const int8_t *xq, const float *xd, const float *xs, int32_t cols, int32_t count,
                             uint8_t *acts) {
    for (int32_t v = 0; v < count; v++) {
        const int8_t *x = xq + (int64_t) v * cols;
        for (int32_t q = 0; q < cols / 128; q++) {
            uint8_t *p = acts + ((size_t) q * count + v) * Q4_K_STEP;
            memcpy(p, x + 128 * q, 32);
            memcpy(p + 32, x + 128 * q + 64, 32);
            memcpy(p + 64, x + 128 * q + 32, 32);
            memcpy(p + 96, x + 128 * q + 96, 32);
            memcpy(p + 128, xd + (int64_t) v * (cols / 32) + 4 * q, 16);
            memcpy(p + 144, xs + (int64_t) v * (cols / 32) + 4 * q, 16);
        }
    }
}

static inline __attribute__((always_inline)) void FN(q4_k_row)(const uint8_t *row, int32_t cols, const int V,
                                                               const uint8_t *acts, float *out,
                                                               int64_t out_stride, SEGMENT) {
    vf acc[BATCH_VECTORS];
    __m128 offset[BATCH_VECTORS];
    for (int v = 0; v < V; v++) {
        acc[v] = FN(state_vf)(state, v, 0, c0);
        offset[v] = FN(state_m128)(state, v, c0);
    }
    for (int32_t b = c0 / 256; b < c1 / 256; b++) {
        const uint8_t *blk = row + 144 * (int64_t) b;
        PREFETCH(blk + PREFETCH_FOR(V));
        PREFETCH(blk + PREFETCH_FOR(V) + 64);
        uint32_t dm, u0, u1, u2;
        memcpy(&dm, blk, 4);
        memcpy(&u0, blk + 4, 4);
        memcpy(&u1, blk + 8, 4);
        memcpy(&u2, blk + 12, 4);
        /* d and dmin, then the 6-bit scales and mins as bytes sc0..7, m0..7, decoded in general registers: moving
         * each value into a vector register on its own cost more than the products */
        const __m128 d_dmin = _mm_cvtph_ps(_mm_cvtsi32_si128((int) dm));
        const uint64_t sc = (uint64_t) (u0 & 0x3F3F3F3Fu)
                            | (uint64_t) ((u2 & 0x0F0F0F0Fu) | ((u0 >> 6) & 0x03030303u) << 4) << 32;
        const uint64_t m = (uint64_t) (u1 & 0x3F3F3F3Fu)
                           | (uint64_t) (((u2 >> 4) & 0x0F0F0F0Fu) | ((u1 >> 6) & 0x03030303u) << 4) << 32;
        const __m128i bytes = _mm_unpacklo_epi64(_mm_cvtsi64_si128((long long) sc), _mm_cvtsi64_si128((long long) m));
        __m128 vd = _mm_shuffle_ps(d_dmin, d_dmin, 0), vmin = _mm_shuffle_ps(d_dmin, d_dmin, 0x55);
        __m128 sign = _mm_set1_ps(-0.0f);
        __m128 scales[2] = {_mm_mul_ps(vd, _mm_cvtepi32_ps(_mm_cvtepu8_epi32(bytes))),
                            _mm_mul_ps(vd, _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_srli_si128(bytes, 4))))};
        __m128 offsets[2] = {
            _mm_xor_ps(_mm_mul_ps(vmin, _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_srli_si128(bytes, 8)))), sign),
            _mm_xor_ps(_mm_mul_ps(vmin, _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_srli_si128(bytes, 12)))), sign)};
        for (int h = 0; h < 2; h++) {
            vi w = FN(vi_load)(blk + 16 + 64 * h);
            vi lo = FN(nibbles)(w, 0);
            vi hi = FN(nibbles)(w, 1);
            const uint8_t *p = acts + (size_t) (2 * b + h) * V * Q4_K_STEP;
            for (int v = 0; v < V; v++, p += Q4_K_STEP) {
                __m128 scale = _mm_mul_ps(scales[h], _mm_loadu_ps((const float *) (p + 128)));
                vi se = FN(dot4)(FN(vi_zero)(), lo, FN(vi_load)(p));
                vi so = FN(dot4)(FN(vi_zero)(), hi, FN(vi_load)(p + 64));
                acc[v] = FN(fma_int)(se, FN(spread)(scale, EVEN_OF_LANE), acc[v]);
                acc[v] = FN(fma_int)(so, FN(spread)(scale, ODD_OF_LANE), acc[v]);
                offset[v] = _mm_fmadd_ps(offsets[h], _mm_loadu_ps((const float *) (p + 144)), offset[v]);
            }
        }
    }
    if (c1 < cols) {
        for (int v = 0; v < V; v++) {
            FN(keep_vf)(state, v, 0, acc[v]);
            FN(keep_m128)(state, v, offset[v]);
        }
        return;
    }
    for (int v = 0; v < V; v++) {
        out[v * out_stride] = FN(sum16)(acc[v]) + FN(sum4)(offset[v]);
    }
}

#define q4_k_SEGMENTED 1
DEFINE_KERNELS(q4_k)

/* Q8_0's lanes: 0..7 take the first block of a step, 8..15 the second. */
static const int32_t HALF_OF_LANE[16] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};

/*
 * Q8_0 in the file's own blocks (no copy): per 32 weights an f16 d and 32 int8 quants, two blocks per step in the
 * 16 int32 lanes (8 each). A vector's activations per step (Q8_0_STEP bytes): its 64 quants and the two blocks'
 * scales; an odd last block has a zero block beside it. x86 has no signed-by-signed byte product: VNNI multiplies
 * the weights made unsigned (w + 128) and takes 128 * sum(a) back; AVX2 (whose pairwise sums would saturate there)
 * multiplies |w| by the activations given w's signs. Both give the exact integer sums, so the same bits.
 */
#define Q8_0_STEP 72
#define q8_0_ACTS(cols) ((size_t) ((cols) / 32 + 1) / 2 * Q8_0_STEP)

static void FN(q8_0_prepare)(const int8_t *xq, const float *xd, const float *xs, int32_t cols, int32_t count,
                             uint8_t *acts) {
    (void) xs;
    const int32_t blocks = cols / 32;
    for (int32_t v = 0; v < count; v++) {
        for (int32_t k = 0; k < blocks; k += 2) {
            uint8_t *p = acts + ((size_t) (k / 2) * count + v) * Q8_0_STEP;
            int two = k + 1 < blocks;
            float d2[2] = {xd[(int64_t) v * blocks + k], two ? xd[(int64_t) v * blocks + k + 1] : 0.0f};
            memset(p, 0, 64);
            memcpy(p, xq + (int64_t) v * cols + 32 * k, two ? 64 : 32);
            memcpy(p + 64, d2, 8);
        }
    }
}

/* The exact integer sums of a step's 64 weights w times the 64 activations at p, 4 per int32 lane. */
static inline vi FN(q8_0_dot)(vi w, const uint8_t *p) {
#ifdef USE_VNNI
    __m512i bias = _mm512_set1_epi8((char) 0x80);
    __m512i a = _mm512_loadu_si512(p);
    return _mm512_sub_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(w, bias), a),
                            _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias, a));
#else
    __m256i one = _mm256_set1_epi16(1);
    __m256i a0 = _mm256_loadu_si256((const __m256i *) p), a1 = _mm256_loadu_si256((const __m256i *) (p + 32));
    vi r = {_mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w.lo, w.lo), _mm256_sign_epi8(a0, w.lo)), one),
            _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w.hi, w.hi), _mm256_sign_epi8(a1, w.hi)), one)};
    return r;
#endif
}

static inline __attribute__((always_inline)) void FN(q8_0_row)(const uint8_t *row, int32_t cols, const int V,
                                                               const uint8_t *acts, float *out,
                                                               int64_t out_stride, SEGMENT) {
    const int32_t blocks = cols / 32;
    vf acc[BATCH_VECTORS];
    for (int v = 0; v < V; v++) {
        acc[v] = FN(state_vf)(state, v, 0, c0);
    }
    uint8_t tail[68];
    for (int32_t k = c0 / 32; k < c1 / 32; k += 2) {
        const uint8_t *c = row + 34 * (int64_t) k;
        PREFETCH(c + PREFETCH_FOR(V));
        if (k + 1 == blocks) {
            /* an odd last block: a zero block beside it */
            memset(tail, 0, sizeof tail);
            memcpy(tail, c, 34);
            c = tail;
        }
        uint16_t h0, h1;
        memcpy(&h0, c, 2);
        memcpy(&h1, c + 34, 2);
        __m128 dw = _mm_cvtph_ps(_mm_cvtsi32_si128((int) ((uint32_t) h0 | (uint32_t) h1 << 16)));
#ifdef USE_VNNI
        vi w = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *) (c + 2))),
                                  _mm256_loadu_si256((const __m256i *) (c + 36)), 1);
#else
        vi w = {_mm256_loadu_si256((const __m256i *) (c + 2)), _mm256_loadu_si256((const __m256i *) (c + 36))};
#endif
        const uint8_t *p = acts + (size_t) (k / 2) * V * Q8_0_STEP;
        for (int v = 0; v < V; v++, p += Q8_0_STEP) {
            __m128 scale = _mm_mul_ps(dw, _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *) (p + 64))));
            acc[v] = FN(fma_int)(FN(q8_0_dot)(w, p), FN(spread)(scale, HALF_OF_LANE), acc[v]);
        }
    }
    if (c1 < cols) {
        for (int v = 0; v < V; v++) {
            FN(keep_vf)(state, v, 0, acc[v]);
        }
        return;
    }
    for (int v = 0; v < V; v++) {
        out[v * out_stride] = FN(sum16)(acc[v]);
    }
}

#define q8_0_SEGMENTED 0
DEFINE_KERNELS(q8_0)

/*
 * F16 rows with float32 activations (the exact product, not int8): each row's sum in the order of the Java
 * F16Kernel at this variant's width, so both give the same bits. VNNI takes 16 lanes, as Java's 512-bit vectors;
 * AVX2 takes 8, as its 256-bit ones. Two accumulators over alternate steps of F16_LANES weights, one more step into
 * the first when one is left, the two added and their lanes summed as Vectors.sum folds them (halves, quarters,
 * ...), then the weights past the last whole step one by one, each product rounded before its sum. The halves
 * widen exactly (vcvtph2ps, which the Vector API lacks), infinities and NaNs included.
 */
#ifdef USE_VNNI
#define F16_LANES 16
typedef __m512 f16v;
static inline f16v FN(f16_load)(const uint8_t *p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) p));
}
static inline f16v FN(f16_x)(const float *p) {
    return _mm512_loadu_ps(p);
}
static inline f16v FN(f16_fma)(f16v a, f16v b, f16v c) {
    return _mm512_fmadd_ps(a, b, c);
}
static inline f16v FN(f16_zero)(void) {
    return _mm512_setzero_ps();
}
/* Lanes i and i + 8 first, then as the 8-lane sum: Vectors.sum's folds of a 16-lane vector. */
static inline float FN(f16_sum)(f16v a, f16v b) {
    return FN(sum16)(_mm512_add_ps(a, b));
}
static inline f16v FN(f16_add)(f16v a, f16v b) {
    return _mm512_add_ps(a, b);
}
/* BF16 is a float's top half: widened by a shift, exactly. */
static inline f16v FN(bf16_load)(const uint8_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *) p)), 16));
}
#else
#define F16_LANES 8
typedef __m256 f16v;
static inline f16v FN(f16_load)(const uint8_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) p));
}
static inline f16v FN(f16_x)(const float *p) {
    return _mm256_loadu_ps(p);
}
static inline f16v FN(f16_fma)(f16v a, f16v b, f16v c) {
    return _mm256_fmadd_ps(a, b, c);
}
static inline f16v FN(f16_zero)(void) {
    return _mm256_setzero_ps();
}
/* Lanes i and i + 4, then i and i + 2, then the last two: Vectors.sum's folds of an 8-lane vector. */
static inline float FN(f16_sum)(f16v a, f16v b) {
    __m256 v = _mm256_add_ps(a, b);
    return FN(sum4)(_mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)));
}
static inline f16v FN(f16_add)(f16v a, f16v b) {
    return _mm256_add_ps(a, b);
}
/* BF16 is a float's top half: widened by a shift, exactly. */
static inline f16v FN(bf16_load)(const uint8_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *) p)), 16));
}
#endif

/* Rows a and b (which may be the same row) with x, into *oa and *ob. */
static inline void FN(f16_rows2)(const uint8_t *a, const uint8_t *b, int32_t cols, const float *x, float *oa,
                                 float *ob) {
    const int32_t step = F16_LANES;
    f16v a0 = FN(f16_zero)(), a1 = a0, b0 = a0, b1 = a0;
    const int32_t bound = cols - cols % (2 * step);
    int32_t i = 0;
    for (; i < bound; i += 2 * step) {
        PREFETCH(a + 2 * (int64_t) i + HALF_PREFETCH_BYTES);
        PREFETCH(b + 2 * (int64_t) i + HALF_PREFETCH_BYTES);
        f16v x0 = FN(f16_x)(x + i), x1 = FN(f16_x)(x + i + step);
        a0 = FN(f16_fma)(FN(f16_load)(a + 2 * (int64_t) i), x0, a0);
        a1 = FN(f16_fma)(FN(f16_load)(a + 2 * (int64_t) (i + step)), x1, a1);
        b0 = FN(f16_fma)(FN(f16_load)(b + 2 * (int64_t) i), x0, b0);
        b1 = FN(f16_fma)(FN(f16_load)(b + 2 * (int64_t) (i + step)), x1, b1);
    }
    if (i + step <= cols) {
        f16v x0 = FN(f16_x)(x + i);
        a0 = FN(f16_fma)(FN(f16_load)(a + 2 * (int64_t) i), x0, a0);
        b0 = FN(f16_fma)(FN(f16_load)(b + 2 * (int64_t) i), x0, b0);
        i += step;
    }
    float sa = FN(f16_sum)(a0, a1), sb = FN(f16_sum)(b0, b1);
    for (; i < cols; i++) {
        uint16_t ha, hb;
        memcpy(&ha, a + 2 * (int64_t) i, 2);
        memcpy(&hb, b + 2 * (int64_t) i, 2);
        float pa = _cvtsh_ss(ha) * x[i], pb = _cvtsh_ss(hb) * x[i];
        sa += pa;
        sb += pb;
    }
    *oa = sa;
    *ob = sb;
}

void FN(llama3j_f16)(const uint8_t *w, int64_t row_bytes, int32_t cols, const float *x, float *out, int32_t rows) {
    /* rows half the range apart side by side: two memory streams */
    const int32_t half = rows / 2;
    for (int32_t r = 0; r < half; r++) {
        FN(f16_rows2)(w + r * row_bytes, w + (r + half) * row_bytes, cols, x, out + r, out + r + half);
    }
    if (rows % 2 != 0) {
        const uint8_t *last = w + (int64_t) (rows - 1) * row_bytes;
        FN(f16_rows2)(last, last, cols, x, out + rows - 1, out + rows - 1);
    }
}

/*
 * BF16 rows with float32 activations, in the order of the Java BF16Kernel at this variant's width: four accumulators
 * over steps of F16_LANES weights taken in turn, the whole steps left over into the first, then (a0 + a1) + (a2 + a3)
 * with its lanes folded as Vectors.sum folds them, then the weights past the last whole step one rounded product at
 * a time. Rows a and b (which may be the same row) side by side: two memory streams.
 */
static inline float FN(bf16_tail)(const uint8_t *p, int32_t i, int32_t cols, const float *x, float sum) {
    for (; i < cols; i++) {
        uint16_t h;
        memcpy(&h, p + 2 * (int64_t) i, 2);
        const uint32_t bits = (uint32_t) h << 16;
        float v;
        memcpy(&v, &bits, 4);
        const float product = v * x[i];
        sum += product;
    }
    return sum;
}

static inline void FN(bf16_rows2)(const uint8_t *a, const uint8_t *b, int32_t cols, const float *x, float *oa,
                                  float *ob) {
    const int32_t step = F16_LANES;
    f16v a0 = FN(f16_zero)(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    const int32_t bound = cols - cols % (4 * step);
    int32_t i = 0;
    for (; i < bound; i += 4 * step) {
        const uint8_t *pa = a + 2 * (int64_t) i, *pb = b + 2 * (int64_t) i;
        PREFETCH(pa + HALF_PREFETCH_BYTES);
        PREFETCH(pb + HALF_PREFETCH_BYTES);
        const f16v x0 = FN(f16_x)(x + i), x1 = FN(f16_x)(x + i + step);
        const f16v x2 = FN(f16_x)(x + i + 2 * step), x3 = FN(f16_x)(x + i + 3 * step);
        a0 = FN(f16_fma)(FN(bf16_load)(pa), x0, a0);
        b0 = FN(f16_fma)(FN(bf16_load)(pb), x0, b0);
        a1 = FN(f16_fma)(FN(bf16_load)(pa + 2 * step), x1, a1);
        b1 = FN(f16_fma)(FN(bf16_load)(pb + 2 * step), x1, b1);
        a2 = FN(f16_fma)(FN(bf16_load)(pa + 4 * step), x2, a2);
        b2 = FN(f16_fma)(FN(bf16_load)(pb + 4 * step), x2, b2);
        a3 = FN(f16_fma)(FN(bf16_load)(pa + 6 * step), x3, a3);
        b3 = FN(f16_fma)(FN(bf16_load)(pb + 6 * step), x3, b3);
    }
    for (; i + step <= cols; i += step) {
        const f16v xv = FN(f16_x)(x + i);
        a0 = FN(f16_fma)(FN(bf16_load)(a + 2 * (int64_t) i), xv, a0);
        b0 = FN(f16_fma)(FN(bf16_load)(b + 2 * (int64_t) i), xv, b0);
    }
    const float sa = FN(f16_sum)(FN(f16_add)(a0, a1), FN(f16_add)(a2, a3));
    const float sb = FN(f16_sum)(FN(f16_add)(b0, b1), FN(f16_add)(b2, b3));
    *oa = FN(bf16_tail)(a, i, cols, x, sa);
    *ob = FN(bf16_tail)(b, i, cols, x, sb);
}

void FN(llama3j_bf16)(const uint8_t *w, int64_t row_bytes, int32_t cols, const float *x, float *out, int32_t rows) {
    const int32_t half = rows / 2;
    for (int32_t r = 0; r < half; r++) {
        FN(bf16_rows2)(w + r * row_bytes, w + (r + half) * row_bytes, cols, x, out + r, out + r + half);
    }
    if (rows % 2 != 0) {
        const uint8_t *last = w + (int64_t) (rows - 1) * row_bytes;
        FN(bf16_rows2)(last, last, cols, x, out + rows - 1, out + rows - 1);
    }
}

/*
 * Weights to float32 for TileMatmul's panels: the n weights of each of `rows` rows, row_bytes apart from w, in
 * slices of `depth` floats, slice s of row r at out + r * row_stride + s * slice_stride (the last one shorter where n
 * is not a multiple of depth). F16 through vcvtph2ps, BF16 as the top half of a float, Q8_0 as each quant times its
 * block's scale (exact: 8 bits times an 11-bit significand), so all give the Java unpackFloats' bits, a NaN's payload
 * aside (vcvtph2ps quiets a signalling NaN).
 */
#ifdef USE_VNNI
static inline void FN(f16_store)(float *p, f16v v) {
    _mm512_storeu_ps(p, v);
}
/* 16 quants as floats times d */
static inline void FN(q8_0_floats)(const uint8_t *q, __m512 d, float *out) {
    _mm512_storeu_ps(out, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(
            _mm_loadu_si128((const __m128i *) q))), d));
}
#define Q8_0_FLOATS 16
#define Q8_0_SCALE(d) _mm512_set1_ps(d)
#else
static inline void FN(f16_store)(float *p, f16v v) {
    _mm256_storeu_ps(p, v);
}
/* 8 quants as floats times d */
static inline void FN(q8_0_floats)(const uint8_t *q, __m256 d, float *out) {
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
            _mm_loadl_epi64((const __m128i *) q))), d));
}
#define Q8_0_FLOATS 8
#define Q8_0_SCALE(d) _mm256_set1_ps(d)
#endif

/* F16 or BF16 (a constant once inlined) rows: the same loop, another widening. */
static inline __attribute__((always_inline)) void FN(unpack_halves)(const uint8_t *w, int64_t row_bytes, int32_t rows,
                                                                    int32_t n, int32_t depth, float *out,
                                                                    int64_t row_stride, int64_t slice_stride,
                                                                    const int bf16) {
    for (int32_t r = 0; r < rows; r++) {
        const uint8_t *row = w + r * row_bytes;
        float *o = out + r * row_stride;
        for (int32_t k0 = 0; k0 < n; k0 += depth, o += slice_stride) {
            const int32_t len = n - k0 < depth ? n - k0 : depth;
            const uint8_t *p = row + 2 * (int64_t) k0;
            int32_t i = 0;
            for (; i + F16_LANES <= len; i += F16_LANES) {
                PREFETCH(p + 2 * (int64_t) i + STREAM_PREFETCH_BYTES);
                const uint8_t *q = p + 2 * (int64_t) i;
                FN(f16_store)(o + i, bf16 ? FN(bf16_load)(q) : FN(f16_load)(q));
            }
            for (; i < len; i++) {
                uint16_t h;
                memcpy(&h, p + 2 * (int64_t) i, 2);
                if (bf16) {
                    const uint32_t bits = (uint32_t) h << 16;
                    memcpy(o + i, &bits, 4);
                } else {
                    o[i] = _cvtsh_ss(h);
                }
            }
        }
    }
}

void FN(llama3j_unpack_f16)(const uint8_t *w, int64_t row_bytes, int32_t rows, int32_t n, int32_t depth, float *out,
                            int64_t row_stride, int64_t slice_stride) {
    FN(unpack_halves)(w, row_bytes, rows, n, depth, out, row_stride, slice_stride, 0);
}

void FN(llama3j_unpack_bf16)(const uint8_t *w, int64_t row_bytes, int32_t rows, int32_t n, int32_t depth, float *out,
                             int64_t row_stride, int64_t slice_stride) {
    FN(unpack_halves)(w, row_bytes, rows, n, depth, out, row_stride, slice_stride, 1);
}

void FN(llama3j_unpack_q8_0)(const uint8_t *w, int64_t row_bytes, int32_t rows, int32_t n, int32_t depth, float *out,
                             int64_t row_stride, int64_t slice_stride) {
    for (int32_t r = 0; r < rows; r++) {
        const uint8_t *row = w + r * row_bytes;
        float *o = out + r * row_stride;
        for (int32_t k0 = 0; k0 < n; k0 += depth, o += slice_stride) {
            const int32_t len = n - k0 < depth ? n - k0 : depth;
            for (int32_t b = 0; b < len / 32; b++) {
                const uint8_t *block = row + 34 * (int64_t) (k0 / 32 + b);
                PREFETCH(block + STREAM_PREFETCH_BYTES);
                uint16_t h;
                memcpy(&h, block, 2);
                const float d = _cvtsh_ss(h);
                for (int j = 0; j < 32; j += Q8_0_FLOATS) {
                    FN(q8_0_floats)(block + 2 + j, Q8_0_SCALE(d), o + 32 * b + j);
                }
            }
        }
    }
}

/*
 * TileMatmul's tiled float32 product (prompts of float-type files), for the depth panel of columns [k0, k0 +
 * TILE_DEPTH) its loops over token groups and row tiles, with TileMatmul's layouts: row i of tile rt in panel kb at
 * weights[kb * panel + (rt * TILE_ROWS + i) * TILE_DEPTH + k], element k of token j of group g at acts[(g * cols
 * + k) * TILE_TOKENS + j], the sums of tile rt and group g at sums[(rt * groups + g) * TILE_ROWS * TILE_TOKENS + i
 * * TILE_TOKENS + j]. Each (row, token) pair gets the Java tile's operations in its order, so its bits: per panel a
 * fused multiply-add chain over k from zero, then added to the sum. A last group of at most F16_LANES tokens
 * (narrow_last) computes its first vector only.
 * TILE_ROWS is TileMatmul.ROWS at this width: 16 sums, 2 activation vectors and the broadcasts fit AVX-512's 32
 * registers, 12 sums, 2 activation vectors and a broadcast AVX2's 16.
 */
#define TILE_DEPTH 256
#define TILE_TOKENS (2 * F16_LANES)
#ifdef USE_VNNI
#define TILE_ROWS 8
static inline f16v FN(f16_broadcast)(float v) {
    return _mm512_set1_ps(v);
}
static inline void FN(f16_add_into)(float *s, f16v v) {
    _mm512_storeu_ps(s, _mm512_add_ps(v, _mm512_loadu_ps(s)));
}
#else
#define TILE_ROWS 6
static inline f16v FN(f16_broadcast)(float v) {
    return _mm256_set1_ps(v);
}
static inline void FN(f16_add_into)(float *s, f16v v) {
    _mm256_storeu_ps(s, _mm256_add_ps(v, _mm256_loadu_ps(s)));
}
#endif

static inline void FN(tile_wide)(const float *w, int32_t depth, const float *a, float *s) {
    f16v c0[TILE_ROWS], c1[TILE_ROWS];
#pragma GCC unroll 8
    for (int i = 0; i < TILE_ROWS; i++) {
        c0[i] = FN(f16_zero)();
        c1[i] = c0[i];
    }
    for (int32_t k = 0; k < depth; k++) {
        const f16v x0 = FN(f16_x)(a + (int64_t) k * TILE_TOKENS);
        const f16v x1 = FN(f16_x)(a + (int64_t) k * TILE_TOKENS + F16_LANES);
#pragma GCC unroll 8
        for (int i = 0; i < TILE_ROWS; i++) {
            const f16v v = FN(f16_broadcast)(w[k + i * TILE_DEPTH]);
            c0[i] = FN(f16_fma)(v, x0, c0[i]);
            c1[i] = FN(f16_fma)(v, x1, c1[i]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < TILE_ROWS; i++) {
        FN(f16_add_into)(s + i * TILE_TOKENS, c0[i]);
        FN(f16_add_into)(s + i * TILE_TOKENS + F16_LANES, c1[i]);
    }
}

static inline void FN(tile_narrow)(const float *w, int32_t depth, const float *a, float *s) {
    f16v c[TILE_ROWS];
#pragma GCC unroll 8
    for (int i = 0; i < TILE_ROWS; i++) {
        c[i] = FN(f16_zero)();
    }
    for (int32_t k = 0; k < depth; k++) {
        const f16v x0 = FN(f16_x)(a + (int64_t) k * TILE_TOKENS);
#pragma GCC unroll 8
        for (int i = 0; i < TILE_ROWS; i++) {
            c[i] = FN(f16_fma)(x0, FN(f16_broadcast)(w[k + i * TILE_DEPTH]), c[i]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < TILE_ROWS; i++) {
        FN(f16_add_into)(s + i * TILE_TOKENS, c[i]);
    }
}

int32_t FN(llama3j_tile)(int32_t rows_per_tile, int32_t tokens_per_group, int32_t depth_per_panel,
                         const float *weights, int64_t panel, int32_t cols, int32_t k0, const float *acts,
                         int32_t groups, int32_t tiles, int32_t narrow_last, float *sums) {
    if (rows_per_tile != TILE_ROWS || tokens_per_group != TILE_TOKENS || depth_per_panel != TILE_DEPTH) {
        return -1;
    }
    const int32_t depth = cols - k0 < TILE_DEPTH ? cols - k0 : TILE_DEPTH;
    const float *panel_weights = weights + (int64_t) (k0 / TILE_DEPTH) * panel;
    for (int32_t g = 0; g < groups; g++) {
        const float *a = acts + ((int64_t) g * cols + k0) * TILE_TOKENS;
        const int narrow = narrow_last && g == groups - 1;
        for (int32_t rt = 0; rt < tiles; rt++) {
            const float *w = panel_weights + (int64_t) rt * TILE_ROWS * TILE_DEPTH;
            float *s = sums + ((int64_t) rt * groups + g) * TILE_ROWS * TILE_TOKENS;
            if (narrow) {
                FN(tile_narrow)(w, depth, a, s);
            } else {
                FN(tile_wide)(w, depth, a, s);
            }
        }
    }
    return 0;
}

/*
 * Activations to int8 blocks as Int8Activations quantizes them, bit for bit: per block of 32 the largest magnitude
 * m, scale d = m / 127 and its inverse (0 for an all-zero block); each quant round(|x| * inverse) with halves away
 * from zero (the fraction compared with 0.5, as ggml's roundf), at most 127, with x's sign; xs = d * (sum of the
 * quants). The float-to-int conversion is Java's: a NaN becomes 0 and a product of 2^31 or more (an infinite
 * inverse, from a block of subnormals) Integer.MAX_VALUE, whose rounding up wraps as in Java; a block holding a NaN
 * gets a NaN scale (the default NaN: its payload may differ from Java's).
 */
#ifdef USE_VNNI
static inline void FN(quantize16)(__m512 x, __m512 inverse, int8_t *q, __m512i *sum) {
    __m512 a = _mm512_mul_ps(_mm512_abs_ps(x), inverse);
    __m512i t = _mm512_mask_mov_epi32(_mm512_cvttps_epi32(a),
                                      _mm512_cmp_ps_mask(a, _mm512_set1_ps(0x1p31f), _CMP_GE_OQ),
                                      _mm512_set1_epi32(INT32_MAX));
    __m512 fraction = _mm512_sub_ps(a, _mm512_cvtepi32_ps(t));
    t = _mm512_mask_add_epi32(t, _mm512_cmp_ps_mask(fraction, _mm512_set1_ps(0.5f), _CMP_GE_OQ), t,
                              _mm512_set1_epi32(1));
    t = _mm512_min_epi32(t, _mm512_set1_epi32(127));
    t = _mm512_maskz_mov_epi32(_mm512_cmp_ps_mask(a, a, _CMP_ORD_Q), t);
    t = _mm512_mask_sub_epi32(t, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), _mm512_setzero_si512(), t);
    *sum = _mm512_add_epi32(*sum, t);
    _mm_storeu_si128((__m128i *) q, _mm512_cvtepi32_epi8(t));
}
#else
static inline void FN(quantize8)(__m256 x, __m256 inverse, int8_t *q, __m256i *sum) {
    __m256 a = _mm256_mul_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), inverse);
    __m256i t = _mm256_blendv_epi8(_mm256_cvttps_epi32(a), _mm256_set1_epi32(INT32_MAX),
                                   _mm256_castps_si256(_mm256_cmp_ps(a, _mm256_set1_ps(0x1p31f), _CMP_GE_OQ)));
    __m256 fraction = _mm256_sub_ps(a, _mm256_cvtepi32_ps(t));
    __m256i up = _mm256_castps_si256(_mm256_cmp_ps(fraction, _mm256_set1_ps(0.5f), _CMP_GE_OQ));
    t = _mm256_sub_epi32(t, up); /* up is -1 where the fraction rounds up */
    t = _mm256_min_epi32(t, _mm256_set1_epi32(127));
    t = _mm256_and_si256(t, _mm256_castps_si256(_mm256_cmp_ps(a, a, _CMP_ORD_Q)));
    __m256i negative = _mm256_castps_si256(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
    t = _mm256_sub_epi32(_mm256_xor_si256(t, negative), negative); /* -t where x < 0 */
    *sum = _mm256_add_epi32(*sum, t);
    /* each lane's low byte, as Java's (byte) and vpmovdb keep it */
    const __m256i low = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                         0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    __m256i bytes = _mm256_shuffle_epi8(t, low);
    int32_t lo = _mm_cvtsi128_si32(_mm256_castsi256_si128(bytes));
    int32_t hi = _mm_cvtsi128_si32(_mm256_extracti128_si256(bytes, 1));
    memcpy(q, &lo, 4);
    memcpy(q + 4, &hi, 4);
}
#endif

void FN(llama3j_quantize)(const float *x, int32_t blocks, int8_t *xq, float *xd, float *xs) {
    for (int32_t b = 0; b < blocks; b++) {
        const float *p = x + 32 * (int64_t) b;
        float m = 0.0f;
        int nan = 0;
        for (int i = 0; i < 32; i++) {
            float v = p[i] < 0.0f ? -p[i] : p[i];
            nan |= v != v;
            m = v > m ? v : m;
        }
        if (nan) {
            m = __builtin_nanf("");
        }
        const float d = m / 127.0f;
        const float inverse = d == 0.0f ? 0.0f : 1.0f / d;
        int8_t *q = xq + 32 * (int64_t) b;
#ifdef USE_VNNI
        __m512i sum = _mm512_setzero_si512();
        __m512 inv = _mm512_set1_ps(inverse);
        FN(quantize16)(_mm512_loadu_ps(p), inv, q, &sum);
        FN(quantize16)(_mm512_loadu_ps(p + 16), inv, q + 16, &sum);
        const int32_t total = _mm512_reduce_add_epi32(sum);
#else
        __m256i sum = _mm256_setzero_si256();
        __m256 inv = _mm256_set1_ps(inverse);
        for (int k = 0; k < 4; k++) {
            FN(quantize8)(_mm256_loadu_ps(p + 8 * k), inv, q + 8 * k, &sum);
        }
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
        const int32_t total = _mm_cvtsi128_si32(s4);
#endif
        xd[b] = d;
        xs[b] = d * (float) total;
    }
}
