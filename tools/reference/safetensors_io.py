"""A tiny safetensors reader and writer in pure Python + NumPy (the `safetensors` package may be absent).

Layout (https://huggingface.co/docs/safetensors): an unsigned 64-bit little-endian header length N,
then N bytes of UTF-8 JSON mapping each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
(offsets relative to the byte after the header) plus an optional "__metadata__" object of strings,
then the raw little-endian tensor bytes.

    tensors, metadata = read("model.safetensors")       # name -> numpy array, str -> str
    write("out.safetensors", {"logits": array}, {"k": "v"})
"""
import json
import struct

import numpy as np

_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_NAMES = {v: k for k, v in _DTYPES.items()}

# Refuse absurd headers before reading them (a wrong file would otherwise ask for gigabytes).
_MAX_HEADER = 100 * 1024 * 1024


class SafeTensorsError(ValueError):
    """A file that is not valid safetensors; the message names the file and the problem."""


def read(path):
    """Returns (tensors, metadata): tensors maps each name to a NumPy array (a copy, native order)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise SafeTensorsError(f"{path}: {len(data)} bytes, too short for a safetensors header")
    (n,) = struct.unpack("<Q", data[:8])
    if n > _MAX_HEADER or 8 + n > len(data):
        raise SafeTensorsError(f"{path}: header length {n} does not fit the file of {len(data)} bytes")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafeTensorsError(f"{path}: header is not UTF-8 JSON ({e})") from e
    metadata = header.pop("__metadata__", None) or {}
    body = memoryview(data)[8 + n:]
    tensors = {}
    for name, entry in header.items():
        dtype = _DTYPES.get(entry.get("dtype"))
        if dtype is None:
            raise SafeTensorsError(f"{path}: tensor '{name}' has unsupported dtype {entry.get('dtype')}")
        shape = tuple(int(d) for d in entry["shape"])
        begin, end = (int(x) for x in entry["data_offsets"])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not (0 <= begin <= end <= len(body)) or end - begin != count * dtype.itemsize:
            raise SafeTensorsError(f"{path}: tensor '{name}' {entry['dtype']}{list(shape)} has data offsets "
                                   f"[{begin}, {end}), which do not match its size or the file")
        array = np.frombuffer(body[begin:end], dtype=dtype).reshape(shape)
        tensors[name] = array.astype(dtype.newbyteorder("="), copy=True)
    return tensors, dict(metadata)


def write(path, tensors, metadata=None):
    """Writes name -> NumPy array (any order, made contiguous little-endian) and string metadata."""
    header = {}
    chunks = []
    offset = 0
    for name, array in tensors.items():
        a = np.ascontiguousarray(array)
        dtype = a.dtype.newbyteorder("<") if a.dtype.itemsize > 1 else a.dtype
        code = _NAMES.get(dtype)
        if code is None:
            raise SafeTensorsError(f"{path}: tensor '{name}' has unsupported dtype {a.dtype}")
        raw = a.astype(dtype, copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # pad so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for raw in chunks:
            f.write(raw)
