"""Mini-batch training and evaluation for any model that maps a batch to class scores (N, K)."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import numpy as np
from tqdm.auto import tqdm

from . import functional as F
from .anomaly import detect_anomaly as anomaly_mode
from .autograd import no_grad
from .checkpoint import CheckpointError, check_state, differences, load_training, save_training
from .checks import check_choice, check_int, check_number, class_targets, describe
from .optim import OPTIMIZERS, NonFiniteUpdateError, Optimizer, make_optimizer
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


def _num_classes(model: Callable[[Tensor], Tensor], X: np.ndarray, fn: str) -> int:
    """Run one sample through the model: validates the input shape early; gives K."""
    if hasattr(model, "check_input"):
        model.check_input(fn, X.shape)
    try:
        with no_grad():
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
    return scores.shape[1]


def _batches(n: int, batch_size: int, order: np.ndarray | None = None):
    indices = np.arange(n) if order is None else order
    for start in range(0, n, batch_size):
        yield indices[start : start + batch_size]


def evaluate(
    model: Callable[[Tensor], Tensor], X: Any, y: Any, loss: str = "cross_entropy", batch_size: int = 500
) -> Evaluation:
    """Accuracy and mean loss of `model` on (X, y), in batches, without recording a graph."""
    X = check_features("evaluate", X)
    loss = check_choice("evaluate", "loss", loss.replace("-", "_"), LOSSES)
    batch_size = check_int("evaluate", "batch_size", batch_size, minimum=1)
    labels = check_labels("evaluate", y, len(X), _num_classes(model, X, "evaluate"))
    correct, total_loss = 0, 0.0
    with no_grad():
        for idx in _batches(len(X), batch_size):
            scores = model(Tensor(X[idx]))
            total_loss += LOSSES[loss](scores, labels[idx], reduction="sum").item()
            correct += int((scores.data.argmax(axis=1) == labels[idx]).sum())
    return Evaluation(correct / len(X), total_loss / len(X))


def predict_scores(model: Callable[[Tensor], Tensor], X: Any, batch_size: int = 500) -> np.ndarray:
    """The model's scores for every row of X, in batches, without recording a graph."""
    X = check_features("predict", X)
    _num_classes(model, X, "predict")
    with no_grad():
        return np.concatenate([model(Tensor(X[idx])).data for idx in _batches(len(X), batch_size)])


def _culprit(err: NonFiniteUpdateError, optimizer: Optimizer, named: list[tuple[str, Tensor]]) -> str:
    """What went non-finite, in words: the loss, a parameter's gradient or its update."""
    if err.index < 0:
        return "the loss"
    names = {id(p): name for name, p in named}
    name = names.get(id(optimizer.params[err.index])) or err.name or f"parameter {err.index}"
    return f"the update (lr * gradient) of {name}" if err.gradient_finite else f"the gradient of {name}"


def _snapshot(model: Any, optimizer: Optimizer) -> tuple[dict, dict]:
    return model.state_dict(), {k: v.copy() for k, v in optimizer.state().items()}


def _restore(model: Any, optimizer: Optimizer, params: dict, optim_state: dict, source: str) -> None:
    """Put parameters and optimizer state back, after checking every name and shape."""
    check_state("load", repr(source), optim_state, {k: v.shape for k, v in optimizer.state().items()})
    model.set_parameters(params, source)
    optimizer.load_state(optim_state)


def _resume(model: Any, optimizer: Optimizer, path: str | os.PathLike, run: dict, epochs: int) -> tuple[History, int]:
    """Load a training checkpoint into model and optimizer after checking it continues this run
    (same training settings and metadata; fewer epochs done than asked); (history so far, next epoch)."""
    params, optim_state, meta = load_training(path)
    try:
        history, done = History(**meta["history"]), int(meta["epoch"])
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"load: the metadata of {os.fspath(path)!r} is incomplete: {err!r}") from None
    recorded = {"training": meta.get("training", {}), "metadata": meta.get("metadata", {})}
    changed = [d for part in run for d in differences(recorded[part], run[part])]
    if changed:
        raise CheckpointError(
            f"fit: cannot resume from {os.fspath(path)!r}: this run differs from the one it holds in "
            f"{'; '.join(changed)}. Resume with the checkpoint's settings (only `epochs` may grow), "
            "or start a new run"
        )
    if done >= epochs:
        raise ValueError(
            f"fit: {os.fspath(path)!r} already holds {done} epoch{'s' * (done != 1)} and `epochs` is {epochs}: "
            f"there is nothing to train; ask for more than {done} epochs to continue the run"
        )
    _restore(model, optimizer, params, optim_state, os.fspath(path))
    return history, done + 1


