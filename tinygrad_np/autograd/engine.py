"""The reverse-mode engine: grad mode, the op context, and the backward walk.

An `Op` instance is the context of one call: `forward` runs on NumPy arrays and saves
what `backward` needs as attributes; `backward` maps the upstream gradient to one
gradient per input (or None). The engine, not the ops, sums broadcast gradients back
to each input's shape and casts them to the input's dtype.

Higher order: with `create_graph=True` the walk calls each op's `vjp` instead, on Tensors, so
the backward pass is itself recorded and can be differentiated again (see `Op.vjp`).
"""

from __future__ import annotations

import functools
import heapq
import itertools
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from ..tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode(threading.local):
    enabled = True
    scope: scope | None = None  # the layer call whose forward is running, for graph drawings
    profile: Any = None  # the active profiler.Profile, if any
    anomaly: Any = None  # the active anomaly.Detector, if any
    tape: list | None = None  # while a step is captured (capture.py): every op call, in order


_grad_mode = _GradMode()
_sequence = itertools.count()  # numbers recorded ops in order: an op's number exceeds those of the ops it consumes
BACKWARD_SCOPE = "backward of "  # the scope of the ops an op's vjp records: "backward of conv2d"


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

    __slots__ = ("parents", "params", "needs_input_grad", "freed", "scope", "sequence", "__dict__")
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
        mode = _grad_mode
        needs = tuple([t.requires_grad for t in inputs])
        record = mode.enabled and True in needs and cls.differentiable
        ctx.needs_input_grad = needs if record else (False,) * len(inputs)
        if mode.profile is None:
            data = ctx.forward(*[t.data for t in inputs], **params)
        else:
            start = time.perf_counter()
            data = ctx.forward(*[t.data for t in inputs], **params)
            mode.profile.add(cls.name, "forward", time.perf_counter() - start)
        if mode.anomaly is not None:
            mode.anomaly.forward(ctx, inputs, data, record)
        if type(data) is not np.ndarray:  # a NumPy scalar (0-D results): saved copies must stay the output
            data = _as_saved_array(ctx, data)
        out = type(inputs[0])._from_op(data)
        if mode.tape is not None:
            mode.tape.append((cls, inputs, params, ctx.needs_input_grad, out))
        if record:
            ctx.parents = inputs
            ctx.params = params
            ctx.freed = False
            ctx.scope = mode.scope
            ctx.sequence = next(_sequence)
            out._ctx = ctx
            out.requires_grad = True
        return out

    def vjp(self, grad: Tensor, out: Tensor) -> tuple[Tensor | None, ...] | Tensor | None:
        """The same vector-Jacobian product as `backward`, built from Tensor ops so that it is recorded
        and can be differentiated again (used by backward under `create_graph=True`).

        By default it runs `backward` itself with Tensors in place of the arrays `forward` saved that
        are the op's inputs or its output `out` (matched by identity), so a backward written with
        operators and NumPy ufuncs/functions that are Tensor ops (`grad * np.cos(self.x)`) serves both
        orders. Other saved arrays stay constants: right for masks (relu's), wrong for anything that
        depends on the inputs, so an op whose backward uses such an array defines its own `vjp`.
        """
        state = self.__dict__
        replaced = {}
        for name, value in state.items():
            if type(value) is np.ndarray:
                source = out if value is out.data else next((p for p in self.parents if value is p.data), None)
                if source is not None:
                    replaced[name] = value
                    state[name] = source
        try:
            return self.backward(grad)
        finally:
            state.update(replaced)

    def release(self) -> None:
        """Drop the arrays saved for backward; the graph structure stays."""
        self.__dict__.clear()
        self.freed = True


def _as_saved_array(ctx: Op, value: Any) -> np.ndarray:
    """`value` (an op's non-array result) as an array; attributes that saved the value itself now
    hold the array, so `Op.vjp` recognises them as the output."""
    array = np.asarray(value)
    for name, saved in ctx.__dict__.items():
        if saved is value:
            setattr(ctx, name, array)
    return array


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


def _check_grad_shape(ctx: Op, index: int, grad: Any, parent: Tensor) -> Any:
    grad = sum_to_shape(grad, parent.shape)
    if grad.shape != parent.shape:
        raise RuntimeError(
            f"op '{ctx.name}' returned a gradient of shape {grad.shape} for input {index}, "
            f"whose shape is {parent.shape}"
        )
    return grad


def _accumulate(tensor: Tensor, grad: Any, create_graph: bool) -> None:
    """Add `grad` into `tensor.grad` (an array); under create_graph also into `tensor.grad_tensor`."""
    if create_graph:
        tensor.grad_tensor = grad if tensor.grad_tensor is None else tensor.grad_tensor + grad
        grad = grad.data
    tensor.grad = grad if tensor.grad is None else tensor.grad + grad


