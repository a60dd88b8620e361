"""The original design's pipeline: one labelled DataFrame, a stratified split, scaling, reshaping, one-hot."""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.utils import resample

from .idx import IMAGE_SHAPE, NUM_CLASSES

PIXEL_COLUMNS = [f"{row}x{col}" for row in range(1, IMAGE_SHAPE[0] + 1) for col in range(1, IMAGE_SHAPE[1] + 1)]


def to_frame(images: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """One labelled DataFrame: a ``label`` column then 784 pixel columns named as in Kaggle's CSV (1x1 ... 28x28)."""
    table = np.column_stack([labels.astype(np.uint8), images.reshape(len(images), -1)])
    return pd.DataFrame(table, columns=["label", *PIXEL_COLUMNS])


def subsample(frame: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """`size` rows drawn without replacement, keeping the class proportions (seeded)."""
    rows = resample(np.arange(len(frame)), replace=False, n_samples=size, stratify=frame["label"], random_state=seed)
    return frame.iloc[np.sort(rows)]


def split(frame: pd.DataFrame, test_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified `train_test_split` of `frame`, after checking every class can be on both sides."""
    counts = frame["label"].value_counts()
    if counts.min() < 2:
        raise ValueError(
            f"load_mnist: class {counts.idxmin()} has only 1 of the {len(frame):,} images; a stratified split needs "
            "at least 2 of each class: use more data (a larger `limit`)"
        )
    n_test = math.ceil(test_size * len(frame))
    if min(n_test, len(frame) - n_test) < len(counts):
        raise ValueError(
            f"load_mnist: `test_size`={test_size:g} of {len(frame):,} images gives {n_test:,} test and "
            f"{len(frame) - n_test:,} train images; a stratified split needs at least one image of each of the "
            f"{len(counts)} classes on each side: use more data (a larger `limit`) or a test_size nearer 0.5"
        )
    return train_test_split(frame, test_size=test_size, stratify=frame["label"], random_state=seed)


def to_arrays(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Images ``float32 (N, 28, 28, 1)`` scaled to [0, 1] (channels-last) and labels ``int64 (N,)``."""
    pixels = np.ascontiguousarray(frame[PIXEL_COLUMNS].to_numpy(dtype=np.float32)) / np.float32(255)
    return pixels.reshape(len(frame), *IMAGE_SHAPE, 1), frame["label"].to_numpy(dtype=np.int64)


def one_hot(labels: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """One-hot encode class ids: ``float32 (N, num_classes)`` with a 1 at each row's label.

    `labels` must be a 1-D array (or sequence) of integers in ``0 .. num_classes - 1``; anything else
    raises ValueError naming `labels`, the first bad value and the allowed range.
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
        raise ValueError(f"one_hot: `num_classes` must be an integer >= 1, got {num_classes!r}")
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"one_hot: `labels` must be 1-D (one class id per sample), got shape {array.shape}")
    if array.size and (array.dtype == bool or not np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"one_hot: `labels` must be integers 0-{num_classes - 1}, got dtype {array.dtype}")
    bad = np.flatnonzero((array < 0) | (array >= num_classes))
    if bad.size:
        raise ValueError(
            f"one_hot: `labels` must be in 0-{num_classes - 1} (num_classes={num_classes}), "
            f"got {array[bad[0]]} at index {bad[0]}"
        )
    encoded = np.zeros((array.size, num_classes), dtype=np.float32)
    encoded[np.arange(array.size), array.astype(np.int64, copy=False)] = 1.0
    return encoded
