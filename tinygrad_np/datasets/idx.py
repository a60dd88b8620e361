"""IDX files (the format MNIST ships in), raw or gzip-compressed, parsed with `np.frombuffer`."""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy as np

from .errors import DatasetError

# IDX type codes (third byte of the magic number) and the big-endian dtypes they stand for.
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MAGIC_IMAGES = 0x00000803  # unsigned bytes, 3 dimensions (count, rows, columns)
MAGIC_LABELS = 0x00000801  # unsigned bytes, 1 dimension (count)
IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10


def read_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of the file at `path`; a missing or unreadable file gives an error naming it."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"data file {path!r} does not exist")
    if os.path.isdir(path):
        raise DatasetError(f"{path!r} is a folder, expected a data file")
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as err:
        raise DatasetError(f"cannot read {path!r}: {type(err).__name__}: {err.strerror or err}") from None


def _decompress(data: bytes, path: str) -> bytes:
    """`data` gunzipped if it starts with the gzip magic bytes, else as it is."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise DatasetError(f"{path!r} is not a valid gzip file ({type(err).__name__}: {err})") from None


def parse_idx(data: bytes, path: str) -> tuple[int, np.ndarray]:
    """The magic number and the array of one IDX file's bytes (already decompressed)."""
    if len(data) < 4:
        raise DatasetError(f"{path!r} is truncated: {len(data)} bytes, fewer than the 4-byte IDX magic number")
    magic = int.from_bytes(data[:4], "big")
    code, ndim = data[2], data[3]
    if data[0] or data[1] or code not in IDX_DTYPES or ndim == 0:
        raise DatasetError(
            f"{path!r} is not an IDX file: wrong magic number 0x{magic:08X} (IDX starts with two zero bytes, "
            f"a type code in {{{', '.join(f'0x{c:02X}' for c in IDX_DTYPES)}}} and a dimension count >= 1; "
            f"MNIST images are 0x{MAGIC_IMAGES:08X}, labels 0x{MAGIC_LABELS:08X})"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(
            f"{path!r} is truncated: its magic number promises {ndim} dimension sizes ({header} header bytes), "
            f"the file has {len(data)} bytes"
        )
    dims = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(IDX_DTYPES[code])
    count = math.prod(dims)
    promised, present = count * dtype.itemsize, len(data) - header
    if present != promised:
        problem = "is truncated" if present < promised else f"has {present - promised:,} bytes too many"
        raise DatasetError(
            f"{path!r} {problem}: its header promises dimensions {dims}, {promised:,} data bytes, "
            f"and the file has {present:,} after the {header}-byte header"
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(dims)
    return magic, array.astype(dtype.newbyteorder("="))  # a writable copy in native byte order


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (raw or gzip-compressed, told apart by the gzip magic bytes) into an array.

    The array has the file's dimensions and its element type (``uint8`` for MNIST). A missing file
    raises FileNotFoundError; a file that is not valid IDX (wrong magic number, truncated, extra
    bytes, broken gzip) raises DatasetError naming the file.
    """
    path = os.fspath(path)
    return parse_idx(_decompress(read_bytes(path), path), path)[1]


def _read_expecting(path: str, magic: int, what: str) -> np.ndarray:
    """An IDX file that must have the given magic number."""
    found, array = parse_idx(_decompress(read_bytes(path), path), path)
    if found != magic:
        raise DatasetError(
            f"{path!r} has magic number 0x{found:08X} (type 0x{(found >> 8) & 0xFF:02X}, {found & 0xFF} dimensions); "
            f"an IDX {what} file has 0x{magic:08X}"
        )
    return array


def check_labels(labels: np.ndarray, where: str, item: str = "item") -> None:
    """Raise DatasetError unless every label is a class id 0-9; name the first bad one and where it is."""
    bad = np.flatnonzero((labels < 0) | (labels >= NUM_CLASSES))
    if bad.size:
        i = int(bad[0])
        raise DatasetError(
            f"{where}: label {labels[i]} at {item} {i} is outside 0-{NUM_CLASSES - 1} "
            f"({bad.size:,} labels out of range)"
        )


def read_mnist_idx(images_path: str | os.PathLike, labels_path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST pair of IDX files: images ``uint8 (N, 28, 28)`` and labels ``int64 (N,)``.

    Checks the magic numbers, the 28x28 image size, that both files hold the same number of items
    and that every label is 0-9; each failure is a DatasetError naming the file.
    """
    images_path, labels_path = os.fspath(images_path), os.fspath(labels_path)
    images = _read_expecting(images_path, MAGIC_IMAGES, "image")
    if images.shape[1:] != IMAGE_SHAPE:
        raise DatasetError(
            f"{images_path!r} holds {images.shape[1]}x{images.shape[2]} images; MNIST images are "
            f"{IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]}"
        )
    labels = _read_expecting(labels_path, MAGIC_LABELS, "label").astype(np.int64)
    if len(images) != len(labels):
        raise DatasetError(
            f"image and label counts disagree: {images_path!r} has {len(images):,} images, "
            f"{labels_path!r} has {len(labels):,} labels"
        )
    check_labels(labels, labels_path)
    return images, labels
