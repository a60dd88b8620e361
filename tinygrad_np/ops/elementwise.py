"""Elementwise ops. Binary ops broadcast like NumPy; the engine un-broadcasts their gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Op
from ..checks import check_choice, check_number
from ..tensor import Tensor
from .arguments import as_tensor, float_tensor, operands
from .registry import register, tensor_method


def _scipy_erf():
    """scipy.special.erf (scipy comes with scikit-learn), imported on first use: `import tinygrad_np` stays fast."""
    from scipy.special import erf

    return erf


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e ** -x) without overflow: exp of non-positive numbers only."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


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
        # x ** 0 is constant: its slope is 0 everywhere, x = 0 included. The base is swapped for 1 there
        # first, so neither this slope (0 * inf) nor its own derivative (for create_graph) is NaN.
        constant = b == 0
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** (b - 1) is inf where b < 1
            grad_a = grad * np.where(constant, 0, b * np.where(constant, 1, a) ** (b - 1))
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


def _unary(name: str, forward, derivative, doc: str):
    """Register a smooth elementwise op from its forward f(x) and its derivative f'(x, f(x))."""

    def forward_method(self, x):
        self.x, self.out = x, forward(x)
        return self.out

    def backward_method(self, grad):
        return grad * derivative(self.x, self.out)

    op = type(name.capitalize(), (Op,), {"forward": forward_method, "backward": backward_method, "__doc__": doc})

    def fn(x: Any) -> Tensor:
        return op.apply(float_tensor(x))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return register(op)(fn)


# Smooth elementwise ops, each its forward and its derivative f'(x, f(x)) side by side.
exp = _unary("exp", np.exp, lambda x, out: out, "e ** x, elementwise.")
log = _unary("log", np.log, lambda x, out: 1 / x, "Natural logarithm, elementwise.")
sqrt = _unary("sqrt", np.sqrt, lambda x, out: 0.5 / out, "Square root, elementwise.")
sigmoid = _unary(
    "sigmoid", _sigmoid, lambda x, out: out * (1 - out), "1 / (1 + e ** -x), elementwise, computed without overflow."
)
tanh = _unary("tanh", np.tanh, lambda x, out: 1 - out * out, "Hyperbolic tangent, elementwise.")


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


class Abs(Op):
    """|x|; the gradient at exactly 0 is taken as 0 (like PyTorch)."""

    def forward(self, x):
        self.sign = np.sign(x)
        return np.abs(x)

    def backward(self, grad):
        return grad * self.sign


@register(Abs)
def abs(x: Any) -> Tensor:  # noqa: A001 (the builtin's name, as in PyTorch)
    """|x|, elementwise (gradient 0 at 0)."""
    return Abs.apply(as_tensor(x))


class Maximum(Op):
    """Elementwise max(a, b); where a == b the gradient is split evenly (like PyTorch)."""

    def forward(self, a, b):
        self.a_share = (a > b) + 0.5 * (a == b)
        return np.maximum(a, b)

    def backward(self, grad):
        share = self.a_share.astype(grad.dtype, copy=False)
        return grad * share, grad * (1 - share)


@register(Maximum)
def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum of a and b, broadcasting; ties share the gradient equally."""
    return Maximum.apply(*operands("maximum", a, b))


class Minimum(Op):
    """Elementwise min(a, b); where a == b the gradient is split evenly (like PyTorch)."""

    def forward(self, a, b):
        self.a_share = (a < b) + 0.5 * (a == b)
        return np.minimum(a, b)

    backward = Maximum.backward


@register(Minimum)
def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum of a and b, broadcasting; ties share the gradient equally."""
    return Minimum.apply(*operands("minimum", a, b))


class Clip(Op):
    """x limited to [low, high]; the gradient passes where low <= x <= high (like PyTorch's clamp)."""

    def forward(self, x, low=None, high=None):
        self.inside = (x >= (-np.inf if low is None else low)) & (x <= (np.inf if high is None else high))
        return np.clip(x, low, high)

    def backward(self, grad):
        return grad * self.inside


