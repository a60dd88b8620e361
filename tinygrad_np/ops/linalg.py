"""Matrix products: `matmul` with NumPy's rules, and `linear`, a dense layer's weighted sum."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Op, sum_to_shape
from ..blas import outer
from ..checks import check_float
from ..tensor import Tensor
from .arguments import as_tensor
from .registry import register


class MatMul(Op):
    """a @ b with NumPy's rules: 1-D operands are vectors, leading axes broadcast as a batch.

    Its backward is written with operations that are also Tensor ops (`@`, `.reshape`,
    `.transpose`, `.sum`), so the default `vjp` runs it on Tensors: differentiable again."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):
        a, b = self.a, self.b
        # Vectors as matrices: a (k,) as (1, k), b (k,) as (k, 1); grad gets the axes they dropped.
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        grad2 = grad.reshape(grad.shape[: grad.ndim - (a.ndim > 1) - (b.ndim > 1)] + (a2.shape[-2], b2.shape[-1]))
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = sum_to_shape(grad2 @ _swap_last(b2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            grad_b = sum_to_shape(_swap_last(a2) @ grad2, b2.shape).reshape(b.shape)
        return grad_a, grad_b


def _swap_last(a):
    """`a` (an array or a Tensor) with its last two axes swapped."""
    return a.transpose(*range(a.ndim - 2), a.ndim - 1, a.ndim - 2)


@register(MatMul)
def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's rules (1-D vectors, batched leading axes that broadcast)."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must be at least 1-D, got shapes {a.shape} and {b.shape}")
    inner_a, inner_b = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: inner dimensions differ: a has shape {a.shape} ({inner_a} columns), "
            f"b has shape {b.shape} ({inner_b} rows)"
        )
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} do not broadcast") from None
    return MatMul.apply(a, b)


class Linear(Op):
    """x @ weight (+ bias) for x (..., in), weight (in, out), bias (out,): a dense layer's weighted
    sum in one op, the leading axes flattened into one batch axis, with the VJPs laid out for speed
    (an outer product when the batch is 1)."""

    def forward(self, x, weight, bias=None):
        rows = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        self.x, self.weight, self.x_shape = rows, weight, x.shape
        out = rows @ weight
        if bias is not None:
            out += bias
        return out if x.ndim == 2 else out.reshape(x.shape[:-1] + weight.shape[1:])

    def backward(self, grad):
        x, weight = self.x, self.weight
        if grad.ndim != 2:
            grad = grad.reshape(-1, weight.shape[1])
        grad_x = grad_w = None
        if self.needs_input_grad[0]:
            grad_x = (weight @ grad.T).T  # faster than grad @ weight.T for these shapes
            grad_x = grad_x if len(self.x_shape) == 2 else grad_x.reshape(self.x_shape)
        if self.needs_input_grad[1]:
            # With one row, x.T @ grad has inner dimension 1: an outer product beats GEMM 10x.
            grad_w = outer(x[0], grad[0]) if len(x) == 1 else x.T @ grad
        if len(self.needs_input_grad) == 2:
            return grad_x, grad_w
        return grad_x, grad_w, column_sums(grad) if self.needs_input_grad[2] else None

    def vjp(self, grad, out):
        """`backward` with Tensor ops (matmuls on the rows), so it can be differentiated again."""
        x, weight = self.parents[:2]
        if grad.ndim != 2:
            grad = grad.reshape(-1, weight.shape[1])
        grad_x = grad_w = grad_b = None
        if self.needs_input_grad[0]:
            grad_x = (grad @ weight.T).reshape(x.shape)
        if self.needs_input_grad[1]:
            grad_w = (x if x.ndim == 2 else x.reshape(-1, x.shape[-1])).T @ grad
        if len(self.needs_input_grad) == 2:
            return grad_x, grad_w
        if self.needs_input_grad[2]:
            grad_b = grad.sum(axis=0)
        return grad_x, grad_w, grad_b


@register(Linear)
def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """x @ weight + bias in one op: x (..., in_features), weight (in_features, out_features),
    bias (out_features,) or None -> (..., out_features).

    Note the weight layout: (in, out), as `Dense` stores it (PyTorch's `F.linear` takes (out, in)).
    """
    x, weight = as_tensor(x), as_tensor(weight)
    if x.ndim < 1:
        raise ValueError(f"linear: `x` must have at least 1 axis (..., in_features), got shape {x.shape}")
    if weight.ndim != 2:
        raise ValueError(f"linear: `weight` must be 2-D (in_features, out_features), got shape {weight.shape}")
    check_float("linear", "x", x.dtype)
    if x.shape[-1] != weight.shape[0]:
        raise ValueError(
            f"linear: `x` has {x.shape[-1]} features (shape {x.shape}) but `weight` expects "
            f"{weight.shape[0]} (shape {weight.shape})"
        )
    if bias is None:
        return Linear.apply(x, weight)
    bias = as_tensor(bias)
    if bias.shape != (weight.shape[1],):
        raise ValueError(f"linear: `bias` must have shape ({weight.shape[1]},), got {bias.shape}")
    return Linear.apply(x, weight, bias)


def column_sums(a: np.ndarray) -> np.ndarray:
    """a.sum(axis=0) of a 2-D array; tall, narrow arrays (a conv bias gradient over
    (N * H * W, C)) go through a matrix-vector product, about 15x faster than NumPy's reduction."""
    return np.ones(len(a), dtype=a.dtype) @ a if len(a) > 256 else a.sum(axis=0)
