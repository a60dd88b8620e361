"""Optimizers: plain SGD (the original design's), SGD with momentum, and Adam.

Each updates its parameters' arrays in place from their `.grad`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .checks import check_number, describe
from .tensor import Tensor


class NonFiniteUpdateError(FloatingPointError):
    """A step would have written inf or NaN into a parameter; nothing was changed."""

    def __init__(self, index: int, gradient_finite: bool) -> None:
        cause = "its update overflowed (the gradient is finite)" if gradient_finite else "its gradient is not finite"
        super().__init__(f"step refused: parameter {index}'s {cause}; no parameter was changed")
        self.index, self.gradient_finite = index, gradient_finite


def _finite(a: np.ndarray) -> bool:
    """All elements finite (a cheap sum first; the exact test only if the sum is not finite)."""
    return bool(np.isfinite(a.sum()) or np.all(np.isfinite(a)))


class Optimizer:
    """Holds the parameters; `step()` updates them from `.grad`, `zero_grad()` clears grads.

    Subclasses define `update(i, p)`: the amount to subtract from parameter i. `step()` checks
    every update is finite before applying any, so a diverging step never spoils a parameter.
    """

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        name = type(self).__name__
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name}: `params` is empty: the model has no parameters to optimize")
        for p in self.params:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(f"{name}: `params` must be Tensors with requires_grad=True, got {describe(p)}")
        self.lr = check_number(name, "lr", lr, minimum=0.0, exclusive=True)

    def zero_grad(self) -> None:
        """Forget every parameter's gradient."""
        for p in self.params:
            p.grad = None

    def update(self, i: int, p: Tensor) -> np.ndarray:
        """What to subtract from parameter `i` (`p`, which has a gradient)."""
        raise NotImplementedError

    def step(self) -> None:
        """Update every parameter that has a gradient, or none (NonFiniteUpdateError)."""
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, clearly
            updates = [(p, self.update(i, p)) for i, p in enumerate(self.params) if p.grad is not None]
        for p, u in updates:
            if not _finite(u):
                raise NonFiniteUpdateError(self.params.index(p), _finite(p.grad))
        for p, u in updates:
            p.data -= u

    def state(self) -> dict[str, np.ndarray]:
        """Arrays that make up the optimizer's state (for checkpoints)."""
        return {}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore arrays returned by `state()`."""


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (heavy-ball) momentum:
    v = momentum * v + grad; p -= lr * v."""

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = check_number("SGD", "momentum", momentum, minimum=0.0)
        if self.momentum >= 1:
            raise ValueError(f"SGD: `momentum` must be in [0, 1), got {momentum}")
        self.velocity = [np.zeros_like(p.data) for p in self.params] if self.momentum else []
        self.scratch = [np.empty_like(p.data) for p in self.params]  # lr * grad, without allocating

    def update(self, i: int, p: Tensor) -> np.ndarray:
        """lr * grad, or lr * v with v = momentum * v + grad (in a reused buffer)."""
        direction = p.grad
        if self.momentum:
            direction = self.velocity[i]
            direction *= self.momentum
            direction += p.grad
        return np.multiply(direction, self.lr, out=self.scratch[i])

    def state(self) -> dict[str, np.ndarray]:
        """The velocity buffers."""
        return {f"velocity.{i}": v for i, v in enumerate(self.velocity)}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore the velocity buffers."""
        for i, v in enumerate(self.velocity):
            v[...] = state[f"velocity.{i}"]


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction."""

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2 and all(0 <= b < 1 for b in betas)):
            raise ValueError(f"Adam: `betas` must be a pair of numbers in [0, 1), got {betas!r}")
        self.beta1, self.beta2 = float(betas[0]), float(betas[1])
        self.eps = check_number("Adam", "eps", eps, minimum=0.0, exclusive=True)
        self.t = 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]

    def step(self) -> None:
        """One Adam update of every parameter that has a gradient."""
        self.t += 1
        super().step()

    def update(self, i: int, p: Tensor) -> np.ndarray:
        """lr * m_hat / (sqrt(v_hat) + eps), after updating the moment estimates."""
        m, v = self.m[i], self.v[i]
        m *= self.beta1
        m += (1 - self.beta1) * p.grad
        v *= self.beta2
        v += (1 - self.beta2) * p.grad**2
        return (self.lr / (1 - self.beta1**self.t)) * m / (np.sqrt(v / (1 - self.beta2**self.t)) + self.eps)

    def state(self) -> dict[str, np.ndarray]:
        """Moment estimates and the step count."""
        arrays = {f"m.{i}": m for i, m in enumerate(self.m)} | {f"v.{i}": v for i, v in enumerate(self.v)}
        return arrays | {"t": np.array(self.t)}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore the moments and the step count."""
        for i, (m, v) in enumerate(zip(self.m, self.v)):
            m[...], v[...] = state[f"m.{i}"], state[f"v.{i}"]
        self.t = int(state["t"])


OPTIMIZERS = ("sgd", "momentum", "adam")


def make_optimizer(name: str, params: Iterable[Tensor], lr: float) -> Optimizer:
    """An optimizer by name: "sgd", "momentum" (SGD, momentum 0.9) or "adam"."""
    if name == "sgd":
        return SGD(params, lr)
    if name == "momentum":
        return SGD(params, lr, momentum=0.9)
    if name == "adam":
        return Adam(params, lr)
    raise ValueError(f"optimizer: must be one of {', '.join(map(repr, OPTIMIZERS))} or an Optimizer, got {name!r}")
