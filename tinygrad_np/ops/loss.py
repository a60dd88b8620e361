"""Classification losses on raw scores (N, K).

`target` reaches these ops as a constant parameter, already validated: int64 class indices
(N,), or float class probabilities / one-hot rows (N, K). No gradient flows to it.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Op
from .registry import register


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


@register("cross_entropy")
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


@register("hinge")
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
