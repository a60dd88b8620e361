"""Argument checks shared by the public API: each raises TypeError/ValueError naming the
function, the argument, what was expected and what came."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np


def describe(value: Any) -> str:
    """A short description of `value` for error messages."""
    if isinstance(value, np.ndarray) or hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return text if isinstance(value, (int, float, str, type(None))) else f"{type(value).__name__} {text}"


def is_int(value: Any) -> bool:
    """True for Python and NumPy integers, not bools (the plain int test first: it is on hot paths)."""
    return type(value) is int or (isinstance(value, numbers.Integral) and not isinstance(value, bool))


def check_int(fn: str, name: str, value: Any, minimum: int | None = None) -> int:
    """`value` as an int (bools refused), at least `minimum` when given."""
    if not is_int(value):
        raise TypeError(f"{fn}: `{name}` must be an int, got {describe(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{fn}: `{name}` must be >= {minimum}, got {value}")
    return int(value)


def check_number(fn: str, name: str, value: Any, minimum: float | None = None, exclusive: bool = False) -> float:
    """`value` as a finite float, above (or at least) `minimum` when given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: `{name}` must be a number, got {describe(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{fn}: `{name}` must be finite, got {value}")
    if minimum is not None and (value <= minimum if exclusive else value < minimum):
        raise ValueError(f"{fn}: `{name}` must be {'>' if exclusive else '>='} {minimum}, got {value}")
    return value


def check_pair(fn: str, name: str, value: Any, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each at least `minimum`, as a pair."""
    items = value if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not (is_int(items[0]) and is_int(items[1])):
        raise TypeError(f"{fn}: `{name}` must be an int or a pair of ints, got {describe(value)}")
    if min(items) < minimum:
        raise ValueError(f"{fn}: `{name}` must be >= {minimum} (an int or a pair of them), got {value!r}")
    return int(items[0]), int(items[1])


def check_choice(fn: str, name: str, value: Any, options: Iterable[str]) -> str:
    """`value`, which must be one of `options`."""
    options = tuple(options)
    if value not in options:
        raise ValueError(f"{fn}: `{name}` must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value


def check_ndim(fn: str, name: str, shape: tuple[int, ...], ndim: int, layout: str) -> None:
    """Refuse an array whose number of dimensions is not `ndim` (layout names the axes)."""
    if len(shape) != ndim:
        raise ValueError(f"{fn}: `{name}` must be {ndim}-D {layout}, got shape {shape}")


def check_float(fn: str, name: str, dtype: np.dtype) -> None:
    """Refuse non-floating arrays where values are differentiated."""
    if dtype.kind != "f":
        raise TypeError(f"{fn}: `{name}` must have a floating dtype (float32 or float64), got {dtype}")


def class_targets(
    fn: str,
    target: Any,
    n: int,
    num_classes: int,
    allow_probabilities: bool,
    name: str = "target",
    ignore_index: int | None = None,
) -> np.ndarray:
    """Validate class targets: int indices (N,), or one-hot rows (N, K), returned as indices;
    with `allow_probabilities`, 2-D rows of any finite weights are returned as they are.
    Indices equal to `ignore_index` (when given) may lie outside [0, K)."""
    data = np.asarray(getattr(target, "data", target))
    if data.ndim == 1:
        if data.dtype.kind not in "iu":
            raise TypeError(
                f"{fn}: `{name}` of class indices must have an integer dtype, got {data.dtype} "
                "(one-hot targets must be 2-D (N, K))"
            )
        if len(data) != n:
            raise ValueError(f"{fn}: `{name}` must have one label per sample ({n}), got {len(data)}")
        counted = data if ignore_index is None else data[data != ignore_index]
        if len(counted) and (counted.min() < 0 or counted.max() >= num_classes):
            bad = counted[(counted < 0) | (counted >= num_classes)][0]
            raise ValueError(f"{fn}: `{name}` class indices must be in [0, {num_classes - 1}], got {bad}")
        return data.astype(np.int64, copy=False)
    if data.ndim == 2:
        if data.shape != (n, num_classes):
            raise ValueError(
                f"{fn}: 2-D `{name}` must have shape {(n, num_classes)} (one row per sample), got {data.shape}"
            )
        if data.dtype.kind not in "biuf" or not np.isfinite(data.sum()):
            raise ValueError(f"{fn}: one-hot/probability `{name}` must be finite numbers")
        if allow_probabilities:
            return data
        if not (np.all((data == 0) | (data == 1)) and np.all(data.sum(axis=1) == 1)):
            raise ValueError(f"{fn}: 2-D `{name}` must be one-hot (a single 1 per row)")
        return data.argmax(axis=1)
    raise ValueError(f"{fn}: `{name}` must be class indices (N,) or one-hot rows (N, K), got shape {data.shape}")
