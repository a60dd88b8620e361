"""Ops that move elements without arithmetic: reshape, flatten, transpose, getitem, pad."""

from __future__ import annotations

import numpy as np

from ..autograd import Op
from .registry import register


@register("reshape")
class Reshape(Op):
    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


@register("flatten")
class Flatten(Reshape):
    """Merge axes start_dim..end_dim (inclusive, non-negative here) into one."""

    def forward(self, x, start_dim=0, end_dim=-1):
        end = end_dim % x.ndim if x.ndim else 0
        shape = x.shape[:start_dim] + (-1,) + x.shape[end + 1 :]
        return super().forward(x, shape)


@register("transpose")
class Transpose(Op):
    def forward(self, x, axes):
        self.inverse = tuple(np.argsort(axes))
        return x.transpose(axes)

    def backward(self, grad):
        return grad.transpose(self.inverse)


@register("getitem")
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


def _is_basic(index) -> bool:
    """True for an index made only of ints, slices, None and Ellipsis (NumPy basic indexing)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


@register("pad")
class Pad(Op):
    """Constant padding; `pad_width` is one (before, after) pair per axis."""

    def forward(self, x, pad_width, value=0.0):
        self.inner = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))
        return np.pad(x, pad_width, mode="constant", constant_values=value)

    def backward(self, grad):
        return grad[self.inner]
