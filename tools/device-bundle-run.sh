#!/usr/bin/env bash
# Runs strix's CUDA tests on this machine (the bundle built by tools/device-bundle.sh).
#
#   ./run.sh OUTPUT_DIR
#
# Runs every test class of the package dev.strix.cuda (the GPU tests, the conformance suite on the
# GPU, and the Java-side unit tests beside them).
# Writes into OUTPUT_DIR: gpu-probe.txt, tests.log (the JUnit tree with every test), reports/ (XML),
# and summary.txt. Exit status: 0 all CUDA tests passed; 1 some failed; 2 the run itself broke
# (no Java runtime, no tests found); 3 the CUDA tests were skipped (no usable GPU: the reason is in
# summary.txt).
#
# The NVIDIA libraries are found by strix's own loader (strix.cuda.path / STRIX_CUDA_PATH, CUDA_HOME,
# LD_LIBRARY_PATH and the system loader, then Python's nvidia-* packages); this script adds the lib
# folders of the nvidia packages of the python3 on PATH to STRIX_CUDA_PATH up front.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: $0 OUTPUT_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
summary="$out/summary.txt"
: >"$summary"
say() { echo "$*"; echo "$*" >>"$summary"; }

say "strix CUDA check, $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(hostname)"

if [ -f "$here/gpu-probe.sh" ]; then
  bash "$here/gpu-probe.sh" >"$out/gpu-probe.txt" 2>&1
  say "gpu: $(sed -n '2p' "$out/gpu-probe.txt")"
fi

# The runtime is unpacked outside OUTPUT_DIR so that only logs come back from a remote run.
runtime_dir="$(mktemp -d "${TMPDIR:-/tmp}/strix-runtime.XXXXXX")"
trap 'rm -rf "$runtime_dir"' EXIT
if ! tar -xzf "$here/runtime.tar.gz" -C "$runtime_dir"; then
  say "result: BROKEN (cannot unpack runtime.tar.gz)"
  exit 2
fi
java="$runtime_dir/runtime/bin/java"
say "java: $("$java" -version 2>&1 | head -1)"

nvidia_dirs="$(python3 - 2>/dev/null <<'PY'
import os
try:
    import nvidia
except Exception:
    raise SystemExit(0)
for root in list(getattr(nvidia, "__path__", [])):
    for entry in sorted(os.listdir(root)):
        d = os.path.join(root, entry, "lib")
        if os.path.isdir(d):
            print(d)
PY
)"
if [ -n "$nvidia_dirs" ]; then
  joined="$(echo "$nvidia_dirs" | paste -sd: -)"
  export STRIX_CUDA_PATH="${STRIX_CUDA_PATH:+$STRIX_CUDA_PATH:}$joined"
fi
say "STRIX_CUDA_PATH=${STRIX_CUDA_PATH:-}"

start=$(date +%s)
"$java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss4m \
  -Dstrix.cuda.sources="$here/cuda-src" \
  -cp "$here/lib/*" org.junit.platform.console.ConsoleLauncher execute \
  --select-package dev.strix.cuda \
  --details=tree --disable-banner --disable-ansi-colors --fail-if-no-tests \
  --reports-dir "$out/reports" >"$out/tests.log" 2>&1
status=$?
seconds=$(( $(date +%s) - start ))

count() { sed -n "s/^\[ *\([0-9]*\) tests $1 *\].*/\1/p" "$out/tests.log" | head -1; }
found=$(count found); ok=$(count successful); failed=$(count failed); aborted=$(count aborted); skipped=$(count skipped)
say "tests: ${found:-0} found, ${ok:-0} passed, ${failed:-0} failed, ${aborted:-0} skipped by an assumption, ${skipped:-0} disabled; ${seconds}s"
gate="$(grep -h '^\[strix\] .* skipped: CUDA backend unavailable: ' "$out/tests.log" | head -1 | sed 's/.*CUDA backend unavailable: //')"
device="$(grep -h '^\[strix\] .* runs on ' "$out/tests.log" | head -1 | sed 's/.* runs on //')"
[ -n "$device" ] && say "device: $device"

if [ "${failed:-0}" != "0" ]; then
  say "result: FAIL"
  grep -E '✘' "$out/tests.log" | head -40
  exit 1
elif [ "$status" -ne 0 ]; then
  say "result: BROKEN (launcher exit $status; see tests.log)"
  tail -20 "$out/tests.log"
  exit 2
elif [ -n "$gate" ]; then
  say "result: SKIPPED, CUDA backend unavailable: $gate"
  exit 3
else
  say "result: PASS"
  exit 0
fi
