"""`load_mnist`: MNIST from Kaggle, the bundled test set or a local folder, split as the original design does."""

from __future__ import annotations

import contextlib
import math
import numbers
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import as_file, files

import numpy as np

from . import kaggle
from . import split as splits
from .errors import DatasetError, DatasetUnavailableError
from .folder import Part, load_folder, read_csv_part
from .idx import NUM_CLASSES, read_mnist_idx

SOURCES = ("auto", "kaggle", "bundled")
SPLITS = ("random", "official")
BUNDLED_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
BUNDLED_WHAT = "the original MNIST test set"
MIN_LIMIT = 2 * NUM_CLASSES


@dataclass(frozen=True, eq=False, repr=False)
class MNIST:
    """A loaded, split MNIST.

    Images are ``float32 (N, 28, 28, 1)`` in [0, 1], labels ``int64 (N,)``. `official_test` is the
    source's own test file as ``(images, labels)`` when it has one (Kaggle's mnist_test.csv, a
    folder's t10k-* files next to train-* ones), else None; with split="official" it is also
    (X_test, y_test). `source` is the source actually used: "kaggle", "bundled" (also when "auto"
    fell back to it) or the path given; `description` is one line saying what the data is and how
    it was split.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    official_test: tuple[np.ndarray, np.ndarray] | None
    source: str
    description: str

    def __repr__(self) -> str:
        official = None if self.official_test is None else len(self.official_test[1])
        return (
            f"MNIST(source={self.source!r}, train={len(self.y_train)}, test={len(self.y_test)}, "
            f"official_test={official})"
        )


def _check_args(test_size: object, seed: object, limit: object, timeout: object, log: object, split: object) -> None:
    """ValueError naming the first bad argument, what was expected and what came."""

    def real(value: object) -> bool:
        return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)

    def integer(value: object) -> bool:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)

    checks = [
        ("test_size", test_size, real(test_size) and 0 < test_size < 1, "a number strictly between 0 and 1"),
        ("seed", seed, integer(seed) and 0 <= seed < 2**32, "an integer in 0 .. 2**32 - 1"),
        ("limit", limit, limit is None or (integer(limit) and limit >= MIN_LIMIT),
         f"None or an integer >= {MIN_LIMIT} (two images per class)"),
        ("timeout", timeout, real(timeout) and timeout > 0, "a number of seconds > 0"),
        ("log", log, log is None or callable(log), "None or a callable taking one string"),
        ("split", split, split in SPLITS, " or ".join(map(repr, SPLITS))),
    ]  # fmt: skip
    for name, value, ok, expected in checks:
        if not ok:
            raise ValueError(f"load_mnist: `{name}` must be {expected}, got {value!r}")


def _bundled() -> tuple[Part, Part | None, str]:
    """The bundled t10k files (package data) as the labelled data."""
    folder = files("tinygrad_np") / "data"
    with contextlib.ExitStack() as stack:
        images, labels = (stack.enter_context(as_file(folder / name)) for name in BUNDLED_FILES)
        part = Part(*read_mnist_idx(images, labels), files="t10k IDX files")
    return part, None, f"bundled: {BUNDLED_WHAT} ({len(part.labels):,} images, t10k IDX files)"


def _kaggle(timeout: float) -> tuple[Part, Part | None, str]:
    """Kaggle's mnist-in-csv (pinned version) through kagglehub and its cache."""
    main, official = load_folder(kaggle.download_mnist(timeout))
    return main, official, f"kaggle: {kaggle.KAGGLE_HANDLE}, {main.files} ({len(main.labels):,} images)"


def _local(path: str) -> tuple[Part, Part | None, str]:
    """A folder of IDX or CSV files, or one CSV file."""
    if os.path.isdir(path):
        main, official = load_folder(path)
    elif path.lower().endswith(".csv"):
        main, official = read_csv_part(path), None
    else:
        raise DatasetError(f"{path!r} is a file; expected a folder of MNIST IDX or CSV files, or one .csv file")
    return main, official, f"{path}: {main.files} ({len(main.labels):,} images)"


