#!/usr/bin/env bash
# Trains the reference network (conv 3x3 32 + ReLU, max-pool 2, conv 3x3 64 + ReLU, max-pool 2,
# dense 128 + ReLU, dense 10; softmax cross-entropy; Adam 1e-3; batch 128; fp32) for one epoch of
# MNIST with strix and with other Java stacks, each in its own JVM on the same batches, and prints
# images/s for training and inference and strix's ratio to each.
#
#   tools/compare-java-stacks.sh [--peers djl,dl4j] [--data DIR] [--limit-batches N] [--rounds R]
#                                [--threads N] [--no-build]
#
#   --peers          stacks to compare with: djl (DJL + PyTorch CPU engine), dl4j (Deeplearning4j)
#   --data           MNIST directory (gzip IDX files), default ../shared/data/mnist (beside the repository)
#   --limit-batches  train N batches instead of the whole epoch (468 batches)
#   --rounds         run every stack R times, alternating, and report each stack's median
#   --threads        strix worker threads (default: all cores, as the peers use)
#   --no-build       reuse tools/compare/target as built
#
# The build uses the Maven profile "compare" (module tools/compare), which pulls DJL 0.36.0 with
# PyTorch 2.7.1 (pytorch-native-cpu) and Deeplearning4j 1.0.0-M2.1 (nd4j-native, OpenBLAS) from
# Maven Central on first use. DJL runs offline (ai.djl.offline=true): its native library comes from
# the pytorch-native-cpu jar.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peers="djl,dl4j"
data="$root/../shared/data/mnist"
limit=0
rounds=1
threads=""
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --peers) peers="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --limit-batches) limit="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --help|-h) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare-java-stacks.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$build" = 1 ]; then
  (cd "$root" && mvn -B -q -P compare -pl tools/compare -am package -DskipTests)
fi
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
target="$root/tools/compare/target"
jar=$(ls "$target"/strix-compare-*.jar | head -1)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_stack() {
  local stack="$1"
  local args=(--stack "$stack" --data "$data" --limit-batches "$limit")
  local jvm=(-Xmx3g --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true)
  if [ -n "$threads" ]; then
    jvm+=("-Dstrix.cpu.threads=$threads")
  fi
  "$java_bin" "${jvm[@]}" -cp "$jar:$target/lib/*" dev.strix.compare.CompareJavaStacks "${args[@]}" 2>&1 \
    | grep -v -e '^WARNING' -e '^SLF4J' -e 'differs from the official MNIST file' | tee -a "$log"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $("$java_bin" -version 2>&1 | head -1)"
IFS=',' read -r -a peer_list <<< "$peers"
for ((r = 1; r <= rounds; r++)); do
  [ "$rounds" -gt 1 ] && echo "--- round $r of $rounds"
  run_stack strix
  for p in "${peer_list[@]}"; do
    run_stack "$p"
  done
done

echo
awk -F'\t' -v peers="$peers" '
  $1 == "RESULT" { n[$2]++; train[$2, n[$2]] = $3; infer[$2, n[$2]] = $4; acc[$2] = $5; desc[$2] = $6; cpu[$2, n[$2]] = $7 }
  function median(arr, key, count,   i, j, t, v) {
    for (i = 1; i <= count; i++) v[i] = arr[key, i]
    for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return count % 2 ? v[(count + 1) / 2] : (v[count / 2] + v[count / 2 + 1]) / 2
  }
  END {
    split("strix," peers, order, ",")
    printf "| stack | training images/s | inference images/s | test accuracy | training CPU time |\n|---|---:|---:|---:|---:|\n"
    for (i = 1; i in order; i++) {
      s = order[i]; if (!(s in n)) continue
      mt[s] = median(train, s, n[s]); mi[s] = median(infer, s, n[s])
      printf "| %s | %.0f | %.0f | %.2f%% | %.0f s |\n", desc[s], mt[s], mi[s], 100 * acc[s], median(cpu, s, n[s])
    }
    print ""
    for (i = 2; i in order; i++) {
      s = order[i]; if (!(s in mt) || !("strix" in mt)) continue
      printf "strix / %s: training %.2fx, inference %.2fx\n", s, mt["strix"] / mt[s], mi["strix"] / mi[s]
    }
  }' "$log"
