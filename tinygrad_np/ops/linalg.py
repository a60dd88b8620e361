"""Matrix products."""

from __future__ import annotations

import numpy as np

from ..autograd import Op
from .registry import register


@register("matmul")
class MatMul(Op):
    """a @ b with NumPy's rules: 1-D operands are vectors, leading axes broadcast as a batch."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            grad = np.expand_dims(grad, -2)
        if b.ndim == 1:
            grad = np.expand_dims(grad, -1)
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = grad @ np.swapaxes(b2, -1, -2)
            grad_a = grad_a[..., 0, :] if a.ndim == 1 else grad_a
        if self.needs_input_grad[1]:
            grad_b = np.swapaxes(a2, -1, -2) @ grad
            grad_b = grad_b[..., 0] if b.ndim == 1 else grad_b
        return grad_a, grad_b
