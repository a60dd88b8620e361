"""Check analytic gradients against central finite differences, in float64.

Both sides are compared as probe^T J direction for a set of output probes and input
directions: unit vectors when the output / input is small (the full Jacobian), seeded
random vectors when it is large (random projections, as PyTorch's fast mode).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .autograd import enable_grad, grad, no_grad
from .ops.shape import cat
from .tensor import Tensor

MAX_FULL_OUTPUTS = 256
MAX_FULL_INPUTS = 2048
RANDOM_PROBES = 4
RANDOM_DIRECTIONS = 8


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the finite-difference one."""


def _float64_inputs(inputs: tuple[Any, ...]) -> list[Tensor]:
    """float64 copies; arrays and lists are checked, Tensors only when they require grad."""
    tensors = []
    for x in inputs:
        if isinstance(x, Tensor):
            checked = x.requires_grad and x.dtype.kind == "f"
            data = x.data.astype(np.float64) if x.dtype.kind == "f" else x.data
            tensors.append(Tensor(data.copy(), dtype=data.dtype, requires_grad=checked, name=x.name))
        else:
            tensors.append(Tensor(np.array(x, dtype=np.float64), requires_grad=True))
    return tensors


def _probes(size: int, full_limit: int, random_count: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Columns of unit vectors when `size` <= full_limit (exact), else seeded normal vectors."""
    if size <= full_limit:
        return np.eye(size), True
    return rng.standard_normal((size, random_count)), False


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, shape))


def _output(fn: Callable[..., Tensor], tensors: list[Tensor]) -> Tensor:
    out = fn(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    if out.dtype != np.float64:
        raise TypeError(f"gradcheck: fn's output has dtype {out.dtype}; the check needs float64 end to end")
    return out


def _comparisons(fn: Callable[..., Tensor], inputs: tuple[Any, ...], eps: float, seed: int):
    """Yield (input index, tensor, analytic, numeric, describe) per checked input; the two
    arrays hold probe^T J direction, and describe(p, d) names the probe and direction."""
    tensors = _float64_inputs(inputs)
    checked = [i for i, t in enumerate(tensors) if t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input to check: pass arrays, or Tensors with requires_grad=True")
    rng = np.random.default_rng(seed)
    out = _output(fn, tensors)
    probes, exact_probes = _probes(out.size, MAX_FULL_OUTPUTS, RANDOM_PROBES, rng)

    analytic = {i: np.empty((probes.shape[1], tensors[i].size)) for i in checked}
    for p in range(probes.shape[1]):
        for i in checked:
            tensors[i].grad = None
        out.backward(probes[:, p].reshape(out.shape), retain_graph=True)
        for i in checked:
            grad = tensors[i].grad
            analytic[i][p] = 0.0 if grad is None else grad.ravel()

    for i in checked:
        x = tensors[i]
        original = x.data.copy()
        directions, exact_directions = _probes(x.size, MAX_FULL_INPUTS, RANDOM_DIRECTIONS, rng)
        numeric = np.empty((probes.shape[1], directions.shape[1]))
        with no_grad():
            for d in range(directions.shape[1]):
                step = eps * directions[:, d].reshape(x.shape)
                x.data = original + step
                plus = _output(fn, tensors).data.ravel()
                x.data = original - step
                minus = _output(fn, tensors).data.ravel()
                numeric[:, d] = probes.T @ ((plus - minus) / (2 * eps))
        x.data = original

        def describe(p: int, d: int, x: Tensor = x, exact_directions: bool = exact_directions) -> str:
            where = f"index {_index(d, x.shape)}" if exact_directions else f"random direction {d}"
            seen = f"output index {_index(p, out.shape)}" if exact_probes else f"random output probe {p}"
            return f"{where}, {seen}"

        yield i, x, analytic[i] @ directions, numeric, describe


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Compare `fn`'s analytic gradients with central differences; True, or GradcheckError.

    `inputs` are Tensors (checked when they require grad; others are constants) or arrays
    (always checked); all are copied to float64. `fn` takes them and returns a Tensor.
    The error names the input, the worst index, and the analytic and numeric values.
    """
    for i, x, analytic, numeric, describe in _comparisons(fn, inputs, eps, seed):
        excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        excess[~np.isfinite(analytic)] = np.inf
        if np.any(excess > 0):
            p, d = np.unravel_index(np.argmax(excess), excess.shape)
            label = f" ({x.name})" if x.name else ""
            raise GradcheckError(
                f"gradcheck: gradient of input {i}{label} (shape {x.shape}) is wrong at {describe(p, d)}: "
                f"analytic {analytic[p, d]:.6g}, numeric {numeric[p, d]:.6g} (atol={atol}, rtol={rtol})"
            )
    return True


def gradient_error(fn: Callable[..., Tensor], *inputs: Any, eps: float = 1e-6, seed: int = 0) -> float:
    """The largest |analytic - numeric| over the probes and directions gradcheck would use."""
    return max(
        float(np.max(np.abs(analytic - numeric), initial=0.0))
        for _, _, analytic, numeric, _ in _comparisons(fn, inputs, eps, seed)
    )


def gradgradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    grad_outputs: Any = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Second-order check, as `torch.autograd.gradgradcheck`: gradcheck of the map (inputs, v) ->
    v^T J, the vector-Jacobian product that `fn`'s backward computes with `create_graph=True`.

    So both the gradients of the gradients and the backward's linearity in v are checked against
    finite differences, in float64. `grad_outputs` is v (seeded random normals by default). First,
    that recorded product must equal the fast first-order backward's at the same point (an op's
    `vjp` and its `backward` cannot drift apart), and `fn` must pass `gradcheck`.
    """
    tensors = _float64_inputs(inputs)
    checked = [i for i, t in enumerate(tensors) if t.requires_grad]
    if not checked:
        raise ValueError("gradgradcheck: no input to check: pass arrays, or Tensors with requires_grad=True")
    with enable_grad():
        shape = _output(fn, tensors).shape
    v = np.random.default_rng(seed + 1).standard_normal(shape) if grad_outputs is None else grad_outputs

    def vector_jacobian_product(*args: Tensor) -> Tensor:
        xs, upstream = args[:-1], args[-1]
        with enable_grad():
            grads = grad(fn(*xs), [xs[i] for i in checked], upstream, create_graph=True, allow_unused=True)
        parts = [g.reshape(-1) for g in grads if g is not None]
        if not parts:
            raise ValueError("gradgradcheck: the output does not depend on any checked input")
        return cat(parts)

    v = np.asarray(v, np.float64)
    gradcheck(fn, *tensors, eps=eps, atol=atol, rtol=rtol, seed=seed)
    with no_grad():
        recorded = vector_jacobian_product(*tensors, Tensor(v)).data
    with enable_grad():
        fast = grad(fn(*tensors), [tensors[i] for i in checked], v, allow_unused=True)
    fast = np.concatenate([g.data.ravel() for g in fast if g is not None])
    if recorded.shape != fast.shape or not np.allclose(recorded, fast, rtol=rtol, atol=atol):
        worst = int(np.argmax(np.abs(recorded - fast))) if recorded.shape == fast.shape else 0
        raise GradcheckError(
            f"gradgradcheck: the create_graph backward (each op's vjp) disagrees with the first-order backward: "
            f"element {worst} of the flattened gradients is {recorded.ravel()[worst]:.6g} instead of {fast[worst]:.6g}"
        )
    return gradcheck(vector_jacobian_product, *tensors, v, eps=eps, atol=atol, rtol=rtol, seed=seed)
