#!/usr/bin/env python3
"""Cross-checks a strix checkpoint against PyTorch on the MNIST test set.

Loads model.safetensors into the equivalent PyTorch nn.Sequential (strix_models.py), runs the test
images through it with the checkpoint's normalisation (mean/std from its metadata), and compares
with the logits strix wrote for the same images (`strix-mnist eval --export-logits FILE`):

    python3 compare_checkpoint.py --checkpoint ckpt/model.safetensors --data-dir data/mnist \
        --strix-logits logits.safetensors [--target 99.9] [--logit-tolerance 1e-4] [--device auto|cpu|cuda]

Prints the agreement of predicted classes, the largest |logit difference|, both accuracies, and a
last machine-readable line 'compare: key=value ...'. Exit status: 0 agreement >= target and every
logit within tolerance (|difference| <= tolerance * max(1, largest |logit|): float32 sums in another
order differ by far less, a wrong layer or a wrong epsilon by far more); 1 either fails; 2 the inputs
are unusable (missing file, wrong shapes).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mnist_idx  # noqa: E402
import safetensors_io  # noqa: E402


def torch_logits(checkpoint, images, device, batch):
    import torch
    import strix_models

    # Plain float32 on both sides: no TF32 in convolutions or matrix products.
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    model, metadata = strix_models.load_strix_checkpoint(checkpoint, device)
    mean = float(metadata.get("normalization_mean", "0"))
    std = float(metadata.get("normalization_std", "1"))
    x = mnist_idx.normalise(images, mean, std)[:, None, :, :]
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out.append(model(torch.from_numpy(x[i:i + batch]).to(device)).float().cpu().numpy())
    return np.concatenate(out), metadata, device


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", required=True, help="model.safetensors, or the directory holding it")
    p.add_argument("--data-dir", required=True, help="directory with t10k-images-idx3-ubyte(.gz) and labels")
    p.add_argument("--strix-logits", required=True, help="safetensors file from strix-mnist eval --export-logits")
    p.add_argument("--target", type=float, default=99.9, help="agreement needed, in percent (default 99.9)")
    p.add_argument("--logit-tolerance", type=float, default=1e-4,
                   help="largest |logit difference| allowed, relative to max(1, largest |logit|) (default 1e-4)")
    p.add_argument("--device", default="auto", help="auto (cuda when available), cpu or cuda")
    p.add_argument("--batch", type=int, default=1000)
    a = p.parse_args(argv)

    checkpoint = a.checkpoint
    if os.path.isdir(checkpoint):
        checkpoint = os.path.join(checkpoint, "model.safetensors")
    try:
        images, labels = mnist_idx.load(a.data_dir, "test")
        exported, _ = safetensors_io.read(a.strix_logits)
        if "logits" not in exported:
            raise ValueError(f"{a.strix_logits}: no tensor 'logits' (has {', '.join(exported) or 'none'})")
        strix = exported["logits"].astype(np.float32)
        if strix.ndim != 2 or strix.shape[0] != len(images):
            raise ValueError(f"{a.strix_logits}: logits {list(strix.shape)}, expected [{len(images)}, classes]")
        torch_out, metadata, device = torch_logits(checkpoint, images, a.device, a.batch)
    except (OSError, ValueError) as e:
        print(f"compare_checkpoint: {e}", file=sys.stderr)
        return 2
    if torch_out.shape != strix.shape:
        print(f"compare_checkpoint: PyTorch logits {list(torch_out.shape)} != strix {list(strix.shape)}",
              file=sys.stderr)
        return 2

    strix_pred = strix.argmax(axis=1)
    torch_pred = torch_out.argmax(axis=1)
    agreement = 100.0 * float(np.mean(strix_pred == torch_pred))
    diff = np.abs(strix.astype(np.float64) - torch_out.astype(np.float64))
    max_diff = float(diff.max())
    scale = float(np.abs(torch_out).max())
    strix_acc = 100.0 * float(np.mean(strix_pred == labels))
    torch_acc = 100.0 * float(np.mean(torch_pred == labels))
    disagree = np.nonzero(strix_pred != torch_pred)[0]

    print(f"checkpoint {checkpoint}: architecture '{metadata.get('architecture')}', epoch "
          f"{metadata.get('epoch')}, PyTorch on {device}")
    print(f"predicted classes agree on {agreement:.3f}% of {len(labels)} test images "
          f"({len(disagree)} differ{': ' + ', '.join(map(str, disagree[:10])) if len(disagree) else ''})")
    print(f"max |logit difference| {max_diff:.3g} (largest |logit| {scale:.3g}), mean {float(diff.mean()):.3g}")
    print(f"test accuracy: strix {strix_acc:.2f}%, PyTorch {torch_acc:.2f}%")
    allowed = a.logit_tolerance * max(1.0, scale)
    ok = agreement >= a.target and max_diff <= allowed
    if max_diff > allowed:
        print(f"logits differ by more than the tolerance: {max_diff:.3g} > {a.logit_tolerance:g} x "
              f"max(1, {scale:.3g}) = {allowed:.3g}")
    print(f"compare: agreement_pct={agreement:.3f} max_abs_logit_diff={max_diff:.3g} strix_accuracy_pct={strix_acc:.2f} "
          f"torch_accuracy_pct={torch_acc:.2f} target_pct={a.target} logit_tolerance={a.logit_tolerance:g} "
          f"result={'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
