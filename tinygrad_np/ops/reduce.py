"""Reductions along axes, and softmax / log_softmax (normalizations along one axis).

The public functions take `axis` as None, an int or a tuple of ints (negative counts from the end);
the ops get it normalized: None (all axes) or a sorted tuple of non-negative ints.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Op
from ..tensor import Tensor
from .arguments import as_tensor, axes, float_tensor, one_axis
from .registry import register


def _expand(grad: np.ndarray, axis: tuple[int, ...] | None, keepdims: bool, ndim: int) -> np.ndarray:
    """Re-insert the reduced axes into `grad` as size-1 axes so it broadcasts over the input."""
    if keepdims or grad.ndim == ndim:
        return grad
    return np.expand_dims(grad, tuple(range(ndim)) if axis is None else axis)


def reduction_args(fn: str, x: Any, axis: Any, keepdims: bool) -> tuple[Tensor, dict[str, Any]]:
    """The tensor and normalized parameters of a reduction over `axis` (an empty tensor is refused)."""
    x = as_tensor(x)
    if x.size == 0:
        raise ValueError(f"{fn}: cannot reduce an empty tensor of shape {x.shape}")
    return x, {"axis": axes(fn, axis, x.ndim), "keepdims": bool(keepdims)}


class Sum(Op):
    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        return np.sum(x, axis=axis, keepdims=keepdims)

    def backward(self, grad):
        grad = _expand(grad, self.axis, self.keepdims, len(self.shape))
        return np.broadcast_to(grad, self.shape)


@register(Sum)
def sum(x: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over `axis` (all axes when None)."""
    x, params = reduction_args("sum", x, axis, keepdims)
    return Sum.apply(x, **params)


class Mean(Op):
    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        self.count = x.size if axis is None else int(np.prod([x.shape[a] for a in axis]))
        return np.mean(x, axis=axis, keepdims=keepdims)

    def backward(self, grad):
        grad = _expand(grad, self.axis, self.keepdims, len(self.shape))
        return np.broadcast_to(grad / np.asarray(self.count, grad.dtype), self.shape)


@register(Mean)
def mean(x: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
    """Mean over `axis` (all axes when None)."""
    x, params = reduction_args("mean", float_tensor(x), axis, keepdims)
    return Mean.apply(x, **params)


class Max(Op):
    """Maximum along axes. Ties share the gradient equally (the subgradient's mean)."""

    def forward(self, x, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims
        out = np.max(x, axis=axis, keepdims=True)
        self.mask = x == out
        return out if keepdims else np.squeeze(out, axis=axis)

    def backward(self, grad):
        grad = _expand(grad, self.axis, self.keepdims, self.mask.ndim)
        ties = self.mask.sum(axis=self.axis, keepdims=True)
        return self.mask * (grad / ties.astype(grad.dtype))


@register(Max)
def max(x: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over `axis` (all when None); ties share the gradient equally."""
    x, params = reduction_args("max", x, axis, keepdims)
    return Max.apply(x, **params)


class Softmax(Op):
    def forward(self, x, axis=-1):
        self.axis = axis
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        self.out = e / e.sum(axis=axis, keepdims=True)
        return self.out

    def backward(self, grad):
        out = self.out
        return out * (grad - (grad * out).sum(axis=self.axis, keepdims=True))


@register(Softmax)
def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, computed stably."""
    x = float_tensor(x)
    return Softmax.apply(x, axis=one_axis("softmax", axis, x.ndim))


class LogSoftmax(Op):
    def forward(self, x, axis=-1):
        self.axis = axis
        shifted = x - x.max(axis=axis, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return self.out

    def backward(self, grad):
        return grad - np.exp(self.out) * grad.sum(axis=self.axis, keepdims=True)


@register(LogSoftmax)
def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log(softmax(x)) along `axis`, through log-sum-exp."""
    x = float_tensor(x)
    return LogSoftmax.apply(x, axis=one_axis("log_softmax", axis, x.ndim))
