"""Ops that move elements without arithmetic: reshape, flatten, squeeze, unsqueeze, transpose,
permute, broadcast_to, expand, flip, getitem and its adjoint add_at, pad, cat, stack, split."""

from __future__ import annotations

from itertools import accumulate
from typing import Any

import numpy as np

from ..autograd import Op
from ..checks import check_int, check_number, describe
from ..tensor import Tensor
from .arguments import as_tensor, axes, one_axis
from .registry import register, tensor_method


def _sizes(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Sizes or axes given as separate ints (`f(x, 2, 3)`) or as one tuple or list (`f(x, (2, 3))`)."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


def _new_axis(fn: str, axis: Any, ndim: int) -> int:
    """The position (>= 0) of a new axis added to an `ndim`-D tensor: `axis` in -(ndim + 1) .. ndim."""
    check_int(fn, "axis", axis)
    if not -ndim - 1 <= axis <= ndim:
        raise ValueError(
            f"{fn}: `axis` {axis} is out of range for a new axis of a {ndim}-D tensor (-{ndim + 1} .. {ndim})"
        )
    return axis % (ndim + 1)


class Reshape(Op):
    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


@register(Reshape)
def reshape(x: Any, *shape: Any) -> Tensor:
    """View `x` with a new shape (`reshape(x, 2, 3)` or `reshape(x, (2, 3))`; one -1 is inferred)."""
    x = as_tensor(x)
    shape = _sizes(shape)
    for n in shape:
        check_int("reshape", "shape", n, minimum=-1)
    known = int(np.prod([n for n in shape if n != -1]))
    if shape.count(-1) > 1 or (x.size != known if -1 not in shape else (known == 0 or x.size % known != 0)):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into {shape}")
    return Reshape.apply(x, shape=shape)


class Flatten(Reshape):
    """Merge axes start_dim..end_dim (inclusive, non-negative here) into one."""

    def forward(self, x, start_dim=0, end_dim=-1):
        end = end_dim % x.ndim if x.ndim else 0
        shape = x.shape[:start_dim] + (-1,) + x.shape[end + 1 :]
        return super().forward(x, shape)


@register(Flatten)
def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes start_dim..end_dim into one (`flatten(x, 1)` turns (N, H, W, C) into (N, H*W*C))."""
    x = as_tensor(x)
    start, end = axes("flatten", start_dim, x.ndim, "start_dim"), axes("flatten", end_dim, x.ndim, "end_dim")
    if not x.ndim:  # a 0-D tensor flattens to shape (1,), as in PyTorch
        return Flatten.apply(x, start_dim=0, end_dim=0)
    if start[0] > end[0]:
        raise ValueError(f"flatten: `start_dim` ({start_dim}) comes after `end_dim` ({end_dim})")
    return Flatten.apply(x, start_dim=start[0], end_dim=end[0])


class Squeeze(Reshape):
    """Drop size-1 axes (the public function computes the new shape)."""


@register(Squeeze)
def squeeze(x: Any, axis: int | tuple[int, ...] | None = None) -> Tensor:
    """Remove size-1 axes: all of them when `axis` is None, else those among `axis` (an int or a tuple);
    as in PyTorch, a listed axis whose size is not 1 is left as it is."""
    x = as_tensor(x)
    drop = axes("squeeze", axis, x.ndim)
    shape = tuple(n for i, n in enumerate(x.shape) if n != 1 or (drop is not None and i not in drop))
    return Squeeze.apply(x, shape=shape)


class Unsqueeze(Reshape):
    """Insert a size-1 axis (the public function computes the new shape)."""


@register(Unsqueeze)
def unsqueeze(x: Any, axis: int) -> Tensor:
    """Insert a size-1 axis at position `axis`, in -(ndim + 1) .. ndim (`unsqueeze(x, -1)` appends one)."""
    x = as_tensor(x)
    axis = _new_axis("unsqueeze", axis, x.ndim)
    return Unsqueeze.apply(x, shape=x.shape[:axis] + (1,) + x.shape[axis:])


class Transpose(Op):
    def forward(self, x, axes):
        self.inverse = tuple(np.argsort(axes))
        return x.transpose(axes)

    def backward(self, grad):
        return grad.transpose(self.inverse)


def _permutation(fn: str, name: str, order: tuple[Any, ...], ndim: int) -> tuple[int, ...]:
    """`order` checked to be a permutation of a tensor's `ndim` axes, normalized to >= 0."""
    normalized = axes(fn, order, ndim, name) if order else ()
    if len(order) != ndim or len(normalized) != ndim:
        raise ValueError(f"{fn}: `{name}` must be a permutation of {ndim} axes, got {order!r}")
    return tuple(a % ndim for a in order)


@register(Transpose)
def transpose(x: Any, *axes_order: Any) -> Tensor:
    """Permute axes as NumPy does: `transpose(x)` reverses them; `transpose(x, 2, 0, 1)` or
    `transpose(x, (2, 0, 1))` puts axis 2 first."""
    x = as_tensor(x)
    axes_order = () if axes_order == (None,) else _sizes(axes_order)
    if not axes_order:
        axes_order = tuple(reversed(range(x.ndim)))
    return Transpose.apply(x, axes=_permutation("transpose", "axes", axes_order, x.ndim))


class Permute(Transpose):
    """Reorder axes (PyTorch's name for NumPy's transpose with explicit axes)."""


@register(Permute)
def permute(x: Any, *dims: Any) -> Tensor:
    """Reorder the axes as PyTorch does: `permute(x, 0, 3, 1, 2)` or `permute(x, (0, 3, 1, 2))`
    (every axis listed once; negative ones count from the end)."""
    x = as_tensor(x)
    return Permute.apply(x, axes=_permutation("permute", "dims", _sizes(dims), x.ndim))


class BroadcastTo(Op):
    """Repeat size-1 axes and prepend axes, without copying (the output is a read-only view)."""

    def forward(self, x, shape):
        return np.broadcast_to(x, shape)

    def backward(self, grad):
        return grad  # the engine sums a broadcast gradient back to the input's shape


def _broadcast_shape(fn: str, x: Tensor, shape: tuple[Any, ...], name: str = "a tensor") -> tuple[int, ...]:
    """`shape`, checked to be one that `x` (called `name` in the error) broadcasts to (NumPy's rules,
    result exactly `shape`)."""
    for n in shape:
        check_int(fn, "shape", n, minimum=0)
    shape = tuple(int(n) for n in shape)
    try:
        fits = np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{fn}: cannot broadcast {name} of shape {x.shape} to {shape} "
            "(each axis must be 1 or match, new axes go first)"
        )
    return shape


