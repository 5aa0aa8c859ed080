#!/usr/bin/env bash
# Runs strix's GPU checks on this machine (the bundle built by tools/device-bundle.sh), as stages
# that each have a time limit, inside one overall budget, so that a hang costs one stage, not the run.
#
#   ./run.sh OUTPUT_DIR
#
# Stages, in order of importance (each one's cap in seconds; a stage gets min(cap, what is left)):
#   probe        gpu-probe.sh: driver, libraries, PyTorch                                         30
#   cudnn-probe  the cuDNN descriptor probe (tools/cudnn-probe) on the real cuDNN, diffed against the
#                emulator's answers (informational: a difference is printed, it fails nothing)     20
#   cuda-tests   every test class of the package dev.strix.cuda (GPU tests, conformance suite)     170
#   train        strix-mnist train --device cuda, the default recipe, stops at 99.6% test accuracy 180
#                (the train-on-GPU issue's bar; its checkpoint feeds export and compare)
#   graph-check  2 short epochs with the step as a CUDA graph, then without: identical checkpoints  70
#   export       strix-mnist eval --device cuda --export-logits of that checkpoint                 45
#   compare      reference/compare_checkpoint.py: PyTorch on the same checkpoint (>= 99.9% agree)  60
#   pytorch-step one training step per architecture and conv algorithm on this device, tensor by
#                tensor against PyTorch autograd (PyTorchTrainingStepTest, reference/compare_step.py),
#                and conv/pool geometries with every algorithm (PyTorchLayerTest, compare_layer.py) 90
#   time-to-99   the default recipe again, then the fast recipe (1 epoch, batch 256, lr 6e-3), then
#                that with --tf32, each stopping at 99.0%: the wall-clock training time            90
#   bench-128    strix-mnist bench --device cuda, reference network, batch 128, with the step profile
#                (--profile: device time of each pass, forward and backward, from CUDA events)   45
#   strix-epoch  one epoch of the reference network as pytorch_mnist.py trains it (Adam 1e-3, 128)  60
#   torch-eager  reference/pytorch_mnist.py --mode eager                                            75
#   bench-1024   the bench at batch 1024: defaults (with the step profile), one GEMM per sample
#                (-Dstrix.conv.batchMatrix=false), --tf32, --conv-algo CUDNN --tf32, and that with
#                NHWC activations (-Dstrix.layers.layout=NHWC)                                     105
#   bench-conv   the bench at batch 128 with STRIDED_VIEW, with CUDNN (NCHW, then NHWC
#                activations), and with cuDNN pooling too                                         130
#   bench-modes  the bench at batch 128 with --no-cuda-graph, and with --tf32                       60
#   cudnn-net    1 epoch of the default model with cuDNN conv, pooling and batch norm (>= 98%), and
#                the default model's bench with our batch-norm kernels (with the step profile), with
#                one GEMM per sample (-Dstrix.conv.batchMatrix=false), and with cuDNN's batch norm  100
#   conv-jmh     JMH: the three convolution algorithms at the reference shapes, batch 128 / 1024,
#                forward and both gradients, im2col again as one GEMM over the batch (column
#                IM2COL_BATCH_MATRIX), and cuDNN again on NHWC operands (column CUDNN_NHWC, ratio
#                CUDNN_NHWC / CUDNN) (jmh/benchmarks.jar, dev.strix.jmh.CudaConvReport)           150
#   torch-compile reference/pytorch_mnist.py --mode compile (torch.compile max-autotune)           180
# The budget is STRIX_BUDGET_SECONDS (default 600); a stage that cannot get its minimum is SKIPPED.
# STRIX_JAVA_OPTS passes JVM options to every strix-mnist command (e.g. -Dstrix.layers.fuse=false).
# STRIX_STAGES (a comma-separated list of stage names, e.g. bench-1024,conv-jmh,torch-compile) runs
# only those, for a second run that finishes what a first one had no time for; probe always runs,
# and stages that need the train stage's checkpoint say so when it is missing.
#
# Writes into OUTPUT_DIR only four files (a remote run returns few): summary.txt (every stage's
# result and figures), logs.tar.gz (every stage's log, the JUnit reports, the checkpoint, the
# logits), tests.log (the JUnit tree) and conv-bench.md (the conv-jmh table, when it ran). Exit status: 0 every stage ran and passed; 1 some stage
# failed or timed out; 2 the run itself broke (no Java runtime); 3 nothing failed but the GPU
# stages were skipped (no usable GPU; the reasons are in summary.txt); 4 nothing failed but some
# stages did not run for lack of time (raise STRIX_BUDGET_SECONDS). The PyTorch timing stages
# (torch-eager, torch-compile) only measure the reference: their failures are reported in
# summary.txt but do not change the exit status.
#
# The NVIDIA libraries are found by strix's own loader (strix.cuda.path / STRIX_CUDA_PATH, CUDA_HOME,
# LD_LIBRARY_PATH and the system loader, then Python's nvidia-* packages); this script adds the lib
# folders of the nvidia packages of the python3 on PATH to STRIX_CUDA_PATH up front.
#
# For trying the script without a GPU: STRIX_BUNDLE_DEVICE=cpu runs the strix-mnist stages on the
# CPU with tiny sizes (and PyTorch on the CPU), to check that every command line works. To try the
# CUDA branch too, point the loader at the CUDA emulator (README) and keep the sizes tiny:
# STRIX_BUNDLE_SMOKE=1 STRIX_CUDA_PATH=target/cuda-emulator (the device then says it is the emulator).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: $0 OUTPUT_DIR}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
summary="$out/summary.txt"
: >"$summary"
say() { echo "$*"; echo "$*" >>"$summary"; }

