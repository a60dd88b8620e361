"""Samples for the reduce ops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .common import Sample, _torch, distinct, normal


def reduction(torch_name: str, make: Callable[..., np.ndarray] = normal, **extra: Any) -> list[Sample]:
    """The standard axis/keepdims cases of a reduction; `extra` are keyword constants for both libraries."""

    def case(desc: str, axis: Any, keepdims: bool, shape: tuple[int, ...] = (3, 4, 5)) -> Sample:
        def ref(x):
            dim = tuple(range(x.ndim)) if axis is None else axis
            return getattr(x, torch_name)(dim=dim, keepdim=keepdims, **extra)

        return Sample(desc, (make(*shape),), {"axis": axis, "keepdims": keepdims, **extra}, ref)

    return [
        case("all axes", None, False),
        case("all axes keepdims", None, True),
        case("axis 1", 1, False),
        case("axis -1 keepdims", -1, True),
        case("axes (0, 2)", (0, 2), False),
        case("vector", 0, False, (4,)),
        case("0-D, axis 0", 0, False, ()),
        case("0-D, axis -1 keepdims", -1, True, ()),
    ]


def variance(torch_name: str) -> list[Sample]:
    """var/std: the standard cases (0-D ones with correction 0: one element), and other corrections."""
    def ref(axis: Any, keepdims: bool = False, correction: float = 1):
        return lambda x: getattr(x, torch_name)(dim=axis, keepdim=keepdims, correction=correction)

    return [
        *reduction(torch_name)[:-2],
        *reduction(torch_name, correction=0)[-2:],
        Sample("correction 0 (NumPy's default), axis 0", (normal(4, 3),), {"axis": 0, "correction": 0},
               ref(0, False, 0)),
        Sample("correction 2, axes (0, -1) keepdims", (normal(3, 2, 4),),
               {"axis": (0, -1), "correction": 2, "keepdims": True}, ref((0, -1), True, 2)),
        Sample("fractional correction 0.5", (normal(5),), {"correction": 0.5}, ref(None, False, 0.5)),
    ]


def arg_reduction(torch_name: str) -> list[Sample]:
    """argmax/argmin: None gives the flat index; ties give the first index (rows of equal values)."""
    def case(desc: str, x: np.ndarray, axis: Any = None, keepdims: bool = False) -> Sample:
        return Sample(desc, (x,), {"axis": axis, "keepdims": keepdims},
                      lambda t: getattr(_torch(), torch_name)(t, dim=axis, keepdim=keepdims))

    ties = np.array([[1.0, 3.0, 3.0, 0.0, 0.0], [2.0, 2.0, 2.0, 2.0, 2.0], [-1.0, 5.0, -1.0, 5.0, 0.0]])
    return [
        case("flat index", normal(3, 4, 5)),
        case("flat index keepdims", normal(3, 4, 5), None, True),
        case("axis 1", normal(3, 4, 5), 1),
        case("axis -1 keepdims", normal(3, 4, 5), -1, True),
        case("ties give the first index, axis 1", ties, 1),
        case("ties give the first index, axis 0", ties, 0),
        case("ties give the first index, flat", ties),
        case("0-D", normal()),
        case("0-D, axis -1 keepdims", normal(), -1, True),
    ]


BUILDERS: dict[str, Callable[[], list[Sample]]] = {
    "sum": lambda: reduction("sum"),
    "mean": lambda: reduction("mean"),
    "max": lambda: reduction("amax", distinct),
    "min": lambda: reduction("amin", distinct),
    "var": lambda: variance("var"),
    "std": lambda: variance("std"),
    "logsumexp": lambda: [
        *reduction("logsumexp"),
        Sample("large values (1e4): no overflow", (normal(3, 4) * 1e4,), {"axis": 1},
               lambda x: _torch().logsumexp(x, 1)),
    ],
    "argmax": lambda: arg_reduction("argmax"),
    "argmin": lambda: arg_reduction("argmin"),
    "softmax": lambda: [
        Sample("last axis", (normal(3, 5),), {"axis": -1}, lambda x: _torch().softmax(x, -1)),
        Sample("axis 0", (normal(3, 4, 2),), {"axis": 0}, lambda x: _torch().softmax(x, 0)),
        Sample("vector", (normal(5),), {}, lambda x: _torch().softmax(x, -1)),
        Sample("0-D", (normal(),), {}, lambda x: _torch().softmax(x, -1)),
    ],
    "log_softmax": lambda: [
        Sample("last axis", (normal(3, 5),), {"axis": -1}, lambda x: _torch().log_softmax(x, -1)),
        Sample("axis 1", (normal(3, 4, 2),), {"axis": 1}, lambda x: _torch().log_softmax(x, 1)),
        Sample("0-D, axis 0", (normal(),), {"axis": 0}, lambda x: _torch().log_softmax(x, 0)),
    ],
}
