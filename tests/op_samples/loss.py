"""Samples for the loss ops."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .common import Sample, _tf, _torch, distinct, normal


def cross_entropy(desc: str, logits: np.ndarray, target: np.ndarray, reduction: str = "mean") -> Sample:
    def ref(z):
        t = _torch().as_tensor(target)
        return _tf().cross_entropy(z, t.to(z.dtype) if t.ndim == 2 else t, reduction=reduction)

    return Sample(desc, (logits,), {"target": target, "reduction": reduction}, ref)

def hinge(desc: str, scores: np.ndarray, target: np.ndarray, margin=1.0, reduction="mean") -> Sample:
    def ref(s):
        labels = _torch().as_tensor(target if target.ndim == 1 else target.argmax(1))
        # PyTorch's multi_margin_loss is Weston-Watkins divided by the number of classes.
        return _tf().multi_margin_loss(s, labels, margin=margin, reduction=reduction) * s.shape[1]

    return Sample(desc, (scores,), {"target": target, "margin": margin, "reduction": reduction}, ref)

def one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]

_labels = np.array([2, 0, 3, 1, 3])
_probs = np.random.default_rng(4).dirichlet(np.ones(4), size=5)


BUILDERS: dict[str, Callable[[], list[Sample]]] = {
    "cross_entropy": lambda: [
        cross_entropy("index targets, mean", normal(5, 4), _labels),
        cross_entropy("index targets, sum", normal(5, 4), _labels, "sum"),
        cross_entropy("index targets, none", normal(5, 4), _labels, "none"),
        cross_entropy("one-hot targets", normal(5, 4), one_hot(_labels, 4)),
        cross_entropy("probability targets", normal(5, 4), _probs, "none"),
        cross_entropy("large logits (1e4)", normal(5, 4) * 1e4 / 3, _labels, "none"),
    ],
    "hinge": lambda: [
        # Scores on a 0.3 grid keep every margin + s_j - s_y at least 0.1 away from the kink.
        hinge("index targets, mean", distinct(5, 4) * 6, _labels),
        hinge("index targets, sum, margin 2", distinct(5, 4) * 6, _labels, 2.0, "sum"),
        hinge("one-hot targets, none", distinct(5, 4) * 6, one_hot(_labels, 4), 1.0, "none"),
    ],
}
