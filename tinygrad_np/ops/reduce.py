"""Reductions along axes (sum, mean, max, min, var, std, logsumexp), argmax / argmin, and softmax /
log_softmax (normalizations along one axis).

The public functions take `axis` as None, an int or a tuple of ints (negative counts from the end);
the ops get it normalized: None (all axes) or a sorted tuple of non-negative ints.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Op
from ..checks import check_number
from ..tensor import Tensor
from .arguments import as_tensor, axes, float_tensor, one_axis
from .registry import register


def _expand(grad: Any, shape: tuple[int, ...], axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    """Re-insert the reduced axes into `grad` as size-1 axes so it broadcasts over an input of `shape`.

    A reshape, so it serves arrays (backward) and Tensors (vjp) alike.
    """
    if keepdims or grad.ndim == len(shape):
        return grad
    return grad.reshape(tuple(1 if axis is None or i in axis else n for i, n in enumerate(shape)))


def _count(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> int:
    """How many elements a reduction over `axis` combines into each result."""
    return int(np.prod(shape if axis is None else [shape[a] for a in axis]))


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
        return np.broadcast_to(_expand(grad, self.shape, self.axis, self.keepdims), self.shape)


@register(Sum)
def sum(x: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over `axis` (all axes when None)."""
    x, params = reduction_args("sum", x, axis, keepdims)
    return Sum.apply(x, **params)


class Mean(Op):
    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        self.count = _count(x.shape, axis)
        return np.mean(x, axis=axis, keepdims=keepdims)

    def backward(self, grad):
        grad = _expand(grad, self.shape, self.axis, self.keepdims)
        return np.broadcast_to(grad / np.asarray(self.count, grad.dtype), self.shape)


