#include "kernels.h"

int32_t llama3j_features(void) {
    __builtin_cpu_init();
    int32_t f = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) {
        f |= 1;
    }
    if ((f & 1) && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512bw")) {
        f |= 2;
    }
    return f;
}
