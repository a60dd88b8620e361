"""The functional API: one checked entry point per registered op.

Every function validates its arguments, normalizes them (axes, strides, paddings, targets)
and dispatches through the op registry. The same functions are the Tensor's methods and
operators (attached at the bottom of this module). Ops registered later by users are
reachable here too: `functional.my_op(x)` (module `__getattr__`).
"""

from __future__ import annotations

import builtins
import numbers
from typing import Any

import numpy as np

from . import ops  # noqa: F401  (imports every op family, filling the registry)
from .checks import (
    check_choice,
    check_float,
    check_int,
    check_ndim,
    check_number,
    check_pair,
    class_targets,
    describe,
)
from .ops.registry import REGISTRY, call
from .tensor import Tensor

IMAGE_LAYOUT = "(N, H, W, C), channels-last"


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _operands(fn: str, a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Make both operands Tensors; a Python number takes the other operand's dtype."""
    if not isinstance(a, Tensor):
        a = Tensor(a, dtype=b.dtype) if isinstance(a, numbers.Number) and isinstance(b, Tensor) else Tensor(a)
    if not isinstance(b, Tensor):
        b = Tensor(b, dtype=a.dtype) if isinstance(b, numbers.Number) else Tensor(b)
    if a.shape != b.shape:
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ValueError(f"{fn}: shapes {a.shape} and {b.shape} do not broadcast together") from None
    return a, b


def _binary(name: str, a: Any, b: Any) -> Tensor:
    return REGISTRY[name].apply(*_operands(name, a, b))


def add(a: Any, b: Any) -> Tensor:
    """a + b, broadcasting."""
    return _binary("add", a, b)


def sub(a: Any, b: Any) -> Tensor:
    """a - b, broadcasting."""
    return _binary("sub", a, b)


def mul(a: Any, b: Any) -> Tensor:
    """a * b, broadcasting."""
    return _binary("mul", a, b)


def div(a: Any, b: Any) -> Tensor:
    """a / b, broadcasting."""
    return _binary("div", a, b)


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 (mirrors the operator's name)
    """a ** b, broadcasting. The gradient for b needs a > 0."""
    return _binary("pow", a, b)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's rules (1-D vectors, batched leading axes)."""
    a, b = _tensor(a), _tensor(b)
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
    return REGISTRY["matmul"].apply(a, b)


def linear(x: Any, weight: Any, bias: Any) -> Tensor:
    """x @ weight + bias in one op: x (N, in), weight (in, out), bias (out,) -> (N, out)."""
    x, weight, bias = _tensor(x), _tensor(weight), _tensor(bias)
    check_ndim("linear", "x", x.shape, 2, "(N, in_features)")
    check_ndim("linear", "weight", weight.shape, 2, "(in_features, out_features)")
    if x.shape[1] != weight.shape[0]:
        raise ValueError(
            f"linear: `x` has {x.shape[1]} features (shape {x.shape}) but `weight` expects "
            f"{weight.shape[0]} (shape {weight.shape})"
        )
    if bias.shape != (weight.shape[1],):
        raise ValueError(f"linear: `bias` must have shape ({weight.shape[1]},), got {bias.shape}")
    return REGISTRY["linear"].apply(x, weight, bias)


def _unary(name: str, doc: str):
    def fn(x: Any) -> Tensor:
        return REGISTRY[name].apply(_tensor(x))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


neg = _unary("neg", "-x.")
exp = _unary("exp", "e ** x, elementwise.")
log = _unary("log", "Natural logarithm, elementwise.")
sqrt = _unary("sqrt", "Square root, elementwise.")
relu = _unary("relu", "max(x, 0), elementwise (gradient 0 at 0).")
sigmoid = _unary("sigmoid", "1 / (1 + e ** -x), elementwise, computed without overflow.")
tanh = _unary("tanh", "Hyperbolic tangent, elementwise.")


def _axes(fn: str, axis: Any, ndim: int, name: str = "axis") -> tuple[int, ...] | None:
    """Normalize `axis` (None, int or sequence of ints) to None or a sorted tuple."""
    if axis is None:
        return None
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    rank = builtins.max(ndim, 1)  # as in PyTorch, a 0-D tensor takes axis 0 or -1: it has no axis to reduce
    result = []
    for a in items:
        check_int(fn, name, a)
        if not -rank <= a < rank:
            raise ValueError(f"{fn}: `{name}` {a} is out of range for a {ndim}-D tensor")
        result.append(a % rank)
    if len(set(result)) != len(result):
        raise ValueError(f"{fn}: `{name}` repeats an axis: {axis!r}")
    return tuple(sorted(result)) if ndim else ()


def _reduction(name: str, doc: str):
    def fn(x: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        x = _tensor(x)
        if x.size == 0:
            raise ValueError(f"{name}: cannot reduce an empty tensor of shape {x.shape}")
        return REGISTRY[name].apply(x, axis=_axes(name, axis, x.ndim), keepdims=bool(keepdims))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


sum = _reduction("sum", "Sum over `axis` (all axes when None).")  # noqa: A001
mean = _reduction("mean", "Mean over `axis` (all axes when None).")
max = _reduction("max", "Maximum over `axis` (all when None); ties share the gradient equally.")  # noqa: A001


def _normalization(name: str, doc: str):
    def fn(x: Any, axis: int = -1) -> Tensor:
        x = _tensor(x)
        axes = _axes(name, axis, x.ndim)
        return REGISTRY[name].apply(x, axis=axes[0] if axes else None)  # None: a 0-D tensor is its own axis

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


softmax = _normalization("softmax", "exp(x) / sum(exp(x)) along `axis`, computed stably.")
log_softmax = _normalization("log_softmax", "log(softmax(x)) along `axis`, through log-sum-exp.")


def reshape(x: Any, *shape: Any) -> Tensor:
    """View `x` with a new shape (`reshape(x, 2, 3)` or `reshape(x, (2, 3))`; one -1 is inferred)."""
    x = _tensor(x)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        check_int("reshape", "shape", n, minimum=-1)
    known = int(np.prod([n for n in shape if n != -1]))
    if shape.count(-1) > 1 or (x.size != known if -1 not in shape else (known == 0 or x.size % known != 0)):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into {shape}")
    return REGISTRY["reshape"].apply(x, shape=shape)


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes start_dim..end_dim into one (`flatten(x, 1)` turns (N, H, W, C) into (N, H*W*C))."""
    x = _tensor(x)
    start, end = _axes("flatten", start_dim, x.ndim, "start_dim"), _axes("flatten", end_dim, x.ndim, "end_dim")
    if not x.ndim:  # a 0-D tensor flattens to shape (1,), as in PyTorch
        return REGISTRY["flatten"].apply(x, start_dim=0, end_dim=0)
    if start[0] > end[0]:
        raise ValueError(f"flatten: `start_dim` ({start_dim}) comes after `end_dim` ({end_dim})")
    return REGISTRY["flatten"].apply(x, start_dim=start[0], end_dim=end[0])


def transpose(x: Any, axes: tuple[int, ...] | None = None) -> Tensor:
    """Permute axes (reverse them when `axes` is None)."""
    x = _tensor(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    normalized = _axes("transpose", tuple(axes), x.ndim, "axes") if x.ndim else ()
    if normalized is None or len(normalized) != x.ndim:
        raise ValueError(f"transpose: `axes` must be a permutation of {x.ndim} axes, got {axes!r}")
    return REGISTRY["transpose"].apply(x, axes=tuple(a % x.ndim for a in axes))


def _index(value: Any) -> Any:
    """Turn Tensors and lists inside an index into integer/bool arrays."""
    if isinstance(value, tuple):
        return tuple(_index(v) for v in value)
    if isinstance(value, (Tensor, list, np.ndarray)):
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind == "f":
            if not np.all(array == np.round(array)):
                raise TypeError(f"getitem: index arrays must hold integers, got {describe(array)}")
            array = array.astype(np.int64)
        return array
    return value


def getitem(x: Any, index: Any) -> Tensor:
    """x[index]: ints, slices, None, Ellipsis, integer/bool arrays; gradients flow back."""
    x = _tensor(x)
    index = _index(index)
    try:  # the op's forward is the indexing itself: one gather, checked by NumPy
        return REGISTRY["getitem"].apply(x, index=index)
    except IndexError as err:
        raise IndexError(f"getitem: bad index for a tensor of shape {x.shape}: {err}") from None


def pad(x: Any, pad_width: Any, value: float = 0.0) -> Tensor:
    """Constant padding, NumPy-style `pad_width`: an int, a (before, after) pair, or one pair per axis."""
    x = _tensor(x)
    width = np.asarray(pad_width)
    if width.dtype.kind not in "iu" or width.ndim > 2:
        raise TypeError(f"pad: `pad_width` must be ints (an int, a pair, or a pair per axis), got {pad_width!r}")
    try:
        width = np.broadcast_to(width, (x.ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: `pad_width` must give one (before, after) pair per axis ({x.ndim}), got {pad_width!r}"
        ) from None
    if width.min() < 0:
        raise ValueError(f"pad: `pad_width` must be non-negative, got {pad_width!r}")
    value = check_number("pad", "value", value)
    return REGISTRY["pad"].apply(x, pad_width=tuple(map(tuple, width.tolist())), value=value)


def _image(fn: str, x: Any) -> Tensor:
    x = _tensor(x)
    check_ndim(fn, "x", x.shape, 4, IMAGE_LAYOUT)
    check_float(fn, "x", x.dtype)
    return x


def conv_padding(fn: str, padding: Any, kernel: tuple[int, int], stride: tuple[int, int]):
    """((top, bottom), (left, right)) from an int, a pair, "valid" or "same" (which needs stride 1)."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"{fn}: padding='same' needs stride 1, got stride={stride}")
        # As PyTorch: the odd pixel of an even kernel's padding goes after (bottom/right).
        return tuple(((k - 1) // 2, k - 1 - (k - 1) // 2) for k in kernel)
    if isinstance(padding, str):
        raise ValueError(f"{fn}: `padding` must be an int, a pair, 'same' or 'valid', got {padding!r}")
    ph, pw = check_pair(fn, "padding", padding, minimum=0)
    return (ph, ph), (pw, pw)


def _conv_inputs(fn: str, x: Any, weight: Any, bias: Any, stride: Any, padding: Any):
    """Checked and normalized conv arguments: (inputs, stride pair, ((top, bottom), (left, right)))."""
    x, weight = _image(fn, x), _tensor(weight)
    check_ndim(fn, "weight", weight.shape, 4, "(kh, kw, C_in, C_out)")
    check_float(fn, "weight", weight.dtype)
    kh, kw, c_in, c_out = weight.shape
    if x.shape[3] != c_in:
        hint = ""
        if x.shape[1] == c_in:
            hint = "; x looks channels-first (N, C, H, W): use x.transpose((0, 2, 3, 1))"
        raise ValueError(
            f"{fn}: `x` has {x.shape[3]} channels (last axis of shape {x.shape}) but `weight` "
            f"expects C_in={c_in} (shape {weight.shape}){hint}"
        )
    inputs = [x, weight]
    if bias is not None:
        bias = _tensor(bias)
        if bias.shape != (c_out,):
            raise ValueError(f"{fn}: `bias` must have shape ({c_out},), got {bias.shape}")
        inputs.append(bias)
    stride = check_pair(fn, "stride", stride, minimum=1)
    padding = conv_padding(fn, padding, (kh, kw), stride)
    padded = (x.shape[1] + builtins.sum(padding[0]), x.shape[2] + builtins.sum(padding[1]))
    if kh > padded[0] or kw > padded[1]:
        raise ValueError(
            f"{fn}: kernel {kh}x{kw} is larger than the padded input {padded[0]}x{padded[1]} "
            f"(x shape {x.shape}, padding {padding})"
        )
    return inputs, stride, padding


def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0) -> Tensor:
    """2-D convolution (cross-correlation, as in every framework), channels-last.

    x: (N, H, W, C_in); weight: (kh, kw, C_in, C_out); bias: (C_out,) or None.
    stride: int or pair; padding: int, pair, "same" (stride 1) or "valid".
    Returns (N, H_out, W_out, C_out), H_out = (H + pad_top + pad_bottom - kh) // stride + 1.
    """
    inputs, stride, padding = _conv_inputs("conv2d", x, weight, bias, stride, padding)
    return REGISTRY["conv2d"].apply(*inputs, stride=stride, padding=padding)


def conv2d_relu_maxpool2d(x: Any, weight: Any, bias: Any, stride: Any = 1, padding: Any = 0, pool: int = 2) -> Tensor:
    """max_pool2d(relu(conv2d(x, weight, bias, stride, padding)), pool) as one fast op.

    The pool's stride equals its size `pool`; results and gradients equal the three ops'.
    """
    if bias is None:
        raise TypeError("conv2d_relu_maxpool2d: `bias` is required (pass zeros for none)")
    inputs, stride, padding = _conv_inputs("conv2d_relu_maxpool2d", x, weight, bias, stride, padding)
    pool = check_int("conv2d_relu_maxpool2d", "pool", pool, minimum=1)
    kh, kw = inputs[1].shape[:2]
    out_h = (inputs[0].shape[1] + builtins.sum(padding[0]) - kh) // stride[0] + 1
    out_w = (inputs[0].shape[2] + builtins.sum(padding[1]) - kw) // stride[1] + 1
    if pool > min(out_h, out_w):
        raise ValueError(f"conv2d_relu_maxpool2d: `pool` {pool} is larger than the conv output {out_h}x{out_w}")
    return REGISTRY["conv2d_relu_maxpool2d"].apply(*inputs, stride=stride, padding=padding, pool=pool)


def _pool(name: str, x: Any, kernel_size: Any, stride: Any) -> Tensor:
    x = _image(name, x)
    kernel = check_pair(name, "kernel_size", kernel_size, minimum=1)
    stride = kernel if stride is None else check_pair(name, "stride", stride, minimum=1)
    if kernel[0] > x.shape[1] or kernel[1] > x.shape[2]:
        raise ValueError(f"{name}: kernel {kernel[0]}x{kernel[1]} is larger than the input {x.shape[1]}x{x.shape[2]}")
    return REGISTRY[name].apply(x, kernel=kernel, stride=stride)


def max_pool2d(x: Any, kernel_size: Any = 2, stride: Any = None) -> Tensor:
    """Max pooling over (N, H, W, C); stride defaults to the kernel; each window's gradient goes
    to its first maximum. Output size floors, like PyTorch."""
    return _pool("max_pool2d", x, kernel_size, stride)


def avg_pool2d(x: Any, kernel_size: Any = 2, stride: Any = None) -> Tensor:
    """Average pooling over (N, H, W, C); stride defaults to the kernel; output size floors."""
    return _pool("avg_pool2d", x, kernel_size, stride)


REDUCTIONS = ("mean", "sum", "none")


def _scores(fn: str, scores: Any, name: str) -> Tensor:
    scores = _tensor(scores)
    check_ndim(fn, name, scores.shape, 2, "(N, K): one row of class scores per sample")
    check_float(fn, name, scores.dtype)
    return scores


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy on raw logits (N, K), fused and stable (log-sum-exp).

    target: class indices (N,) of an integer dtype, or one-hot / probability rows (N, K).
    reduction: "mean" (default), "sum" or "none" (per-sample losses).
    """
    logits = _scores("cross_entropy", logits, "logits")
    n, k = logits.shape
    target = class_targets("cross_entropy", target, n, k, allow_probabilities=True)
    if target.ndim == 2:
        target = target.astype(logits.dtype, copy=False)
    reduction = check_choice("cross_entropy", "reduction", reduction, REDUCTIONS)
    return REGISTRY["cross_entropy"].apply(logits, target=target, reduction=reduction)


def hinge(scores: Any, target: Any, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """Weston-Watkins multiclass hinge loss on scores (N, K).

    Per sample: sum over j != y of max(0, margin + s_j - s_y). target: class indices (N,)
    or one-hot rows (N, K). reduction: "mean", "sum" or "none".
    """
    scores = _scores("hinge", scores, "scores")
    n, k = scores.shape
    target = class_targets("hinge", target, n, k, allow_probabilities=False)
    margin = check_number("hinge", "margin", margin, minimum=0.0)
    reduction = check_choice("hinge", "reduction", reduction, REDUCTIONS)
    return REGISTRY["hinge"].apply(scores, target=target, margin=margin, reduction=reduction)


def __getattr__(name: str) -> Any:
    # Ops registered by users become functions here too: functional.my_op(x, ...).
    if name in REGISTRY:
        return lambda *inputs, **params: call(name, *inputs, **params)
    raise AttributeError(f"module 'tinygrad_np.functional' has no attribute {name!r}")


# NumPy ufuncs that are Tensor ops: `np.exp(t)`, and `array + t` (NumPy calls np.add(array, t)).
UFUNCS = {
    np.add: add, np.subtract: sub, np.multiply: mul, np.true_divide: div, np.power: pow, np.matmul: matmul,
    np.negative: neg, np.exp: exp, np.log: log, np.sqrt: sqrt, np.tanh: tanh,
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


# NumPy functions that are Tensor ops, called with NumPy's argument names: `np.sum(t, axis=1)`.
ARRAY_FUNCTIONS = {np.sum: sum, np.mean: mean, np.max: max, np.amax: max, np.reshape: reshape, np.transpose: transpose}


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


def _attach_methods() -> None:
    """Make the functions above Tensor methods and operators."""
    for name in REGISTRY:  # every built-in op's checked function is also a method: x.conv2d(w)
        setattr(Tensor, name, globals()[name])
    operators = {
        "__add__": add, "__radd__": lambda a, b: add(b, a),
        "__sub__": sub, "__rsub__": lambda a, b: sub(b, a),
        "__mul__": mul, "__rmul__": lambda a, b: mul(b, a),
        "__truediv__": div, "__rtruediv__": lambda a, b: div(b, a),
        "__pow__": pow, "__rpow__": lambda a, b: pow(b, a),
        "__matmul__": matmul, "__rmatmul__": lambda a, b: matmul(b, a),
        "__neg__": neg, "__getitem__": getitem,
    }  # fmt: skip
    for name, fn in operators.items():
        setattr(Tensor, name, fn)
    Tensor.__array_ufunc__ = _array_ufunc
    Tensor.__array_function__ = _array_function
    Tensor.T = property(lambda self: transpose(self), doc="The tensor with its axes reversed.")


_attach_methods()
