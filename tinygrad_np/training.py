"""Mini-batch training and evaluation for any model that maps a batch to class scores (N, K)."""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import numpy as np
from tqdm.auto import tqdm

from . import blas, rng
from . import functional as F
from .anomaly import detect_anomaly as anomaly_mode
from .autograd import no_grad
from .capture import Capture, capturable
from .checkpoint import CheckpointError, check_state, differences, load_training, save_training
from .checks import check_choice, check_int, check_number, class_targets, describe
from .optim import OPTIMIZERS, NonFiniteUpdateError, Optimizer, make_optimizer
from .optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from .tensor import Tensor

LOSSES: dict[str, Callable[[Tensor, np.ndarray], Tensor]] = {
    "cross_entropy": F.cross_entropy,
    "hinge": F.hinge,
}


class TrainingDivergedError(FloatingPointError):
    """A training step produced a non-finite loss or gradient."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during `fit`; the model holds the last complete epoch, saved in `.checkpoint` if any."""

    def __init__(self, message: str, checkpoint: str | os.PathLike | None) -> None:
        super().__init__(message)
        self.checkpoint = checkpoint


class Evaluation(NamedTuple):
    """Accuracy in [0, 1] and mean loss over a dataset."""

    accuracy: float
    loss: float


@dataclass
class History:
    """Per-epoch numbers returned by `fit`."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    samples_per_second: list[float] = field(default_factory=list)


def check_features(fn: str, X: Any) -> np.ndarray:
    """Model inputs: a float array (or Tensor) with a batch axis."""
    array = X.data if isinstance(X, Tensor) else X
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{fn}: `X` must be a NumPy float array, got {describe(X)}")
    if array.dtype.kind != "f":
        raise TypeError(
            f"{fn}: `X` must hold floats (e.g. pixels scaled to [0, 1] as float32), got dtype {array.dtype}"
        )
    if array.ndim < 2 or len(array) == 0:
        raise ValueError(f"{fn}: `X` must be a non-empty batch (N, ...), got shape {array.shape}")
    if not np.isfinite(array.sum()) and not np.all(np.isfinite(array)):
        raise ValueError(f"{fn}: `X` contains NaN or infinite values (at {np.argwhere(~np.isfinite(array))[0]})")
    return np.ascontiguousarray(array)  # batches gathered from a C-ordered array stay fast


def check_labels(fn: str, y: Any, n: int, num_classes: int) -> np.ndarray:
    """Class indices (N,) from indices or one-hot rows; each in [0, num_classes)."""
    return class_targets(fn, y, n, num_classes, allow_probabilities=False, name="y")


@contextmanager
def mode(model: Any, training: bool) -> Iterator[None]:
    """Run a block with `model` (and every sub-module) in training or evaluation mode, then put back
    the mode each module had. A plain function (not a Module) has no mode: nothing changes."""
    found = model.modes() if hasattr(model, "modes") else []
    for module, _ in found:
        module.training = training
    try:
        yield
    finally:
        for module, was in found:
            module.training = was


def _probe(model: Callable[[Tensor], Tensor], X: np.ndarray, fn: str) -> Tensor:
    """The scores of the first sample, in evaluation mode: validates the input shape early; gives K."""
    if hasattr(model, "check_input"):
        model.check_input(fn, X.shape)
    try:
        with no_grad(), mode(model, False):
            scores = model(Tensor(X[:1]))
    except (ValueError, TypeError) as err:
        raise type(err)(f"{fn}: `X` of shape {X.shape} does not fit the model: {err}") from None
    if not isinstance(scores, Tensor):
        who = model.label() if hasattr(model, "label") else getattr(model, "__name__", type(model).__name__)
        raise TypeError(
            f"{fn}: the model {who} must return a Tensor of class scores (N, K) from forward, it returned "
            f"{describe(scores)}"
        )
    if scores.ndim != 2:
        raise ValueError(f"{fn}: the model must return scores (N, K), it returned shape {scores.shape}")
    return scores


def _num_classes(model: Callable[[Tensor], Tensor], X: np.ndarray, fn: str) -> int:
    return _probe(model, X, fn).shape[1]


def _warn_if_probabilities(model: Any, scores: Tensor) -> None:
    """Cross-entropy applies softmax itself: a model whose output already is one (rows of
    probabilities) would apply it twice and train badly. Warn once, naming the layer."""
    p = scores.data
    if not (np.all(p >= 0) and np.allclose(p.sum(axis=1), 1, atol=1e-4)):
        return
    named = [(n, m) for n, m in model.named_modules() if "softmax" in m.label().lower()] if hasattr(
        model, "named_modules"
    ) else []  # fmt: skip
    where = f"its layer {named[-1][0]!r} ({named[-1][1].label()})" if named else "its output"
    warnings.warn(
        f"fit: the model's output is already a softmax ({where}), and loss='cross_entropy' applies softmax "
        "itself: it would be applied twice, and training suffers. Return scores (logits) from forward, e.g. "
        "Dense(..., activation='none'), and use predict_proba for probabilities (Sequential and CNN leave a "
        "final softmax layer to the loss themselves)",
        stacklevel=3,
    )


def _batches(n: int, batch_size: int):
    """Consecutive slices of `batch_size` rows (the last may be shorter) over `n` rows."""
    for start in range(0, n, batch_size):
        yield slice(start, start + batch_size)


def evaluate(
    model: Callable[[Tensor], Tensor], X: Any, y: Any, loss: str = "cross_entropy", batch_size: int = 500
) -> Evaluation:
    """Accuracy and mean loss of `model` on (X, y), in batches, in evaluation mode (the mode found is
    restored), without recording a graph."""
    X = check_features("evaluate", X)
    loss = check_choice("evaluate", "loss", loss.replace("-", "_"), LOSSES)
    batch_size = check_int("evaluate", "batch_size", batch_size, minimum=1)
    labels = check_labels("evaluate", y, len(X), _num_classes(model, X, "evaluate"))
    correct, total_loss = 0, 0.0
    with no_grad(), mode(model, False):
        for idx in _batches(len(X), batch_size):
            scores = model(Tensor(X[idx]))
            total_loss += LOSSES[loss](scores, labels[idx], reduction="sum").item()
            correct += int((scores.data.argmax(axis=1) == labels[idx]).sum())
    return Evaluation(correct / len(X), total_loss / len(X))


def predict_scores(model: Callable[[Tensor], Tensor], X: Any, batch_size: int = 500) -> np.ndarray:
    """The model's scores for every row of X, in batches, in evaluation mode (the mode found is
    restored), without recording a graph."""
    X = check_features("predict", X)
    _num_classes(model, X, "predict")
    with no_grad(), mode(model, False):
        return np.concatenate([model(Tensor(X[idx])).data for idx in _batches(len(X), batch_size)])


def _culprit(err: NonFiniteUpdateError, optimizer: Optimizer, named: list[tuple[str, Tensor]]) -> str:
    """What went non-finite, in words: the loss, a parameter's gradient or its update."""
    if err.index < 0:
        return "the loss"
    names = {id(p): name for name, p in named}
    name = names.get(id(optimizer.params[err.index])) or err.name or f"parameter {err.index}"
    return f"the update (lr * gradient) of {name}" if err.gradient_finite else f"the gradient of {name}"


