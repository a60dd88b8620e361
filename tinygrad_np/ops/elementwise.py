"""Elementwise ops. Binary ops broadcast like NumPy; the engine un-broadcasts their gradients."""

from __future__ import annotations

import numpy as np

from ..autograd import Op
from .registry import register


@register("add")
class Add(Op):
    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


@register("sub")
class Sub(Op):
    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad


@register("mul")
class Mul(Op):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return grad * self.b, grad * self.a


@register("div")
class Div(Op):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        grad_a = grad / self.b
        grad_b = -grad_a * self.a / self.b if self.needs_input_grad[1] else None
        return grad_a, grad_b


@register("pow")
class Pow(Op):
    """a ** b. The gradient for b uses log(a), so it needs a > 0 where it is asked for."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def backward(self, grad):
        a, b = self.a, self.b
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** (b - 1) is inf where b < 1
            slope = b * a ** (b - 1)
        # x ** 0 is constant: its slope is 0 everywhere, x = 0 included (0 * inf would give NaN)
        grad_a = grad * np.where(b == 0, 0, slope) if np.any(b == 0) else grad * slope
        grad_b = None
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = grad * self.out * np.where(a > 0, np.log(np.where(a > 0, a, 1)), np.nan)
        return grad_a, grad_b


@register("neg")
class Neg(Op):
    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


@register("exp")
class Exp(Op):
    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        return grad * self.out


@register("log")
class Log(Op):
    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return grad / self.x


@register("sqrt")
class Sqrt(Op):
    def forward(self, x):
        self.out = np.sqrt(x)
        return self.out

    def backward(self, grad):
        return grad / (2 * self.out)


@register("relu")
class ReLU(Op):
    """max(x, 0); the gradient at exactly 0 is taken as 0 (like PyTorch)."""

    def forward(self, x):
        self.positive = x > 0
        return np.maximum(x, 0)

    def backward(self, grad):
        return grad * self.positive


@register("sigmoid")
class Sigmoid(Op):
    def forward(self, x):
        # exp of a non-positive number only: no overflow for large |x|.
        e = np.exp(-np.abs(x))
        self.out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.out

    def backward(self, grad):
        return grad * self.out * (1 - self.out)


@register("tanh")
class Tanh(Op):
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad):
        return grad * (1 - self.out * self.out)
