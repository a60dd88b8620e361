"""Gradient clipping, as `torch.nn.utils`: `clip_grad_norm_` and `clip_grad_value_`."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..checks import check_number, describe
from ..tensor import Tensor


def _grads(fn: str, params: Tensor | Iterable[Tensor]) -> list[np.ndarray]:
    """The gradients of `params` (a Tensor, or Tensors / (name, Tensor) pairs) that have one."""
    items = [params] if isinstance(params, Tensor) else list(params)
    tensors = [p[1] if isinstance(p, tuple) and len(p) == 2 else p for p in items]
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}: `parameters` must be Tensors (e.g. model.parameters()), got {describe(t)}")
    return [t.grad for t in tensors if t.grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale the gradients in place so that their total `norm_type` norm (all gradients as one
    vector; `float("inf")` for the max norm) is at most `max_norm`: each is multiplied by
    min(1, max_norm / (total + 1e-6)), as PyTorch. Returns the total norm before clipping."""
    grads = _grads("clip_grad_norm_", parameters)
    max_norm = check_number("clip_grad_norm_", "max_norm", max_norm, minimum=0.0)
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) or not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: `norm_type` must be a number > 0 or inf, got {norm_type!r}")
    if not grads:
        return 0.0
    if norm_type == float("inf"):
        total = max(float(np.abs(g).max()) for g in grads)
    else:
        total = float(sum(float(np.sum(np.abs(g, dtype=np.float64) ** norm_type)) for g in grads) ** (1 / norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise FloatingPointError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}: they cannot be "
            "clipped (pass error_if_nonfinite=False to clip anyway)"
        )
    coef = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g *= g.dtype.type(coef)
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clip every gradient in place to [-clip_value, clip_value], as PyTorch."""
    grads = _grads("clip_grad_value_", parameters)
    clip_value = check_number("clip_grad_value_", "clip_value", clip_value, minimum=0.0)
    for g in grads:
        np.clip(g, -clip_value, clip_value, out=g)
