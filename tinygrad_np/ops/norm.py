"""Normalization and dropout ops: batch_norm and layer_norm (fused, with hand-written backwards),
dropout (a constant keep-mask drawn from the library's seeded generator).

Channels-last: batch_norm normalizes each channel (the last axis) over every other axis;
layer_norm normalizes each sample over its trailing `normalized_shape` axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Op
from ..checks import check_number, describe
from ..rng import generator
from ..tensor import Tensor
from .arguments import float_tensor
from .channels import channel_rows, channel_sums, tiled
from .registry import register


class _Normalize(Op):
    """(x - mean) / sqrt(var + eps) over `stats` axes, then * weight + bias (the optional affine
    inputs, shaped like the other axes). With `batch_stats` the statistics are x's own (biased)
    ones, and the gradients differentiate them; else they are constants (batch norm in evaluation).
    Subclasses compute the forward and the fast backward; the gradients as Tensor ops (`vjp`) are
    shared."""

    stats: tuple[int, ...]  # set by forward: the axes the statistics are taken over

    def vjp(self, grad, out):
        """As backward, with the normalized input and 1 / std recomputed from the input Tensor."""
        x, *affine = self.parents
        if self.batch_stats:
            centered = x - x.mean(axis=self.stats, keepdims=True)
            inv_std = ((centered * centered).mean(axis=self.stats, keepdims=True) + self.eps) ** -0.5
        else:  # running statistics: constants
            centered, inv_std = x - self.constant_mean, self.inv_std
        return self.gradients(grad, centered * inv_std, inv_std, affine[0] if affine else None)

    def gradients(self, grad, xhat, inv_std, weight):
        """The gradients of x (and weight, bias) from the normalized input and 1 / std (arrays or Tensors)."""
        dxhat = grad if weight is None else grad * weight
        dx = None
        if self.needs_input_grad[0]:
            if self.batch_stats:
                n = int(np.prod([grad.shape[i] for i in self.stats]))
                mean_dxhat = dxhat.sum(axis=self.stats, keepdims=True) / n
                mean_dxhat_xhat = (dxhat * xhat).sum(axis=self.stats, keepdims=True) / n
                dx = (dxhat - mean_dxhat - xhat * mean_dxhat_xhat) * inv_std
            else:
                dx = dxhat * inv_std
        if weight is None:
            return dx
        leading = tuple(range(grad.ndim - weight.ndim))  # the axes weight and bias broadcast over
        dweight = (grad * xhat).sum(axis=leading) if self.needs_input_grad[1] else None
        dbias = grad.sum(axis=leading) if self.needs_input_grad[2] else None
        return dx, dweight, dbias


class BatchNorm(_Normalize):
    """Batch normalization, channels-last: statistics per channel (last axis) over the other axes.

    Forward and backward work on `channel_rows` (whole image rows, per-channel vectors tiled along
    them), which keeps NumPy's inner loops long when there are few channels."""

    def forward(self, x, *affine, eps=1e-5, training=True, running_mean=None, running_var=None, momentum=0.1):
        self.stats, self.batch_stats, self.eps = tuple(range(x.ndim - 1)), training, eps
        channels, rows = x.shape[-1], channel_rows(x)
        n = x.size // channels
        if training:  # one pass for the mean, one for the variance of the centered values
            mean = channel_sums(rows, channels) / n
            centered = rows - tiled(mean, rows)
            var = channel_sums(np.square(centered), channels) / n
            if running_mean is not None:  # PyTorch's update: the running variance is the unbiased one
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                running_var *= 1 - momentum
                running_var += momentum * var * (n / (n - 1))
        else:
            mean, var = running_mean.astype(x.dtype), running_var
            self.constant_mean = mean
            centered = rows - tiled(mean, rows)
        self.inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype)
        self.centered, self.weight = centered, affine[0] if affine else None  # xhat = centered * inv_std
        scale = self.inv_std if not affine else self.inv_std * affine[0]
        out = centered * tiled(scale, rows)
        if affine:
            out += tiled(affine[1], rows)
        return out.reshape(x.shape)

    def backward(self, grad):
        """dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / std with dxhat = grad * weight,
        written as three per-channel terms on the rows (xhat = centered / std)."""
        weight, centered, channels = self.weight, self.centered, grad.shape[-1]
        rows = channel_rows(grad)
        grad_bias = channel_sums(rows, channels)
        grad_weight = channel_sums(rows * centered, channels) * self.inv_std
        grad_x = None
        if self.needs_input_grad[0]:
            scale = self.inv_std if weight is None else weight * self.inv_std
            grad_x = rows * tiled(scale, rows)
            if self.batch_stats:
                n = grad.size // channels
                grad_x -= centered * tiled(scale * self.inv_std * grad_weight / n, rows)
                grad_x -= tiled(scale * grad_bias / n, rows)
            grad_x = grad_x.reshape(grad.shape)
        if weight is None:
            return grad_x
        needs_weight, needs_bias = self.needs_input_grad[1:]
        return grad_x, grad_weight if needs_weight else None, grad_bias if needs_bias else None


def _affine(fn: str, x: Tensor, weight: Any, bias: Any, shape: tuple[int, ...]) -> tuple[Tensor, ...]:
    """The affine parameters as Tensors of `shape`, or () when both are None."""
    if weight is None and bias is None:
        return ()
    if weight is None or bias is None:
        raise ValueError(f"{fn}: give both `weight` and `bias`, or neither")
    out = []
    for name, value in (("weight", weight), ("bias", bias)):
        t = float_tensor(value)
        if t.shape != shape:
            raise ValueError(f"{fn}: `{name}` must have shape {shape} for input {x.shape}, got {t.shape}")
        out.append(t)
    return tuple(out)


