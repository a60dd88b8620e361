"""The functional API: every op's public function, and the Tensor's operators.

Each function is defined beside its op, in its family module under `tinygrad_np/ops/` (signature,
checks, docstring, forward and backward in one place); this module re-exports them, and maps
Python operators and NumPy ufuncs/functions onto them. Ops registered later (by users) are
reachable here too: `functional.my_op(x)`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops.conv import conv2d, conv2d_relu_maxpool2d
from .ops.elementwise import (
    abs,
    add,
    clamp,
    clip,
    cos,
    div,
    elu,
    eq,
    exp,
    expm1,
    ge,
    gelu,
    gt,
    le,
    leaky_relu,
    log,
    log1p,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    relu,
    sigmoid,
    silu,
    sin,
    softplus,
    sqrt,
    sub,
    tanh,
    where,
)  # fmt: skip
from .ops.linalg import linear, matmul
from .ops.loss import cross_entropy, hinge
from .ops.pool import avg_pool2d, max_pool2d
from .ops.reduce import log_softmax, max, mean, softmax, sum
from .ops.registry import FUNCTIONS
from .ops.shape import flatten, getitem, pad, reshape, transpose
from .tensor import Tensor

__all__ = [
    "abs", "add", "avg_pool2d", "clamp", "clip", "conv2d", "conv2d_relu_maxpool2d", "cos", "cross_entropy", "div",
    "elu", "eq", "exp", "expm1", "flatten", "ge", "gelu", "getitem", "gt", "hinge", "le", "leaky_relu", "linear",
    "log", "log1p", "log_softmax", "lt", "matmul", "max", "max_pool2d", "maximum", "mean", "minimum", "mul", "ne",
    "neg", "pad", "pow", "relu", "reshape", "sigmoid", "silu", "sin", "softmax", "softplus", "sqrt", "sub", "sum",
    "tanh", "transpose", "where",
]  # fmt: skip


def _reflected(fn):
    def method(self: Tensor, other: Any) -> Tensor:
        return fn(other, self)

    method.__doc__ = f"other {fn.__name__} self (the operator with the Tensor on the right)."
    return method


# Python operators on Tensors: each is an op's public function.
OPERATORS = {
    "__add__": add, "__radd__": _reflected(add),
    "__sub__": sub, "__rsub__": _reflected(sub),
    "__mul__": mul, "__rmul__": _reflected(mul),
    "__truediv__": div, "__rtruediv__": _reflected(div),
    "__pow__": pow, "__rpow__": _reflected(pow),
    "__matmul__": matmul, "__rmatmul__": _reflected(matmul),
    "__neg__": neg, "__abs__": abs, "__getitem__": getitem,
    "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge, "__eq__": eq, "__ne__": ne,
}  # fmt: skip

# NumPy ufuncs that are Tensor ops: `np.exp(t)`, and `array + t` (NumPy calls np.add(array, t)).
UFUNCS = {
    np.add: add, np.subtract: sub, np.multiply: mul, np.true_divide: div, np.power: pow, np.matmul: matmul,
    np.negative: neg, np.exp: exp, np.log: log, np.sqrt: sqrt, np.tanh: tanh, np.absolute: abs,
    np.maximum: maximum, np.minimum: minimum, np.sin: sin, np.cos: cos, np.log1p: log1p, np.expm1: expm1,
    np.less: lt, np.less_equal: le, np.greater: gt, np.greater_equal: ge, np.equal: eq, np.not_equal: ne,
}  # fmt: skip

# NumPy functions that are Tensor ops, called with NumPy's argument names: `np.sum(t, axis=1)`.
ARRAY_FUNCTIONS = {
    np.sum: sum, np.mean: mean, np.max: max, np.amax: max, np.reshape: reshape, np.transpose: transpose,
    np.clip: clip, np.where: where,
}  # fmt: skip


def _array_ufunc(self: Tensor, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Tensor:
    """Run NumPy ufuncs on Tensors as the matching op, so gradients flow; refuse the others clearly."""
    fn = UFUNCS.get(ufunc)
    if fn is None or method != "__call__" or kwargs:
        call_text = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        raise TypeError(
            f"{call_text}{' with ' + ', '.join(kwargs) if kwargs else ''} is not a Tensor op; "
            f"Tensor ufuncs: {', '.join(sorted(u.__name__ for u in UFUNCS))} (or use x.numpy() for plain values)"
        )
    return fn(*inputs)


def _array_function(self: Tensor, func: Any, types: Any, args: Any, kwargs: Any) -> Tensor:
    """Run NumPy functions on Tensors as the matching op; refuse the others (they would drop gradients)."""
    fn = ARRAY_FUNCTIONS.get(func)
    if fn is None:
        raise TypeError(
            f"numpy.{func.__name__} is not a Tensor op: use the tinygrad_np.functional op, or x.numpy() for "
            f"plain values. NumPy functions on Tensors: {', '.join(sorted({f.__name__ for f in ARRAY_FUNCTIONS}))}"
        )
    unsupported = sorted(set(kwargs) - {"axis", "keepdims", "axes", "shape"})
    if unsupported:
        raise TypeError(f"numpy.{func.__name__} on a Tensor takes no {', '.join(unsupported)}")
    return fn(*args, **kwargs)


for _name, _fn in OPERATORS.items():
    setattr(Tensor, _name, _fn)
Tensor.__array_ufunc__ = _array_ufunc
Tensor.__array_function__ = _array_function
Tensor.T = property(lambda self: transpose(self), doc="The tensor with its axes reversed.")


def __getattr__(name: str) -> Any:
    # Ops registered after import (by users) are functions here too: functional.my_op(x, ...).
    if name in FUNCTIONS:
        return FUNCTIONS[name]
    raise AttributeError(f"module 'tinygrad_np.functional' has no attribute {name!r}")
