#!/usr/bin/env bash
# Regenerates the FFM bindings in bindings/src/generated/java with jextract, one header class per
# library, filtered by the committed argument files in tools/jextract/*.args.
#
#   tools/regenerate-bindings.sh           regenerate in place, then say whether anything changed
#   tools/regenerate-bindings.sh --check   regenerate into a temporary folder and fail on any diff
#
# Needs jextract on PATH (or JEXTRACT=/path/to/jextract) and the headers:
#   CUDA_HOME       CUDA toolkit root; cuda.h and driver_types.h in $CUDA_HOME/include (default /usr/local/cuda)
#   CUBLAS_INCLUDE  folder holding cublas_v2.h (default $CUDA_HOME/include)
#   CUDNN_INCLUDE   folder holding cudnn.h      (default $CUDA_HOME/include)
# No -l is passed: the generated code looks symbols up with SymbolLookup.loaderLookup(), and
# dev.strix.bindings.CudaLibraries loads the libraries by absolute path before any binding is used.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=write
case "${1:-}" in
  --check) mode=check ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

JEXTRACT="${JEXTRACT:-jextract}"
CUDA_HOME="${CUDA_HOME:-/usr/local/cuda}"
CUBLAS_INCLUDE="${CUBLAS_INCLUDE:-$CUDA_HOME/include}"
CUDNN_INCLUDE="${CUDNN_INCLUDE:-$CUDA_HOME/include}"

command -v "$JEXTRACT" >/dev/null || { echo "error: jextract not found on PATH (set JEXTRACT=...)" >&2; exit 1; }
for h in "$CUDA_HOME/include/cuda.h" "$CUBLAS_INCLUDE/cublas_v2.h" "$CUDNN_INCLUDE/cudnn.h"; do
  [ -f "$h" ] || { echo "error: header $h not found (set CUDA_HOME / CUBLAS_INCLUDE / CUDNN_INCLUDE)" >&2; exit 1; }
done

generated=bindings/src/generated/java
packages=(dev/strix/bindings/cuda dev/strix/bindings/cublas dev/strix/bindings/cudnn)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# jextract warns about every declaration it cannot map, even the ones the filter leaves out.
run_jextract() {
  local log="$out/jextract.log"
  if ! "$JEXTRACT" "$@" --output "$out/java" >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
  fi
  grep -v 'warning: Skipping' "$log" >&2 || true
}

echo "jextract: $("$JEXTRACT" --version 2>&1 | head -1)"
run_jextract -I "$CUDA_HOME/include" @tools/jextract/cuda.args "$CUDA_HOME/include/cuda.h"
run_jextract -I "$CUDA_HOME/include" -I "$CUBLAS_INCLUDE" @tools/jextract/cublas.args "$CUBLAS_INCLUDE/cublas_v2.h"
run_jextract -I "$CUDA_HOME/include" -I "$CUDNN_INCLUDE" @tools/jextract/cudnn.args "$CUDNN_INCLUDE/cudnn.h"

if [ "$mode" = check ]; then
  status=0
  for p in "${packages[@]}"; do
    diff -r "$generated/$p" "$out/java/$p" || status=1
  done
  if [ "$status" -eq 0 ]; then
    echo "bindings are up to date: regenerating gives no diff"
  else
    echo "error: the committed bindings differ from jextract's output (run $0 and commit)" >&2
  fi
  exit "$status"
fi

for p in "${packages[@]}"; do
  rm -rf "${generated:?}/$p"
  mkdir -p "$(dirname "$generated/$p")"
  cp -r "$out/java/$p" "$generated/$p"
done
if git diff --quiet -- "$generated" && [ -z "$(git ls-files --others --exclude-standard -- "$generated")" ]; then
  echo "bindings regenerated: no diff"
else
  echo "bindings regenerated; changes:"
  git status --short -- "$generated"
fi
