"""Losses: on class scores (N, K) (`cross_entropy`, `nll_loss`, `hinge`) and elementwise
(`mse_loss`, `binary_cross_entropy_with_logits`), with PyTorch's semantics and reductions.

Class indices reach the ops as constant parameters, already validated (no gradient can flow to
them). Float targets (probability rows, regression or binary targets) are inputs of the op, so a
target that requires grad gets its gradient, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Op
from ..checks import check_choice, check_float, check_int, check_ndim, check_number, class_targets, describe
from ..tensor import Tensor
from .arguments import as_tensor
from .registry import register

REDUCTIONS = ("mean", "sum", "none")


def _scores(fn: str, scores: Any, name: str) -> Tensor:
    scores = as_tensor(scores)
    check_ndim(fn, name, scores.shape, 2, "(N, K): one row of class scores per sample")
    check_float(fn, name, scores.dtype)
    return scores


def _float_target(fn: str, target: Any, like: Tensor, name: str = "target") -> Tensor:
    """A float target of `like`'s shape: a float Tensor as it is (it may require grad), anything
    else as a constant Tensor of `like`'s dtype; refuses other shapes and non-finite values."""
    if not (isinstance(target, Tensor) and target.dtype.kind == "f"):
        data = np.asarray(getattr(target, "data", target))
        if data.dtype.kind not in "biuf":
            raise TypeError(f"{fn}: `{name}` must be numbers, got {describe(target)}")
        target = Tensor(data, dtype=like.dtype)
    if target.shape != like.shape:
        raise ValueError(f"{fn}: `{name}` must have the input's shape {like.shape}, got {target.shape}")
    if not np.isfinite(target.data).all():
        raise ValueError(f"{fn}: `{name}` must be finite, got NaN or infinity")
    return target


def _constant(fn: str, value: Any, like: Tensor, name: str) -> np.ndarray | None:
    """An optional constant weight array of `like`'s dtype that broadcasts to `like`'s shape."""
    if value is None:
        return None
    if getattr(value, "requires_grad", False):
        raise TypeError(f"{fn}: `{name}` is a constant here (no gradient flows to it); pass {name}.detach()")
    data = np.asarray(getattr(value, "data", value))
    if data.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: `{name}` must be numbers, got {describe(value)}")
    try:
        fits = np.broadcast_shapes(data.shape, like.shape) == like.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{fn}: `{name}` of shape {data.shape} does not broadcast to the input's shape {like.shape}")
    if not np.isfinite(data).all():
        raise ValueError(f"{fn}: `{name}` must be finite, got NaN or infinity")
    return data.astype(like.dtype, copy=False)


def _reduce(losses: np.ndarray, reduction: str, count: int | None = None) -> np.ndarray:
    """Reduce loss terms; "mean" divides by `count` (default: the number of terms)."""
    if reduction == "none":
        return losses
    total = losses.sum()
    return total / (losses.size if count is None else count) if reduction == "mean" else total


def _upstream(grad: np.ndarray, count: int, reduction: str) -> np.ndarray:
    """The upstream gradient of each loss term: the terms' own for "none", else one scalar."""
    if reduction == "none":
        return grad
    return grad / count if reduction == "mean" else grad


def _per_row(grad: np.ndarray, count: int, reduction: str) -> np.ndarray:
    """The upstream gradient of per-row losses ("mean" divides by `count`), shaped to scale rows
    of (N, K): a column for "none"."""
    upstream = _upstream(grad, count, reduction)
    return upstream[:, None] if reduction == "none" else upstream


def _one_hot(classes: np.ndarray, k: int, value: Any, dtype: Any) -> np.ndarray:
    """(N, K) zeros with `value` (a number or one per row) at each row's class: a constant mask
    that picks (or scatters to) the class entries by multiplication, in both backward orders."""
    picked = np.zeros((len(classes), k), dtype=dtype)
    picked[np.arange(len(classes)), classes] = value
    return picked


def _check_label_smoothing(fn: str, value: Any) -> float:
    value = check_number(fn, "label_smoothing", value, minimum=0.0)
    if value > 1.0:
        raise ValueError(f"{fn}: `label_smoothing` must be in [0, 1], got {value}")
    return value


