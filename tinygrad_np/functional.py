"""The functional API: every op's public function, and the Tensor's operators.

Each function is defined beside its op, in its family module under `tinygrad_np/ops/` (signature,
checks, docstring, forward and backward in one place); this module exports them all (the
registry's `FUNCTIONS`), and maps Python operators and NumPy ufuncs/functions onto them. Ops
registered later (by users) are reachable here too: `functional.my_op(x)`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops  # noqa: F401  (imports every op family, filling the registry)
from .ops.registry import FUNCTIONS
from .tensor import Tensor

# Every registered op's public function (and each function made a Tensor method) is an attribute
# of this module: `functional.conv2d` is FUNCTIONS["conv2d"], defined in ops/conv.py.
globals().update(FUNCTIONS)
__all__ = sorted(FUNCTIONS)


# Python operators on Tensors, each the public function of an op (by name): x + y is add(x, y).
UNARY_OPERATORS = {"__neg__": "neg", "__abs__": "abs"}
OPERATORS = {
    "__add__": "add", "__sub__": "sub", "__mul__": "mul", "__truediv__": "div", "__pow__": "pow",
    "__matmul__": "matmul", "__getitem__": "getitem",
    "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge", "__eq__": "eq", "__ne__": "ne",
}  # fmt: skip
# The same with the Tensor on the right: 2 - x is sub(2, x).
REFLECTED_OPERATORS = {
    "__radd__": "add", "__rsub__": "sub", "__rmul__": "mul", "__rtruediv__": "div", "__rpow__": "pow",
    "__rmatmul__": "matmul",
}  # fmt: skip

# NumPy ufuncs that are Tensor ops: `np.exp(t)`, and `array + t` (NumPy calls np.add(array, t)).
UFUNCS = {
    np.add: "add", np.subtract: "sub", np.multiply: "mul", np.true_divide: "div", np.power: "pow",
    np.matmul: "matmul", np.negative: "neg", np.exp: "exp", np.log: "log", np.sqrt: "sqrt", np.tanh: "tanh",
    np.absolute: "abs", np.maximum: "maximum", np.minimum: "minimum", np.sin: "sin", np.cos: "cos",
    np.log1p: "log1p", np.expm1: "expm1", np.less: "lt", np.less_equal: "le", np.greater: "gt",
    np.greater_equal: "ge", np.equal: "eq", np.not_equal: "ne",
}  # fmt: skip

def _numpy_var(a: Any, axis: Any = None, ddof: float = 0, keepdims: bool = False) -> Tensor:
    """np.var on a Tensor: NumPy's `ddof` (default 0) is `correction`."""
    return FUNCTIONS["var"](a, axis, correction=ddof, keepdims=keepdims)


def _numpy_std(a: Any, axis: Any = None, ddof: float = 0, keepdims: bool = False) -> Tensor:
    """np.std on a Tensor: NumPy's `ddof` (default 0) is `correction`."""
    return FUNCTIONS["std"](a, axis, correction=ddof, keepdims=keepdims)


# NumPy functions that are Tensor ops (by op name, or an adapter for NumPy's argument names):
# `np.sum(t, axis=1)`. np.squeeze is not one: NumPy refuses to squeeze an axis whose size is not 1.
ARRAY_FUNCTIONS = {
    np.sum: "sum", np.mean: "mean", np.max: "max", np.amax: "max", np.min: "min", np.amin: "min",
    np.var: _numpy_var, np.std: _numpy_std, np.argmax: "argmax", np.argmin: "argmin", np.reshape: "reshape",
    np.transpose: "transpose", np.concatenate: "cat", np.stack: "stack", np.flip: "flip",
    np.broadcast_to: "broadcast_to", np.clip: "clip", np.where: "where",
}  # fmt: skip


def _operator(name: str, side: str):
    """The Tensor method for operator op `name`: `side` "unary" (op(self)), "left" (op(self, other))
    or "right" (op(other, self): the Tensor on the right, as in 2 - x)."""

    def method(self: Tensor, *other: Any) -> Tensor:
        return FUNCTIONS[name](*other, self) if side == "right" else FUNCTIONS[name](self, *other)

    method.__name__ = name
    method.__doc__ = f"The Tensor operator for `{name}` ({side}; see tinygrad_np.functional.{name})."
    return method


def _array_ufunc(self: Tensor, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Tensor:
    """Run NumPy ufuncs on Tensors as the matching op, so gradients flow; refuse the others clearly."""
    name = UFUNCS.get(ufunc)
    if name is None or method != "__call__" or kwargs:
        call_text = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        raise TypeError(
            f"{call_text}{' with ' + ', '.join(kwargs) if kwargs else ''} is not a Tensor op; "
            f"Tensor ufuncs: {', '.join(sorted(u.__name__ for u in UFUNCS))} (or use x.numpy() for plain values)"
        )
    return FUNCTIONS[name](*inputs)


def _array_function(self: Tensor, func: Any, types: Any, args: Any, kwargs: Any) -> Tensor:
    """Run NumPy functions on Tensors as the matching op; refuse the others (they would drop gradients)."""
    fn = ARRAY_FUNCTIONS.get(func)
    if fn is None:
        raise TypeError(
            f"numpy.{func.__name__} is not a Tensor op: use the tinygrad_np.functional op, or x.numpy() for "
            f"plain values. NumPy functions on Tensors: {', '.join(sorted({f.__name__ for f in ARRAY_FUNCTIONS}))}"
        )
    unsupported = sorted(set(kwargs) - {"axis", "keepdims", "axes", "shape", "ddof"})
    if unsupported:
        raise TypeError(f"numpy.{func.__name__} on a Tensor takes no {', '.join(unsupported)}")
    return (FUNCTIONS[fn] if isinstance(fn, str) else fn)(*args, **kwargs)


for _side, _table in (("unary", UNARY_OPERATORS), ("left", OPERATORS), ("right", REFLECTED_OPERATORS)):
    for _method, _name in _table.items():
        setattr(Tensor, _method, _operator(_name, _side))
Tensor.__array_ufunc__ = _array_ufunc
Tensor.__array_function__ = _array_function
Tensor.T = property(lambda self: FUNCTIONS["transpose"](self), doc="The tensor with its axes reversed.")


def __getattr__(name: str) -> Any:
    # Ops registered after import (by users) are functions here too: functional.my_op(x, ...).
    if name in FUNCTIONS:
        return FUNCTIONS[name]
    raise AttributeError(f"module 'tinygrad_np.functional' has no attribute {name!r}")
