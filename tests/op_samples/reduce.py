"""Samples for the reduce ops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .common import Sample, _torch, distinct, normal


def reduction(torch_name: str, make: Callable[..., np.ndarray] = normal) -> list[Sample]:
    def case(desc: str, axis: Any, keepdims: bool, shape: tuple[int, ...] = (3, 4, 5)) -> Sample:
        def ref(x):
            if axis is None:
                result = getattr(x, torch_name)()
                return result.reshape((1,) * x.ndim) if keepdims else result
            return getattr(x, torch_name)(dim=axis, keepdim=keepdims)

        return Sample(desc, (make(*shape),), {"axis": axis, "keepdims": keepdims}, ref)

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


BUILDERS: dict[str, Callable[[], list[Sample]]] = {
    "sum": lambda: reduction("sum"),
    "mean": lambda: reduction("mean"),
    "max": lambda: reduction("amax", distinct),
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