def backward(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Any],
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
) -> list[Any] | None:
    """Propagate `grad_outputs` (d loss / d output, one per output) through the graph behind `outputs`.

    Without `inputs`, leaf tensors that require grad accumulate into `.grad` (intermediates only
    after `retain_grad()`); with `inputs`, nothing accumulates and the gradient of each input (None
    where it does not reach) is returned instead. Saved arrays are freed after use unless
    `retain_graph`. With `create_graph`, gradients are Tensors built by recorded ops (each op's
    `vjp`), so they can be differentiated again; else arrays, through each op's fast `backward`.

    The walk needs no separate topological sort: ops are taken latest-recorded first (a heap keyed by
    `Op.sequence`), and every op that consumes a tensor was recorded after the op that made it, so
    a tensor's gradient is complete when its op is taken. Tensors key the gradients gathered so
    far directly (they hash by identity).
    """
    grads: dict[Tensor, Any] = {}
    for output, g in zip(outputs, grad_outputs):
        grads[output] = g if output not in grads else grads[output] + g
    pending = [(-t._ctx.sequence, t) for t in grads if t._ctx is not None]  # sequences are unique: no ties
    heapq.heapify(pending)
    wanted = None if inputs is None else {t: i for i, t in enumerate(inputs)}
    found: list[Any] = [None] * (0 if inputs is None else len(inputs))
    previous, _grad_mode.enabled = _grad_mode.enabled, create_graph
    try:
        while pending:
            tensor = heapq.heappop(pending)[1]
            g = grads.pop(tensor)
            _deliver(tensor, g, wanted, found, create_graph)
            ctx = tensor._ctx
            _propagate(ctx, tensor, g, grads, pending, create_graph)
            if not retain_graph:
                ctx.release()
        for leaf, g in grads.items():  # what remains reached only leaves (and roots without an op)
            _deliver(leaf, g, wanted, found, create_graph)
    finally:
        _grad_mode.enabled = previous
    return None if inputs is None else found


def _deliver(tensor: Tensor, g: Any, wanted: dict[Tensor, int] | None, found: list[Any], create_graph: bool) -> None:
    """A tensor's complete gradient: into `.grad` (leaves, and intermediates that retain it), or
    into `found` when the caller asked for chosen `inputs`."""
    if wanted is None:
        if tensor._ctx is None or tensor._retains_grad:
            _accumulate(tensor, g, create_graph)
    elif tensor in wanted:
        found[wanted[tensor]] = g


def _propagate(ctx: Op, tensor: Tensor, g: Any, grads: dict[Tensor, Any], pending: list, create_graph: bool) -> None:
    """Run one op's backward (or vjp) on `g`, add each input's gradient into `grads`, and queue the
    ops of inputs reached for the first time."""
    if ctx.freed:
        raise RuntimeError(
            f"backward through op '{ctx.name}' a second time: its saved arrays were freed by the "
            "first backward; pass retain_graph=True to the first backward() to keep them"
        )
    profile = _grad_mode.profile
    if profile is not None:
        start = time.perf_counter()
    if create_graph:
        with scope(BACKWARD_SCOPE + ctx.name):  # drawings group the ops a vjp records, by the op they differentiate
            input_grads = ctx.vjp(g, tensor)
    else:
        input_grads = ctx.backward(g)
    if profile is not None:
        profile.add(ctx.name, "backward", time.perf_counter() - start)
    if not isinstance(input_grads, tuple):
        input_grads = (input_grads,)
    if len(input_grads) != len(ctx.parents):
        raise RuntimeError(
            f"op '{ctx.name}' backward returned {len(input_grads)} gradients for {len(ctx.parents)} inputs"
        )
    if create_graph:
        input_grads = tuple(_as_tensor_grad(ctx, gi) for gi in input_grads)
    if _grad_mode.anomaly is not None:
        _grad_mode.anomaly.backward(ctx, _array(g), [_array(gi) for gi in input_grads])
    for index, (parent, gi) in enumerate(zip(ctx.parents, input_grads)):
        if gi is None or not parent.requires_grad:
            continue
        if gi.shape != parent.data.shape:
            gi = _check_grad_shape(ctx, index, gi, parent)
        if gi.dtype != parent.data.dtype:
            gi = gi.astype(parent.data.dtype)
        if parent in grads:
            grads[parent] = grads[parent] + gi
        else:
            grads[parent] = gi
            if parent._ctx is not None:
                heapq.heappush(pending, (-parent._ctx.sequence, parent))


def _as_tensor_grad(ctx: Op, grad: Any) -> Any:
    """A vjp's gradient as a Tensor (a constant when the op returned an array), refusing anything else."""
    from ..tensor import Tensor

    if grad is None or isinstance(grad, Tensor):
        return grad
    if isinstance(grad, np.ndarray | np.generic):
        return Tensor._from_op(np.asarray(grad))
    raise TypeError(f"op '{ctx.name}' vjp returned {type(grad).__name__}, not a Tensor")


def _array(value: Any) -> Any:
    """The array behind a gradient that may be a Tensor (for checks that read values)."""
    return value if value is None or isinstance(value, np.ndarray) else value.data
