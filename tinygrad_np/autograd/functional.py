"""Function transforms built on `grad`, with `torch.autograd.functional`'s names and semantics.

`func` takes Tensors and returns a Tensor (or a tuple of them); `inputs` is a Tensor, an array or a
tuple of them. Each transform works on copies of the inputs that require grad, so the caller's
tensors are never touched, and returns Tensors (with their graph when `create_graph=True`):

    vjp(func, inputs, v)      -> (func(inputs), v^T J)
    jvp(func, inputs, v)      -> (func(inputs), J v)        through the double-vjp trick
    hvp(func, inputs, v)      -> (func(inputs), H v)        func returns one element
    jacobian(func, inputs)    -> J, shaped output.shape + input.shape
    hessian(func, inputs)     -> H, shaped input.shape + input.shape
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..checks import describe
from ..ops.shape import stack
from ..tensor import Tensor
from .engine import enable_grad
from .grad import grad

Inputs = Any  # a Tensor, an array, or a tuple of them


def _prepare(fn: str, inputs: Inputs) -> tuple[tuple[Tensor, ...], bool]:
    """(fresh float leaves that require grad, whether `inputs` was a tuple)."""
    is_tuple = isinstance(inputs, tuple)
    items = inputs if is_tuple else (inputs,)
    leaves = []
    for i, x in enumerate(items):
        data = x.data if isinstance(x, Tensor) else np.asarray(x)
        if data.dtype.kind != "f":
            raise TypeError(f"{fn}: `inputs[{i}]` must be a floating Tensor or array, got {describe(x)}")
        leaves.append(Tensor(data.copy(), requires_grad=True))
    return tuple(leaves), is_tuple


def _outputs(fn: str, func: Callable[..., Any], leaves: tuple[Tensor, ...]) -> tuple[tuple[Tensor, ...], bool]:
    """func(*leaves) recorded, as (outputs tuple, whether func returned a tuple)."""
    with enable_grad():
        result = func(*leaves)
    is_tuple = isinstance(result, tuple)
    outputs = result if is_tuple else (result,)
    if not outputs or not all(isinstance(out, Tensor) for out in outputs):
        raise TypeError(f"{fn}: `func` must return a Tensor or a tuple of Tensors, got {describe(result)}")
    return outputs, is_tuple


def _vectors(fn: str, v: Any, like: tuple[Tensor, ...], name: str = "v") -> tuple[Tensor, ...]:
    """`v` as one Tensor per tensor of `like`, each of its shape (None: ones, for one-element tensors only)."""
    if v is None:
        if any(t.size != 1 for t in like):
            raise ValueError(f"{fn}: `{name}` can be omitted only when every tensor it pairs with has one element")
        return tuple(Tensor(np.ones(t.shape, t.dtype)) for t in like)
    items = v if isinstance(v, tuple) else (v,)
    if len(items) != len(like):
        raise ValueError(f"{fn}: `{name}` must hold {len(like)} tensor(s), got {len(items)}")
    result = []
    for i, (item, t) in enumerate(zip(items, like)):
        item = item if isinstance(item, Tensor) else Tensor(np.asarray(item, t.dtype))
        if item.shape != t.shape:
            raise ValueError(f"{fn}: `{name}[{i}]` must have shape {t.shape}, got {item.shape}")
        result.append(item)
    return tuple(result)


def _zeros_for_unused(grads: tuple[Tensor | None, ...], like: tuple[Tensor, ...]) -> tuple[Tensor, ...]:
    """An input the outputs do not depend on has a zero gradient (as PyTorch's functional API)."""
    return tuple(Tensor(np.zeros(t.shape, t.dtype)) if g is None else g for g, t in zip(grads, like))


def _shaped(items: tuple[Tensor, ...], is_tuple: bool) -> Any:
    return items if is_tuple else items[0]


def vjp(func: Callable[..., Any], inputs: Inputs, v: Any = None, create_graph: bool = False) -> tuple[Any, Any]:
    """(func(inputs), v^T J): the vector-Jacobian product of `func` at `inputs` with `v` (shaped
    like func's output; may be omitted for a one-element output)."""
    leaves, inputs_tuple = _prepare("vjp", inputs)
    outputs, outputs_tuple = _outputs("vjp", func, leaves)
    vs = _vectors("vjp", v, outputs)
    grads = grad(outputs, leaves, vs, create_graph=create_graph, allow_unused=True)
    return _shaped(outputs, outputs_tuple), _shaped(_zeros_for_unused(grads, leaves), inputs_tuple)


def jvp(func: Callable[..., Any], inputs: Inputs, v: Any = None, create_graph: bool = False) -> tuple[Any, Any]:
    """(func(inputs), J v): the Jacobian-vector product of `func` at `inputs` with `v` (shaped like
    the inputs), by the double-vjp trick: u -> u^T J is linear in u, and its gradient is J v."""
    leaves, inputs_tuple = _prepare("jvp", inputs)
    outputs, outputs_tuple = _outputs("jvp", func, leaves)
    vs = _vectors("jvp", v, leaves)
    dummies = tuple(Tensor(np.zeros(out.shape, out.dtype), requires_grad=True) for out in outputs)
    grads = _zeros_for_unused(grad(outputs, leaves, dummies, create_graph=True, allow_unused=True), leaves)
    used = [(g, v_i) for g, v_i in zip(grads, vs) if g.requires_grad]
    if not used:  # func is constant in its inputs: J v is zero
        jv = tuple(Tensor(np.zeros(out.shape, out.dtype)) for out in outputs)
    else:
        gs, v_used = zip(*used)
        jv = _zeros_for_unused(grad(gs, dummies, v_used, create_graph=create_graph, allow_unused=True), outputs)
    return _shaped(outputs, outputs_tuple), _shaped(jv, outputs_tuple)


def hvp(func: Callable[..., Any], inputs: Inputs, v: Any, create_graph: bool = False) -> tuple[Tensor, Any]:
    """(func(inputs), H v): the Hessian of the one-element `func` at `inputs` times `v` (shaped
    like the inputs), as the gradient of the gradient's product with v (no Hessian is formed)."""
    leaves, inputs_tuple = _prepare("hvp", inputs)
    outputs, outputs_tuple = _outputs("hvp", func, leaves)
    if outputs_tuple or outputs[0].size != 1:
        raise ValueError(f"hvp: `func` must return a one-element Tensor, got shape {outputs[0].shape}")
    vs = _vectors("hvp", v, leaves)
    grads = _zeros_for_unused(grad(outputs, leaves, create_graph=True, allow_unused=True), leaves)
    used = [(g, v_i) for g, v_i in zip(grads, vs) if g.requires_grad]
    if not used:
        return outputs[0], _shaped(tuple(Tensor(np.zeros(t.shape, t.dtype)) for t in leaves), inputs_tuple)
    product = sum(((g * v_i).sum() for g, v_i in used[1:]), (used[0][0] * used[0][1]).sum())
    hv = grad(product, leaves, create_graph=create_graph, allow_unused=True)
    return outputs[0], _shaped(_zeros_for_unused(hv, leaves), inputs_tuple)


def jacobian(func: Callable[..., Any], inputs: Inputs, create_graph: bool = False) -> Any:
    """The Jacobian of `func` at `inputs`: for one input and one output a Tensor shaped
    output.shape + input.shape; for tuples, a tuple (per output) of tuples (per input)."""
    leaves, inputs_tuple = _prepare("jacobian", inputs)
    outputs, outputs_tuple = _outputs("jacobian", func, leaves)
    rows = []
    for out in outputs:
        per_input: list[list[np.ndarray | Tensor]] = [[] for _ in leaves]
        for k in range(out.size):  # one vjp per output element, each a row of the Jacobian
            unit = np.zeros(out.size, out.dtype)
            unit[k] = 1
            grads = grad(out, leaves, unit.reshape(out.shape), retain_graph=True, create_graph=create_graph,
                         allow_unused=True) if out.requires_grad else (None,) * len(leaves)  # fmt: skip
            for i, (g, x) in enumerate(zip(grads, leaves)):
                per_input[i].append(Tensor(np.zeros(x.shape, x.dtype)) if g is None else g)
        blocks = tuple(
            _stack_rows(part, out.shape + x.shape) for part, x in zip(per_input, leaves)
        )
        rows.append(_shaped(blocks, inputs_tuple))
    return tuple(rows) if outputs_tuple else rows[0]


def _stack_rows(parts: list[Tensor], shape: tuple[int, ...]) -> Tensor:
    return stack(parts).reshape(shape) if parts else Tensor(np.zeros(shape))


def hessian(func: Callable[..., Any], inputs: Inputs, create_graph: bool = False) -> Any:
    """The Hessian of the one-element `func` at `inputs`: for one input a Tensor shaped
    input.shape + input.shape; for a tuple, a tuple of tuples (block (i, j) is d2f / dx_i dx_j)."""
    leaves, inputs_tuple = _prepare("hessian", inputs)
    outputs, outputs_tuple = _outputs("hessian", func, leaves)
    if outputs_tuple or outputs[0].size != 1:
        raise ValueError(f"hessian: `func` must return a one-element Tensor, got shape {outputs[0].shape}")

    def gradient(*xs: Tensor) -> Any:
        with enable_grad():
            out = func(*xs)
        return _shaped(_zeros_for_unused(grad(out, xs, create_graph=True, allow_unused=True), xs), inputs_tuple)

    return jacobian(gradient, leaves if inputs_tuple else leaves[0], create_graph=create_graph)
