#!/usr/bin/env bash
# Runs the whole JMH suite (jmh/: convolution forward / input gradient / weight gradient for both
# algorithms, GEMM, max pooling, batch norm, the fused loss, the Adam step, batch assembly with and
# without augmentation, full training steps and inference) at the default model's real shapes, batch
# 128 and 512, and writes one Markdown table.
#
#   tools/jmh-suite.sh [--quick] [--out FILE] [--no-build] [REGEX] [JMH OPTIONS...]
#
#   --quick     batch 128 only, 2 warm-up and 3 measured iterations (about 10 minutes on 2 cores)
#   --out FILE  the Markdown table (default jmh/results.md)
#
# Settings for a 2-core machine: one fork, one benchmark thread (the CPU backend already uses every
# core), 3 warm-up iterations of 1 s and 5 measured ones of 1 s (the whole suite: about 40 minutes).
# Close other work first: the figures are wall-clock throughput.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/jmh/results.md"
quick=0
build=1
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --out) out="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --help|-h) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done

# The GPU convolution benchmarks have their own runner (CudaConvReport; see README) and need CUDA.
settings=(-f 1 -t 1 -wi 3 -w 1 -i 5 -r 1 -e CudaConvBenchmark,CudnnLayoutBenchmark)
if [ "$quick" = 1 ]; then
  settings=(-f 1 -t 1 -wi 2 -w 1 -i 3 -r 1 -p batch=128 -e CudaConvBenchmark,CudnnLayoutBenchmark)
fi
build_flag=()
[ "$build" = 0 ] && build_flag=(--no-build)
"$root/tools/jmh.sh" ${build_flag[@]+"${build_flag[@]}"} --markdown "$out" "${settings[@]}" ${args[@]+"${args[@]}"}
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores" >> "$out"
