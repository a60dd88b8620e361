"""Optimizers: plain SGD (the original design's), SGD with momentum, and Adam.

Each updates its parameters' arrays in place from their `.grad`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .checks import check_number, describe
from .tensor import Tensor


class Optimizer:
    """Holds the parameters; `step()` updates them from `.grad`, `zero_grad()` clears grads."""

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

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        raise NotImplementedError

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

    def step(self) -> None:
        """p -= lr * grad (or the momentum update), in place."""
        for i, (p, scratch) in enumerate(zip(self.params, self.scratch)):
            if p.grad is None:
                continue
            direction = p.grad
            if self.momentum:
                direction = self.velocity[i]
                direction *= self.momentum
                direction += p.grad
            np.multiply(direction, self.lr, out=scratch)
            p.data -= scratch

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
        correction1 = 1 - self.beta1**self.t
        correction2 = 1 - self.beta2**self.t
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m *= self.beta1
            m += (1 - self.beta1) * p.grad
            v *= self.beta2
            v += (1 - self.beta2) * p.grad**2
            p.data -= (self.lr / correction1) * m / (np.sqrt(v / correction2) + self.eps)

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
