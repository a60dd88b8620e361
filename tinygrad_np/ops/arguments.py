"""Turning a public function's arguments into what its op expects: Tensors, broadcastable
operands, normalized axes, checked images. Each raises a clear error naming the function."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..checks import check_float, check_int, check_ndim
from ..tensor import Tensor

IMAGE_LAYOUT = "(N, H, W, C), channels-last"


def as_tensor(x: Any) -> Tensor:
    """`x` itself if it is a Tensor, else a new Tensor of it (following Tensor's dtype rules)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def float_tensor(x: Any) -> Tensor:
    """`x` as a floating Tensor: integer and bool tensors become float32 (as PyTorch's exp, mean, ...
    do); an integer tensor never requires grad, so the cast needs no graph."""
    x = as_tensor(x)
    return x if x.dtype.kind == "f" else Tensor(x.data, dtype=np.float32)


def _scalar_operand(value: Any, other: Tensor) -> Tensor:
    """A Python or NumPy scalar as a Tensor of the other operand's dtype when that dtype can hold it
    (so float32 code stays float32); a float scalar with an integer tensor gives float32."""
    fits = other.dtype.kind == "f" or (isinstance(value, numbers.Integral) and other.dtype.kind in "iub")
    return Tensor(value, dtype=other.dtype if fits else np.float32)


def _promoted(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """An integer or bool operand takes the floating operand's dtype (PyTorch's promotion: an int
    tensor times a float32 tensor is float32, not NumPy's float64)."""
    if a.dtype.kind == "f" and b.dtype.kind != "f":
        return a, Tensor(b.data, dtype=a.dtype)
    if b.dtype.kind == "f" and a.dtype.kind != "f":
        return Tensor(a.data, dtype=b.dtype), b
    return a, b


def operands(fn: str, a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both operands of a binary op as Tensors that broadcast, promoted as PyTorch does: a scalar
    takes the tensor's dtype where it can, an integer tensor takes the float operand's dtype."""
    if not isinstance(a, Tensor):
        a = _scalar_operand(a, b) if isinstance(a, numbers.Number) and isinstance(b, Tensor) else Tensor(a)
    if not isinstance(b, Tensor):
        b = _scalar_operand(b, a) if isinstance(b, numbers.Number) else Tensor(b)
    if a.dtype != b.dtype:
        a, b = _promoted(a, b)
    if a.shape != b.shape:
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ValueError(f"{fn}: shapes {a.shape} and {b.shape} do not broadcast together") from None
    return a, b


def axes(fn: str, axis: Any, ndim: int, name: str = "axis") -> tuple[int, ...] | None:
    """Normalize `axis` (None, an int or a sequence of ints) to None or a sorted tuple of axes >= 0.

    As in PyTorch, a 0-D tensor takes axis 0 or -1; it has no axis, so that gives ().
    """
    if axis is None:
        return None
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    rank = max(ndim, 1)
    result = []
    for a in items:
        check_int(fn, name, a)
        if not -rank <= a < rank:
            raise ValueError(f"{fn}: `{name}` {a} is out of range for a {ndim}-D tensor")
        result.append(a % rank)
    if len(set(result)) != len(result):
        raise ValueError(f"{fn}: `{name}` repeats an axis: {axis!r}")
    return tuple(sorted(result)) if ndim else ()


def one_axis(fn: str, axis: Any, ndim: int, name: str = "axis") -> int | None:
    """A single axis, normalized to >= 0; None for a 0-D tensor (which is its own only element)."""
    normalized = axes(fn, axis, ndim, name)
    if normalized is None or len(normalized) > 1:
        raise TypeError(f"{fn}: `{name}` must be one int, got {axis!r}")
    return normalized[0] if normalized else None


def channels_first_hint(shape: tuple[int, ...], channels: int, name: str = "x") -> str:
    """A hint for an image batch of `shape` that looks channels-first (N, C, H, W) when `channels`
    were expected last; else ""."""
    if len(shape) == 4 and shape[1] == channels and shape[3] != channels:
        return f"; {name} looks channels-first (N, C, H, W): use {name}.transpose(0, 2, 3, 1)"
    return ""


def image(fn: str, x: Any, name: str = "x") -> Tensor:
    """`x` as a floating 4-D channels-last Tensor."""
    x = as_tensor(x)
    check_ndim(fn, name, x.shape, 4, IMAGE_LAYOUT)
    check_float(fn, name, x.dtype)
    return x
