"""Samples for the shape ops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_np import functional as F

from .common import Sample, _tf, _torch, normal


def getitem(desc: str, index: Any, torch_index: Any = None) -> Sample:
    torch_index = index if torch_index is None else torch_index
    return Sample(desc, (normal(4, 5, 3),), {"index": index}, lambda x: x[torch_index])

def add_at(desc: str, index: Any, values_shape: tuple[int, ...], torch_index: Any = None) -> Sample:
    """add_at on a (4, 5, 3) tensor; the torch reference is index_put with accumulate=True (advanced
    indices, given as `torch_index`), or an in-place add on a clone (basic indices)."""
    def ref(x, values):
        if torch_index is None:
            out = x.clone()
            out[index] += values
            return out
        return x.index_put(tuple(_torch().as_tensor(i) for i in torch_index), values, accumulate=True)

    return Sample(desc, (normal(4, 5, 3), normal(*values_shape)), torch=ref,
                  call=lambda x, values: F.add_at(x, index, values))


def pad(desc: str, shape, pad_width, value=0.0) -> Sample:
    def ref(x):
        widths = np.broadcast_to(np.asarray(pad_width), (len(shape), 2))
        flat = [int(v) for pair in widths[::-1] for v in pair]  # torch: last axis first
        return _tf().pad(x, flat, value=value)

    return Sample(desc, (normal(*shape),), {"pad_width": pad_width, "value": value}, ref)

def joined(torch_name: str, desc: str, shapes, axis: int) -> Sample:
    """cat/stack of tensors of `shapes` along `axis`."""
    def ref(*xs):
        return getattr(_torch(), torch_name)(xs, dim=axis)

    return Sample(desc, tuple(normal(*shape) for shape in shapes), {"axis": axis}, ref, packed=True)


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
    "squeeze": lambda: [
        Sample("all size-1 axes", (normal(1, 3, 1, 2),), {}, lambda x: x.squeeze()),
        Sample("one axis", (normal(1, 3, 1, 2),), {"axis": 2}, lambda x: x.squeeze(2)),
        Sample("negative axis, tuple", (normal(1, 3, 1, 2),), {"axis": (0, -2)}, lambda x: x.squeeze((0, -2))),
        Sample("axis of size 3 is kept (PyTorch)", (normal(1, 3, 1),), {"axis": (0, 1)}, lambda x: x.squeeze((0, 1))),
        Sample("0-D", (normal(),), {"axis": 0}, lambda x: x.squeeze(0)),
    ],
    "unsqueeze": lambda: [
        Sample("front", (normal(3, 2),), {"axis": 0}, lambda x: x.unsqueeze(0)),
        Sample("middle", (normal(3, 2),), {"axis": 1}, lambda x: x.unsqueeze(1)),
        Sample("-1 appends", (normal(3, 2),), {"axis": -1}, lambda x: x.unsqueeze(-1)),
        Sample("0-D", (normal(),), {"axis": -1}, lambda x: x.unsqueeze(-1)),
    ],
    "permute": lambda: [
        Sample("NHWC to NCHW, separate ints", (normal(2, 3, 4, 5),), {}, lambda x: x.permute(0, 3, 1, 2),
               consts=(0, 3, 1, 2)),
        Sample("tuple with negative axes", (normal(2, 3, 4),), {}, lambda x: x.permute(2, 0, 1), consts=((-1, 0, 1),)),
        Sample("0-D, no axes", (normal(),), {}, lambda x: x.permute(())),
    ],
    "broadcast_to": lambda: [
        Sample("size-1 axis", (normal(3, 1),), {"shape": (3, 4)}, lambda x: x.broadcast_to((3, 4))),
        Sample("new leading axes", (normal(3, 1),), {"shape": (2, 2, 3, 5)}, lambda x: x.broadcast_to((2, 2, 3, 5))),
        Sample("int shape from 0-D", (normal(),), {"shape": 4}, lambda x: x.broadcast_to((4,))),
        Sample("same shape", (normal(2, 3),), {"shape": (2, 3)}, lambda x: x.broadcast_to((2, 3))),
    ],
    "expand": lambda: [
        Sample("separate ints, -1 keeps", (normal(3, 1),), {}, lambda x: x.expand(2, -1, 4), consts=(2, -1, 4)),
        Sample("tuple", (normal(1, 2),), {}, lambda x: x.expand(3, 2), consts=((3, 2),)),
        Sample("0-D to a vector", (normal(),), {}, lambda x: x.expand(5), consts=(5,)),
    ],
    "flip": lambda: [
        Sample("one axis", (normal(3, 4),), {"axis": 0}, lambda x: x.flip(0)),
        Sample("negative axes, tuple", (normal(2, 3, 4),), {"axis": (-1, 0)}, lambda x: x.flip((-1, 0))),
        Sample("all axes (None, as NumPy)", (normal(2, 3),), {}, lambda x: x.flip((0, 1))),
        Sample("0-D", (normal(),), {"axis": 0}, lambda x: x.flip(0)),
    ],
    "cat": lambda: [
        joined("cat", "axis 0, different lengths", [(2, 3), (4, 3), (1, 3)], 0),
        joined("cat", "axis -1", [(2, 3), (2, 1)], -1),
        joined("cat", "middle axis of 3-D", [(2, 1, 3), (2, 4, 3)], 1),
        joined("cat", "a single tensor", [(3, 2)], 1),
        joined("cat", "with an empty tensor", [(2, 0), (2, 3)], 1),
    ],
    "stack": lambda: [
        joined("stack", "axis 0", [(2, 3), (2, 3), (2, 3)], 0),
        joined("stack", "axis -1 (new last axis)", [(2, 3), (2, 3)], -1),
        joined("stack", "middle axis", [(2, 3), (2, 3)], 1),
        joined("stack", "0-D tensors", [(), (), ()], 0),
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
    "add_at": lambda: [
        add_at("int and slice", (1, slice(0, 4, 2)), (2, 3)),
        add_at("values broadcast over a slice", (slice(1, 3),), (1, 3)),
        add_at("integer array, repeated (accumulates)", np.array([0, 2, 2, 3]), (4, 5, 3), (np.array([0, 2, 2, 3]),)),
        add_at("boolean mask", np.array([True, False, True, True]), (3, 5, 3), (np.array([True, False, True, True]),)),
        add_at("index pairs, repeated, broadcast values", (np.array([0, 1, 0]), np.array([4, 0, 4])), (3, 1),
               (np.array([0, 1, 0]), np.array([4, 0, 4]))),
    ],
    "pad": lambda: [
        pad("one pair per axis", (2, 3, 4), ((0, 0), (1, 2), (2, 1))),
        pad("int, value", (3, 4), 1, 0.5),
    ],
}
