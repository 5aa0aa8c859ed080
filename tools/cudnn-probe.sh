#!/usr/bin/env bash
# Asks a real cuDNN and the CUDA emulator the same descriptor questions and diffs their answers
# (tools/cudnn-probe/cudnn_descriptor_probe.c: tensor strides, filters, convolution and pooling
# geometry, math types, batch norm, status names). Every call is host-only, so no GPU is needed:
# any libcudnn.so.9 will do, e.g. the lib folder of Python's nvidia-cudnn-cu13 package, or the one in
# Maven Central's org.bytedeco:cuda:12.6-9.5-1.5.11:linux-x86_64-redist jar.
#
#   tools/cudnn-probe.sh DIR          DIR holds libcudnn.so.9 and its sub-libraries
#
# Needs gcc; builds the emulator into target/cuda-emulator when it is missing. Exit status: 0 the
# same answers, 1 different answers (the diff is printed, real cuDNN's lines first), 2 cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."
real="${1:?usage: $0 DIR_WITH_libcudnn.so.9}"
real="$(cd "$real" && pwd)"
if [ ! -f "$real/libcudnn.so.9" ]; then
  echo "error: $real/libcudnn.so.9 does not exist" >&2
  exit 2
fi
command -v gcc >/dev/null || { echo "error: no gcc on PATH" >&2; exit 2; }
emulator="target/cuda-emulator"
[ -f "$emulator/libcudnn.so.9" ] || bash cuda-emulator/build.sh "$emulator" >/dev/null
mkdir -p target/cudnn-probe
gcc -O1 -Wall -o target/cudnn-probe/cudnn_descriptor_probe tools/cudnn-probe/cudnn_descriptor_probe.c -ldl
LD_LIBRARY_PATH="$real" target/cudnn-probe/cudnn_descriptor_probe "$real/libcudnn.so.9" >target/cudnn-probe/real.txt \
  2>target/cudnn-probe/real.err || { cat target/cudnn-probe/real.txt target/cudnn-probe/real.err >&2; exit 2; }
LD_LIBRARY_PATH="$emulator" target/cudnn-probe/cudnn_descriptor_probe "$emulator/libcudnn.so.9" \
  >target/cudnn-probe/emulator.txt 2>/dev/null
echo "$(head -1 target/cudnn-probe/real.err) in $real, against the emulator: $(wc -l <target/cudnn-probe/real.txt) answers"
if diff target/cudnn-probe/real.txt target/cudnn-probe/emulator.txt; then
  echo "the same answers"
else
  echo "different answers (< real cuDNN, > emulator)"
  exit 1
fi
