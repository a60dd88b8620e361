"""Samples for the shape ops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .common import Sample, _tf, normal


def getitem(desc: str, index: Any, torch_index: Any = None) -> Sample:
    torch_index = index if torch_index is None else torch_index
    return Sample(desc, (normal(4, 5, 3),), {"index": index}, lambda x: x[torch_index])

def pad(desc: str, shape, pad_width, value=0.0) -> Sample:
    def ref(x):
        widths = np.broadcast_to(np.asarray(pad_width), (len(shape), 2))
        flat = [int(v) for pair in widths[::-1] for v in pair]  # torch: last axis first
        return _tf().pad(x, flat, value=value)

    return Sample(desc, (normal(*shape),), {"pad_width": pad_width, "value": value}, ref)


BUILDERS: dict[str, Callable[[], list[Sample]]] = {
    "reshape": lambda: [
        Sample("to 2-D", (normal(2, 3, 4),), torch=lambda x: x.reshape(6, 4), consts=((6, 4),)),
        Sample("inferred -1", (normal(2, 3, 4),), torch=lambda x: x.reshape(4, -1), consts=(4, -1)),
    ],
    "flatten": lambda: [
        Sample("all", (normal(2, 3, 4),), {}, lambda x: x.flatten()),
        Sample("from axis 1 (layer)", (normal(2, 3, 4, 2),), {"start_dim": 1}, lambda x: x.flatten(1)),
        Sample("middle axes", (normal(2, 3, 4, 2),), {"start_dim": 1, "end_dim": 2}, lambda x: x.flatten(1, 2)),
        Sample("0-D to (1,)", (normal(),), {}, lambda x: x.flatten()),
    ],
    "transpose": lambda: [
        Sample("reverse", (normal(2, 3, 4),), {}, lambda x: x.permute(2, 1, 0)),
        Sample("NCHW to NHWC, axes as a tuple", (normal(2, 3, 4, 5),), {}, lambda x: x.permute(0, 2, 3, 1),
               consts=((0, 2, 3, 1),)),
        Sample("axes as separate ints", (normal(2, 3, 4),), {}, lambda x: x.permute(2, 0, 1), consts=(-1, 0, 1)),
    ],
    "getitem": lambda: [
        getitem("int and slice", (1, slice(0, 4, 2))),
        getitem("ellipsis and negative", (Ellipsis, -1)),
        getitem("integer array, repeated", np.array([0, 2, 2, 3])),
        getitem("boolean mask", np.array([True, False, True, True])),
    ],
    "pad": lambda: [
        pad("one pair per axis", (2, 3, 4), ((0, 0), (1, 2), (2, 1))),
        pad("int, value", (3, 4), 1, 0.5),
    ],
}