@dataclass
class _Run:
    """Everything an epoch of training needs, checked once by `_prepare`."""

    model: Any
    X: np.ndarray
    targets: np.ndarray
    labels: np.ndarray
    batch_size: int
    loss_name: str
    optimizer: Optimizer
    scheduler: LRScheduler | None
    seed: int | None
    epochs: int
    validation_data: tuple[Any, Any] | None
    verbose: int
    detect_anomaly: bool
    settings: dict  # what a checkpoint records of this run: `metadata` and the training settings
    named: list[tuple[str, Tensor]] = field(default_factory=list)
    step: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]] | None = None  # (loss, scores) of a batch (`_step`)


class _Checkpoints:
    """A run's safety net: resumes from a checkpoint, saves one after every epoch (model with buffers,
    optimizer, scheduler, the library's random state, history), and on Ctrl-C puts everything back
    to the last complete epoch."""

    def __init__(self, run: _Run, path: str | os.PathLike | None, resume_from: str | os.PathLike | None) -> None:
        self.run, self.path, self.resume_from = run, path, resume_from
        self.history, self.completed = History(), 0
        self.last_good = self._snapshot()

    def _snapshot(self) -> tuple[dict, dict, dict]:
        run = self.run
        extra = {"rng": rng.get_state()}
        if run.scheduler is not None:
            extra["scheduler"] = run.scheduler.state_dict()
        return run.model.state_dict(), {k: v.copy() for k, v in run.optimizer.state().items()}, extra

    def _restore(self, params: dict, optim_state: dict, extra: dict, source: str) -> None:
        """Put model, optimizer, scheduler and random state back, after checking every name and shape."""
        optimizer = self.run.optimizer
        check_state("load", repr(source), optim_state, {k: v.shape for k, v in optimizer.state().items()})
        self.run.model.set_parameters(params, source)
        optimizer.load_state(optim_state)
        if self.run.scheduler is not None:
            self.run.scheduler.load_state_dict(extra["scheduler"])
        if "rng" in extra:
            rng.set_state(extra["rng"])

    def resume(self) -> int:
        """Load the checkpoint to resume from, if any, after checking it continues this run (same
        settings and metadata; fewer epochs done than asked); returns the first epoch to train."""
        if self.resume_from is None:
            return 1
        path, run = os.fspath(self.resume_from), self.run
        params, optim_state, meta = load_training(path)
        try:
            history, done = History(**meta["history"]), int(meta["epoch"])
        except (KeyError, TypeError, ValueError) as err:
            raise CheckpointError(f"load: the metadata of {path!r} is incomplete: {err!r}") from None
        recorded = {"training": meta.get("training", {}), "metadata": meta.get("metadata", {})}
        changed = [d for part in run.settings for d in differences(recorded[part], run.settings[part])]
        if changed:
            raise CheckpointError(
                f"fit: cannot resume from {path!r}: this run differs from the one it holds in "
                f"{'; '.join(changed)}. Resume with the checkpoint's settings (only `epochs` may grow), "
                "or start a new run"
            )
        if done >= run.epochs:
            raise ValueError(
                f"fit: {path!r} already holds {done} epoch{'s' * (done != 1)} and `epochs` is {run.epochs}: "
                f"there is nothing to train; ask for more than {done} epochs to continue the run"
            )
        self._restore(params, optim_state, {k: meta[k] for k in ("scheduler", "rng") if k in meta}, path)
        self.history, self.completed, self.last_good = history, done, self._snapshot()
        if run.verbose:
            print(f"resumed from {path} after epoch {done}", flush=True)
        return done + 1

    def epoch_done(self, epoch: int) -> None:
        """Save the epoch just completed (to the file, if any) as the state Ctrl-C returns to."""
        state = self._snapshot()
        if self.path is not None:
            meta = {"epoch": epoch, "history": asdict(self.history), **self.run.settings, **state[2]}
            save_training(self.path, state[0], state[1], meta)
        self.last_good, self.completed = state, epoch  # together: Ctrl-C restores what the file holds

    def interrupted(self) -> TrainingInterrupted:
        """After Ctrl-C: restore the last complete epoch; the error to raise, saying where it is saved."""
        self._restore(*self.last_good, "the last complete epoch")
        saved = self.path if self.path is not None and self.completed > 0 else None
        where = f"saved in {os.fspath(saved)}; continue with resume=True" if saved else "not saved"
        return TrainingInterrupted(
            f"fit: interrupted during epoch {self.completed + 1}; the model is as after epoch {self.completed}, "
            f"{where}",
            saved,
        )


