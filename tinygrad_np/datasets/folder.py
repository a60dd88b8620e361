"""Find and read the MNIST files of a local folder: IDX (raw or .gz) or CSV."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .csvfile import read_csv
from .errors import DatasetError
from .idx import read_mnist_idx

CSV_TRAIN = ("mnist_train.csv", "train.csv")
CSV_TEST = ("mnist_test.csv", "test.csv")


@dataclass(frozen=True, eq=False)
class Part:
    """Images ``uint8 (N, 28, 28)`` and labels ``int64 (N,)`` read from `files` (their names, for messages)."""

    images: np.ndarray
    labels: np.ndarray
    files: str


def _idx_names(prefix: str, kind: str) -> list[str]:
    """The accepted names of an IDX file: standard, dot variant, each raw or gzipped."""
    ndim = 3 if kind == "images" else 1
    stems = [f"{prefix}-{kind}-idx{ndim}-ubyte", f"{prefix}-{kind}.idx{ndim}-ubyte"]
    return [stem + suffix for stem in stems for suffix in ("", ".gz")]


def _pick(listing: dict[str, str], names: list[str] | tuple[str, ...]) -> str | None:
    """The folder's actual name of the first of `names` present (compared case-insensitively)."""
    return next((listing[name] for name in names if name in listing), None)


def _idx_part(folder: str, listing: dict[str, str], prefix: str) -> Part | None:
    """The folder's `prefix` ("train" or "t10k") pair of IDX files, None if neither file is there."""
    images, labels = _pick(listing, _idx_names(prefix, "images")), _pick(listing, _idx_names(prefix, "labels"))
    if images is None and labels is None:
        return None
    if images is None or labels is None:
        kind = "images" if images is None else "labels"
        expected = ", ".join(_idx_names(prefix, kind))
        raise DatasetError(f"{folder!r} has {labels or images} but no matching {kind} file (one of {expected})")
    arrays = read_mnist_idx(os.path.join(folder, images), os.path.join(folder, labels))
    return Part(*arrays, files=f"{images} + {labels}")


def read_csv_part(path: str) -> Part:
    """One CSV file as a Part."""
    return Part(*read_csv(path), files=os.path.basename(path))


def load_folder(folder: str) -> tuple[Part, Part | None]:
    """The labelled data of `folder` and its official test part (None if it has none).

    IDX files come first: train-* files are the data and t10k-* files the official test set (t10k
    alone is the data). Otherwise CSV: mnist_train.csv or train.csv is the data and mnist_test.csv or
    test.csv the official test set; a folder with a single CSV file uses it as the data.
    """
    try:
        listing = {name.lower(): name for name in os.listdir(folder) if os.path.isfile(os.path.join(folder, name))}
    except OSError as err:
        raise DatasetError(f"cannot list the folder {folder!r}: {type(err).__name__}: {err.strerror or err}") from None
    train, test = _idx_part(folder, listing, "train"), _idx_part(folder, listing, "t10k")
    if train is not None or test is not None:
        return (train, test) if train is not None else (test, None)
    csv_files = sorted(name for name in listing.values() if name.lower().endswith(".csv"))
    train_name, test_name = _pick(listing, CSV_TRAIN), _pick(listing, CSV_TEST)
    if train_name is None and len(csv_files) == 1:
        train_name, test_name = csv_files[0], None
    if train_name is not None:
        official = read_csv_part(os.path.join(folder, test_name)) if test_name else None
        return read_csv_part(os.path.join(folder, train_name)), official
    if csv_files:
        raise DatasetError(
            f"{folder!r} has several CSV files ({', '.join(csv_files)}) and none named {' or '.join(CSV_TRAIN)}: "
            "rename the training file, or point to a folder holding only it"
        )
    raise DatasetError(
        f"no MNIST files in {folder!r}: expected IDX files ({_idx_names('train', 'images')[0]}, "
        f"{_idx_names('train', 'labels')[0]}, and/or the t10k-* pair; raw or .gz) or CSV files "
        f"({CSV_TRAIN[0]} and optionally {CSV_TEST[0]}, or a single *.csv)"
    )
