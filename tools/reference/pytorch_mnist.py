#!/usr/bin/env python3
"""strix's reference network (strix_models.reference_model) trained in PyTorch, for speed comparisons.

Trained the way `strix-mnist bench`/`train --model reference` is: Adam lr 1e-3, batch 128, one epoch,
no augmentation, pixels normalised with MNIST's mean and std. The whole dataset lives on the device as
uint8; each batch is gathered by index and normalised there, so no host work sits inside the epoch.

    python3 pytorch_mnist.py --data-dir data/mnist --mode eager
    python3 pytorch_mnist.py --data-dir data/mnist --mode compile     # torch.compile(mode="max-autotune")

Prints a last machine-readable line:
    pytorch: mode=... device=... batch=128 steps=468 epoch_seconds=... images_per_s=...
             steady_images_per_s=... first_steps_seconds=... test_accuracy_pct=... torch=...
             tf32_conv=0|1 tf32_matmul=0|1   (PyTorch's defaults, which this script keeps: 1 and 0 on CUDA)
epoch_seconds and images_per_s cover the whole epoch (for compile: compilation included);
steady_images_per_s leaves out the first --warmup steps (where compilation and autotuning happen),
first_steps_seconds is the time those took. Exit status 0, or 2 when the device is missing.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mnist_idx  # noqa: E402

MEAN, STD = 0.1307, 0.3081


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", required=True)
    p.add_argument("--mode", choices=["eager", "compile"], default="eager")
    p.add_argument("--compile-mode", default="max-autotune", help="torch.compile mode (default max-autotune)")
    p.add_argument("--device", default="cuda")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--warmup", type=int, default=20, help="steps left out of steady_images_per_s")
    p.add_argument("--limit-steps", type=int, default=0, help="at most this many steps per epoch (0: all)")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)

    import torch
    import strix_models

    if a.device.startswith("cuda") and not torch.cuda.is_available():
        print("pytorch_mnist: CUDA is not available to this PyTorch", file=sys.stderr)
        return 2
    device = torch.device(a.device)
    torch.manual_seed(a.seed)
    torch.backends.cudnn.benchmark = True

    train_x, train_y = mnist_idx.load(a.data_dir, "train")
    test_x, test_y = mnist_idx.load(a.data_dir, "test")
    images = torch.from_numpy(train_x.copy()).to(device)              # uint8 [60000, 28, 28]
    labels = torch.from_numpy(train_y.astype("int64")).to(device)
    test_images = torch.from_numpy(test_x.copy()).to(device)
    test_labels = torch.from_numpy(test_y.astype("int64")).to(device)

    def normalise(u8):
        return ((u8.float() / 255.0 - MEAN) / STD).unsqueeze(1)

    model = strix_models.reference_model().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    net = torch.compile(model, mode=a.compile_mode) if a.mode == "compile" else model

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    steps = len(images) // a.batch  # the last partial batch is dropped, as strix's trainer does
    if a.limit_steps > 0:
        steps = min(steps, a.limit_steps)
    warmup = min(a.warmup, max(0, steps - 1))
    generator = torch.Generator(device=device)
    generator.manual_seed(a.seed)
    epoch_seconds = []
    first_steps_seconds = 0.0
    steady_seconds = 0.0
    loss = None
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(len(images), device=device, generator=generator)
        sync()
        start = time.perf_counter()
        steady_start = start
        for step in range(steps):
            if step == warmup:
                sync()
                steady_start = time.perf_counter()
                if epoch == 0:
                    first_steps_seconds = steady_start - start
            index = order[step * a.batch:(step + 1) * a.batch]
            x = normalise(images[index])
            y = labels[index]
            loss = loss_fn(net(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        sync()
        end = time.perf_counter()
        epoch_seconds.append(end - start)
        if epoch == 0:
            steady_seconds = end - steady_start

    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(test_images), 1000):
            logits = model(normalise(test_images[i:i + 1000]))
            correct += int((logits.argmax(dim=1) == test_labels[i:i + 1000]).sum())
    accuracy = 100.0 * correct / len(test_images)

    first = epoch_seconds[0]
    rate = steps * a.batch / first
    steady = (steps - warmup) * a.batch / steady_seconds if steady_seconds > 0 else float("nan")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    # PyTorch's own defaults, left as they are: cuDNN convolutions may use TF32 (allow_tf32 is on by
    # default), matrix products may not. strix's default is strict float32 for both (--tf32 to allow).
    tf32_conv = int(device.type == "cuda" and torch.backends.cudnn.allow_tf32)
    tf32_matmul = int(device.type == "cuda" and torch.backends.cuda.matmul.allow_tf32)
    print(f"PyTorch {torch.__version__} {a.mode}{' (' + a.compile_mode + ')' if a.mode == 'compile' else ''} on "
          f"{name}: epoch of {steps} steps x {a.batch} in {first:.2f} s ({rate:,.0f} images/s; "
          f"{steady:,.0f} images/s after {warmup} warm-up steps that took {first_steps_seconds:.2f} s); "
          f"last loss {float(loss):.4f}; test accuracy {accuracy:.2f}%")
    print(f"pytorch: mode={a.mode} device={device.type} batch={a.batch} steps={steps} epoch_seconds={first:.3f} "
          f"images_per_s={rate:.0f} steady_images_per_s={steady:.0f} first_steps_seconds={first_steps_seconds:.3f} "
          f"test_accuracy_pct={accuracy:.2f} torch={torch.__version__} tf32_conv={tf32_conv} "
          f"tf32_matmul={tf32_matmul}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