@register(Mean)
def mean(x: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
    """Mean over `axis` (all axes when None)."""
    x, params = reduction_args("mean", float_tensor(x), axis, keepdims)
    return Mean.apply(x, **params)


class Max(Op):
    """Maximum along axes. Ties share the gradient equally (the subgradient's mean)."""

    extreme = staticmethod(np.max)

    def forward(self, x, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims
        out = self.extreme(x, axis=axis, keepdims=True)
        self.mask = x == out
        return out if keepdims else np.squeeze(out, axis=axis)

    def backward(self, grad):
        grad = _expand(grad, self.mask.shape, self.axis, self.keepdims)
        ties = self.mask.sum(axis=self.axis, keepdims=True)
        return self.mask * (grad / ties.astype(grad.dtype))


@register(Max)
def max(x: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over `axis` (all when None); ties share the gradient equally."""
    x, params = reduction_args("max", x, axis, keepdims)
    return Max.apply(x, **params)


class Min(Max):
    """Minimum along axes. Ties share the gradient equally (the subgradient's mean)."""

    extreme = staticmethod(np.min)


@register(Min)
def min(x: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over `axis` (all when None); ties share the gradient equally."""
    x, params = reduction_args("min", x, axis, keepdims)
    return Min.apply(x, **params)


class Var(Op):
    """Variance along axes: sum((x - mean)^2) / (N - correction)."""

    def forward(self, x, axis=None, keepdims=False, correction=1.0):
        self.axis, self.keepdims = axis, keepdims
        self.centered = x - np.mean(x, axis=axis, keepdims=True)
        self.divisor = np.asarray(_count(x.shape, axis) - correction, x.dtype)
        return np.sum(self.centered**2, axis=axis, keepdims=keepdims) / self.divisor

    def backward(self, grad):
        return self.through_square(grad, self.centered)

    def vjp(self, grad, out):
        x = self.parents[0]
        return self.through_square(grad, x - x.mean(axis=self.axis, keepdims=True))

    def through_square(self, grad, centered):
        """The gradient given the centered input (an array in backward, a Tensor of the input in vjp)."""
        return _expand(grad, centered.shape, self.axis, self.keepdims) * centered * (2 / self.divisor)


def _var_args(fn: str, x: Any, axis: Any, correction: Any, keepdims: bool) -> tuple[Tensor, dict[str, Any]]:
    """The tensor and parameters of var/std, refusing a correction that leaves nothing to divide by."""
    x, params = reduction_args(fn, float_tensor(x), axis, keepdims)
    correction = check_number(fn, "correction", correction, minimum=0)
    count = _count(x.shape, params["axis"])
    if count - correction <= 0:
        raise ValueError(
            f"{fn}: `correction` ({correction:g}) must be less than the number of elements reduced ({count}); "
            f"the result would divide by {count - correction:g}"
        )
    return x, params | {"correction": correction}


@register(Var)
def var(
    x: Any, axis: int | tuple[int, ...] | None = None, correction: float = 1, keepdims: bool = False
) -> Tensor:
    """Variance over `axis` (all when None), divided by N - `correction` (1: unbiased, as torch.var;
    0: NumPy's default)."""
    x, params = _var_args("var", x, axis, correction, keepdims)
    return Var.apply(x, **params)


class Std(Var):
    """Standard deviation along axes: sqrt(var). Where it is 0 (all values equal) the gradient is 0,
    as in PyTorch (the subgradient at the kink)."""

    def forward(self, x, axis=None, keepdims=False, correction=1.0):
        self.out = np.sqrt(super().forward(x, axis, keepdims, correction))
        return self.out

    def backward(self, grad):
        return super().backward(self.through_sqrt(grad, self.out))

    def vjp(self, grad, out):
        return super().vjp(self.through_sqrt(grad, out), out)

    @staticmethod
    def through_sqrt(grad, out):
        """d var from d std: grad / (2 std), 0 where std is 0."""
        zero = out == 0
        return np.where(zero, 0, grad) / np.where(zero, 1, 2 * out)


@register(Std)
def std(
    x: Any, axis: int | tuple[int, ...] | None = None, correction: float = 1, keepdims: bool = False
) -> Tensor:
    """Standard deviation over `axis` (all when None): the square root of `var` with the same `correction`."""
    x, params = _var_args("std", x, axis, correction, keepdims)
    return Std.apply(x, **params)


class LogSumExp(Op):
    """log(sum(exp(x))) along axes, shifted by the maximum so that it neither overflows nor underflows."""

    def forward(self, x, axis=None, keepdims=False):
        self.x, self.axis, self.keepdims = x, axis, keepdims
        shift = np.max(x, axis=axis, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0)  # all -inf (or an inf): no shift
        with np.errstate(divide="ignore"):  # all -inf: the sum is 0 and the result exactly -inf
            out = shift + np.log(np.sum(np.exp(x - shift), axis=axis, keepdims=True))
        self.out = out if keepdims else np.squeeze(out, axis=axis)
        return self.out

    def backward(self, grad):  # saves only the input and output: the default vjp records it as is
        shape = self.x.shape
        out = _expand(self.out, shape, self.axis, self.keepdims)
        return _expand(grad, shape, self.axis, self.keepdims) * np.exp(self.x - out)  # softmax over the axes


@register(LogSumExp)
def logsumexp(x: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over `axis` (all when None), computed stably (no overflow for large x)."""
    x, params = reduction_args("logsumexp", float_tensor(x), axis, keepdims)
    return LogSumExp.apply(x, **params)


class ArgMax(Op):
    """Index of the maximum along one axis (of the flattened tensor when axis is None); ties give
    the first index. Integer result: no gradient."""

    differentiable = False
    find = staticmethod(np.argmax)

    def forward(self, x, axis=None, keepdims=False):
        return np.asarray(self.find(x, axis=axis, keepdims=keepdims), dtype=np.int64)


class ArgMin(ArgMax):
    """Index of the minimum along one axis (of the flattened tensor when axis is None); ties give
    the first index. Integer result: no gradient."""

    find = staticmethod(np.argmin)


def _arg_args(fn: str, x: Any, axis: Any, keepdims: bool) -> tuple[Tensor, dict[str, Any]]:
    """The tensor and parameters of argmax/argmin: one axis or None (the flat index)."""
    x = as_tensor(x)
    if x.size == 0:
        raise ValueError(f"{fn}: cannot take the {fn} of an empty tensor of shape {x.shape}")
    axis = None if axis is None else one_axis(fn, axis, x.ndim)
    return x, {"axis": axis, "keepdims": bool(keepdims)}


@register(ArgMax)
def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the maximum along `axis`; of the flattened tensor when None. Ties give the first index."""
    x, params = _arg_args("argmax", x, axis, keepdims)
    return ArgMax.apply(x, **params)


@register(ArgMin)
def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the minimum along `axis`; of the flattened tensor when None. Ties give the first index."""
    x, params = _arg_args("argmin", x, axis, keepdims)
    return ArgMin.apply(x, **params)


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
