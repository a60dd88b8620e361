"""The reverse-mode engine: grad mode, the op context, and `backward`.

An `Op` instance is the context of one call: `forward` runs on NumPy arrays and saves
what `backward` needs as attributes; `backward` maps the upstream gradient to one
gradient per input (or None). The engine, not the ops, sums broadcast gradients back
to each input's shape and casts them to the input's dtype.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode(threading.local):
    enabled = True
    scope: scope | None = None  # the layer call whose forward is running, for graph drawings
    profile: Any = None  # the active profiler.Profile, if any
    anomaly: Any = None  # the active anomaly.Detector, if any


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when new operations are being recorded for backward."""
    return _grad_mode.enabled


class _SetGradMode:
    """Context manager and decorator that sets grad mode, restoring it on exit."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.previous: list[bool] = []

    def __enter__(self) -> None:
        self.previous.append(_grad_mode.enabled)
        _grad_mode.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self.previous.pop()

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class scope:  # noqa: N801 (used like a function: `with scope("Dense(128, relu)"):`)
    """Tag every op recorded inside the block with this scope: a layer's call, named by `label`.

    Graph drawings group ops by scope object, so two calls of same-named layers stay apart.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self.previous: list[scope | None] = []

    def __str__(self) -> str:
        return self.label

    def __enter__(self) -> None:
        self.previous.append(_grad_mode.scope)
        _grad_mode.scope = self

    def __exit__(self, *exc: object) -> None:
        _grad_mode.scope = self.previous.pop()


def no_grad() -> _SetGradMode:
    """Disable graph recording: `with no_grad(): ...` or `@no_grad()` on a function."""
    return _SetGradMode(False)


def enable_grad() -> _SetGradMode:
    """Re-enable graph recording inside a `no_grad` block (context manager or decorator)."""
    return _SetGradMode(True)


class Op:
    """Base class of every differentiable operation.

    Subclasses define `forward(self, *arrays, **params)` and `backward(self, grad)`;
    `forward` stores what `backward` needs on `self`. Structural fields live in slots so
    that freeing the saved state (the instance `__dict__`) keeps the graph drawable.
    """

    __slots__ = ("parents", "params", "needs_input_grad", "freed", "scope", "__dict__")
    name = "op"
    differentiable = True  # False for ops with integer or boolean results (argmax, comparisons): never recorded

    def forward(self, *arrays: np.ndarray, **params: Any) -> np.ndarray:
        """Compute the output from input arrays."""
        raise NotImplementedError(f"op '{self.name}' ({type(self).__name__}) does not define forward(self, *arrays)")

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...] | np.ndarray | None:
        """Return the gradient with respect to each input (None where there is none)."""
        raise NotImplementedError(
            f"op '{self.name}' ({type(self).__name__}) does not define backward(self, grad): define it to return "
            "the gradient of each input (None where there is none)"
        )

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run the op on Tensors and, when grad mode is on and an input needs it, record it."""
        ctx = cls()
        needs = tuple([t.requires_grad for t in inputs])
        record = _grad_mode.enabled and True in needs and cls.differentiable
        ctx.needs_input_grad = needs if record else (False,) * len(inputs)
        if _grad_mode.profile is None:
            data = ctx.forward(*[t.data for t in inputs], **params)
        else:
            start = time.perf_counter()
            data = ctx.forward(*[t.data for t in inputs], **params)
            _grad_mode.profile.add(cls.name, "forward", time.perf_counter() - start)
        if _grad_mode.anomaly is not None:
            _grad_mode.anomaly.forward(ctx, inputs, data, record)
        out = type(inputs[0])._from_op(data if type(data) is np.ndarray else np.asarray(data))
        if record:
            ctx.parents = inputs
            ctx.params = params
            ctx.freed = False
            ctx.scope = _grad_mode.scope
            out._ctx = ctx
            out.requires_grad = True
        return out

    def release(self) -> None:
        """Drop the arrays saved for backward; the graph structure stays."""
        self.__dict__.clear()
        self.freed = True


def sum_to_shape(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a broadcast gradient back to `shape` (undo NumPy broadcasting)."""
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


def topological_order(roots: Sequence[Tensor], grad_only: bool = True) -> list[Tensor]:
    """Tensors reachable from `roots`, each after all of its inputs, each once.

    With `grad_only`, only tensors that require grad are followed (what backward needs); else
    every input (what a drawing needs). Iterative depth-first post-order, so arbitrarily deep
    graphs do not recurse; inputs are visited in argument order, so the order is deterministic.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False) for root in reversed(roots)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        ctx = tensor._ctx
        if ctx is not None:
            for parent in reversed(ctx.parents):
                if (parent.requires_grad or not grad_only) and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def _check_grad_shape(ctx: Op, index: int, grad: np.ndarray, parent: Tensor) -> np.ndarray:
    grad = sum_to_shape(grad, parent.shape)
    if grad.shape != parent.shape:
        raise RuntimeError(
            f"op '{ctx.name}' returned a gradient of shape {grad.shape} for input {index}, "
            f"whose shape is {parent.shape}"
        )
    return grad


def backward(root: Tensor, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Propagate `grad` (d out / d root) through the graph behind `root`.

    Leaf tensors that require grad accumulate into `.grad`; intermediates do so only
    after `retain_grad()`. Saved arrays are freed after use unless `retain_graph`.
    """
    grads: dict[int, np.ndarray] = {id(root): grad}
    for tensor in reversed(topological_order([root])):
        g = grads.pop(id(tensor), None)
        if g is None:
            continue
        ctx = tensor._ctx
        if ctx is None or tensor._retains_grad:
            tensor.grad = g if tensor.grad is None else tensor.grad + g
        if ctx is None:
            continue
        if ctx.freed:
            raise RuntimeError(
                f"backward through op '{ctx.name}' a second time: its saved arrays were freed by the "
                "first backward; pass retain_graph=True to the first backward() to keep them"
            )
        if _grad_mode.profile is None:
            input_grads = ctx.backward(g)
        else:
            start = time.perf_counter()
            input_grads = ctx.backward(g)
            _grad_mode.profile.add(ctx.name, "backward", time.perf_counter() - start)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if len(input_grads) != len(ctx.parents):
            raise RuntimeError(
                f"op '{ctx.name}' backward returned {len(input_grads)} gradients for {len(ctx.parents)} inputs"
            )
        if _grad_mode.anomaly is not None:
            _grad_mode.anomaly.backward(ctx, g, input_grads)
        for index, (parent, gi) in enumerate(zip(ctx.parents, input_grads)):
            if gi is None or not parent.requires_grad:
                continue
            if gi.shape != parent.data.shape:
                gi = _check_grad_shape(ctx, index, gi, parent)
            if gi.dtype != parent.data.dtype:
                gi = gi.astype(parent.data.dtype)
            key = id(parent)
            grads[key] = gi if key not in grads else grads[key] + gi
        if not retain_graph:
            ctx.release()