budget="${STRIX_BUDGET_SECONDS:-600}"
started=$(date +%s)
deadline=$((started + budget))
device="${STRIX_BUNDLE_DEVICE:-cuda}"
smoke="${STRIX_BUNDLE_SMOKE:-0}"
[ "$device" = "cpu" ] && smoke=1

say "strix GPU check, $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(hostname), budget ${budget}s, device $device"

# Work files live outside OUTPUT_DIR; logs.tar.gz carries them back.
work="$(mktemp -d "${TMPDIR:-/tmp}/strix-bundle.XXXXXX")"
logs="$work/logs"
mkdir -p "$logs"
finish() {
  tar -czf "$out/logs.tar.gz" -C "$work" logs 2>/dev/null
  rm -rf "$work"
}
trap finish EXIT

failed_stages=""
skipped_gpu=""
skipped_time=""
informational=0
info_failures=""
stage_rc=0
stage_status=""

# run_stage NAME CAP MIN COMMAND...: runs COMMAND with a time limit of min(CAP, seconds left), its
# output in $logs/NAME.log; sets stage_status (PASS, FAIL, TIMEOUT or SKIPPED) and stage_rc.
run_stage() {
  local name="$1" cap="$2" min="$3"
  shift 3
  if [ -n "${STRIX_STAGES:-}" ] && [ "$name" != probe ] && [[ ",$STRIX_STAGES," != *",$name,"* ]]; then
    stage_status="NOT_SELECTED"
    stage_rc=0
    say "stage $name: not selected (STRIX_STAGES=$STRIX_STAGES)"
    return
  fi
  local left=$((deadline - $(date +%s)))
  local limit=$((cap < left ? cap : left))
  if [ "$limit" -lt "$min" ]; then
    stage_status="SKIPPED"
    stage_rc=0
    skipped_time="$skipped_time $name"
    say "stage $name: SKIPPED (out of time budget: ${left}s left, needs ${min}s)"
    return
  fi
  local t0=$(date +%s)
  # Through bash -c, so that COMMAND may be one of the exported functions below.
  timeout --kill-after=10 "$limit" bash -c '"$@"' "$name" "$@" >"$logs/$name.log" 2>&1
  stage_rc=$?
  local seconds=$(($(date +%s) - t0))
  if [ "$stage_rc" -eq 0 ]; then
    stage_status="PASS"
    say "stage $name: PASS in ${seconds}s"
  elif [ "$stage_rc" -eq 124 ] || [ "$stage_rc" -eq 137 ]; then
    stage_status="TIMEOUT"
    say "stage $name: TIMEOUT after ${limit}s (log: logs/$name.log)"
  else
    stage_status="FAIL"
    say "stage $name: FAIL (exit $stage_rc) in ${seconds}s (log: logs/$name.log)"
  fi
  if [ "$stage_status" != "PASS" ]; then
    if [ "$informational" -eq 1 ]; then
      info_failures="$info_failures $name"
    else
      failed_stages="$failed_stages $name"
    fi
  fi
}

skip_stage() {
  say "stage $1: SKIPPED ($2)"
  skipped_gpu="$skipped_gpu $1"
}

