#!/usr/bin/env bash
# Builds strix's CUDA emulator into OUT_DIR (default: target/cuda-emulator): libcuda.so.1 (the driver
# API and our kernels from cuda-src, compiled for the host), libcublas.so.13 and libcudnn.so.9, plus
# the empty siblings the Java loader insists on. Needs only g++ (C++20); no NVIDIA software.
#
# Use: point the loader at it, e.g. mvn ... -Dstrix.cuda.path=OUT_DIR. The Maven build of modules/cuda
# does so for its "emulated-gpu" test run. A GPU is never used, and nothing here measures speed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../target/cuda-emulator}"
mkdir -p "$out/gen"
out="$(cd "$out" && pwd)"
cxx="${CXX:-g++}"
flags=(-std=c++20 -O3 -g -fPIC -fvisibility=hidden -ffp-contract=off -Wall -Wno-unused-function -Wno-sign-compare -I"$here"
       -I"$here/../cuda-src" -I"$out/gen")

# Every extern "C" kernel of cuda-src, for kernels.cpp's table.
grep -ho 'extern "C" __global__ void [A-Za-z_0-9]*' "$here"/../cuda-src/*.cu "$here/selftest_kernels.cu" \
  | sed 's/.* void \(.*\)/STRIX_KERNEL(\1)/' | sort > "$out/gen/kernel_list.inc.new"
if ! cmp -s "$out/gen/kernel_list.inc.new" "$out/gen/kernel_list.inc" 2>/dev/null; then
  mv "$out/gen/kernel_list.inc.new" "$out/gen/kernel_list.inc"
else
  rm "$out/gen/kernel_list.inc.new"
fi

# Rebuilds $1 from the sources after it when any of them, or a header here or in cuda-src, is newer.
stale() {
  local target="$1"; shift
  [ -f "$target" ] || return 0
  local f
  for f in "$@" "$here"/*.h "$here"/*.cu "$here"/../cuda-src/*.cu "$here"/../cuda-src/*.cuh "$out/gen/kernel_list.inc" "$0"; do
    [ "$f" -nt "$target" ] && return 0
  done
  return 1
}

# The kernels are compiled with a*b + c contracted into fused multiply-adds wherever GCC finds the
# pattern (and this CPU has FMA), as nvcc contracts them, so their rounding is nearer the GPU's.
driver=("$here"/driver_*.cpp "$here/grid.cpp" "$here/memory.cpp")
if stale "$out/libcuda.so.1" "${driver[@]}" "$here/kernels.cpp"; then
  "$cxx" "${flags[@]}" -march=native -ffp-contract=fast -c "$here/kernels.cpp" -o "$out/gen/kernels.o"
  "$cxx" "${flags[@]}" -shared -Wl,-soname,libcuda.so.1 -o "$out/libcuda.so.1" "${driver[@]}" "$out/gen/kernels.o"
fi

empty="$out/gen/empty.cpp"
[ -f "$empty" ] || echo "// A sibling library that the Java loader requires and the emulator does not need." > "$empty"
if stale "$out/libcublas.so.13" "$here/cublas.cpp"; then
  "$cxx" "${flags[@]}" -shared -Wl,-soname,libcublasLt.so.13 -o "$out/libcublasLt.so.13" "$empty"
  "$cxx" "${flags[@]}" -shared -Wl,-soname,libcublas.so.13 -Wl,-rpath,'$ORIGIN' -o "$out/libcublas.so.13" \
    "$here/cublas.cpp" "$out/libcuda.so.1"
fi

# cuDNN: libcudnn.so.9 from cudnn_*.cpp, and the libcudnn_graph.so.9 the Java loader wants beside it.
cudnn=("$here"/cudnn_*.cpp)
if stale "$out/libcudnn.so.9" "${cudnn[@]}"; then
  "$cxx" "${flags[@]}" -shared -Wl,-soname,libcudnn_graph.so.9 -o "$out/libcudnn_graph.so.9" "$empty"
  "$cxx" "${flags[@]}" -shared -Wl,-soname,libcudnn.so.9 -Wl,-rpath,'$ORIGIN' -Wl,--no-undefined \
    -o "$out/libcudnn.so.9" "${cudnn[@]}" "$out/libcuda.so.1"
fi

# The self-tests: of the driver's rules (selftest_driver.cpp), of the order check and the poisoned
# shared memory (selftest_order.cpp), and of cuDNN beyond what the Java suite reaches
# (selftest_cudnn.cpp). A failure fails the build; they run again whenever a library or the test
# was rebuilt.
selftest() {
  local name="$1"; shift
  if stale "$out/gen/$name.passed" "$here/$name.cpp" "$@"; then
    "$cxx" -std=c++20 -O1 -I"$here" "$here/$name.cpp" "$@" -Wl,-rpath,"$out" -o "$out/gen/$name"
    if ! "$out/gen/$name" >"$out/gen/$name.log" 2>&1; then
      tail -20 "$out/gen/$name.log" >&2
      echo "strix: the CUDA emulator failed $name (log: $out/gen/$name.log)" >&2
      exit 1
    fi
    touch "$out/gen/$name.passed"
  fi
}
selftest selftest_driver "$out/libcuda.so.1"
selftest selftest_order "$out/libcuda.so.1"
selftest selftest_cudnn "$out/libcudnn.so.9" "$out/libcuda.so.1"

echo "strix: CUDA emulator built in $out"