def fit(
    model: Any,
    X: Any,
    y: Any,
    epochs: int,
    lr: float,
    batch_size: int = 32,
    loss: str = "cross_entropy",
    optimizer: str | Optimizer = "sgd",
    seed: int | None = 0,
    validation_data: tuple[Any, Any] | None = None,
    verbose: int = 1,
    checkpoint: str | os.PathLike | None = None,
    resume: bool | str | os.PathLike = False,
    metadata: dict | None = None,
    detect_anomaly: bool = False,
) -> History:
    """Train `model` (a Module returning class scores) by mini-batch gradient descent.

    y: class indices (N,) or one-hot rows; they are one-hot encoded for the loss.
    loss: "cross_entropy" or "hinge", on the model's scores. optimizer: "sgd", "momentum",
    "adam" or an Optimizer. batch_size=1 is per-sample SGD. seed fixes the shuffles (epoch e
    uses the generator seeded with (seed, e), so a resumed run shuffles as an uninterrupted one).
    checkpoint: a path saved atomically after every epoch (parameters and buffers, optimizer state,
    history, the training settings and `metadata`, a JSON-able dict describing the run, e.g. its data):
    `.safetensors` when the path ends so, else `.npz`.
    resume=True continues from `checkpoint`; resume=PATH continues from PATH (and saves to
    `checkpoint`, if given). A checkpoint continues only the run it holds: a different loss,
    optimizer, lr, batch size, seed, number of training samples or `metadata` is refused naming
    each difference, and so is `epochs` not above the epochs it holds. Ctrl-C restores the model
    to the last complete epoch and raises TrainingInterrupted saying where it is saved. A non-finite
    loss or gradient stops training before the step that would spoil the parameters
    (TrainingDivergedError); with detect_anomaly=True every op and gradient is checked, and the first
    NaN or infinity raises AnomalyError naming the op and the line that created it (slower: for
    finding bugs).
    Prints one line per epoch unless verbose=0; returns a History.
    """
    X = check_features("fit", X)
    largest = float(np.abs(X).max())
    if largest > 100:
        warnings.warn(
            f"fit: `X` has values up to {largest:g}; unscaled inputs (pixels 0-255) make training "
            "stall or diverge: scale them, e.g. X / 255",
            stacklevel=2,
        )
    epochs = check_int("fit", "epochs", epochs, minimum=1)
    lr = check_number("fit", "lr", lr, minimum=0.0, exclusive=True)
    batch_size = check_int("fit", "batch_size", batch_size, minimum=1)
    loss_name = check_choice("fit", "loss", str(loss).replace("-", "_"), LOSSES)
    if seed is not None:
        seed = check_int("fit", "seed", seed, minimum=0)
    if resume is True and checkpoint is None:
        raise ValueError("fit: resume=True needs `checkpoint`, the path to resume from")
    resume_from = checkpoint if resume is True else resume or None
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"fit: `metadata` must be a dict (JSON-able), got {describe(metadata)}")
    optimizer_name = optimizer
    if not isinstance(optimizer, Optimizer):
        check_choice("fit", "optimizer", optimizer, OPTIMIZERS)
        optimizer = make_optimizer(optimizer, model.named_parameters(), lr)
        lr = optimizer.lr
    else:
        optimizer_name, lr = repr(optimizer), optimizer.lr
    num_classes = _num_classes(model, X, "fit")
    labels = check_labels("fit", y, len(X), num_classes)
    if validation_data is not None:
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise TypeError(f"fit: `validation_data` must be a pair (X_val, y_val), got {describe(validation_data)}")
        val_X = check_features("fit", validation_data[0])
        check_labels("fit", validation_data[1], len(val_X), num_classes)
    targets = np.eye(num_classes, dtype=X.dtype)[labels]  # one-hot, as the original design trains
    named = list(model.named_parameters())
    run = {
        "metadata": metadata or {},  # first: a different data set is the difference to name first
        "training": {"loss": loss_name, "optimizer": optimizer_name, "lr": lr, "batch_size": batch_size,
                     "seed": seed, "train_samples": len(X)},
    }  # fmt: skip
    history, first_epoch = History(), 1
    if resume_from is not None:
        history, first_epoch = _resume(model, optimizer, resume_from, run, epochs)
        if verbose:
            print(f"resumed from {os.fspath(resume_from)} after epoch {first_epoch - 1}", flush=True)
    last_good = _snapshot(model, optimizer)
    completed = first_epoch - 1
    try:
        for epoch in range(first_epoch, epochs + 1):
            order = np.random.default_rng(None if seed is None else [seed, epoch]).permutation(len(X))
            start = time.perf_counter()
            with anomaly_mode() if detect_anomaly else nullcontext():
                mean_loss, accuracy = _train_epoch(
                    model, X, targets, labels, order, batch_size, optimizer, LOSSES[loss_name], named,
                    (epoch, epochs), verbose,
                )  # fmt: skip
            seconds = time.perf_counter() - start
            history.loss.append(mean_loss)
            history.accuracy.append(accuracy)
            history.seconds.append(seconds)
            history.samples_per_second.append(len(X) / seconds)
            line = f"epoch {epoch}/{epochs}  loss {mean_loss:.4f}  train acc {100 * accuracy:.2f}%"
            if validation_data is not None:
                val = evaluate(model, validation_data[0], validation_data[1], loss_name)
                history.val_loss.append(val.loss)
                history.val_accuracy.append(val.accuracy)
                line += f"  val acc {100 * val.accuracy:.2f}%"
            state = _snapshot(model, optimizer)
            if checkpoint is not None:
                save_training(checkpoint, *state, {"epoch": epoch, "history": asdict(history), **run})
            last_good, completed = state, epoch  # together: Ctrl-C restores what the file holds
            if verbose:
                print(f"{line}  {seconds:.1f} s  {len(X) / seconds:,.0f} samples/s", flush=True)
    except KeyboardInterrupt:
        _restore(model, optimizer, *last_good, "the last complete epoch")
        saved = checkpoint if checkpoint is not None and completed > 0 else None
        where = f"saved in {os.fspath(saved)}; continue with resume=True" if saved else "not saved"
        raise TrainingInterrupted(
            f"fit: interrupted during epoch {completed + 1}; the model is as after epoch {completed}, {where}", saved
        ) from None
    return history


