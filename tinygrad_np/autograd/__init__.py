"""Automatic differentiation: the engine (grad mode, `Op`, the backward walk), `grad`, and the
function transforms of `tinygrad_np.autograd.functional` (vjp, jvp, hvp, jacobian, hessian)."""

from .engine import (
    Op,
    backward,
    enable_grad,
    is_grad_enabled,
    no_grad,
    scope,
    sum_to_shape,
    topological_order,
)
from .grad import grad

__all__ = [
    "Op",
    "backward",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "scope",
    "sum_to_shape",
    "topological_order",
]
