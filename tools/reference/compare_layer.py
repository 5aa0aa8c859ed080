#!/usr/bin/env python3
"""Checks one strix layer's forward and backward pass against PyTorch (torch.nn.functional + autograd).

strix writes (PyTorchLayerTest) a file holding the layer's input 'x', the upstream gradient 'dy', and
what strix computed: the output 'y' and the input gradient 'dx', and for a convolution also its
'weight' [O, C, KH, KW], 'bias' [O] (when it has one) and their gradients 'dweight', 'dbias'. The
file's metadata says which layer it was:
  layer=conv2d   stride_h, stride_w, padding_h, padding_w   (zero padding, cross-correlation)
  layer=maxpool2d kernel_h, kernel_w, stride_h, stride_w    (no padding, floor)

    python3 compare_layer.py FILE... [--tolerance 1e-5]

Each tensor passes when max |strix - PyTorch| <= tolerance * max(1, max |PyTorch|). Prints one line
per tensor, then 'layers: key=value ... result=PASS|FAIL' over all files. Exit status: 0 all pass,
1 some fail, 2 an unusable file.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="+", help="layer files strix wrote")
    p.add_argument("--tolerance", type=float, default=1e-5, help="relative tolerance (default 1e-5)")
    a = p.parse_args(argv)

    import torch

    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    failed_files = []
    worst = 0.0
    for file in a.files:
        try:
            result = compare_file(torch, file, a.tolerance)
        except (OSError, ValueError, KeyError) as e:
            print(f"compare_layer: {file}: {e}", file=sys.stderr)
            return 2
        if result is None:
            return 2
        ok, file_worst = result
        worst = max(worst, file_worst)
        if not ok:
            failed_files.append(file)
    print(f"layers: files={len(a.files)} failed={len(failed_files)} worst_relative={worst:.3g} "
          f"tolerance={a.tolerance:g} result={'PASS' if not failed_files else 'FAIL'}")
    return 0 if not failed_files else 1


def compare_file(torch, file, tolerance):
    """(all tensors pass, worst relative difference) for one layer file, or None when it is unusable."""
    import torch.nn.functional as F

    t, meta = safetensors_io.read(file)
    layer = meta["layer"]
    x = torch.from_numpy(t["x"].astype(np.float64)).requires_grad_(True)
    dy = torch.from_numpy(t["dy"].astype(np.float64))
    number = {k: int(v) for k, v in meta.items() if k not in ("layer", "what")}
    # In double precision: the reference is then exact enough that the whole difference is strix's.
    if layer == "conv2d":
        w = torch.from_numpy(t["weight"].astype(np.float64)).requires_grad_(True)
        b = torch.from_numpy(t["bias"].astype(np.float64)).requires_grad_(True) if "bias" in t else None
        y = F.conv2d(x, w, b, stride=(number["stride_h"], number["stride_w"]),
                     padding=(number["padding_h"], number["padding_w"]))
        y.backward(dy)
        expected = {"y": y, "dx": x.grad, "dweight": w.grad}
        if b is not None:
            expected["dbias"] = b.grad
    elif layer == "maxpool2d":
        y = F.max_pool2d(x, (number["kernel_h"], number["kernel_w"]), (number["stride_h"], number["stride_w"]))
        y.backward(dy)
        expected = {"y": y, "dx": x.grad}
    else:
        print(f"compare_layer: {file}: unknown layer '{layer}'", file=sys.stderr)
        return None

    ok = True
    worst = 0.0
    print(f"{meta.get('what', layer)}: x {list(x.shape)}")
    for name, want_t in expected.items():
        want = want_t.detach().numpy()
        if name not in t:
            print(f"  {name}: missing from the file  FAIL")
            ok = False
            continue
        got = t[name].astype(np.float64)
        if got.shape != want.shape:
            print(f"  {name}: shape {list(got.shape)}, PyTorch {list(want.shape)}  FAIL")
            ok = False
            continue
        diff = float(np.max(np.abs(got - want))) if want.size else 0.0
        scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
        passed = diff <= tolerance * scale
        worst = max(worst, diff / scale)
        print(f"  {name} {list(want.shape)}: max |difference| {diff:.3g} (max |value| {scale:.3g})  "
              f"{'ok' if passed else 'FAIL'}")
        ok = ok and passed
    return ok, worst

if __name__ == "__main__":
    sys.exit(main())