@register(BroadcastTo)
def broadcast_to(x: Any, shape: int | tuple[int, ...]) -> Tensor:
    """`x` repeated along size-1 axes (and new leading axes) to `shape`, as NumPy's broadcast_to.
    Gradients are summed back over the repeats."""
    x = as_tensor(x)
    sizes = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    return BroadcastTo.apply(x, shape=_broadcast_shape("broadcast_to", x, sizes))


class Expand(BroadcastTo):
    """PyTorch's name for broadcast_to, where -1 keeps an axis's size."""


@register(Expand)
def expand(x: Any, *shape: Any) -> Tensor:
    """`x` repeated along size-1 axes (and new leading axes) to `shape`, as PyTorch's expand:
    `expand(x, 4, -1, 3)` or `expand(x, (4, -1, 3))`; -1 keeps that axis's size."""
    x = as_tensor(x)
    shape = _sizes(shape)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: `shape` {shape} has fewer axes than the tensor's shape {x.shape}")
    if any(n == -1 for n in shape[:lead]):
        raise ValueError(f"expand: -1 in `shape` {shape} can only keep an existing axis, not size a new leading one")
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    return Expand.apply(x, shape=_broadcast_shape("expand", x, shape))


class Flip(Op):
    """Reverse the order of elements along axes."""

    def forward(self, x, axis):
        self.axis = axis
        return np.flip(x, axis)

    def backward(self, grad):
        return np.flip(grad, self.axis)


@register(Flip)
def flip(x: Any, axis: int | tuple[int, ...] | None = None) -> Tensor:
    """Reverse the order of elements along `axis` (an int or a tuple; all axes when None, as NumPy)."""
    x = as_tensor(x)
    return Flip.apply(x, axis=axes("flip", axis, x.ndim))


