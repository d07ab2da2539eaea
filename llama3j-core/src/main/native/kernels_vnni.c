/* The kernels for AVX-512 VNNI machines (Zen 4/5, Ice Lake on): byte products with vpdpbusd, at 512 bits. */
#pragma GCC target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")
#define ISA vnni
#define USE_VNNI 1
#include "kernels_body.h"