@register(Clip)
def clip(x: Any, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002 (PyTorch's names)
    """x limited to [min, max] elementwise (either bound may be None); the gradient is 1 inside the
    bounds and 0 outside (PyTorch's `clamp`)."""
    x = as_tensor(x)
    if min is None and max is None:
        raise ValueError("clip: give at least one of `min` and `max`")
    low = None if min is None else check_number("clip", "min", min)
    high = None if max is None else check_number("clip", "max", max)
    if low is not None and high is not None and low > high:
        raise ValueError(f"clip: `min` ({low}) must not exceed `max` ({high})")
    return Clip.apply(x, low=low, high=high)


clamp = tensor_method(clip, name="clamp")


class Where(Op):
    """cond ? a : b elementwise, broadcasting; the condition is a constant boolean array."""

    def forward(self, a, b, condition=None):
        self.condition = condition
        return np.where(condition, a, b)

    def backward(self, grad):
        zero = np.zeros((), grad.dtype)
        return np.where(self.condition, grad, zero), np.where(self.condition, zero, grad)


@register(Where)
def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elements of `a` where `condition` is true, else of `b` (all three broadcast); gradients flow to
    `a` and `b`, none to the condition."""
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: `condition` must be boolean (e.g. x > 0), got dtype {cond.dtype}")
    a, b = operands("where", a, b)
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape}, {a.shape} and {b.shape} do not broadcast together") from None
    return Where.apply(a, b, condition=cond)


class Comparison(Op):
    """A boolean elementwise comparison: no gradient (never recorded)."""

    differentiable = False
    compare = staticmethod(np.equal)

    def forward(self, a, b):
        return self.compare(a, b)


def _comparison(name: str, ufunc: np.ufunc, symbol: str):
    op = type(name.capitalize(), (Comparison,), {"compare": staticmethod(ufunc), "__doc__": f"a {symbol} b"})

    def compare(a: Any, b: Any) -> Tensor:
        return op.apply(*operands(name, a, b))

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"a {symbol} b elementwise, broadcasting: a boolean tensor without gradient."
    return register(op)(compare)


lt = _comparison("lt", np.less, "<")
le = _comparison("le", np.less_equal, "<=")
gt = _comparison("gt", np.greater, ">")
ge = _comparison("ge", np.greater_equal, ">=")
eq = _comparison("eq", np.equal, "==")
ne = _comparison("ne", np.not_equal, "!=")


sin = _unary("sin", np.sin, lambda x, out: np.cos(x), "Sine, elementwise.")
cos = _unary("cos", np.cos, lambda x, out: -np.sin(x), "Cosine, elementwise.")
log1p = _unary("log1p", np.log1p, lambda x, out: 1 / (1 + x), "log(1 + x), elementwise, accurate for small x.")
expm1 = _unary("expm1", np.expm1, lambda x, out: out + 1, "e ** x - 1, elementwise, accurate for small x.")
erf = _unary(
    "erf",
    lambda x: _scipy_erf()(x).astype(x.dtype, copy=False),
    lambda x, out: (2 / np.sqrt(np.pi)) * np.exp(-x * x),
    "The Gauss error function, elementwise.",
)
silu = _unary(
    "silu",
    lambda x: x * _sigmoid(x),
    lambda x, out: _sigmoid(x) * (1 + x * (1 - _sigmoid(x))),
    "x * sigmoid(x) (also called swish), elementwise.",
)


class LeakyReLU(Op):
    """x where x > 0, else negative_slope * x; the gradient at exactly 0 is negative_slope (like PyTorch)."""

    def forward(self, x, negative_slope=0.01):
        self.slope = np.where(x > 0, 1, negative_slope).astype(x.dtype)
        return x * self.slope

    def backward(self, grad):
        return grad * self.slope


@register(LeakyReLU)
def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """max(x, 0) + negative_slope * min(x, 0), elementwise."""
    return LeakyReLU.apply(float_tensor(x), negative_slope=check_number("leaky_relu", "negative_slope", negative_slope))


class ELU(Op):
    """x where x > 0, else alpha * (e ** x - 1)."""

    def forward(self, x, alpha=1.0):
        self.positive, self.alpha = x > 0, alpha
        self.out = np.where(self.positive, x, alpha * np.expm1(np.minimum(x, 0)))
        return self.out

    def backward(self, grad):
        return grad * np.where(self.positive, 1, self.out + self.alpha).astype(grad.dtype)


@register(ELU)
def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: x for x > 0, alpha * (e ** x - 1) otherwise."""
    return ELU.apply(float_tensor(x), alpha=check_number("elu", "alpha", alpha))


class GELU(Op):
    """x * Phi(x), Phi the standard normal CDF (exact, through erf), or PyTorch's tanh approximation."""

    def forward(self, x, approximate="none"):
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            self.inner = np.tanh(np.sqrt(2 / np.pi).astype(x.dtype) * (x + 0.044715 * x**3))
            return 0.5 * x * (1 + self.inner)
        self.cdf = (0.5 * (1 + _scipy_erf()(x / np.sqrt(2)))).astype(x.dtype)
        return x * self.cdf

    def backward(self, grad):
        return grad * self.slope(self.x, self.inner if self.approximate == "tanh" else self.cdf)

    def vjp(self, grad, out):
        """As backward, with tanh(...) or Phi(x) recomputed from the input Tensor (they depend on it)."""
        (x,) = self.parents
        if self.approximate == "tanh":
            return grad * self.slope(x, (np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)).tanh())
        return grad * self.slope(x, 0.5 * (1 + (x / np.sqrt(2)).erf()))

    def slope(self, x, inner_or_cdf):
        """d gelu / dx from x and tanh(...) (tanh approximation) or Phi(x); arrays or Tensors."""
        if self.approximate == "tanh":
            k = np.sqrt(2 / np.pi)
            return 0.5 * (1 + inner_or_cdf) + 0.5 * x * (1 - inner_or_cdf**2) * k * (1 + 3 * 0.044715 * x**2)
        return inner_or_cdf + x * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


@register(GELU)
def gelu(x: Any, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit, x * Phi(x); `approximate="tanh"` uses PyTorch's tanh formula."""
    return GELU.apply(float_tensor(x), approximate=check_choice("gelu", "approximate", approximate, ("none", "tanh")))


class Softplus(Op):
    """log(1 + e ** (beta * x)) / beta, linear where beta * x > threshold (as PyTorch)."""

    def forward(self, x, beta=1.0, threshold=20.0):
        self.x, self.beta, self.threshold = x, beta, threshold
        scaled = beta * x
        return np.where(scaled > threshold, x, np.logaddexp(0, scaled) / beta).astype(x.dtype, copy=False)

    def backward(self, grad):
        scaled = self.x * self.beta
        return grad * np.where(scaled > self.threshold, 1, _sigmoid(scaled))


@register(Softplus)
def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """A smooth ReLU: log(1 + e ** (beta * x)) / beta, computed stably; x itself where beta * x > threshold."""
    beta = check_number("softplus", "beta", beta, minimum=0.0, exclusive=True)
    return Softplus.apply(float_tensor(x), beta=beta, threshold=check_number("softplus", "threshold", threshold))


class AsType(Op):
    """x converted to another floating dtype; the gradient is converted back."""

    def forward(self, x, dtype=np.float32):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.in_dtype)


@register(AsType)
def astype(x: Any, dtype: Any) -> Tensor:
    """x as `dtype` (NumPy's name; PyTorch's `x.to(dtype)`). Between float dtypes the gradient flows
    (converted back); to an integer or bool dtype the result is a plain tensor without gradient."""
    x = as_tensor(x)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"astype: `dtype` must be a NumPy dtype such as np.float64, got {dtype!r}") from None
    if dtype.kind not in "biuf":
        raise TypeError(f"astype: `dtype` must be numeric (bool, int or float), got {dtype}")
    if dtype == x.dtype:
        return x
    if dtype.kind != "f" or x.dtype.kind != "f":
        return Tensor(x.data.astype(dtype))
    return AsType.apply(x, dtype=dtype)