def _prepare(model: Any, X: Any, y: Any, epochs: int, lr: float | None, options: dict) -> _Run:
    """Check every argument of `fit` (named in its errors) and build the run."""
    X = check_features("fit", X)
    largest = float(np.abs(X).max())
    if largest > 100:
        warnings.warn(
            f"fit: `X` has values up to {largest:g}; unscaled inputs (pixels 0-255) make training "
            "stall or diverge: scale them, e.g. X / 255",
            stacklevel=4,
        )
    epochs = check_int("fit", "epochs", epochs, minimum=1)
    batch_size = check_int("fit", "batch_size", options["batch_size"], minimum=1)
    loss_name = check_choice("fit", "loss", str(options["loss"]).replace("-", "_"), LOSSES)
    seed = options["seed"]
    if seed is not None:
        seed = check_int("fit", "seed", seed, minimum=0)
    metadata = options["metadata"]
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"fit: `metadata` must be a dict (JSON-able), got {describe(metadata)}")
    optimizer, scheduler = _optimizer(model, lr, options["optimizer"], options["scheduler"])
    scores = _probe(model, X, "fit")
    if loss_name == "cross_entropy":
        _warn_if_probabilities(model, scores)
    labels = check_labels("fit", y, len(X), scores.shape[1])
    validation_data = options["validation_data"]
    if validation_data is not None:
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise TypeError(f"fit: `validation_data` must be a pair (X_val, y_val), got {describe(validation_data)}")
        val_X = check_features("fit", validation_data[0])
        check_labels("fit", validation_data[1], len(val_X), scores.shape[1])
    optimizer_name = options["optimizer"] if isinstance(options["optimizer"], str) else repr(optimizer)
    training = {"loss": loss_name, "optimizer": optimizer_name or "sgd", "lr": optimizer.lr,
                "batch_size": batch_size, "seed": seed, "train_samples": len(X)}  # fmt: skip
    if scheduler is not None:
        training["scheduler"] = repr(scheduler)
    if not isinstance(options["capture"], (bool, np.bool_)):
        raise TypeError(f"fit: `capture` must be a bool, got {describe(options['capture'])}")
    step = _step(model, LOSSES[loss_name], options["capture"] and capturable(model))
    return _Run(
        model, X, np.eye(scores.shape[1], dtype=X.dtype)[labels], labels, batch_size, loss_name, optimizer, scheduler,
        seed, epochs, validation_data, options["verbose"], options["detect_anomaly"],
        # metadata first: a different data set is the difference to name first
        {"metadata": metadata or {}, "training": training}, list(model.named_parameters()), step,
    )  # fmt: skip


