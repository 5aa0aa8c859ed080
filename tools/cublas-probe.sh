#!/usr/bin/env bash
# Checks the CUDA emulator's cuBLAS SGEMM against the reference BLAS (tools/cublas-probe/cublas_gemm_probe.c):
# 3000 random cases of shapes, transposes, leading dimensions, scalars and batch strides.
#
#   tools/cublas-probe.sh LIBBLAS     the reference BLAS, e.g. Debian's libblas3:
#                                     apt-get download libblas3 && dpkg-deb -x libblas3_*.deb blas
#                                     tools/cublas-probe.sh blas/usr/lib/x86_64-linux-gnu/blas/libblas.so.3
#
# Needs gcc; builds the emulator into target/cuda-emulator when it is missing. Exit status: 0 every
# case agrees, 1 some differ (the first ten are printed), 2 cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."
blas="${1:?usage: $0 PATH/TO/libblas.so.3}"
[ -f "$blas" ] || { echo "error: $blas does not exist" >&2; exit 2; }
command -v gcc >/dev/null || { echo "error: no gcc on PATH" >&2; exit 2; }
emulator="target/cuda-emulator"
[ -f "$emulator/libcublas.so.13" ] || bash cuda-emulator/build.sh "$emulator" >/dev/null
mkdir -p target/cublas-probe
gcc -O1 -Wall -o target/cublas-probe/cublas_gemm_probe tools/cublas-probe/cublas_gemm_probe.c -ldl -lm
target/cublas-probe/cublas_gemm_probe "$emulator/libcuda.so.1" "$emulator/libcublas.so.13" "$(cd "$(dirname "$blas")" && pwd)/$(basename "$blas")"