class CrossEntropy(Op):
    """Softmax and cross-entropy fused on logits, through log-sum-exp (stable for huge logits).

    Inputs: logits, and float target rows (N, K) when the target is probabilities; class indices
    (N,) come as the `target` parameter instead (a constant)."""

    def forward(self, logits, target, reduction="mean", label_smoothing=0.0):
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        log_probs = shifted - np.log(total)
        if target.ndim == 1:
            per_sample = -log_probs[np.arange(len(target)), target]
            if label_smoothing:
                per_sample = (1 - label_smoothing) * per_sample - label_smoothing * log_probs.mean(axis=1)
        else:
            target = target.astype(logits.dtype, copy=False)
            if label_smoothing:
                target = target * (1 - label_smoothing) + label_smoothing / target.shape[1]
            per_sample = -(target * log_probs).sum(axis=1)
            if self.needs_input_grad[1:] == (True,):
                self.log_probs = log_probs
        self.probs, self.target, self.reduction, self.smoothing = exp / total, target, reduction, label_smoothing
        return _reduce(per_sample, reduction)

    def backward(self, grad):
        probs, target, smoothing = self.probs, self.target, self.smoothing
        n = probs.shape[0]
        upstream = _per_row(grad, n, self.reduction)
        if target.ndim == 1:
            local = probs.copy()
            local[np.arange(n), target] -= 1 - smoothing
            if smoothing:
                local -= smoothing / probs.shape[1]
            return local * upstream
        grad_logits = (probs * target.sum(axis=1, keepdims=True) - target) * upstream
        grad_target = -(1 - smoothing) * self.log_probs * upstream if self.needs_input_grad[1] else None
        return grad_logits, grad_target

    def vjp(self, grad, out):
        """`backward` with Tensor ops: softmax and log_softmax recomputed from the logits input, the
        class targets a constant one-hot mask, so it can be differentiated again."""
        logits, smoothing = self.parents[0], self.smoothing
        n, k = logits.shape
        upstream = _per_row(grad, n, self.reduction)
        probs = logits.softmax(axis=1)
        if len(self.parents) == 1:
            return (probs - (_one_hot(self.target, k, 1 - smoothing, logits.dtype) + smoothing / k)) * upstream
        target = self.parents[1]
        if smoothing:
            target = target * (1 - smoothing) + smoothing / k
        grad_logits = (probs * target.sum(axis=1, keepdims=True) - target) * upstream
        grad_target = None
        if self.needs_input_grad[1]:
            grad_target = -(1 - smoothing) * logits.log_softmax(axis=1) * upstream
        return grad_logits, grad_target