# Lines of a log matching a pattern, indented into the summary (at most $3 lines, default 5).
figures() {
  [ -f "$logs/$1.log" ] || return
  grep -E "$2" "$logs/$1.log" | tail -"${3:-5}" | sed 's/^/    /' | tee -a "$summary"
}

tail_on_failure() {
  if [ "$stage_status" = "FAIL" ] || [ "$stage_status" = "TIMEOUT" ]; then
    tail -15 "$logs/$1.log" | sed 's/^/    | /' | tee -a "$summary"
  fi
}

# ------------------------------------------------------------------------------------------ probe
if [ -f "$here/gpu-probe.sh" ]; then
  run_stage probe 30 5 bash "$here/gpu-probe.sh"
  say "gpu: $(sed -n '2p' "$logs/probe.log")"
else
  say "stage probe: SKIPPED (no gpu-probe.sh in the bundle)"
fi

# ---------------------------------------------------------------------------------------- runtime
runtime_dir="$work/runtime-unpacked"
mkdir -p "$runtime_dir"
# tar needs the xz program for .tar.xz; Python's tarfile is the fallback where it is missing.
if ! tar -xJf "$here/runtime.tar.xz" -C "$runtime_dir" 2>"$logs/unpack.log" \
   && ! python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
        "$here/runtime.tar.xz" "$runtime_dir" 2>>"$logs/unpack.log"; then
  say "result: BROKEN (cannot unpack runtime.tar.xz: $(tail -1 "$logs/unpack.log"))"
  exit 2
fi
java="$runtime_dir/runtime/bin/java"
if ! "$java" -version >/dev/null 2>&1; then
  say "result: BROKEN (the bundled Java runtime does not start)"
  exit 2
fi
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

# ------------------------------------------------------------------------------------ cudnn-probe
# The descriptor answers of the cuDNN that the loader will find first, against the emulator's.
cudnn_probe() {
  local dir
  dir="$(echo "${STRIX_CUDA_PATH:-}:${LD_LIBRARY_PATH:-}" | tr ':' '\n' \
    | while read -r d; do [ -n "$d" ] && [ -f "$d/libcudnn.so.9" ] && { echo "$d"; break; }; done)"
  if [ -z "$dir" ]; then
    echo "no libcudnn.so.9 in STRIX_CUDA_PATH or LD_LIBRARY_PATH"
    return 1
  fi
  echo "cuDNN: $dir"
  # cuDNN's sub-libraries may need cuBLAS from another nvidia package folder: all of them on the path.
  LD_LIBRARY_PATH="$dir:${STRIX_CUDA_PATH:-}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$here/cudnn-probe/cudnn_descriptor_probe" \
    "$dir/libcudnn.so.9" >"$logs/cudnn-probe-answers.txt" || return 1
  if diff "$logs/cudnn-probe-answers.txt" "$here/cudnn-probe/emulator-answers.txt"; then
    echo "the same $(wc -l <"$logs/cudnn-probe-answers.txt") answers as the emulator"
  else
    echo "different answers (< real cuDNN, > emulator)"
    return 1
  fi
}
export here logs
export -f cudnn_probe
if [ "$device" = "cuda" ] && [ -x "$here/cudnn-probe/cudnn_descriptor_probe" ]; then
  informational=1
  run_stage cudnn-probe 20 3 cudnn_probe
  informational=0
  figures cudnn-probe 'cuDNN version|the same|different|^[<>]|no libcudnn' 12
else
  say "stage cudnn-probe: SKIPPED (no probe in the bundle, or not on CUDA)"
fi

# strix-mnist from the module path, with the options the jlink image bakes in.
# STRIX_JAVA_OPTS adds JVM options, e.g. -Dstrix.layers.fuse=false to run every layer on its own.
strix_mnist() {
  # shellcheck disable=SC2086
  "$java" -Xss4m ${STRIX_JAVA_OPTS:-} --module-path "$here/app" \
    --add-modules jdk.incubator.vector,dev.strix.bindings,dev.strix.cuda \
    --enable-native-access=dev.strix.bindings,dev.strix.cuda,dev.strix.tensor -Djava.awt.headless=true \
    -m dev.strix.mnist/dev.strix.mnist.StrixMnist "$@"
}
data="$here/data/mnist"
export java here
export -f strix_mnist
export PYTHONUNBUFFERED=1

