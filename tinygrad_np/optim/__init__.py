"""Optimizers: plain SGD (the original design's), SGD with momentum (heavy-ball or Nesterov, with
dampening) and L2 weight decay, Adam (L2 weight decay) and AdamW (decoupled weight decay), each as
`torch.optim`; learning-rate schedules are in `tinygrad_np.optim.lr_scheduler`.

Each updates its parameters' arrays in place from their `.grad`; a step that would write a
non-finite value is refused whole, leaving parameters and optimizer state as they were.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Iterable

import numpy as np

from ..blas import squared_norm, subtract_scaled
from ..checks import check_number, describe
from ..tensor import Tensor


class NonFiniteUpdateError(FloatingPointError):
    """A step would have written inf or NaN into a parameter or the optimizer's state; nothing was changed."""

    def __init__(self, index: int, gradient_finite: bool, name: str | None = None) -> None:
        what = f"parameter {index}" if name is None else f"parameter {index} ({name})"
        cause = "its update overflowed (its gradient is finite)" if gradient_finite else "its gradient is not finite"
        super().__init__(f"step refused: {what}: {cause}; no parameter and no optimizer state was changed")
        self.index, self.gradient_finite, self.name = index, gradient_finite, name


def _finite(a: np.ndarray) -> bool:
    """All elements finite. First the sum of their squares (one BLAS dot, into which NaN and inf
    propagate; about 3x faster than a sum on the 200k-weight layer), then, only if that is not
    finite (which huge finite values can also cause), the exact elementwise test."""
    return math.isfinite(squared_norm(a)) or bool(np.all(np.isfinite(a)))


def _finite_step(scale: float, direction: np.ndarray, dtype: np.dtype) -> bool:
    """All elements of scale * direction finite in `dtype`, without computing that product: each
    |direction_k| is at most sqrt(direction . direction) (one BLAS dot, into which NaN and inf
    propagate), so when scale times that stays below a quarter of the largest finite value (room for
    the dot's rounding), every element of the step does. Otherwise the exact elementwise test decides."""
    if scale * math.sqrt(squared_norm(direction)) <= _safe_bound(dtype):
        return True
    return bool(np.all(np.isfinite(np.multiply(direction, scale, dtype=dtype))))


@functools.cache
def _safe_bound(dtype: np.dtype) -> float:
    return min(float(np.finfo(dtype).max), sys.float_info.max) / 4


class Optimizer:
    """Holds the parameters; `step()` updates them from `.grad`, `zero_grad()` clears grads.

    `params`: Tensors that require grad, or (name, Tensor) pairs such as `model.named_parameters()`
    (the names then appear in errors). Subclasses define `update(i, p)`, parameter i's step as a pair
    (scale, direction): the parameter moves by -scale * direction. It is computed without changing the
    optimizer's state: a new state goes into the arrays `staged(i)` returns, and `commit(i)` adopts it.
    `step()` checks every step and staged state is finite before applying any, so a refused step
    leaves parameters and state exactly as they were (each through `blas.subtract_scaled`: one pass
    over memory in per-sample SGD, two elsewhere).
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[tuple[str, Tensor]], lr: float) -> None:
        name = type(self).__name__
        items = [p if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) else (None, p) for p in params]
        if not items:
            raise ValueError(f"{name}: `params` is empty: the model has no parameters to optimize")
        for _, p in items:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(f"{name}: `params` must be Tensors with requires_grad=True, got {describe(p)}")
        self.params = [p for _, p in items]
        self.names = [label if label is not None else p.name for label, p in items]
        self.lr = check_number(name, "lr", lr, minimum=0.0, exclusive=True)
        self.scratch = [np.empty_like(p.data) for p in self.params]  # scale * direction, without allocating

    def zero_grad(self) -> None:
        """Forget every parameter's gradient."""
        for p in self.params:
            p.zero_grad()

    def update(self, i: int, p: Tensor) -> tuple[float, np.ndarray]:
        """(scale, direction): parameter `i` (`p`, which has a gradient) moves by -scale * direction;
        the state stays as it is."""
        raise NotImplementedError(f"{type(self).__name__} must define update(i, p)")

    def staged(self, i: int) -> tuple[np.ndarray, ...]:
        """The state `update(i, p)` proposed for parameter `i`, not adopted yet (none by default)."""
        return ()

    def commit(self, i: int) -> None:
        """Adopt the state staged for parameter `i` (called only once every update is known finite)."""

    def step(self) -> None:
        """Update every parameter that has a gradient, or none (NonFiniteUpdateError)."""
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, clearly
            updates = [(i, p, *self.update(i, p)) for i, p in enumerate(self.params) if p.grad is not None]
            for i, p, scale, direction in updates:
                if not (_finite_step(scale, direction, p.data.dtype) and all(_finite(s) for s in self.staged(i))):
                    raise NonFiniteUpdateError(i, _finite(p.grad), self.names[i])
        for i, p, scale, direction in updates:
            subtract_scaled(p.data, scale, direction, self.scratch[i])
            self.commit(i)
        self.end_step()

    def end_step(self) -> None:
        """Called after a step was applied, not after a refused one (nothing by default)."""

    def state(self) -> dict[str, np.ndarray]:
        """Arrays that make up the optimizer's state (for checkpoints)."""
        return {}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore arrays returned by `state()`."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr:g})"


