/* The kernels for AVX2 machines (Zen 2/3, Haswell on): byte products with vpmaddubsw. */
#pragma GCC target("avx2,fma,f16c")
#define ISA avx2
#include "kernels_body.h"
