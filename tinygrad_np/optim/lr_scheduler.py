"""Learning-rate schedules, as `torch.optim.lr_scheduler`: each sets its optimizer's `lr` (and, for
OneCycleLR, its momentum) at every `step()`.

`fit(..., scheduler=...)` steps a scheduler once per epoch, except those with `per_batch = True`
(OneCycleLR) once per batch; ReduceLROnPlateau gets the epoch's validation loss (the training loss
without validation data). `state_dict()` / `load_state_dict()` carry a schedule through checkpoints.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

from ..checks import check_choice, check_int, check_number, describe
from . import SGD, Adam, Optimizer


class LRScheduler:
    """Base class: `lr_at(epoch)` gives the learning rate after `epoch` steps; `step()` advances."""

    per_batch = False  # fit steps it after every batch (True) or every epoch (False)

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: `optimizer` must be a tinygrad_np.optim optimizer (SGD, Adam, AdamW), "
                f"got {describe(optimizer)}"
            )
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self._apply()

    def lr_at(self, epoch: int) -> float:
        """The learning rate after `epoch` steps."""
        raise NotImplementedError(f"{type(self).__name__} must define lr_at(epoch)")

    def _apply(self) -> None:
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def step(self) -> None:
        """Advance the schedule by one step and set the optimizer's learning rate."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """The learning rate set by the last step (a list, as PyTorch's one per parameter group)."""
        return [self.optimizer.lr]

    def state_dict(self) -> dict[str, Any]:
        """What resuming needs (JSON-able): the steps taken and the base learning rate."""
        return {"last_epoch": self.last_epoch, "base_lr": self.base_lr}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue the schedule from `state_dict()`'s result."""
        self.last_epoch, self.base_lr = int(state["last_epoch"]), float(state["base_lr"])
        self._apply()

    def __repr__(self) -> str:
        options = {k: v for k, v in vars(self).items() if k not in ("optimizer", "last_epoch")}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in options.items())})"


