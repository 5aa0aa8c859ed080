"""PyTorch equivalents of strix-mnist's architectures (dev.strix.mnist.train.Architectures).

The layer order is the same as in strix's Sequential, so the state_dict names ("0.weight",
"1.running_mean", ...) and layouts (conv [out, in, kh, kw], linear [out, in]) are identical and a
strix checkpoint loads with load_strix_checkpoint(). BatchNorm uses PyTorch's defaults, as strix does
(eps 1e-5, momentum 0.1). strix keeps no num_batches_tracked: it is filled in as 0 when loading.
"""
import torch
from torch import nn

import safetensors_io


def default_model():
    """Architectures.DEFAULT: conv-BN-ReLU x2, max-pool, conv-BN-ReLU x2, max-pool, dense-BN-ReLU, dense."""

    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(
        *block(1, 32),           # 0 conv, 1 bn, 2 relu  -> [32, 26, 26]
        *block(32, 32),          # 3, 4, 5               -> [32, 24, 24]
        nn.MaxPool2d(2),         # 6                     -> [32, 12, 12]
        *block(32, 64),          # 7, 8, 9               -> [64, 10, 10]
        *block(64, 64),          # 10, 11, 12            -> [64, 8, 8]
        nn.MaxPool2d(2),         # 13                    -> [64, 4, 4]
        nn.Flatten(),            # 14                    -> 1024
        nn.Linear(1024, 128, bias=False),  # 15
        nn.BatchNorm1d(128),     # 16
        nn.ReLU(),               # 17
        nn.Linear(128, 10),      # 18 logits
    )


def reference_model():
    """Architectures.REFERENCE: conv 32 ReLU pool, conv 64 ReLU pool, dense 128 ReLU, dense 10."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3),     # 0 -> [32, 26, 26]
        nn.ReLU(),               # 1
        nn.MaxPool2d(2),         # 2 -> [32, 13, 13]
        nn.Conv2d(32, 64, 3),    # 3 -> [64, 11, 11]
        nn.ReLU(),               # 4
        nn.MaxPool2d(2),         # 5 -> [64, 5, 5]
        nn.Flatten(),            # 6 -> 1600
        nn.Linear(1600, 128),    # 7
        nn.ReLU(),               # 8
        nn.Linear(128, 10),      # 9 logits
    )


ARCHITECTURES = {"default": default_model, "reference": reference_model}


def build(architecture):
    """The model for a checkpoint's 'architecture' metadata value."""
    try:
        return ARCHITECTURES[architecture]()
    except KeyError:
        raise ValueError(f"unknown architecture '{architecture}'; known: {', '.join(ARCHITECTURES)}") from None


def load_strix_checkpoint(path, device="cpu"):
    """Returns (model in eval mode, metadata) for a strix model.safetensors (strict name/shape check)."""
    tensors, metadata = safetensors_io.read(path)
    if "architecture" not in metadata:
        raise ValueError(f"{path}: not a strix-mnist checkpoint (no 'architecture' in its metadata)")
    model = build(metadata["architecture"])
    expected = model.state_dict()
    state = {}
    for name, value in expected.items():
        if name.endswith("num_batches_tracked") and name not in tensors:
            state[name] = torch.zeros_like(value)
            continue
        if name not in tensors:
            raise ValueError(f"{path}: missing tensor '{name}' for architecture '{metadata['architecture']}'")
        t = torch.from_numpy(tensors[name])
        if tuple(t.shape) != tuple(value.shape):
            raise ValueError(f"{path}: tensor '{name}' has shape {list(t.shape)}, the model needs {list(value.shape)}")
        state[name] = t.to(value.dtype)
    unexpected = sorted(set(tensors) - set(expected))
    if unexpected:
        raise ValueError(f"{path}: tensors the model does not have: {', '.join(unexpected)}")
    model.load_state_dict(state, strict=True)
    return model.to(device).eval(), metadata