# ------------------------------------------------------------------------------------- cuda-tests
run_cuda_tests() {
  "$java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss4m \
    -Dstrix.cuda.sources="$here/cuda-src" \
    -cp "$here/lib/*" org.junit.platform.console.ConsoleLauncher execute \
    --select-package dev.strix.cuda \
    --details=tree --disable-banner --disable-ansi-colors --fail-if-no-tests \
    --reports-dir "$logs/reports"
}
export logs
export -f run_cuda_tests
gate=""
if [ "$device" = "cuda" ]; then
  run_stage cuda-tests 170 30 run_cuda_tests
  cp "$logs/cuda-tests.log" "$out/tests.log" 2>/dev/null
  count() { sed -n "s/^\[ *\([0-9]*\) tests $1 *\].*/\1/p" "$logs/cuda-tests.log" | head -1; }
  if [ -f "$logs/cuda-tests.log" ]; then
    say "    tests: $(count found) found, $(count successful) passed, $(count failed) failed," \
      "$(count aborted) skipped by an assumption, $(count skipped) disabled"
    gate="$(grep -h '^\[strix\] .* skipped: CUDA backend unavailable: ' "$logs/cuda-tests.log" | head -1 \
      | sed 's/.*CUDA backend unavailable: //')"
    gpu="$(grep -h '^\[strix\] .* runs on ' "$logs/cuda-tests.log" | head -1 | sed 's/.* runs on //')"
    [ -n "$gpu" ] && say "    device: $gpu"
    grep -E '✘' "$logs/cuda-tests.log" | head -30 | sed 's/^/    /' | tee -a "$summary"
    if [ -n "$gate" ]; then
      # Every test skipped by the gate is no failure of the code: the GPU is missing.
      say "    CUDA backend unavailable: $gate"
      failed_stages="${failed_stages/ cuda-tests/}"
      skipped_gpu="$skipped_gpu cuda-tests"
    fi
  fi
  # Without a test verdict (timeout), ask the backend directly whether it starts.
  if [ -z "$gate" ] && [ "$stage_status" != "PASS" ] && [ "$stage_status" != "FAIL" ]; then
    if strix_mnist summary --device cuda >"$logs/cuda-gate.log" 2>&1; then :; else
      gate="$(grep -o "is not available: .*" "$logs/cuda-gate.log" | head -1 | sed 's/^is not available: //')"
      [ -z "$gate" ] && gate="strix-mnist summary --device cuda failed: $(tail -1 "$logs/cuda-gate.log")"
    fi
  fi
fi

# PyTorch with a GPU (or the CPU in a trial run), else the reason it cannot be used.
torch_reason="$(python3 - "$device" 2>&1 <<'PY'
import sys
try:
    import torch
except Exception as e:
    print(f"python3 has no torch ({e.__class__.__name__}: {e})")
    raise SystemExit(1)
if sys.argv[1] == "cuda" and not torch.cuda.is_available():
    print(f"torch {torch.__version__} sees no CUDA device")
    raise SystemExit(1)
PY
)"
torch_ok=$?
if [ "$torch_ok" -eq 0 ]; then
  say "python3: $(command -v python3), $(python3 -c 'import torch; print("torch", torch.__version__)' 2>&1)"
else
  say "python3: $(command -v python3 || echo none): $torch_reason"
fi

# Sizes: the real run, or tiny ones for a CPU trial of the command lines.
if [ "$smoke" -eq 1 ]; then
  train_args=(--model reference --epochs 2 --limit 20 --batch-size 100 --no-augment --target-accuracy 0.5)
  fast_args=(--model reference --epochs 1 --limit 20 --batch-size 100 --no-augment --target-accuracy 0.3)
  recipe_args=(--model reference --epochs 1 --limit 10 --batch-size 200 --lr 6e-3 --no-augment --target-accuracy 0.3)
  epoch_args=(--limit 20)
  bench_args=(--steps 2 --warmup 1 --inference-batch-size 100)
  torch_args=(--device cpu --limit-steps 20 --warmup 5)
else
  train_args=(--model default --target-accuracy 0.996)
  fast_args=(--model default --epochs 3 --target-accuracy 0.99)
  # The documented fast recipe: one epoch at batch 256, peak rate 6e-3 (99.24% on the CPU, as the
  # default's first epoch, in half the steps).
  recipe_args=(--model default --epochs 1 --batch-size 256 --lr 6e-3 --target-accuracy 0.99)
  epoch_args=()
  bench_args=()
  torch_args=(--device cuda)
