"""Reductions along axes, and softmax / log_softmax (normalizations along one axis).

`axis` reaches these ops normalized: None (all axes) or a tuple of non-negative ints.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Op
from .registry import register


def _expand(grad: np.ndarray, axis: tuple[int, ...] | None, keepdims: bool, ndim: int) -> np.ndarray:
    """Re-insert the reduced axes into `grad` as size-1 axes so it broadcasts over the input."""
    if keepdims or grad.ndim == ndim:
        return grad
    return np.expand_dims(grad, tuple(range(ndim)) if axis is None else axis)


@register("sum")
class Sum(Op):
    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        return np.sum(x, axis=axis, keepdims=keepdims)

    def backward(self, grad):
        grad = _expand(grad, self.axis, self.keepdims, len(self.shape))
        return np.broadcast_to(grad, self.shape)


@register("mean")
class Mean(Op):
    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        self.count = x.size if axis is None else int(np.prod([x.shape[a] for a in axis]))
        return np.mean(x, axis=axis, keepdims=keepdims)

    def backward(self, grad):
        grad = _expand(grad, self.axis, self.keepdims, len(self.shape))
        return np.broadcast_to(grad / np.asarray(self.count, grad.dtype), self.shape)


@register("max")
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


@register("softmax")
class Softmax(Op):
    def forward(self, x, axis=-1):
        self.axis = axis
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        self.out = e / e.sum(axis=axis, keepdims=True)
        return self.out

    def backward(self, grad):
        out = self.out
        return out * (grad - (grad * out).sum(axis=self.axis, keepdims=True))


@register("log_softmax")
class LogSoftmax(Op):
    def forward(self, x, axis=-1):
        self.axis = axis
        shifted = x - x.max(axis=axis, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return self.out

    def backward(self, grad):
        return grad - np.exp(self.out) * grad.sum(axis=self.axis, keepdims=True)
