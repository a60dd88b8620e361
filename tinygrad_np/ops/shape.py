"""Ops that move elements without arithmetic: reshape, flatten, transpose, getitem, pad."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Op
from ..checks import check_int, check_number, describe
from ..tensor import Tensor
from .arguments import as_tensor, axes
from .registry import register


class Reshape(Op):
    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


@register(Reshape)
def reshape(x: Any, *shape: Any) -> Tensor:
    """View `x` with a new shape (`reshape(x, 2, 3)` or `reshape(x, (2, 3))`; one -1 is inferred)."""
    x = as_tensor(x)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        check_int("reshape", "shape", n, minimum=-1)
    known = int(np.prod([n for n in shape if n != -1]))
    if shape.count(-1) > 1 or (x.size != known if -1 not in shape else (known == 0 or x.size % known != 0)):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into {shape}")
    return Reshape.apply(x, shape=shape)


class Flatten(Reshape):
    """Merge axes start_dim..end_dim (inclusive, non-negative here) into one."""

    def forward(self, x, start_dim=0, end_dim=-1):
        end = end_dim % x.ndim if x.ndim else 0
        shape = x.shape[:start_dim] + (-1,) + x.shape[end + 1 :]
        return super().forward(x, shape)


@register(Flatten)
def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes start_dim..end_dim into one (`flatten(x, 1)` turns (N, H, W, C) into (N, H*W*C))."""
    x = as_tensor(x)
    start, end = axes("flatten", start_dim, x.ndim, "start_dim"), axes("flatten", end_dim, x.ndim, "end_dim")
    if not x.ndim:  # a 0-D tensor flattens to shape (1,), as in PyTorch
        return Flatten.apply(x, start_dim=0, end_dim=0)
    if start[0] > end[0]:
        raise ValueError(f"flatten: `start_dim` ({start_dim}) comes after `end_dim` ({end_dim})")
    return Flatten.apply(x, start_dim=start[0], end_dim=end[0])


class Transpose(Op):
    def forward(self, x, axes):
        self.inverse = tuple(np.argsort(axes))
        return x.transpose(axes)

    def backward(self, grad):
        return grad.transpose(self.inverse)


@register(Transpose)
def transpose(x: Any, *axes_order: Any) -> Tensor:
    """Permute axes as NumPy does: `transpose(x)` reverses them; `transpose(x, 2, 0, 1)` or
    `transpose(x, (2, 0, 1))` puts axis 2 first."""
    x = as_tensor(x)
    if len(axes_order) == 1 and (axes_order[0] is None or isinstance(axes_order[0], (tuple, list))):
        axes_order = axes_order[0]
    if not axes_order:
        axes_order = tuple(reversed(range(x.ndim)))
    normalized = axes("transpose", tuple(axes_order), x.ndim, "axes") if x.ndim else ()
    if normalized is None or len(normalized) != x.ndim:
        raise ValueError(f"transpose: `axes` must be a permutation of {x.ndim} axes, got {axes_order!r}")
    return Transpose.apply(x, axes=tuple(a % x.ndim for a in axes_order))


class GetItem(Op):
    """x[index] for basic and advanced indices; repeated indices accumulate gradient."""

    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=self.dtype)
        if _is_basic(self.index):
            out[self.index] = grad  # a view: every element is hit at most once
        else:
            np.add.at(out, self.index, grad)
        return out


def _index(value: Any) -> Any:
    """Turn Tensors and lists inside an index into integer/bool arrays."""
    if isinstance(value, tuple):
        return tuple(_index(v) for v in value)
    if isinstance(value, (Tensor, list, np.ndarray)):
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind == "f":
            if not np.all(array == np.round(array)):
                raise TypeError(f"getitem: index arrays must hold integers, got {describe(array)}")
            array = array.astype(np.int64)
        return array
    return value


@register(GetItem)
def getitem(x: Any, index: Any) -> Tensor:
    """x[index]: ints, slices, None, Ellipsis, integer/bool arrays; gradients flow back."""
    x = as_tensor(x)
    index = _index(index)
    try:  # the op's forward is the indexing itself: one gather, checked by NumPy
        return GetItem.apply(x, index=index)
    except IndexError as err:
        raise IndexError(f"getitem: bad index for a tensor of shape {x.shape}: {err}") from None


def _is_basic(index) -> bool:
    """True for an index made only of ints, slices, None and Ellipsis (NumPy basic indexing)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


class Pad(Op):
    """Constant padding; `pad_width` is one (before, after) pair per axis."""

    def forward(self, x, pad_width, value=0.0):
        self.inner = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))
        return np.pad(x, pad_width, mode="constant", constant_values=value)

    def backward(self, grad):
        return grad[self.inner]


@register(Pad)
def pad(x: Any, pad_width: Any, value: float = 0.0) -> Tensor:
    """Constant padding, NumPy-style `pad_width`: an int, a (before, after) pair, or one pair per axis."""
    x = as_tensor(x)
    width = np.asarray(pad_width)
    if width.dtype.kind not in "iu" or width.ndim > 2:
        raise TypeError(f"pad: `pad_width` must be ints (an int, a pair, or a pair per axis), got {pad_width!r}")
    try:
        width = np.broadcast_to(width, (x.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: `pad_width` must give one (before, after) pair per axis ({x.ndim}), got {pad_width!r}"
        ) from None
    if width.min() < 0:
        raise ValueError(f"pad: `pad_width` must be non-negative, got {pad_width!r}")
    value = check_number("pad", "value", value)
    return Pad.apply(x, pad_width=tuple(map(tuple, width.tolist())), value=value)
