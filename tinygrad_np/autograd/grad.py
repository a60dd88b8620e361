"""`grad`: gradients of outputs with respect to chosen inputs, returned rather than accumulated
(PyTorch's `torch.autograd.grad`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..checks import describe
from ..tensor import Tensor, _to_array
from .engine import backward


def _tensors(fn: str, name: str, value: Any) -> tuple[Tensor, ...]:
    """`value` (a Tensor or a sequence of them) as a tuple of Tensors."""
    items = (value,) if isinstance(value, Tensor) else tuple(value) if isinstance(value, (list, tuple)) else None
    if not items or not all(isinstance(t, Tensor) for t in items):
        raise TypeError(f"{fn}: `{name}` must be a Tensor or a non-empty sequence of Tensors, got {describe(value)}")
    return items


def output_grads(fn: str, outputs: Sequence[Tensor], grad_outputs: Any, create_graph: bool) -> list[Any]:
    """One upstream gradient per output: ones for a one-element output when none is given; Tensors
    under create_graph (a given Tensor is kept, so gradients can flow into it), else arrays."""
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)) or not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"{fn}: got {len(grad_outputs)} `grad_outputs` for {len(outputs)} outputs")
    result = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out.size != 1:
                what = "this one" if len(outputs) == 1 else f"output {i}"
                raise RuntimeError(
                    f"{fn}: grad can be implicit only for a one-element output; {what} has shape {out.shape}: "
                    f"pass {'grad=' if fn == 'backward()' else 'grad_outputs='} of that shape (or reduce it to a "
                    "scalar first, e.g. .sum())"
                )
            g = np.ones_like(out.data)
        if isinstance(g, Tensor) and create_graph:
            grad = g
        else:
            grad = _to_array(g.data if isinstance(g, Tensor) else g, out.dtype)
        if grad.shape != out.shape:
            raise ValueError(f"{fn}: grad must have shape {out.shape} (output {i}), got {grad.shape}")
        result.append(Tensor._from_op(grad) if create_graph and not isinstance(grad, Tensor) else grad)
    return result


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of `outputs` with respect to `inputs`, as a tuple of Tensors (one per input).

    As `torch.autograd.grad`: nothing accumulates into `.grad`; `grad_outputs` are the upstream
    gradients (implicit ones for one-element outputs); with `create_graph=True` the returned
    gradients carry their own graph and can be differentiated again; the graph is kept when
    `retain_graph` (default: `create_graph`). An input the outputs do not depend on is an error,
    unless `allow_unused`, which gives None for it.
    """
    outputs, inputs = _tensors("grad", "outputs", outputs), _tensors("grad", "inputs", inputs)
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"grad: output {i} does not require grad and has no graph behind it")
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {x.shape}) does not require grad; nothing can reach it")
    retain_graph = create_graph if retain_graph is None else retain_graph
    upstream = output_grads("grad", outputs, grad_outputs, create_graph)
    found = backward(outputs, upstream, retain_graph=retain_graph, create_graph=create_graph, inputs=inputs)
    result = []
    for i, (x, g) in enumerate(zip(inputs, found)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {x.shape}) is not used in the graph of the outputs; "
                    "pass allow_unused=True to get None for it"
                )
            result.append(None)
        else:
            result.append(g if isinstance(g, Tensor) else Tensor._from_op(g))
    return tuple(result)