def _stat(fn: str, name: str, value: Any, channels: int) -> np.ndarray | None:
    if value is None:
        return None
    array = value.data if isinstance(value, Tensor) else value
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f" or array.shape != (channels,):
        raise ValueError(f"{fn}: `{name}` must be a float array of shape ({channels},), got {describe(value)}")
    return array


@register(BatchNorm)
def batch_norm(
    x: Any,
    running_mean: Any = None,
    running_var: Any = None,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization of channels-last `x` (N, ..., C), as `torch.nn.functional.batch_norm`.

    training=True: each channel is normalized with the batch's mean and (biased) variance, and the
    `running_mean` / `running_var` arrays (C,), when given, are updated in place with PyTorch's rule
    (running = (1 - momentum) * running + momentum * batch statistic; the unbiased variance).
    training=False: the running statistics (required) normalize. `weight` and `bias` (C,) scale and shift.
    """
    x = float_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: `x` must be (N, ..., C) with channels last, got shape {x.shape}")
    channels = x.shape[-1]
    affine = _affine("batch_norm", x, weight, bias, (channels,))
    running_mean = _stat("batch_norm", "running_mean", running_mean, channels)
    running_var = _stat("batch_norm", "running_var", running_var, channels)
    eps = check_number("batch_norm", "eps", eps, minimum=0.0, exclusive=True)
    momentum = check_number("batch_norm", "momentum", momentum, minimum=0.0)
    if momentum > 1:
        raise ValueError(f"batch_norm: `momentum` must be in [0, 1], got {momentum}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both `running_mean` and `running_var`, or neither")
    if training and x.size // channels < 2:
        raise ValueError(
            f"batch_norm: training needs more than one value per channel to take a variance, got input {x.shape}"
        )
    if not training and running_mean is None:
        raise ValueError("batch_norm: training=False normalizes with `running_mean` and `running_var`; give them")
    stats = {"running_mean": running_mean, "running_var": running_var, "momentum": momentum}
    return BatchNorm.apply(x, *affine, eps=eps, training=bool(training), **stats)


class LayerNorm(_Normalize):
    """Layer normalization: statistics per sample over the trailing `dims` axes."""

    def forward(self, x, *affine, dims=1, eps=1e-5):
        self.stats, self.batch_stats, self.eps = tuple(range(x.ndim - dims, x.ndim)), True, eps
        centered = x - x.mean(axis=self.stats, keepdims=True)  # then the variance of the centered values
        var = np.square(centered).mean(axis=self.stats, keepdims=True)
        self.inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype)
        self.xhat = np.multiply(centered, self.inv_std, out=centered)
        self.weight = affine[0] if affine else None
        return self.xhat * affine[0] + affine[1] if affine else self.xhat

    def backward(self, grad):
        return self.gradients(grad, self.xhat, self.inv_std, self.weight)


@register(LayerNorm)
def layer_norm(
    x: Any, normalized_shape: int | tuple[int, ...], weight: Any = None, bias: Any = None, eps: float = 1e-5
) -> Tensor:
    """Normalize `x` over its trailing axes `normalized_shape` (mean 0, biased variance 1), then
    scale by `weight` and shift by `bias` (both shaped `normalized_shape`), as
    `torch.nn.functional.layer_norm`."""
    x = float_tensor(x)
    shape = normalized_shape_of("layer_norm", normalized_shape)
    if x.shape[x.ndim - len(shape) :] != shape or x.ndim < len(shape):
        raise ValueError(f"layer_norm: `x` must end in the axes {shape} (`normalized_shape`), got shape {x.shape}")
    affine = _affine("layer_norm", x, weight, bias, shape)
    eps = check_number("layer_norm", "eps", eps, minimum=0.0, exclusive=True)
    return LayerNorm.apply(x, *affine, dims=len(shape), eps=eps)


def normalized_shape_of(fn: str, value: Any) -> tuple[int, ...]:
    """`normalized_shape` as a tuple of positive ints (an int n means (n,))."""
    shape = (value,) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if not (isinstance(shape, (tuple, list)) and shape and all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in shape
    )):  # fmt: skip
        raise ValueError(f"{fn}: `normalized_shape` must be a positive int or a tuple of them, got {value!r}")
    return tuple(int(n) for n in shape)


class Dropout(Op):
    """x * keep / (1 - p): a constant keep-mask (booleans), so backward is grad * keep / (1 - p)."""

    def forward(self, x, keep, p=0.5):
        self.scale = keep.astype(x.dtype) * x.dtype.type(1 / (1 - p))
        return x * self.scale

    def backward(self, grad):
        return grad * self.scale


@register(Dropout)
def dropout(x: Any, p: float = 0.5, training: bool = True, mask: Any = None) -> Tensor:
    """Inverted dropout: in training, zero each element with probability `p` and scale the rest by
    1 / (1 - p); otherwise `x` unchanged. The keep-mask is drawn from the library's generator
    (`tinygrad_np.manual_seed` repeats it), or given as `mask` (booleans shaped like `x`, True = kept)."""
    p = check_probability("dropout", p)
    x = float_tensor(x)
    if not training or p == 0:
        return x
    if mask is None:
        keep = generator().random(x.shape) >= p
    else:
        keep = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
        if keep.dtype != bool or keep.shape != x.shape:
            raise ValueError(f"dropout: `mask` must be booleans of shape {x.shape}, got {describe(mask)}")
    return Dropout.apply(x, keep=keep, p=p)


def check_probability(fn: str, p: Any) -> float:
    """A dropout probability in [0, 1)."""
    p = check_number(fn, "p", p)
    if not 0 <= p < 1:
        raise ValueError(f"{fn}: `p` (the probability of zeroing an element) must be in [0, 1), got {p:g}")
    return p
