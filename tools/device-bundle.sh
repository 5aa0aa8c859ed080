#!/usr/bin/env bash
# Builds, on this machine, one self-contained folder for checking strix on a GPU machine:
#
#   target/device-bundle/
#     run.sh                 runs every GPU check there, each stage time-limited:  ./run.sh OUTPUT_DIR
#                            (see tools/device-bundle-run.sh for the stages and exit codes)
#     runtime.tar.xz         a jlink Java 25 runtime (unpacked by run.sh into a temporary folder; xz
#                            packs the uncompressed image to about half of what jlink's zip gives)
#     lib/                   our jars (tensor, bindings, cuda with the kernel fatbin), the test jars,
#                            and the JUnit console launcher
#     app/                   the strix-mnist module jars (run with the runtime above on the module path)
#     reference/             tools/reference: the PyTorch models, checkpoint cross-check, PyTorch timing
#     jmh/benchmarks.jar     the JMH benchmarks (uber-jar), for the GPU convolution benchmark
#     data/mnist/            the MNIST files
#     cuda-src/              the kernel sources (a test reads their #defines)
#     gpu-probe.sh           prints where the NVIDIA pieces live on the GPU machine
#     cudnn-probe/           tools/cudnn-probe's descriptor probe, built here, and the emulator's answers
#                            (run.sh diffs the real cuDNN's answers against them; needs gcc here)
#
# The folder must stay under 64 MiB; the script checks. Needs JDK 25 and Maven (and nvcc, for the
# kernels: without it the bundle is still built, but the CUDA backend will say "kernels not built").
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

is_jdk25() { [ -x "$1/bin/java" ] && "$1/bin/java" -version 2>&1 | head -1 | grep -q '"25'; }
if [ -n "${JAVA_HOME:-}" ] && is_jdk25 "$JAVA_HOME"; then
  :
elif is_jdk25 /usr/lib/jvm/temurin-25-jdk-amd64; then
  JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
else
  echo "error: JDK 25 not found (set JAVA_HOME)" >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"

# JUnit 5.14.1 is JUnit Platform 1.14.1.
console_version=1.14.1
out="$root/target/device-bundle"
limit=$((64 * 1024 * 1024))

echo "== building the cuda, mnist-app and jmh modules and what they need (tests compiled, not run)"
mvn -B -q -Dstyle.color=never -pl modules/cuda,modules/mnist-app,jmh -am package -DskipTests

rm -rf "$out"
mkdir -p "$out/lib" "$out/app" "$out/data/mnist" "$out/reference" "$out/jmh"
version="$(sed -n 's:.*<version>\(.*-SNAPSHOT\)</version>.*:\1:p' pom.xml | head -1)"
cp "modules/tensor/target/strix-tensor-$version.jar" \
   "modules/tensor/target/strix-tensor-$version-tests.jar" \
   "bindings/target/strix-bindings-$version.jar" \
   "modules/cuda/target/strix-cuda-$version.jar" "$out/lib/"
jar --create --file "$out/lib/strix-cuda-$version-tests.jar" -C modules/cuda/target/test-classes .
# The app's tests, for the pytorch-step stage (run.sh puts app/ on the class path beside them).
jar --create --file "$out/lib/strix-mnist-app-$version-tests.jar" -C modules/mnist-app/target/test-classes .
if ! jar --list --file "$out/lib/strix-cuda-$version.jar" | grep -q 'dev/strix/cuda/strix_kernels.fatbin'; then
  echo "warning: the cuda jar has no kernel fatbin (no nvcc here?); the GPU run will report 'kernels not built'" >&2
fi

# The app on the module path: the same modules as the jlink image (tools/image-smoke.sh), no runtime.
cp modules/mnist-app/target/modules/*.jar "modules/mnist-app/target/strix-mnist-app-$version.jar" "$out/app/"
cp tools/reference/*.py "$out/reference/"
# Beside, not in, lib/: the uber-jar repeats every class of the jars there.
cp jmh/target/benchmarks.jar "$out/jmh/"

echo "== JUnit console launcher $console_version"
mvn -B -q -Dstyle.color=never -N dependency:copy \
  -Dartifact="org.junit.platform:junit-platform-console-standalone:$console_version" \
  -DoutputDirectory="$out/lib"

echo "== jlink runtime"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# java.logging and java.xml for the JUnit launcher and its reports; jdk.zipfs for its package scan
# (run.sh selects the package dev.strix.cuda, whose classes it finds inside the test jar);
# jdk.incubator.vector for the CPU backend's kernels; jdk.unsupported and java.management for
# libraries that probe for them; java.desktop (images) and java.net.http (downloads) for strix-mnist.
jlink --add-modules java.base,java.logging,java.xml,java.management,jdk.unsupported,jdk.zipfs,jdk.incubator.vector,java.desktop,java.net.http \
  --strip-debug --no-header-files --no-man-pages --compress=zip-0 --output "$work/runtime"
XZ_OPT=-9 tar -cJf "$out/runtime.tar.xz" -C "$work" runtime

echo "== data and scripts"
mnist=""
for d in "$root/../shared/data/mnist" /work/shared/data/mnist; do
  if [ -f "$d/train-images-idx3-ubyte.gz" ]; then mnist="$d"; break; fi
done
if [ -n "$mnist" ]; then
  cp "$mnist"/*.gz "$out/data/mnist/"
else
  echo "warning: MNIST files not found (../shared/data/mnist); the bundle has none" >&2
fi
probe=""
for p in "$root/../shared/tools/gpu-probe.sh" /work/shared/tools/gpu-probe.sh; do
  if [ -f "$p" ]; then probe="$p"; break; fi
done
if [ -n "$probe" ]; then
  cp "$probe" "$out/gpu-probe.sh"
else
  echo "warning: gpu-probe.sh not found; run.sh will skip the probe" >&2
fi
cp tools/device-bundle-run.sh "$out/run.sh"
# The cuDNN descriptor probe with the emulator's answers, which the real cuDNN's are diffed against.
if command -v gcc >/dev/null && { [ -f target/cuda-emulator/libcudnn.so.9 ] \
     || bash cuda-emulator/build.sh target/cuda-emulator >/dev/null; }; then
  mkdir -p "$out/cudnn-probe"
  gcc -O1 -Wall -o "$out/cudnn-probe/cudnn_descriptor_probe" tools/cudnn-probe/cudnn_descriptor_probe.c -ldl
  LD_LIBRARY_PATH=target/cuda-emulator "$out/cudnn-probe/cudnn_descriptor_probe" target/cuda-emulator/libcudnn.so.9 \
    >"$out/cudnn-probe/emulator-answers.txt" 2>/dev/null
else
  echo "warning: no gcc or no CUDA emulator here; the bundle has no cuDNN descriptor probe" >&2
fi
# The kernel sources, for the test that checks Java's op codes against their #defines.
mkdir -p "$out/cuda-src"
cp cuda-src/*.cu cuda-src/*.cuh "$out/cuda-src/"
chmod +x "$out/run.sh" "$out"/*.sh

size=$(du -sb "$out" | cut -f1)
echo "== $out: $(du -sh "$out" | cut -f1) ($size bytes)"
du -sh "$out"/* "$out"/lib/* "$out"/app/* "$out"/jmh/* | sed 's/^/   /'
if [ "$size" -ge "$limit" ]; then
  echo "error: the bundle is $size bytes, over the 64 MiB limit" >&2
  exit 1
fi
echo "copy it to a CUDA machine and run:  ./run.sh OUTPUT_DIR"
