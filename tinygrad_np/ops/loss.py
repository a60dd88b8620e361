"""Classification losses on raw scores (N, K).

`target` reaches these ops as a constant parameter, already validated: int64 class indices
(N,), or float class probabilities / one-hot rows (N, K). No gradient flows to it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Op
from ..checks import check_choice, check_float, check_ndim, check_number, class_targets
from ..tensor import Tensor
from .arguments import as_tensor
from .registry import register

REDUCTIONS = ("mean", "sum", "none")


def _scores(fn: str, scores: Any, name: str) -> Tensor:
    scores = as_tensor(scores)
    check_ndim(fn, name, scores.shape, 2, "(N, K): one row of class scores per sample")
    check_float(fn, name, scores.dtype)
    return scores


def _reduce(per_sample: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "none":
        return per_sample
    total = per_sample.sum()
    return total / per_sample.shape[0] if reduction == "mean" else total


def _upstream(grad: np.ndarray, n: int, reduction: str) -> np.ndarray:
    """The upstream gradient as a (N, 1) column (per-sample weights)."""
    if reduction == "none":
        return grad[:, None]
    return np.full((n, 1), grad / n if reduction == "mean" else grad, dtype=grad.dtype)


class CrossEntropy(Op):
    """Softmax and cross-entropy fused on logits, through log-sum-exp (stable for huge logits)."""

    def forward(self, logits, target, reduction="mean"):
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        log_probs = shifted - np.log(total)
        if target.ndim == 1:
            per_sample = -log_probs[np.arange(len(target)), target]
        else:
            per_sample = -(target * log_probs).sum(axis=1)
        self.probs, self.target, self.reduction = exp / total, target, reduction
        return _reduce(per_sample, reduction)

    def backward(self, grad):
        probs, target = self.probs, self.target
        n = probs.shape[0]
        if target.ndim == 1:
            local = probs.copy()
            local[np.arange(n), target] -= 1
        else:
            local = probs * target.sum(axis=1, keepdims=True) - target
        return local * _upstream(grad, n, self.reduction)


@register(CrossEntropy)
def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy on raw logits (N, K), fused and stable (log-sum-exp).

    target: class indices (N,) of an integer dtype, or one-hot / probability rows (N, K).
    reduction: "mean" (default), "sum" or "none" (per-sample losses).
    """
    logits = _scores("cross_entropy", logits, "logits")
    n, k = logits.shape
    target = class_targets("cross_entropy", target, n, k, allow_probabilities=True)
    if target.ndim == 2:
        target = target.astype(logits.dtype, copy=False)
    reduction = check_choice("cross_entropy", "reduction", reduction, REDUCTIONS)
    return CrossEntropy.apply(logits, target=target, reduction=reduction)


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
        return local * _upstream(grad, len(self.target), self.reduction)


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