def _read_source(source: str | os.PathLike, timeout: float, log: Callable[[str], None] | None):
    """(labelled part, official test part or None, origin line, short source name) for `source`."""
    if isinstance(source, str) and source in SOURCES:
        if source == "bundled":
            return (*_bundled(), "bundled")
        try:
            return (*_kaggle(timeout), "kaggle")
        except (DatasetUnavailableError, DatasetError) as err:
            if source == "kaggle" and isinstance(err, DatasetError):
                raise  # a bad file in kagglehub's cache: the message names it
            if source == "kaggle":
                raise DatasetUnavailableError(
                    f"{err}. Use source='bundled' (--data bundled: {BUNDLED_WHAT}, 10,000 images shipped with "
                    f"tinygrad_np) or a folder of MNIST files; a kagglehub cache holding {kaggle.KAGGLE_HANDLE} "
                    "also works offline"
                ) from err
            if log is not None:
                reason = str(err) if isinstance(err, DatasetUnavailableError) else f"Kaggle data unusable ({err})"
                log(kaggle.one_line(f"{reason}; using the bundled MNIST data: {BUNDLED_WHAT}, 10,000 images", 400))
            return (*_bundled(), "bundled")
    if not isinstance(source, (str, os.PathLike)):
        raise ValueError(f"load_mnist: `source` must be one of {SOURCES} or a folder path, got {source!r}")
    path = os.path.expanduser(os.fspath(source))
    if not os.path.exists(path):
        if isinstance(source, str) and not any(sep in path for sep in ("/", os.sep, ".")):
            raise ValueError(
                f"load_mnist: `source` must be one of {SOURCES} or a path to a folder of MNIST files, "
                f"got {source!r} (no such folder either)"
            )
        raise FileNotFoundError(f"load_mnist: `source` path {path!r} does not exist (give a folder or a CSV file)")
    return (*_local(path), os.fspath(source))


def load_mnist(
    source: str | os.PathLike = "auto",
    test_size: float = 0.2,
    seed: int = 0,
    limit: int | None = None,
    timeout: float = 15.0,
    log: Callable[[str], None] | None = print,
    split: str = "random",
) -> MNIST:
    """Load MNIST, optionally subsample it, and split it into train and test sets (stratified, seeded).

    `source`:
      - "auto" (default): Kaggle, else the bundled data, saying why in one line through `log`;
      - "kaggle": Kaggle's ``oddrationale/mnist-in-csv`` (pinned version) via kagglehub and its cache;
        DatasetUnavailableError when it cannot be had;
      - "bundled": the original MNIST test set (10,000 images) shipped with the package;
      - a path to a folder of MNIST IDX files (``train-images-idx3-ubyte`` etc., raw or .gz, t10k-* as the
        official test set) or CSV files (label + 784 pixel columns, with or without header:
        ``mnist_train.csv`` / ``mnist_test.csv``, or a single ``*.csv``), or to one CSV file.

    The source's training part becomes one labelled DataFrame, drawn down to `limit` rows keeping
    the class proportions (seeded) if `limit` is given, then split with scikit-learn's
    ``train_test_split(test_size=test_size, stratify=labels, random_state=seed)``. With
    split="official" there is no such split: all of the (limited) training part is the training set
    and the source's own test file is the test set (`test_size` is not used); a source without one
    (the bundled data, a single CSV, a folder of t10k-* files only) raises DatasetError. `timeout` is how
    many seconds Kaggle may go without answering or delivering bytes. Bad files raise DatasetError
    naming the file; bad arguments raise ValueError naming the argument.
    """
    _check_args(test_size, seed, limit, timeout, log, split)
    main, official, origin, name = _read_source(source, float(timeout), log)
    if split == "official" and official is None:
        what = f"it is {BUNDLED_WHAT} itself" if name == "bundled" else "it has no test file"
        raise DatasetError(
            f"load_mnist: split='official' needs a source with its own test set (Kaggle's mnist_test.csv, a "
            f"folder's t10k-* files next to train-* ones, mnist_test.csv next to mnist_train.csv), but {name!r} "
            f"({origin}) has none: {what}. Use split='random' (a stratified split of its images)"
        )
    frame = splits.to_frame(main.images, main.labels)
    if limit is not None:
        if limit > len(frame):
            raise ValueError(
                f"load_mnist: `limit` must be at most the {len(frame):,} images of {name} ({origin}), got {limit!r}"
            )
        if limit < len(frame):
            frame = splits.subsample(frame, int(limit), int(seed))
            origin += f", {len(frame):,} of them drawn (limit, stratified)"
    official_test = None
    if official is not None:
        official_test = splits.to_arrays(splits.to_frame(official.images, official.labels))
    if split == "official":
        X_train, y_train = splits.to_arrays(frame)
        X_test, y_test = official_test
        description = (
            f"{origin}; official split: {len(y_train):,} train / {len(y_test):,} test, the test set being "
            f"the official test file {official.files}"
        )
        return MNIST(X_train, y_train, X_test, y_test, official_test, name, description)
    train, test = splits.split(frame, float(test_size), int(seed))
    X_train, y_train = splits.to_arrays(train)
    X_test, y_test = splits.to_arrays(test)
    description = f"{origin}, split {len(train):,} train / {len(test):,} test, stratified, seed {seed}"
    if official is not None:
        description += f"; official test set: {official.files} ({len(official.labels):,} images)"
    return MNIST(X_train, y_train, X_test, y_test, official_test, name, description)
