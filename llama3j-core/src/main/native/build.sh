#!/bin/sh
# Builds the optional native kernels into $1/libllama3j.so. Off x86-64 Linux, without a C compiler, or when the
# compile fails, it says so and succeeds: the pure-Java kernels then run alone.
out="$1"
src=$(cd "$(dirname "$0")" && pwd)
cc="${CC:-cc}"
lib="$out/libllama3j.so"
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "native kernels: skipped (built for x86-64 Linux only); the Java kernels run alone"
    exit 0
fi
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "native kernels: skipped (no C compiler '$cc'); the Java kernels run alone"
    exit 0
fi
if [ -f "$lib" ] && [ -z "$(find "$src" -newer "$lib" -type f)" ]; then
    exit 0
fi
mkdir -p "$out"
if "$cc" -O3 -std=c11 -ffp-contract=off -fPIC -pthread -shared -Wall -Wextra -Werror -o "$lib.tmp" \
        "$src/features.c" "$src/kernels_avx2.c" "$src/kernels_vnni.c"; then
    mv "$lib.tmp" "$lib"
    echo "native kernels: built $lib"
else
    rm -f "$lib.tmp"
    echo "native kernels: skipped ($cc failed above); the Java kernels run alone"
fi
exit 0
