"""Elementwise ops. Binary ops broadcast like NumPy; the engine un-broadcasts their gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Op
from ..tensor import Tensor
from .arguments import as_tensor, float_tensor, operands
from .registry import register


class Add(Op):
    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


@register(Add)
def add(a: Any, b: Any) -> Tensor:
    """a + b, broadcasting."""
    return Add.apply(*operands("add", a, b))


class Sub(Op):
    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad


@register(Sub)
def sub(a: Any, b: Any) -> Tensor:
    """a - b, broadcasting."""
    return Sub.apply(*operands("sub", a, b))


class Mul(Op):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return grad * self.b, grad * self.a


@register(Mul)
def mul(a: Any, b: Any) -> Tensor:
    """a * b, broadcasting."""
    return Mul.apply(*operands("mul", a, b))


class Div(Op):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        grad_a = grad / self.b
        grad_b = -grad_a * self.a / self.b if self.needs_input_grad[1] else None
        return grad_a, grad_b


@register(Div)
def div(a: Any, b: Any) -> Tensor:
    """a / b, broadcasting."""
    a, b = operands("div", a, b)
    return Div.apply(float_tensor(a), float_tensor(b))  # true division: integers give float32, as in PyTorch


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


@register(Pow)
def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 (the operator's name)
    """a ** b, broadcasting. The gradient for b needs a > 0."""
    return Pow.apply(*operands("pow", a, b))


class Neg(Op):
    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


@register(Neg)
def neg(x: Any) -> Tensor:
    """-x."""
    return Neg.apply(as_tensor(x))


class Exp(Op):
    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        return grad * self.out


@register(Exp)
def exp(x: Any) -> Tensor:
    """e ** x, elementwise."""
    return Exp.apply(float_tensor(x))


class Log(Op):
    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return grad / self.x


@register(Log)
def log(x: Any) -> Tensor:
    """Natural logarithm, elementwise."""
    return Log.apply(float_tensor(x))


class Sqrt(Op):
    def forward(self, x):
        self.out = np.sqrt(x)
        return self.out

    def backward(self, grad):
        return grad / (2 * self.out)


@register(Sqrt)
def sqrt(x: Any) -> Tensor:
    """Square root, elementwise."""
    return Sqrt.apply(float_tensor(x))


class ReLU(Op):
    """max(x, 0); the gradient at exactly 0 is taken as 0 (like PyTorch)."""

    def forward(self, x):
        self.positive = x > 0
        return np.maximum(x, 0)

    def backward(self, grad):
        return grad * self.positive


@register(ReLU)
def relu(x: Any) -> Tensor:
    """max(x, 0), elementwise (gradient 0 at 0)."""
    return ReLU.apply(as_tensor(x))


class Sigmoid(Op):
    def forward(self, x):
        # exp of a non-positive number only: no overflow for large |x|.
        e = np.exp(-np.abs(x))
        self.out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.out

    def backward(self, grad):
        return grad * self.out * (1 - self.out)


@register(Sigmoid)
def sigmoid(x: Any) -> Tensor:
    """1 / (1 + e ** -x), elementwise, computed without overflow."""
    return Sigmoid.apply(float_tensor(x))


class Tanh(Op):
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad):
        return grad * (1 - self.out * self.out)


@register(Tanh)
def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent, elementwise."""
    return Tanh.apply(float_tensor(x))