class GetItem(Op):
    """x[index] for basic and advanced indices; repeated indices accumulate gradient."""

    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=self.dtype)
        if _is_basic(self.index):
            out[self.index] = grad  # a view: every element is hit at most once
        else:
            np.add.at(out, self.index, grad)
        return out

    def vjp(self, grad, out):
        return AddAt.apply(Tensor._from_op(np.zeros(self.shape, self.dtype)), grad, index=self.index)


def _index(fn: str, value: Any) -> Any:
    """Turn Tensors and lists inside an index into integer/bool arrays."""
    if isinstance(value, tuple):
        return tuple(_index(fn, v) for v in value)
    if isinstance(value, (Tensor, list, np.ndarray)):
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind == "f":
            if not np.all(array == np.round(array)):
                raise TypeError(f"{fn}: index arrays must hold integers, got {describe(array)}")
            array = array.astype(np.int64)
        return array
    return value


@register(GetItem)
def getitem(x: Any, index: Any) -> Tensor:
    """x[index]: ints, slices, None, Ellipsis, integer/bool arrays; gradients flow back."""
    x = as_tensor(x)
    index = _index("getitem", index)
    try:  # the op's forward is the indexing itself: one gather, checked by NumPy
        return GetItem.apply(x, index=index)
    except IndexError as err:
        raise IndexError(f"getitem: bad index for a tensor of shape {x.shape}: {err}") from None


class AddAt(Op):
    """`x` with `values` added at x[index], out of place (NumPy's np.add.at); repeated indices
    accumulate. getitem's adjoint: its gradient for `values` is the gradient gathered at `index`."""

    def forward(self, x, values, index):
        self.index = index
        out = x.copy()
        if _is_basic(index):
            out[index] += values  # a view: every element is hit at most once
        else:
            np.add.at(out, index, values)
        return out

    def backward(self, grad):  # linear, no saved arrays: the default vjp records it (a getitem)
        return grad, grad[self.index] if self.needs_input_grad[1] else None


@register(AddAt)
def add_at(x: Any, index: Any, values: Any) -> Tensor:
    """`x` with `values` added at x[index] (any getitem index), as NumPy's `np.add.at(x, index, values)`
    but out of place: repeated indices accumulate (PyTorch: `x.index_put(index, values, accumulate=True)`).
    `values` must broadcast to the shape of x[index]; the result has x's dtype."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"add_at: `x` must be a floating tensor, got dtype {x.dtype}")
    values = as_tensor(values)
    if values.dtype.kind != "f":
        values = Tensor(values.data, dtype=x.dtype)
    index = _index("add_at", index)
    try:
        target = x.data[index].shape
    except IndexError as err:
        raise IndexError(f"add_at: bad index for a tensor of shape {x.shape}: {err}") from None
    _broadcast_shape("add_at", values, target, "`values`")
    return AddAt.apply(x, values, index=index)


def _is_basic(index) -> bool:
    """True for an index made only of ints, slices, None and Ellipsis (NumPy basic indexing)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


class Pad(Op):
    """Constant padding; `pad_width` is one (before, after) pair per axis."""

    def forward(self, x, pad_width, value=0.0):
        self.inner = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))
        return np.pad(x, pad_width, mode="constant", constant_values=value)

    def backward(self, grad):
        return grad[self.inner]


@register(Pad)
def pad(x: Any, pad_width: Any, value: float = 0.0) -> Tensor:
    """Constant padding, NumPy-style `pad_width`: an int, a (before, after) pair, or one pair per axis."""
    x = as_tensor(x)
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
    return Pad.apply(x, pad_width=tuple(map(tuple, width.tolist())), value=value)