def _train_epoch(
    model: Any,
    X: np.ndarray,
    targets: np.ndarray,
    labels: np.ndarray,
    order: np.ndarray,
    batch_size: int,
    optimizer: Optimizer,
    loss_fn: Callable[[Tensor, np.ndarray], Tensor],
    named: list[tuple[str, Tensor]],
    epoch_of: tuple[int, int],
    verbose: int,
) -> tuple[float, float]:
    """One pass over X in the given order; (mean loss, accuracy) of the batches as trained."""
    epoch, epochs = epoch_of
    batches = tqdm(
        _batches(len(X), batch_size, order),
        total=-(-len(X) // batch_size),
        desc=f"epoch {epoch}/{epochs}",
        disable=None if verbose else True,  # None: silent when not a terminal
        leave=False,
    )
    total_loss, correct = 0.0, 0
    for step, idx in enumerate(batches, start=1):
        scores = model(Tensor(X[idx]))
        batch_loss = loss_fn(scores, targets[idx])
        value = batch_loss.item()
        try:
            if not np.isfinite(value):
                raise NonFiniteUpdateError(-1, False)
            optimizer.zero_grad()
            batch_loss.backward()
            optimizer.step()
        except NonFiniteUpdateError as err:
            raise TrainingDivergedError(
                f"fit: {_culprit(err, optimizer, named)} became non-finite at epoch {epoch}, batch {step}; the "
                f"parameters are those of the last good step. The learning rate (lr={optimizer.lr}) is probably "
                "too high"
            ) from None
        total_loss += value * len(idx)
        correct += int((scores.data.argmax(axis=1) == labels[idx]).sum())
    return total_loss / len(X), correct / len(X)