@register(CrossEntropy)
def cross_entropy(logits: Any, target: Any, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy on raw logits (N, K), fused and stable (log-sum-exp), as PyTorch's.

    target: class indices (N,) of an integer dtype (constants), or one-hot / probability rows
    (N, K): a float Tensor target is an input of the op, so if it requires grad it gets its gradient.
    reduction: "mean" (default), "sum" or "none" (per-sample losses).
    label_smoothing in [0, 1]: the target becomes (1 - label_smoothing) * target + label_smoothing / K.
    """
    logits = _scores("cross_entropy", logits, "logits")
    n, k = logits.shape
    classes = class_targets("cross_entropy", target, n, k, allow_probabilities=True)
    reduction = check_choice("cross_entropy", "reduction", reduction, REDUCTIONS)
    label_smoothing = _check_label_smoothing("cross_entropy", label_smoothing)
    if classes.ndim == 1:
        return CrossEntropy.apply(logits, target=classes, reduction=reduction, label_smoothing=label_smoothing)
    if not (isinstance(target, Tensor) and target.dtype.kind == "f"):
        target = Tensor(classes, dtype=logits.dtype)
    return CrossEntropy.apply(logits, target, reduction=reduction, label_smoothing=label_smoothing)


class NLLLoss(Op):
    """Negative log-likelihood: minus the log-probability of each sample's class, skipping
    samples whose class is `ignore_index` (they add 0 and do not count in the mean)."""

    def forward(self, log_probs, target, ignore_index=-100, reduction="mean"):
        keep = target != ignore_index
        self.classes = np.where(keep, target, 0)
        self.sign = -keep.astype(log_probs.dtype)  # -1 per counted sample, 0 per ignored one
        self.k, self.count, self.reduction = log_probs.shape[1], int(keep.sum()), reduction
        return _reduce(self.sign * log_probs[np.arange(len(target)), self.classes], reduction, self.count)

    def backward(self, grad):
        # Linear in grad with a constant mask: the default vjp runs it on Tensors (zero second order).
        picked = _one_hot(self.classes, self.k, self.sign, self.sign.dtype)
        return picked * _per_row(grad, self.count, self.reduction)


@register(NLLLoss)
def nll_loss(log_probs: Any, target: Any, ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood on log-probabilities (N, K) (e.g. `log_softmax` output) and integer
    class indices (N,), as PyTorch's: per sample -log_probs[i, target[i]].

    Samples whose target equals `ignore_index` (default -100) add 0; "mean" (default) averages
    over the others; "sum" sums; "none" gives per-sample losses.
    """
    log_probs = _scores("nll_loss", log_probs, "log_probs")
    n, k = log_probs.shape
    ignore_index = check_int("nll_loss", "ignore_index", ignore_index)
    target_shape = np.shape(getattr(target, "data", target))
    if len(target_shape) != 1:
        raise ValueError(f"nll_loss: `target` must be integer class indices (N,), got shape {target_shape}")
    target = class_targets("nll_loss", target, n, k, allow_probabilities=False, ignore_index=ignore_index)
    reduction = check_choice("nll_loss", "reduction", reduction, REDUCTIONS)
    if reduction == "mean" and not np.any(target != ignore_index):
        raise ValueError(
            f"nll_loss: every target is ignore_index ({ignore_index}), so the mean has no samples "
            "(PyTorch gives nan); use reduction='sum' or 'none'"
        )
    return NLLLoss.apply(log_probs, target=target, ignore_index=ignore_index, reduction=reduction)


class MSELoss(Op):
    """Mean squared error: (input - target) ** 2, reduced; gradients to both."""

    def forward(self, input, target, reduction="mean"):
        self.diff, self.reduction = input - target, reduction
        return _reduce(np.square(self.diff), reduction)

    def backward(self, grad):
        return self._grads(grad, self.diff)

    def vjp(self, grad, out):
        """`backward` with the difference recomputed from the input Tensors (differentiable again)."""
        return self._grads(grad, self.parents[0] - self.parents[1])

    def _grads(self, grad, diff):
        local = 2 * diff * _upstream(grad, diff.size, self.reduction)
        return local, -local if self.needs_input_grad[1] else None


@register(MSELoss)
def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error (input - target) ** 2, averaged over all elements ("mean", default), summed
    ("sum") or elementwise ("none"), as PyTorch's. `target` (a Tensor or array) must have the
    input's shape (no broadcasting: PyTorch only warns about it); a float Tensor target that
    requires grad gets its gradient.
    """
    input = as_tensor(input)
    check_float("mse_loss", "input", input.dtype)
    target = _float_target("mse_loss", target, input)
    reduction = check_choice("mse_loss", "reduction", reduction, REDUCTIONS)
    return MSELoss.apply(input, target, reduction=reduction)


def _softplus_neg(x):
    """log(1 + exp(-x)), stable for any x; NumPy calls that are Tensor ops, so `x` may be either."""
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0)


class BCEWithLogits(Op):
    """Sigmoid and binary cross-entropy fused on logits x, in PyTorch's stable form:
    (1 - t) x + l (log1p(exp(-|x|)) + max(-x, 0)) with l = (pos_weight - 1) t + 1, times weight."""

    def forward(self, logits, target, weight=None, pos_weight=None, reduction="mean"):
        self.weight, self.pos_weight, self.reduction = weight, pos_weight, reduction
        softplus_neg, log_weight = _softplus_neg(logits), self._log_weight(target)
        losses = (1 - target) * logits + log_weight * softplus_neg
        if weight is not None:
            losses = losses * weight
        self.logits, self.target, self.softplus_neg, self.log_weight = logits, target, softplus_neg, log_weight
        return _reduce(losses, reduction)

    def _log_weight(self, target):
        """l = (pos_weight - 1) t + 1, the weight of log(1 + exp(-x)) (1 without pos_weight)."""
        return 1 if self.pos_weight is None else (self.pos_weight - 1) * target + 1

    def backward(self, grad):
        return self._grads(grad, self.logits, self.target, self.softplus_neg, self.log_weight)

    def vjp(self, grad, out):
        """`backward` with log(1 + exp(-x)) and l recomputed from the input Tensors (differentiable again)."""
        logits, target = self.parents
        return self._grads(grad, logits, target, _softplus_neg(logits), self._log_weight(target))

    def _grads(self, grad, logits, target, softplus_neg, log_weight):
        upstream = _upstream(grad, logits.size, self.reduction)
        if self.weight is not None:
            upstream = upstream * self.weight
        sigmoid_neg = np.exp(-(softplus_neg + logits))  # sigmoid(-x) = exp(-log(1 + exp(x))), never overflows
        grad_logits = ((1 - target) - log_weight * sigmoid_neg) * upstream
        grad_target = None
        if self.needs_input_grad[1]:
            local = -logits if self.pos_weight is None else (self.pos_weight - 1) * softplus_neg - logits
            grad_target = local * upstream
        return grad_logits, grad_target


@register(BCEWithLogits)
def binary_cross_entropy_with_logits(
    logits: Any, target: Any, weight: Any = None, pos_weight: Any = None, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy on raw logits (sigmoid fused, stable for huge logits), as PyTorch's:
    -w [p t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))] per element.

    target: same shape as logits (a float Tensor that requires grad gets its gradient).
    weight, pos_weight: optional constants broadcasting to logits' shape (pos_weight p weighs the
    positive term, e.g. one per class along the last axis). reduction: "mean", "sum" or "none".
    """
    fn = "binary_cross_entropy_with_logits"
    logits = as_tensor(logits)
    check_float(fn, "logits", logits.dtype)
    target = _float_target(fn, target, logits)
    weight = _constant(fn, weight, logits, "weight")
    pos_weight = _constant(fn, pos_weight, logits, "pos_weight")
    reduction = check_choice(fn, "reduction", reduction, REDUCTIONS)
    return BCEWithLogits.apply(logits, target, weight=weight, pos_weight=pos_weight, reduction=reduction)


class Hinge(Op):
    """Weston-Watkins multiclass hinge: per sample, sum over j != y of max(0, margin + s_j - s_y)."""

    def forward(self, scores, target, margin=1.0, reduction="mean"):
        rows = np.arange(len(target))
        margins = margin + scores - scores[rows, target][:, None]
        margins[rows, target] = 0
        self.active = (margins > 0).astype(scores.dtype)
        self.target, self.reduction = target, reduction
        return _reduce(np.maximum(margins, 0).sum(axis=1), reduction)

    def backward(self, grad):
        local = self.active.copy()
        local[np.arange(len(self.target)), self.target] = -self.active.sum(axis=1)
        return local * _per_row(grad, len(self.target), self.reduction)


@register(Hinge)
def hinge(scores: Any, target: Any, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """Weston-Watkins multiclass hinge loss on scores (N, K).

    Per sample: sum over j != y of max(0, margin + s_j - s_y). target: class indices (N,)
    or one-hot rows (N, K). reduction: "mean", "sum" or "none".
    """
    scores = _scores("hinge", scores, "scores")
    n, k = scores.shape
    target = class_targets("hinge", target, n, k, allow_probabilities=False)
    margin = check_number("hinge", "margin", margin, minimum=0.0)
    reduction = check_choice("hinge", "reduction", reduction, REDUCTIONS)
    return Hinge.apply(scores, target=target, margin=margin, reduction=reduction)
