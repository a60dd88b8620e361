"""`Tensor`: a NumPy array that remembers the op that made it.

Its methods `x.conv2d(w)`, `x.sum()`, ... are the ops' public functions, attached when each op is
registered (`tinygrad_np/ops/registry.py`); its operators `x + y`, `x @ w`, `x[i]` are mapped onto
the same functions by `tinygrad_np.functional.OPERATORS` (so `x + y` is `ops/elementwise.py`'s `add`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .autograd import Op


_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """Convert `data` to an array following the dtype rules of `Tensor`."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        try:
            return np.asarray(data, dtype=dtype)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"Tensor: cannot convert data of type {type(data).__name__} to dtype {dtype}: {err}"
            ) from None
    array = np.asarray(data)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Tensor: data must be numeric (bool, int or float), got an array of dtype {array.dtype}")
    from_numpy = isinstance(data, (np.ndarray, np.generic))
    if array.dtype.kind == "f":
        return array if from_numpy and array.dtype in _FLOAT_DTYPES else array.astype(np.float32)
    if array.dtype.kind in "iu" and not from_numpy:
        return array.astype(np.int64)  # Python ints, as in PyTorch
    return array


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    As in PyTorch: Python floats become float32, Python ints int64, bools bool; NumPy arrays keep
    their dtype (float32, float64 - what gradient checks use -, integers, bool), except float16,
    which becomes float32. Pass `dtype` to choose. Only floating tensors can require grad.
    """

    __slots__ = ("data", "grad", "grad_tensor", "requires_grad", "name", "_ctx", "_retains_grad", "__weakref__")

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False, name: str | None = None):
        self.data: np.ndarray = _to_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"Tensor: requires_grad=True needs a floating dtype, got {self.data.dtype}")
        self.grad: np.ndarray | None = None
        self.grad_tensor: Tensor | None = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._ctx: Op | None = None
        self._retains_grad = False

    @classmethod
    def _from_op(cls, data: np.ndarray) -> Tensor:
        """Wrap an op's output array without any conversion (the hot path)."""
        out = cls.__new__(cls)
        out.data = data
        out.grad = None
        out.grad_tensor = None
        out.requires_grad = False
        out.name = None
        out._ctx = None
        out._retains_grad = False
        return out

    # ---- array facts ------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """The array's dtype."""
        return self.data.dtype

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements."""
        return self.data.size

    @property
    def op(self) -> Op | None:
        """The op context that produced this tensor (None for leaves and untracked results)."""
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        """True when no recorded op produced this tensor."""
        return self._ctx is None

    def __len__(self) -> int:
        return len(self.data)

    def __bool__(self) -> bool:
        """The truth of a one-element tensor (`if (x > 0).item()` reads better); more elements are ambiguous."""
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; use .any() / .all() "
                "on its .numpy(), or reduce it first"
            )
        return bool(self.data)

    def numpy(self) -> np.ndarray:
        """The underlying NumPy array (shared, not copied)."""
        return self.data

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): tensor must have exactly one element, it has shape {self.shape}")
        return self.data.item()

    def detach(self) -> Tensor:
        """A new tensor sharing the data but cut from the graph."""
        return Tensor._from_op(self.data)

    def retain_grad(self) -> Tensor:
        """Keep `.grad` on this non-leaf tensor during backward (leaves always get it)."""
        self._retains_grad = True
        return self

    def backward(self, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d self / d leaf into every leaf's `.grad` that requires grad.

        `grad` is the upstream gradient, shaped like `self`; it may be omitted only when `self` has
        one element. With `create_graph=True` the backward pass is recorded: each leaf also gets
        `.grad_tensor`, the same gradient as a Tensor that can be differentiated again (what
        PyTorch's `.grad` is after `backward(create_graph=True)`). The graph's saved arrays are freed
        unless `retain_graph` (default: `create_graph`).
        """
        from .autograd.engine import backward

        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad and has no graph behind it")
        if grad is None and not create_graph and self.data.size == 1:  # a loss: the common case, kept short
            upstream = np.ones(self.data.shape, self.data.dtype)
        else:
            from .autograd.grad import output_grads

            (upstream,) = output_grads("backward()", [self], [grad], create_graph)
        retain_graph = create_graph if retain_graph is None else retain_graph
        backward([self], [upstream], retain_graph=retain_graph, create_graph=create_graph)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (and its Tensor, after create_graph)."""
        self.grad = None
        self.grad_tensor = None

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """`np.asarray(t)`: the data of a tensor that is not part of a graph (as PyTorch's `numpy()`).

        NumPy ufuncs and operators with arrays (`np.exp(t)`, `array + t`) stay Tensor ops (see
        `functional.UFUNCS`); any other NumPy function would silently drop gradients, so a tensor
        that requires grad refuses to become an array: use `t.detach()` or `t.numpy()`.
        """
        if self.requires_grad:
            raise TypeError(
                "Tensor: a tensor that requires grad cannot become a NumPy array implicitly (its gradient would be "
                "lost); use t.detach() or t.numpy() for the values, or tinygrad_np.functional for a differentiable op"
            )
        array = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return array.copy() if copy else array

    def __repr__(self) -> str:
        extras = []
        if self.name:
            extras.append(f"name={self.name!r}")
        if self._ctx is not None:
            extras.append(f"op={self._ctx.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20)
        return f"Tensor({body}, dtype={self.dtype}{''.join(', ' + e for e in extras)})"

    __hash__ = object.__hash__