def _gamma(name: str, gamma: float) -> float:
    gamma = check_number(name, "gamma", gamma, minimum=0.0, exclusive=True)
    return gamma


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_int("StepLR", "step_size", step_size, minimum=1)
        self.gamma = _gamma("StepLR", gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """base_lr * gamma ** (epoch // step_size)."""
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (the number of milestones reached)."""

    def __init__(self, optimizer: Optimizer, milestones: list[int], gamma: float = 0.1) -> None:
        if not isinstance(milestones, (list, tuple)) or not milestones:
            raise TypeError(f"MultiStepLR: `milestones` must be a non-empty list of epochs, got {describe(milestones)}")
        self.milestones = sorted(check_int("MultiStepLR", "milestones", m, minimum=1) for m in milestones)
        self.gamma = _gamma("MultiStepLR", gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """base_lr * gamma ** (milestones <= epoch)."""
        return self.base_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _gamma("ExponentialLR", gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """base_lr * gamma ** epoch."""
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803 (PyTorch's)
        self.T_max = check_int("CosineAnnealingLR", "T_max", T_max, minimum=1)
        self.eta_min = check_number("CosineAnnealingLR", "eta_min", eta_min, minimum=0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        """The cosine from base_lr at epoch 0 down to eta_min at T_max."""
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith), stepped after every batch: the learning rate rises from
    max_lr / div_factor to max_lr over the first pct_start of `total_steps` (or epochs *
    steps_per_epoch), then anneals to max_lr / div_factor / final_div_factor; with cycle_momentum
    the momentum (SGD's, or Adam's beta1) moves the opposite way between max_momentum and
    base_momentum. Equal to PyTorch's, three_phase included."""

    per_batch = True

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        name = "OneCycleLR"
        self.max_lr = check_number(name, "max_lr", max_lr, minimum=0.0, exclusive=True)
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError(f"{name}: give `total_steps`, or both `epochs` and `steps_per_epoch`")
            total_steps = check_int(name, "epochs", epochs, minimum=1) * check_int(
                name, "steps_per_epoch", steps_per_epoch, minimum=1
            )
        self.total_steps = check_int(name, "total_steps", total_steps, minimum=2)
        self.pct_start = check_number(name, "pct_start", pct_start, minimum=0.0)
        if not 0 < self.pct_start < 1:
            raise ValueError(f"{name}: `pct_start` must be in (0, 1), got {pct_start}")
        self.anneal_strategy = check_choice(name, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        self.cycle_momentum = bool(cycle_momentum)
        has_momentum = isinstance(optimizer, Adam) or (isinstance(optimizer, SGD) and optimizer.momentum > 0)
        if self.cycle_momentum and not has_momentum:
            raise ValueError(
                f"{name}: cycle_momentum=True needs an optimizer with momentum (SGD with momentum > 0, Adam, "
                f"AdamW), got {optimizer!r}; pass cycle_momentum=False"
            )
        self.base_momentum = check_number(name, "base_momentum", base_momentum, minimum=0.0)
        self.max_momentum = check_number(name, "max_momentum", max_momentum, minimum=0.0)
        initial = self.max_lr / check_number(name, "div_factor", div_factor, minimum=0.0, exclusive=True)
        final = initial / check_number(name, "final_div_factor", final_div_factor, minimum=0.0, exclusive=True)
        self.div_factor, self.final_div_factor, self.three_phase = div_factor, final_div_factor, bool(three_phase)
        up = self.pct_start * self.total_steps - 1
        low, high = self.base_momentum, self.max_momentum
        if self.three_phase:
            self.phases = [(up, initial, self.max_lr, high, low), (2 * up, self.max_lr, initial, low, high),
                           (self.total_steps - 1, initial, final, high, high)]  # fmt: skip
        else:
            self.phases = [(up, initial, self.max_lr, high, low), (self.total_steps - 1, self.max_lr, final, low, high)]
        super().__init__(optimizer)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _at(self, step: int) -> tuple[float, float]:
        """(lr, momentum) after `step` steps."""
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: stepped {step} times, but `total_steps` is {self.total_steps}: give total_steps = "
                "epochs * batches per epoch (fit steps it after every batch)"
            )
        start_step = 0.0
        for i, (end_step, lr0, lr1, m0, m1) in enumerate(self.phases):
            if step <= end_step or i == len(self.phases) - 1:
                pct = (step - start_step) / (end_step - start_step)
                return self._anneal(lr0, lr1, pct), self._anneal(m0, m1, pct)
            start_step = end_step
        raise AssertionError("unreachable")

    def lr_at(self, epoch: int) -> float:
        """The learning rate after `epoch` steps (batches)."""
        return self._at(epoch)[0]

    def _apply(self) -> None:
        lr, momentum = self._at(self.last_epoch)
        self.optimizer.lr = lr
        if self.cycle_momentum:
            if isinstance(self.optimizer, Adam):
                self.optimizer.beta1 = momentum
            else:
                self.optimizer.momentum = momentum

    def __repr__(self) -> str:
        return (
            f"OneCycleLR(max_lr={self.max_lr:g}, total_steps={self.total_steps}, pct_start={self.pct_start:g}, "
            f"anneal_strategy={self.anneal_strategy!r}, cycle_momentum={self.cycle_momentum}, "
            f"three_phase={self.three_phase})"
        )


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by `factor` when a metric (e.g. the validation loss) has not
    improved for more than `patience` epochs, as PyTorch's: `step(metric)` after every epoch."""

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        name = "ReduceLROnPlateau"
        self.mode = check_choice(name, "mode", mode, ("min", "max"))
        self.factor = check_number(name, "factor", factor, minimum=0.0, exclusive=True)
        if self.factor >= 1:
            raise ValueError(f"{name}: `factor` must be < 1 (it multiplies the learning rate), got {factor}")
        self.patience = check_int(name, "patience", patience, minimum=0)
        self.threshold = check_number(name, "threshold", threshold, minimum=0.0)
        self.threshold_mode = check_choice(name, "threshold_mode", threshold_mode, ("rel", "abs"))
        self.cooldown = check_int(name, "cooldown", cooldown, minimum=0)
        self.min_lr = check_number(name, "min_lr", min_lr, minimum=0.0)
        self.eps = check_number(name, "eps", eps, minimum=0.0)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = 0
        super().__init__(optimizer)

    def _apply(self) -> None:
        """The learning rate changes only in `step`."""

    def _better(self, value: float) -> bool:
        """PyTorch's test: below best * (1 - threshold) (mode min, rel), best - threshold (min, abs), ..."""
        sign = 1 if self.mode == "min" else -1
        rel = self.threshold_mode == "rel"
        bound = self.best * (1 - sign * self.threshold) if rel else self.best - sign * self.threshold
        return sign * value < sign * bound

    def step(self, metric: float) -> None:  # type: ignore[override]
        """Record this epoch's `metric`; reduce the learning rate after `patience` epochs without improvement."""
        value = check_number("ReduceLROnPlateau.step", "metric", metric)
        self.last_epoch += 1
        if self._better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new = max(self.optimizer.lr * self.factor, self.min_lr)
            if self.optimizer.lr - new > self.eps:
                self.optimizer.lr = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0

    def state_dict(self) -> dict[str, Any]:
        """Steps, best metric, counters and the current learning rate."""
        best = self.best if math.isfinite(self.best) else str(self.best)
        return super().state_dict() | {"best": best, "num_bad_epochs": self.num_bad_epochs,
                                       "cooldown_counter": self.cooldown_counter, "lr": self.optimizer.lr}  # fmt: skip

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from `state_dict()`'s result."""
        super().load_state_dict(state)
        self.best = float(state["best"])
        self.num_bad_epochs, self.cooldown_counter = int(state["num_bad_epochs"]), int(state["cooldown_counter"])
        self.optimizer.lr = float(state["lr"])

    def __repr__(self) -> str:
        return (
            f"ReduceLROnPlateau(mode={self.mode!r}, factor={self.factor:g}, patience={self.patience}, "
            f"threshold={self.threshold:g}, threshold_mode={self.threshold_mode!r}, cooldown={self.cooldown}, "
            f"min_lr={self.min_lr:g})"
        )