def _step(model: Any, loss_fn: Callable[[Tensor, Any], Tensor], capture: bool) -> Callable[[Tensor, Tensor], Any]:
    """A training step's forward: (loss, scores) of a batch and its one-hot targets. With `capture`,
    the whole step is captured (`tinygrad_np.capture`); when its tape cannot be replayed (the hinge
    loss takes the labels as an array argument), the step runs eagerly around the captured model."""
    forward = Capture(model) if capture else model

    def step(x: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
        scores = forward(x)
        return loss_fn(scores, targets), scores

    return Capture(step) if capture else step


def _optimizer(model: Any, lr: float | None, optimizer: Any, scheduler: Any) -> tuple[Optimizer, LRScheduler | None]:
    """The optimizer fit trains with (built by name, or given) and the scheduler driving it, if any."""
    if scheduler is not None:
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(
                "fit: `scheduler` must be a tinygrad_np.optim.lr_scheduler scheduler (StepLR, OneCycleLR, ...), "
                f"got {describe(scheduler)}"
            )
        if optimizer is None:
            optimizer = scheduler.optimizer
        if optimizer is not scheduler.optimizer:
            raise ValueError(
                f"fit: `scheduler` ({type(scheduler).__name__}) drives another optimizer than the one fit trains "
                f"with ({optimizer!r}): build the scheduler on that optimizer and pass both (or only the scheduler)"
            )
    if isinstance(optimizer, Optimizer):
        return optimizer, scheduler
    optimizer = check_choice("fit", "optimizer", optimizer or "sgd", OPTIMIZERS)
    if lr is None:
        raise TypeError(f"fit: `lr` is needed to build the {optimizer!r} optimizer")
    lr = check_number("fit", "lr", lr, minimum=0.0, exclusive=True)
    return make_optimizer(optimizer, model.named_parameters(), lr), scheduler


def fit(
    model: Any,
    X: Any,
    y: Any,
    epochs: int,
    lr: float | None = None,
    *,
    batch_size: int = 32,
    loss: str = "cross_entropy",
    optimizer: str | Optimizer | None = None,
    scheduler: LRScheduler | None = None,
    seed: int | None = 0,
    validation_data: tuple[Any, Any] | None = None,
    verbose: int = 1,
    checkpoint: str | os.PathLike | None = None,
    resume: bool | str | os.PathLike = False,
    metadata: dict | None = None,
    detect_anomaly: bool = False,
    capture: bool = True,
) -> History:
    """Train `model` (a Module returning class scores) by mini-batch gradient descent, in training
    mode (the mode each module had is restored afterwards).

    y: class indices (N,) or one-hot rows; they are one-hot encoded for the loss.
    loss: "cross_entropy" or "hinge", on the model's scores. optimizer: "sgd" (the default),
    "momentum", "adam" (each built with `lr`) or an Optimizer. scheduler: a learning-rate schedule
    from `tinygrad_np.optim.lr_scheduler` on that optimizer, stepped after every epoch (OneCycleLR:
    after every batch; ReduceLROnPlateau: with the validation loss, else the training loss).
    batch_size=1 is per-sample SGD. seed fixes the shuffles (epoch e uses the generator seeded with
    (seed, e), so a resumed run shuffles as an uninterrupted one).
    checkpoint: a path saved atomically after every epoch (parameters and buffers, optimizer and
    scheduler state, the library's random state (dropout), history, the training settings and
    `metadata`, a JSON-able dict describing the run, e.g. its data): `.safetensors` when the path ends
    so, else `.npz`. resume=True continues from `checkpoint`; resume=PATH continues from PATH (and
    saves to `checkpoint`, if given). A checkpoint continues only the run it holds: a different loss,
    optimizer, lr, scheduler, batch size, seed, number of training samples or `metadata` is refused
    naming each difference, and so is `epochs` not above the epochs it holds. Ctrl-C restores the
    model to the last complete epoch and raises TrainingInterrupted saying where it is saved. A
    non-finite loss or gradient stops training before the step that would spoil the parameters
    (TrainingDivergedError); with detect_anomaly=True every op and gradient is checked, and the first
    NaN or infinity raises AnomalyError naming the op and the line that created it (slower: for
    finding bugs). A model whose output is already a softmax, trained with cross-entropy, is warned
    about (softmax would be applied twice). capture=True (the default) runs the training steps of a
    model built only from replayable layers (no dropout or batch norm, no layers of your own) through a
    recording of the step's op calls, model and loss, replayed batch after batch (`tinygrad_np.capture`):
    bitwise the same numbers, less Python per step; capture=False runs every step eagerly. Prints one
    line per epoch unless verbose=0; returns a History.
    """
    options = {k: v for k, v in locals().items() if k not in ("model", "X", "y", "epochs", "lr")}
    if resume is True and checkpoint is None:
        raise ValueError("fit: resume=True needs `checkpoint`, the path to resume from")
    run = _prepare(model, X, y, epochs, lr, options)
    keeper = _Checkpoints(run, checkpoint, checkpoint if resume is True else resume or None)
    first_epoch = keeper.resume()
    with mode(model, True), blas_threads(run.batch_size):
        try:
            for epoch in range(first_epoch, run.epochs + 1):
                start = time.perf_counter()
                with anomaly_mode() if detect_anomaly else nullcontext():
                    mean_loss, accuracy = _train_epoch(run, epoch)
                seconds = time.perf_counter() - start
                line = _record(run, keeper.history, mean_loss, accuracy, seconds)
                keeper.epoch_done(epoch)
                if run.verbose:
                    print(f"epoch {epoch}/{run.epochs}  {line}", flush=True)
        except KeyboardInterrupt:
            raise keeper.interrupted() from None
    return keeper.history


def _record(run: _Run, history: History, mean_loss: float, accuracy: float, seconds: float) -> str:
    """Add an epoch's numbers (and the validation's) to `history`, step an epoch scheduler; the epoch's line."""
    history.loss.append(mean_loss)
    history.accuracy.append(accuracy)
    history.seconds.append(seconds)
    history.samples_per_second.append(len(run.X) / seconds)
    line = f"loss {mean_loss:.4f}  train acc {100 * accuracy:.2f}%"
    monitored = mean_loss
    if run.validation_data is not None:
        val = evaluate(run.model, *run.validation_data, run.loss_name)
        history.val_loss.append(val.loss)
        history.val_accuracy.append(val.accuracy)
        line += f"  val acc {100 * val.accuracy:.2f}%"
        monitored = val.loss
    if isinstance(run.scheduler, ReduceLROnPlateau):
        run.scheduler.step(monitored)
    elif run.scheduler is not None and not run.scheduler.per_batch:
        run.scheduler.step()
    return f"{line}  {seconds:.1f} s  {len(run.X) / seconds:,.0f} samples/s"


def blas_threads(batch_size: int) -> Any:
    """A block that runs per-sample SGD (batch 1) on one BLAS thread (`blas.one_thread`), restoring
    the setting after.

    Its matrix-vector products gain nothing from a second thread in a quiet run (measured: 2.33 s
    against 2.37 s for 8,000 steps), on shared cores two spinning BLAS threads can make a step tens
    of times slower, and on one thread SciPy's axpy and ger take the updates and the dense layer's
    weight gradient in one pass. Larger batches keep NumPy's setting: there two threads are faster.
    """
    return blas.one_thread() if batch_size == 1 else nullcontext()


def _train_epoch(run: _Run, epoch: int) -> tuple[float, float]:
    """One pass over the training data in epoch `epoch`'s order; (mean loss, accuracy) of the batches as trained.

    The loop's own work per step is kept short (per-sample SGD runs it for every image): each
    batch's predicted classes are stored, and compared with the labels once, after the epoch."""
    X, optimizer, size = run.X, run.optimizer, run.batch_size
    order = np.random.default_rng(None if run.seed is None else [run.seed, epoch]).permutation(len(X))
    starts = tqdm(
        range(0, len(X), size),
        desc=f"epoch {epoch}/{run.epochs}",
        disable=None if run.verbose else True,  # None: silent when not a terminal
        leave=False,
    )
    per_batch = run.scheduler is not None and run.scheduler.per_batch
    predicted = np.empty(len(X), dtype=np.intp)
    total_loss = 0.0
    for step, start in enumerate(starts, start=1):
        idx = order[start : start + size]
        batch_loss, scores = run.step(Tensor(X[idx]), Tensor(run.targets[idx]))
        value = batch_loss.item()
        try:
            if not math.isfinite(value):
                raise NonFiniteUpdateError(-1, False)
            optimizer.zero_grad()
            batch_loss.backward()
            optimizer.step()
        except NonFiniteUpdateError as err:
            raise TrainingDivergedError(
                f"fit: {_culprit(err, optimizer, run.named)} became non-finite at epoch {epoch}, batch {step}; the "
                f"parameters are those of the last good step. The learning rate (lr={optimizer.lr}) is probably "
                "too high"
            ) from None
        if per_batch:
            run.scheduler.step()
        total_loss += value * len(idx)
        predicted[start : start + size] = scores.data.argmax(axis=1)
    return total_loss / len(X), np.count_nonzero(predicted == run.labels[order]) / len(X)
