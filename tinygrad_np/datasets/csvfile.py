"""MNIST as CSV: a label column then 784 pixel columns (0-255), with or without a header row."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .errors import DatasetError
from .idx import IMAGE_SHAPE, NUM_CLASSES, read_bytes

NUM_PIXELS = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
NUM_COLUMNS = 1 + NUM_PIXELS


def _has_header(path: str) -> bool:
    """Whether the first line is a header: its first cell is not a number."""
    with open(path, "rb") as f:
        first = f.readline(1 << 16).decode("utf-8", errors="replace")
    cell = first.split(",", 1)[0].strip().strip('"').strip()
    try:
        float(cell)
    except ValueError:
        return True
    return False


def _where(mask: np.ndarray, header: bool) -> tuple[int, int, str]:
    """Row and column of the first True in `mask`, and 'line L, column C' (1-based, counting a header line)."""
    row, col = (int(i) for i in np.argwhere(mask)[0])
    return row, col, f"line {row + 1 + header}, column {col + 1}"


def _check_numeric(frame: pd.DataFrame, path: str, header: bool) -> None:
    """Raise DatasetError naming the first bad cell of the first non-numeric column."""
    for j, dtype in enumerate(frame.dtypes):
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            continue
        column = frame.iloc[:, j]
        bad = (pd.to_numeric(column, errors="coerce").isna() & column.notna()).to_numpy()
        if pd.api.types.is_bool_dtype(dtype) or not bad.any():
            bad = np.ones(len(column), dtype=bool)
        row = int(np.argmax(bad))
        raise DatasetError(
            f"{path!r}: non-numeric cell {column.iloc[row]!r} at line {row + 1 + header}, column {j + 1}"
        )


def _check_values(values: np.ndarray, path: str, header: bool) -> None:
    """Raise DatasetError at the first empty, fractional or out-of-range cell."""
    if values.dtype.kind == "f":
        empty = np.isnan(values)
        if empty.any():
            raise DatasetError(
                f"{path!r}: empty or missing cell at {_where(empty, header)[2]} (an empty field, NaN, or a row "
                f"with fewer than {NUM_COLUMNS} fields)"
            )
        fraction = values != np.floor(values)
        if fraction.any():
            row, col, where = _where(fraction, header)
            raise DatasetError(
                f"{path!r}: value {values[row, col]} at {where} is not a whole number; labels are 0-9 and pixels "
                "whole numbers 0-255 (pixels already scaled to [0, 1]? multiply them by 255)"
            )
    high = np.full(values.shape[1], 255)
    high[0] = NUM_CLASSES - 1
    outside = (values < 0) | (values > high)
    if outside.any():
        row, col, where = _where(outside, header)
        what = (
            f"label {values[row, col]} at {where} is outside 0-{NUM_CLASSES - 1}"
            if col == 0
            else (f"pixel value {values[row, col]} at {where} is outside 0-255")
        )
        raise DatasetError(f"{path!r}: {what}")


def read_csv(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read MNIST from a CSV file: images ``uint8 (N, 28, 28)`` and labels ``int64 (N,)``.

    Each row is a label (0-9) then 784 pixel values (0-255, row by row); a first line whose first
    cell is not a number is taken as a header (as in Kaggle's ``label,1x1,...,28x28``). A missing
    file raises FileNotFoundError; a malformed one (not 785 columns, non-numeric or empty cells,
    values out of range, not CSV at all) raises DatasetError naming the file and the first bad cell.
    """
    path = os.fspath(path)
    read_bytes(path)  # existence and readability, with errors naming the path
    header = _has_header(path)
    try:
        # The header row only tells itself apart; the width comes from the first data row.
        frame = pd.read_csv(path, header=None, skiprows=int(header), encoding="utf-8", low_memory=False)
    except pd.errors.EmptyDataError:
        raise DatasetError(f"{path!r} has no data rows") from None
    except (ValueError, OverflowError) as err:  # pandas' ParserError, EmptyDataError and decoding errors
        message = " ".join(str(err).split())[:300]
        raise DatasetError(f"{path!r} is not a readable CSV file ({type(err).__name__}: {message})") from None
    if frame.shape[1] != NUM_COLUMNS:
        raise DatasetError(
            f"{path!r} has {frame.shape[1]} columns; MNIST CSV needs {NUM_COLUMNS}: the label, then "
            f"{NUM_PIXELS} pixel values ({IMAGE_SHAPE[0]}x{IMAGE_SHAPE[1]})"
        )
    if len(frame) == 0:
        raise DatasetError(f"{path!r} has no data rows")
    _check_numeric(frame, path, header)
    values = frame.to_numpy()
    _check_values(values, path, header)
    labels = values[:, 0].astype(np.int64)
    images = values[:, 1:].astype(np.uint8).reshape(len(values), *IMAGE_SHAPE)
    return images, labels
