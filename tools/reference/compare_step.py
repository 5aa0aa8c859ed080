#!/usr/bin/env python3
"""Checks strix's training step against PyTorch autograd, tensor by tensor.

strix writes (PyTorchTrainingStepTest) the model before the step (a model.safetensors) and a step
file holding the batch ('images' F32 [N, 1, 28, 28], 'labels' I32 [N]) and what strix computed from
it in training mode: 'loss', every parameter's gradient ('grad.NAME'), batch norm's running
statistics after that forward pass ('after_forward.NAME'), and the parameters after two optimizer
steps on that batch ('after_steps.NAME'). The step file's metadata 'optimizer' names the optimizer:
  adam     learning rate 1e-3 (the default)
  adam-l2  the same with weight decay 1e-2 added to the gradient
  adamw    learning rate 1e-2, decoupled weight decay 0.5
  sgd      learning rate 5e-2, momentum 0.9, Nesterov, weight decay 1e-3
This script loads the same model into the equivalent PyTorch nn.Sequential (strix_models.py), does
the same with autograd and torch.optim, and compares:

    python3 compare_step.py --checkpoint before/model.safetensors --step step.safetensors [--tolerance 1e-4]

The loss, each gradient, each running statistic and SGD's parameters pass when max |strix - PyTorch|
<= tolerance * max(1e-3, max |PyTorch|) (float32 sums in another order stay far below; a wrong
gradient does not). The parameters after Adam (any variant) pass on the mean |difference| instead,
with no element further apart than the two steps can move it: Adam divides by sqrt(v) + 1e-8, so an
element whose gradient is float32 noise around 0 may move by different fractions of the learning
rate on the two sides. Prints one line per tensor, then 'step: key=value ... result=PASS|FAIL'.
Exit status: 0 all pass, 1 some fail, 2 unusable inputs.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

LEARNING_RATE = 1e-3
SGD_LEARNING_RATE = 5e-2
ADAMW_LEARNING_RATE = 1e-2


def make_optimizer(torch, name, parameters):
    """(torch.optim optimizer, learning rate if Adam-like else None) for a step file's 'optimizer'."""
    if name == "adam":
        return torch.optim.Adam(parameters, lr=LEARNING_RATE), LEARNING_RATE
    if name == "adam-l2":
        return torch.optim.Adam(parameters, lr=LEARNING_RATE, weight_decay=1e-2), LEARNING_RATE
    if name == "adamw":
        # A large decay at a larger rate, so that the decoupled term shows within two steps.
        return torch.optim.AdamW(parameters, lr=ADAMW_LEARNING_RATE, weight_decay=0.5), ADAMW_LEARNING_RATE
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=SGD_LEARNING_RATE, momentum=0.9, nesterov=True, weight_decay=1e-3), None
    raise ValueError(f"unknown optimizer '{name}' (adam, adam-l2, adamw, sgd)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", required=True, help="the model before the step (model.safetensors or its directory)")
    p.add_argument("--step", required=True, help="the step file strix wrote")
    p.add_argument("--tolerance", type=float, default=1e-4, help="relative tolerance (default 1e-4)")
    a = p.parse_args(argv)

    import torch
    import torch.nn.functional as F
    import strix_models

    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    checkpoint = a.checkpoint
    if os.path.isdir(checkpoint):
        checkpoint = os.path.join(checkpoint, "model.safetensors")
    try:
        model, metadata = strix_models.load_strix_checkpoint(checkpoint, "cpu")
        step, step_metadata = safetensors_io.read(a.step)
        optimizer_name = step_metadata.get("optimizer", "adam")
        images = torch.from_numpy(step["images"].astype(np.float32))
        labels = torch.from_numpy(step["labels"].astype(np.int64))
    except (OSError, ValueError, KeyError) as e:
        print(f"compare_step: {e}", file=sys.stderr)
        return 2

    results = []

    def compare(name, strix_value, torch_value, adam_steps=0, adam_rate=LEARNING_RATE):
        if strix_value is None:
            results.append((name, float("inf"), False))
            print(f"  {name}: missing from the step file  FAIL")
            return
        want = torch_value.detach().double().numpy()
        got = np.asarray(strix_value, dtype=np.float64).reshape(want.shape)
        diff = float(np.max(np.abs(got - want))) if want.size else 0.0
        mean = float(np.mean(np.abs(got - want))) if want.size else 0.0
        scale = max(1e-3, float(np.max(np.abs(want)))) if want.size else 1e-3
        if adam_steps:
            # Adam divides by sqrt(v) + 1e-8: where a gradient is within float32 noise of 0, the two
            # sides may move an element by different fractions of the learning rate. So: the mean
            # difference within the tolerance, and no element further apart than the steps can move it.
            ok = mean <= a.tolerance * scale and diff <= adam_steps * adam_rate
            result = mean / scale
        else:
            ok = diff <= a.tolerance * scale
            result = diff / scale
        results.append((name, result, ok))
        print(f"  {name}: max |difference| {diff:.3g}, mean {mean:.3g} (max |value| {scale:.3g})  {'ok' if ok else 'FAIL'}")

    model.train()
    try:
        optimizer, adam_rate = make_optimizer(torch, optimizer_name, model.parameters())
    except ValueError as e:
        print(f"compare_step: {e}", file=sys.stderr)
        return 2
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    print(f"architecture '{metadata.get('architecture')}', batch of {len(labels)}, optimizer {optimizer_name}, "
          f"PyTorch {torch.__version__}")
    compare("loss", step.get("loss"), loss)
    for name, parameter in model.named_parameters():
        compare("grad." + name, step.get("grad." + name), parameter.grad)
    for name, buffer in model.named_buffers():
        if not name.endswith("num_batches_tracked"):
            compare("after_forward." + name, step.get("after_forward." + name), buffer)
    optimizer.step()
    optimizer.zero_grad()
    F.cross_entropy(model(images), labels).backward()
    optimizer.step()
    for name, parameter in model.named_parameters():
        compare("after_steps." + name, step.get("after_steps." + name), parameter,
                adam_steps=2 if adam_rate else 0, adam_rate=adam_rate or 0.0)

    failed = [r[0] for r in results if not r[2]]
    worst = max(results, key=lambda r: r[1])
    print(f"step: tensors={len(results)} failed={len(failed)} worst={worst[0]} worst_relative={worst[1]:.3g} "
          f"tolerance={a.tolerance:g} result={'PASS' if not failed else 'FAIL'}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
