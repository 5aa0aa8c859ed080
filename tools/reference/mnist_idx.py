"""Reads MNIST's IDX files (raw or .gz) into NumPy arrays: images uint8 [n, rows, cols], labels uint8 [n]."""
import gzip
import os
import struct

import numpy as np

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _open(directory, stem):
    for name, opener in ((stem + ".gz", gzip.open), (stem, open)):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path, opener(path, "rb")
    raise FileNotFoundError(f"{directory}: neither {stem}.gz nor {stem} exists")


def read_idx(directory, stem, expected_magic):
    path, f = _open(directory, stem)
    with f:
        data = f.read()
    if len(data) < 4:
        raise ValueError(f"{path}: too short for an IDX header")
    (magic,) = struct.unpack(">I", data[:4])
    if magic != expected_magic:
        raise ValueError(f"{path}: IDX magic 0x{magic:08x}, expected 0x{expected_magic:08x}")
    rank = magic & 0xFF
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {list(dims)} ({int(np.prod(dims))} bytes), file holds {body.size}")
    return body.reshape(dims)


def load(directory, split):
    """(images uint8 [n, 28, 28], labels uint8 [n]) of split 'train' or 'test'."""
    images_stem, labels_stem = FILES[split]
    images = read_idx(directory, images_stem, 0x00000803)
    labels = read_idx(directory, labels_stem, 0x00000801)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{directory}: {images.shape[0]} {split} images but {labels.shape[0]} labels")
    return images, labels


def normalise(images_u8, mean, std):
    """strix's Normalization.apply in float32: (pixel / 255 - mean) / std, each step rounded to float32."""
    x = images_u8.astype(np.float32) / np.float32(255.0)
    return (x - np.float32(mean)) / np.float32(std)