def _decay(name: str, weight_decay: float) -> float:
    return check_number(name, "weight_decay", weight_decay, minimum=0.0)


class SGD(Optimizer):
    """Stochastic gradient descent, as `torch.optim.SGD`: g = grad + weight_decay * p; with momentum,
    v = g on the first step, then v = momentum * v + (1 - dampening) * g, and the step direction is
    v (or g + momentum * v with `nesterov`); p -= lr * direction."""

    def __init__(self, params: Iterable[Tensor] | Iterable[tuple[str, Tensor]], lr: float = 0.01,
                 momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:  # fmt: skip
        super().__init__(params, lr)
        self.momentum = check_number("SGD", "momentum", momentum, minimum=0.0)
        if self.momentum >= 1:
            raise ValueError(f"SGD: `momentum` must be in [0, 1), got {momentum}")
        self.dampening = check_number("SGD", "dampening", dampening, minimum=0.0)
        self.weight_decay = _decay("SGD", weight_decay)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("SGD: `nesterov=True` needs momentum > 0 and dampening 0, as in PyTorch")
        self.velocity = [np.zeros_like(p.data) for p in self.params] if self.momentum else []
        self.next_velocity = [np.empty_like(p.data) for p in self.params] if self.momentum else []
        self.started = [False] * len(self.params)  # a velocity exists (PyTorch starts it at g, undamped)

    def update(self, i: int, p: Tensor) -> tuple[float, np.ndarray]:
        """(lr, direction); the new velocity is staged in a reused buffer."""
        g = p.grad if not self.weight_decay else p.grad + self.weight_decay * p.data
        direction = g
        if self.momentum:
            direction = np.multiply(self.velocity[i], self.momentum, out=self.next_velocity[i])
            direction += g if not self.started[i] or not self.dampening else (1 - self.dampening) * g
            if self.nesterov:
                direction = g + self.momentum * direction
        return self.lr, direction

    def staged(self, i: int) -> tuple[np.ndarray, ...]:
        """The new velocity of parameter `i`."""
        return (self.next_velocity[i],) if self.momentum else ()

    def commit(self, i: int) -> None:
        """The staged velocity becomes the velocity (a swap of buffers, no copy)."""
        if self.momentum:
            self.velocity[i], self.next_velocity[i] = self.next_velocity[i], self.velocity[i]
            self.started[i] = True

    def state(self) -> dict[str, np.ndarray]:
        """The velocity buffers (and, with dampening, which of them have started)."""
        state = {f"velocity.{i}": v for i, v in enumerate(self.velocity)}
        return state | ({"started": np.array(self.started)} if self.dampening else {})

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore the velocity buffers."""
        for i, v in enumerate(self.velocity):
            v[...] = state[f"velocity.{i}"]
        if self.dampening:
            self.started = [bool(s) for s in state["started"]]

    def __repr__(self) -> str:
        options = {"dampening": self.dampening, "weight_decay": self.weight_decay}
        extra = "".join(f", {name}={value:g}" for name, value in options.items() if value)
        extra += ", nesterov=True" if self.nesterov else ""
        return f"SGD(lr={self.lr:g}, momentum={self.momentum:g}{extra})"


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction, as `torch.optim.Adam`; `weight_decay` adds
    weight_decay * p to the gradient (L2; see AdamW for the decoupled form)."""

    decoupled = False

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[tuple[str, Tensor]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        name = type(self).__name__
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2 and all(0 <= b < 1 for b in betas)):
            raise ValueError(f"{name}: `betas` must be a pair of numbers in [0, 1), got {betas!r}")
        self.beta1, self.beta2 = float(betas[0]), float(betas[1])
        self.eps = check_number(name, "eps", eps, minimum=0.0, exclusive=True)
        self.weight_decay = _decay(name, weight_decay)
        self.t = 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]
        self.next_m = [np.empty_like(p.data) for p in self.params]
        self.next_v = [np.empty_like(p.data) for p in self.params]

    def update(self, i: int, p: Tensor) -> tuple[float, np.ndarray]:
        """(1, lr * m_hat / (sqrt(v_hat) + eps)), from the moment estimates of step t + 1 (staged)."""
        t = self.t + 1
        g = p.grad if not self.weight_decay or self.decoupled else p.grad + self.weight_decay * p.data
        m = np.multiply(self.m[i], self.beta1, out=self.next_m[i])
        m += (1 - self.beta1) * g
        v = np.multiply(self.v[i], self.beta2, out=self.next_v[i])
        v += (1 - self.beta2) * g**2
        step = (self.lr / (1 - self.beta1**t)) * m / (np.sqrt(v / (1 - self.beta2**t)) + self.eps)
        if self.decoupled and self.weight_decay:
            step += (self.lr * self.weight_decay) * p.data
        return 1.0, step

    def staged(self, i: int) -> tuple[np.ndarray, ...]:
        """The new moment estimates of parameter `i`."""
        return self.next_m[i], self.next_v[i]

    def commit(self, i: int) -> None:
        """The staged moments become the moments (a swap of buffers, no copy)."""
        self.m[i], self.next_m[i] = self.next_m[i], self.m[i]
        self.v[i], self.next_v[i] = self.next_v[i], self.v[i]

    def end_step(self) -> None:
        """Count the step (only an applied one)."""
        self.t += 1

    def state(self) -> dict[str, np.ndarray]:
        """Moment estimates and the step count."""
        arrays = {f"m.{i}": m for i, m in enumerate(self.m)} | {f"v.{i}": v for i, v in enumerate(self.v)}
        return arrays | {"t": np.array(self.t)}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore the moments and the step count."""
        for i, (m, v) in enumerate(zip(self.m, self.v)):
            m[...], v[...] = state[f"m.{i}"], state[f"v.{i}"]
        self.t = int(state["t"])

    def __repr__(self) -> str:
        decay = f", weight_decay={self.weight_decay:g}" if self.weight_decay else ""
        return f"{type(self).__name__}(lr={self.lr:g}, betas=({self.beta1:g}, {self.beta2:g}), eps={self.eps:g}{decay})"


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as `torch.optim.AdamW`:
    p -= lr * weight_decay * p, then Adam's step on the gradient alone."""

    decoupled = True

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[tuple[str, Tensor]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


OPTIMIZERS = ("sgd", "momentum", "adam")


def make_optimizer(name: str, params: Iterable[Tensor] | Iterable[tuple[str, Tensor]], lr: float) -> Optimizer:
    """An optimizer by name: "sgd", "momentum" (SGD, momentum 0.9) or "adam"."""
    if name == "sgd":
        return SGD(params, lr)
    if name == "momentum":
        return SGD(params, lr, momentum=0.9)
    if name == "adam":
        return Adam(params, lr)
    raise ValueError(f"optimizer: must be one of {', '.join(map(repr, OPTIMIZERS))} or an Optimizer, got {name!r}")