fi
checkpoint="$logs/checkpoint"

# ------------------------------------------------------------------------------ strix on the GPU
if [ -n "$gate" ]; then
  for s in train graph-check export compare time-to-99 bench-128 strix-epoch bench-1024 bench-conv bench-modes \
      cudnn-net conv-jmh; do
    skip_stage "$s" "CUDA backend unavailable, see cuda-tests above"
  done
else
  run_stage train 180 40 strix_mnist train --device "$device" --data-dir "$data" "${train_args[@]}" \
    --no-test-each-epoch --checkpoint-dir "$checkpoint"
  figures train 'device:|^fused:|img/s *$|test accuracy|target accuracy|trained in|host waits|cuda graph' 15
  tail_on_failure train

  # graph_check DEVICE: the same short run with the step replayed as a CUDA graph and op by op; the
  # checkpoints must be identical, and on CUDA the first run must really have used a graph.
  graph_check() {
    local dev="$1" rc
    shift
    local common=(--device "$dev" --data-dir "$data" --epochs 2 --limit 40 --no-test-each-epoch "$@")
    echo "== with CUDA graphs"
    strix_mnist train "${common[@]}" --checkpoint-dir "$logs/graph-on" >"$logs/graph-on.out" 2>&1
    rc=$?
    cat "$logs/graph-on.out"
    [ "$rc" -eq 0 ] || return 1
    echo "== without (--no-cuda-graph)"
    strix_mnist train "${common[@]}" --no-cuda-graph --checkpoint-dir "$logs/graph-off" || return 1
    if [ "$dev" = "cuda" ] && ! grep -q '^cuda graph: the training step of batch .* is captured and replayed' \
         "$logs/graph-on.out"; then
      echo "graph-check: FAIL, the first run did not replay a CUDA graph: $(grep '^cuda graph:' "$logs/graph-on.out")"
      return 1
    fi
    for f in model.safetensors optimizer.safetensors; do
      if ! cmp "$logs/graph-on/$f" "$logs/graph-off/$f"; then
        echo "graph-check: FAIL, $f differs between CUDA graph and eager training"
        return 1
      fi
    done
    echo "graph-check: CUDA graph and eager training wrote identical checkpoints (2 epochs of 40 steps)"
  }
  export -f graph_check
  export data
  smoke_graph=(--model default)
  [ "$smoke" -eq 1 ] && smoke_graph=(--model reference --batch-size 50 --no-augment)
  run_stage graph-check 70 25 graph_check "$device" "${smoke_graph[@]}"
  figures graph-check '^graph-check:|^cuda graph:|host waits' 6
  tail_on_failure graph-check
  # A run stopped by its time limit still leaves the checkpoint of its last finished epoch.
  if [ -f "$checkpoint/model.safetensors" ]; then
    run_stage export 45 15 strix_mnist eval --device "$device" --data-dir "$data" --checkpoint "$checkpoint" \
      --export-logits "$logs/logits.safetensors"
    figures export 'test accuracy|after epoch' 2
    tail_on_failure export
    if [ "$stage_status" = "PASS" ] && [ "$torch_ok" -eq 0 ]; then
      run_stage compare 60 15 python3 "$here/reference/compare_checkpoint.py" --checkpoint "$checkpoint" \
        --data-dir "$data" --strix-logits "$logs/logits.safetensors" --target 99.9 \
        --device "$([ "$smoke" -eq 1 ] && echo cpu || echo auto)"
      figures compare 'agree|max \||accuracy|^compare:' 6
      tail_on_failure compare
    elif [ "$stage_status" = "PASS" ]; then
      skip_stage compare "$torch_reason"
    else
      say "stage compare: SKIPPED (no logits: the export stage did not pass)"
    fi
  else
    say "stage export: SKIPPED (the train stage wrote no checkpoint)"
    say "stage compare: SKIPPED (the train stage wrote no checkpoint)"
  fi

  # One training step of each architecture on this device (our kernels and cuBLAS, cuDNN, the strided
  # view), tensor by tensor against PyTorch autograd in strict float32 on the CPU: the loss, every
  # gradient, batch norm's running statistics, the parameters after two Adam steps; and convolution
  # and pooling geometries beyond the architectures' (strides, padding, rectangular windows), forward
  # and backward, with every algorithm, against PyTorch in float64.
  run_pytorch_step() {
    "$java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss4m \
      -Dstrix.reference.dir="$here/reference" \
      -cp "$here/lib/*:$here/app/*" org.junit.platform.console.ConsoleLauncher execute \
      --select-class dev.strix.mnist.PyTorchTrainingStepTest --select-class dev.strix.mnist.PyTorchLayerTest \
      --details=tree --disable-banner --disable-ansi-colors --fail-if-no-tests \
      --reports-dir "$logs/reports-pytorch-step"
  }
  export -f run_pytorch_step
  # PyTorch runs on the CPU here, so any python3 with torch will do.
  if python3 -c 'import torch, numpy' >/dev/null 2>&1; then
    run_stage pytorch-step 90 20 run_pytorch_step
    figures pytorch-step '^step:|^layers:|tests (successful|failed|aborted)' 14
    tail_on_failure pytorch-step
  else
    skip_stage pytorch-step "python3 cannot import torch and numpy"
  fi

  # time_to_99 DEVICE DEFAULT_ARGS RECIPE_ARGS: the default recipe, then the fast recipe (each given
  # as one space-separated string), each stopping at 99.0%, and on CUDA the fast recipe again with
  # --tf32 (so one run shows whether TF32 is what brings it under the target); passes when any
  # reaches it (the issue accepts the default or a documented fast recipe).
  time_to_99() {
    local reached=1 dev="$1" default recipe
    read -ra default <<<"$2"
    read -ra recipe <<<"$3"
    echo "== default recipe: $2"
    strix_mnist train --device "$dev" --data-dir "$data" "${default[@]}" --no-test-each-epoch \
      --checkpoint-dir "$logs/fast-checkpoint" && reached=0
    echo "== fast recipe: $3"
    strix_mnist train --device "$dev" --data-dir "$data" "${recipe[@]}" --no-test-each-epoch \
      --checkpoint-dir "$logs/recipe-checkpoint" && reached=0
    if [ "$dev" = "cuda" ]; then
      echo "== fast recipe with TF32: $3 --tf32"
      strix_mnist train --device "$dev" --data-dir "$data" "${recipe[@]}" --tf32 --no-test-each-epoch \
        --checkpoint-dir "$logs/recipe-tf32-checkpoint" && reached=0
    fi
    return $reached
  }
  export -f time_to_99
  run_stage time-to-99 90 20 time_to_99 "$device" "${fast_args[*]}" "${recipe_args[*]}"
  figures time-to-99 '^== |img/s *$|test accuracy|target accuracy|trained in' 18
  tail_on_failure time-to-99

  run_stage bench-128 45 15 strix_mnist bench --device "$device" --model reference --batch-size 128 --profile \
    "${bench_args[@]}"
  figures bench-128 '^fused:|training:|inference:|host waits|launches:|^profile:|^  ' 17
  tail_on_failure bench-128

  run_stage strix-epoch 60 20 strix_mnist train --device "$device" --data-dir "$data" --model reference \
    --optimizer adam --lr 1e-3 --schedule constant --no-augment --epochs 1 --batch-size 128 "${epoch_args[@]}" \
    --no-test-each-epoch --checkpoint-dir "$logs/reference-checkpoint"
  figures strix-epoch 'img/s *$|test accuracy' 3
  tail_on_failure strix-epoch
fi

# ------------------------------------------------------------------------------ PyTorch, eager
if [ "$torch_ok" -eq 0 ]; then
  informational=1
  run_stage torch-eager 75 20 python3 "$here/reference/pytorch_mnist.py" --data-dir "$data" \
    --mode eager "${torch_args[@]}"
  figures torch-eager '^pytorch:' 1
  tail_on_failure torch-eager
  informational=0
else
  skip_stage torch-eager "$torch_reason"
fi

# ------------------------------------------------------------------- more strix figures, if time
if [ -z "$gate" ]; then
  # bench_1024 DEVICE BENCH_ARGS...: the bench at batch 1024 with the defaults, then with the
  # fastest settings on offer (cuDNN, TF32) for the throughput target.
  bench_1024() {
    local status=0 dev="$1"
    shift
    echo "== defaults"
    strix_mnist bench --device "$dev" --model reference --batch-size 1024 --profile "$@" || status=1
    # The im2col convolutions as before the batch matrix: one GEMM per sample each way, and the
    # weight gradient summed over per-sample products (75 MB of them for conv 2).
    echo "== one GEMM per sample (-Dstrix.conv.batchMatrix=false)"
    STRIX_JAVA_OPTS="${STRIX_JAVA_OPTS:-} -Dstrix.conv.batchMatrix=false" strix_mnist bench --device "$dev" \
      --model reference --batch-size 1024 "$@" || status=1
    # TF32 takes the im2col GEMMs (most of the step's flops) to the tensor cores: the likelier 2M img/s.
    echo "== --tf32"
    strix_mnist bench --device "$dev" --model reference --batch-size 1024 --tf32 "$@" || status=1
    # The CPU's CUDNN stand-in is the naive reference loops: a CPU trial keeps that run small.
    local batch=1024
    [ "$dev" = "cpu" ] && batch=128
    echo "== --conv-algo CUDNN --tf32 (batch $batch)"
    strix_mnist bench --device "$dev" --model reference --batch-size "$batch" --conv-algo CUDNN --tf32 "$@" \
      || status=1
    # Channels-last activations and filters: the order cuDNN's tensor-core kernels work in.
    echo "== --conv-algo CUDNN --tf32, NHWC activations (batch $batch)"
    STRIX_JAVA_OPTS="${STRIX_JAVA_OPTS:-} -Dstrix.layers.layout=NHWC" strix_mnist bench --device "$dev" \
      --model reference --batch-size "$batch" --conv-algo CUDNN --tf32 "$@" || status=1
    return $status
  }
  export -f bench_1024
  run_stage bench-1024 105 15 bench_1024 "$device" "${bench_args[@]}"
  figures bench-1024 '^== |training:|inference:|host waits|launches:|^profile:|^  ' 36
  tail_on_failure bench-1024

  # bench_conv DEVICE BENCH_ARGS...: the bench once per convolution algorithm.
  bench_conv() {
    local status=0 dev="$1"
    shift
    for algo in STRIDED_VIEW CUDNN; do
      echo "== --conv-algo $algo"
      strix_mnist bench --device "$dev" --model reference --batch-size 128 --conv-algo "$algo" "$@" || status=1
    done
    echo "== --conv-algo CUDNN, NHWC activations"
    STRIX_JAVA_OPTS="${STRIX_JAVA_OPTS:-} -Dstrix.layers.layout=NHWC" strix_mnist bench --device "$dev" \
      --model reference --batch-size 128 --conv-algo CUDNN "$@" || status=1
    echo "== --conv-algo CUDNN --pool-algo CUDNN"
    strix_mnist bench --device "$dev" --model reference --batch-size 128 --conv-algo CUDNN --pool-algo CUDNN "$@" \
      || status=1
    return $status
  }
  export -f bench_conv
  run_stage bench-conv 130 20 bench_conv "$device" "${bench_args[@]}"
  figures bench-conv '^== |training:|inference:|launches:' 16
  tail_on_failure bench-conv

  # bench_modes DEVICE BENCH_ARGS...: the batch-128 bench with the step run op by op, and with TF32.
  bench_modes() {
    local status=0 dev="$1"
    shift
    for mode in --no-cuda-graph --tf32; do
      echo "== $mode"
      strix_mnist bench --device "$dev" --model reference --batch-size 128 "$mode" "$@" || status=1
    done
    return $status
  }
  export -f bench_modes
  run_stage bench-modes 60 20 bench_modes "$device" "${bench_args[@]}"
  figures bench-modes '^== |^--tf32|training:|host waits|launches:' 10
  tail_on_failure bench-modes

  # cudnn_net DEVICE TRIAL BENCH_ARGS...: one epoch of the default model with cuDNN for convolution,
  # pooling and batch norm (-Dstrix.cuda.batchNorm=cudnn), which must reach 98% test accuracy; then
  # the default model's bench with our batch-norm kernels and with cuDNN's. TRIAL 1 (on the CPU, or
  # the emulator) checks the command lines at tiny sizes; the CUDNN convolution there is naive loops
  # and the default model takes minutes over the test set, so the trial trains the reference network
  # with im2col.
  cudnn_net() {
    local status=0 dev="$1" trial="$2" conv=CUDNN
    shift 2
    local train=(--model default --epochs 1 --target-accuracy 0.98)
    [ "$trial" = 1 ] && conv=IM2COL_GEMM && train=(--model reference --epochs 1 --limit 20 --batch-size 100
      --no-augment --target-accuracy 0.3)
    echo "== train: conv $conv, pool CUDNN, batch norm cuDNN"
    STRIX_JAVA_OPTS="${STRIX_JAVA_OPTS:-} -Dstrix.cuda.batchNorm=cudnn" strix_mnist train --device "$dev" \
      --data-dir "$data" "${train[@]}" --conv-algo "$conv" --pool-algo CUDNN --no-test-each-epoch \
      --checkpoint-dir "$logs/cudnn-checkpoint" || status=1
    echo "== bench default model: our batch-norm kernels"
    strix_mnist bench --device "$dev" --model default --profile "$@" || status=1
    # Each convolution before a batch norm writes channel-major Z over one batch matrix; this is the
    # per-sample form, for comparison.
    echo "== bench default model: one GEMM per sample (-Dstrix.conv.batchMatrix=false)"
    STRIX_JAVA_OPTS="${STRIX_JAVA_OPTS:-} -Dstrix.conv.batchMatrix=false" strix_mnist bench --device "$dev" \
      --model default "$@" || status=1
    echo "== bench default model: cuDNN batch norm"
    STRIX_JAVA_OPTS="${STRIX_JAVA_OPTS:-} -Dstrix.cuda.batchNorm=cudnn" strix_mnist bench --device "$dev" \
      --model default "$@" || status=1
    return $status
  }
  export -f cudnn_net
  run_stage cudnn-net 100 25 cudnn_net "$device" "$smoke" "${bench_args[@]}"
  figures cudnn-net '^== |^fused:|img/s *$|test accuracy|target accuracy|training:|launches:|^profile:|^  ' 40
  tail_on_failure cudnn-net

  # conv_jmh DEVICE: the JMH convolution benchmark (CudaConvReport: no fork, short iterations), its
  # Markdown table, with the cuDNN NHWC column, into OUTPUT_DIR (the NHWC pass's JSON beside the
  # first one's, conv-jmh-layout.json). On the CPU it must refuse at once with the reason (exit 3).
  conv_jmh() {
    local rc
    "$java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss4m \
      -Dstrix.jmh.markdown="$out/conv-bench.md" -cp "$here/jmh/benchmarks.jar" dev.strix.jmh.CudaConvReport \
      -rf json -rff "$logs/conv-jmh.json"
    rc=$?
    if [ "$1" = "cpu" ]; then
      [ "$rc" -eq 3 ] && echo "conv-jmh: refused without CUDA, as it must" && return 0
      echo "conv-jmh: expected exit 3 without CUDA, got $rc"
      return 1
    fi
    return $rc
  }
  export out
  export -f conv_jmh
  if [ -f "$here/jmh/benchmarks.jar" ]; then
    run_stage conv-jmh 150 40 conv_jmh "$device"
    if [ -f "$out/conv-bench.md" ]; then
      sed 's/^/    /' "$out/conv-bench.md" | tee -a "$summary"
    else
      figures conv-jmh '^conv benchmark not run|^conv-jmh:' 2
    fi
    tail_on_failure conv-jmh
  else
    say "stage conv-jmh: SKIPPED (no jmh/benchmarks.jar in the bundle)"
  fi
fi

# ---------------------------------------------------------------------------- PyTorch, compiled
if [ "$torch_ok" -eq 0 ] && [ "$smoke" -eq 0 ]; then
  informational=1
  run_stage torch-compile 180 60 python3 "$here/reference/pytorch_mnist.py" --data-dir "$data" \
    --mode compile "${torch_args[@]}"
  figures torch-compile '^pytorch:' 1
  tail_on_failure torch-compile
  informational=0
elif [ "$torch_ok" -ne 0 ]; then
  skip_stage torch-compile "$torch_reason"
else
  say "stage torch-compile: SKIPPED (not in a CPU trial run)"
fi

# ------------------------------------------------------------------------------------------ result
say "elapsed: $(($(date +%s) - started))s of ${budget}s"
[ -n "$info_failures" ] && say "PyTorch reference stages that did not pass (not counted):$info_failures"
if [ -n "$failed_stages" ]; then
  say "result: FAIL (stages:$failed_stages)"
  exit 1
elif [ -n "$skipped_gpu" ]; then
  say "result: SKIPPED, GPU stages not run:$skipped_gpu"
  exit 3
elif [ -n "$skipped_time" ]; then
  say "result: INCOMPLETE, out of time before:$skipped_time"
  exit 4
else
  say "result: PASS"
  exit 0
fi