def _tensors(fn: str, tensors: Any) -> list[Tensor]:
    """A non-empty list or tuple of tensors, as Tensors of one dtype kind: integer and bool tensors
    take the floating tensors' dtype when both are given (PyTorch's promotion)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}: `tensors` must be a list or tuple of tensors, got {describe(tensors)}")
    if not tensors:
        raise ValueError(f"{fn}: `tensors` is empty; expected at least one tensor")
    tensors = [as_tensor(t) for t in tensors]
    floats = [t.dtype for t in tensors if t.dtype.kind == "f"]
    if floats and len(floats) < len(tensors):
        dtype = np.result_type(*floats)
        tensors = [t if t.dtype.kind == "f" else Tensor(t.data, dtype=dtype) for t in tensors]
    return tensors


class Cat(Op):
    """Join tensors along an existing axis; the gradient is split back at the same offsets."""

    def forward(self, *xs, axis=0):
        self.axis = axis
        self.bounds = list(accumulate((x.shape[axis] for x in xs), initial=0))
        return np.concatenate(xs, axis=axis)

    def backward(self, grad):  # slices (getitem on Tensors): the default vjp records it as is
        before = (slice(None),) * self.axis
        return tuple(grad[(*before, slice(a, b))] for a, b in zip(self.bounds, self.bounds[1:]))


@register(Cat)
def cat(tensors: list[Any] | tuple[Any, ...], axis: int = 0) -> Tensor:
    """Join a list or tuple of tensors along the existing axis `axis`; their other axes must match.
    `concatenate` is the same function (NumPy's name)."""
    tensors = _tensors("cat", tensors)
    first = tensors[0]
    if not first.ndim:
        raise ValueError("cat: 0-D tensors cannot be concatenated (they have no axis); use stack")
    axis = one_axis("cat", axis, first.ndim)
    others = first.shape[:axis] + first.shape[axis + 1 :]
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim or t.shape[:axis] + t.shape[axis + 1 :] != others:
            raise ValueError(
                f"cat: tensors must have the same shape except along axis {axis}; "
                f"tensor 0 has shape {first.shape}, tensor {i} has shape {t.shape}"
            )
    return Cat.apply(*tensors, axis=axis)


concatenate = tensor_method(cat, name="concatenate")


class Stack(Op):
    """Join same-shaped tensors along a new axis; each gets its slice of the gradient."""

    def forward(self, *xs, axis=0):
        self.axis = axis
        return np.stack(xs, axis=axis)

    def backward(self, grad):  # one index per input (getitem on Tensors): the default vjp records it as is
        before = (slice(None),) * self.axis
        return tuple(grad[(*before, i)] for i in range(grad.shape[self.axis]))


@register(Stack)
def stack(tensors: list[Any] | tuple[Any, ...], axis: int = 0) -> Tensor:
    """Join a list or tuple of same-shaped tensors along a new axis at position `axis`
    (in -(ndim + 1) .. ndim)."""
    tensors = _tensors("stack", tensors)
    first = tensors[0]
    for i, t in enumerate(tensors):
        if t.shape != first.shape:
            raise ValueError(
                f"stack: tensors must all have the same shape; tensor 0 has shape {first.shape}, "
                f"tensor {i} has shape {t.shape}"
            )
    return Stack.apply(*tensors, axis=_new_axis("stack", axis, first.ndim))


@tensor_method
def split(x: Any, split_size_or_sections: int | list[int] | tuple[int, ...], axis: int = 0) -> tuple[Tensor, ...]:
    """Split `x` along `axis` into a tuple of tensors, as PyTorch does: an int gives pieces of that size
    (the last one smaller if it does not divide), a list gives the size of each piece (they must add
    up to the axis's size). Each piece is a slice of `x` (getitem), so gradients flow back."""
    x = as_tensor(x)
    if not x.ndim:
        raise ValueError("split: a 0-D tensor has no axis to split")
    axis = one_axis("split", axis, x.ndim)
    n = x.shape[axis]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [check_int("split", "split_size_or_sections", s, minimum=0) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(
                f"split: the sizes in `split_size_or_sections` {list(sizes)} add up to {sum(sizes)}, "
                f"but axis {axis} has size {n}"
            )
    else:
        size = check_int("split", "split_size_or_sections", split_size_or_sections, minimum=1)
        sizes = [size] * (n // size) + ([n % size] if n % size or not n else [])
    starts = np.cumsum([0, *sizes[:-1]]).tolist()
    before = (slice(None),) * axis
    return tuple(getitem(x, (*before, slice(start, start + size))) for start, size in zip(starts, sizes))
