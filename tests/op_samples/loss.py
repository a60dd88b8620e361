"""Samples for the loss ops."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import common
from .common import Sample, _tf, _torch, distinct, normal, positive


def cross_entropy(
    desc: str, logits: np.ndarray, target: np.ndarray, reduction: str = "mean", label_smoothing: float = 0.0
) -> Sample:
    def ref(z):
        t = _torch().as_tensor(target)
        t = t.to(z.dtype) if t.ndim == 2 else t
        return _tf().cross_entropy(z, t, reduction=reduction, label_smoothing=label_smoothing)

    return Sample(desc, (logits,), {"target": target, "reduction": reduction, "label_smoothing": label_smoothing}, ref)


def cross_entropy_to_probabilities(desc: str, logits: np.ndarray, probs: np.ndarray, **kwargs) -> Sample:
    """Probability targets differentiated too: the target is an input of the op."""
    return Sample(desc, (logits, probs), kwargs, lambda z, p: _tf().cross_entropy(z, p, **kwargs))


def nll_loss(desc: str, log_probs: np.ndarray, target: np.ndarray, **kwargs) -> Sample:
    return Sample(
        desc,
        (log_probs,),
        {"target": target, **kwargs},
        lambda x: _tf().nll_loss(x, _torch().as_tensor(target), **kwargs),
    )


def mse_loss(
    desc: str, input: np.ndarray, target: np.ndarray, reduction: str = "mean", constant: bool = False
) -> Sample:
    """mse_loss to input and target, or (constant=True) with the target a constant array."""
    kwargs = {"reduction": reduction}
    if constant:
        return Sample(
            desc,
            (input,),
            kwargs,
            lambda x: _tf().mse_loss(x, _torch().as_tensor(target).to(x.dtype), **kwargs),
            consts=(target,),
        )
    return Sample(desc, (input, target), kwargs, lambda x, t: _tf().mse_loss(x, t, **kwargs))


def bce_with_logits(desc: str, logits: np.ndarray, target: np.ndarray, constant: bool = False, **kwargs) -> Sample:
    """binary_cross_entropy_with_logits to logits and target, or (constant=True) to logits alone."""

    def ref(z, t=None):
        t = _torch().as_tensor(target).to(z.dtype) if t is None else t
        weights = {k: _torch().as_tensor(v).to(z.dtype) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        return _tf().binary_cross_entropy_with_logits(z, t, **weights)

    if constant:
        return Sample(desc, (logits,), kwargs, ref, consts=(target,))
    return Sample(desc, (logits, target), kwargs, ref)


def hinge(desc: str, scores: np.ndarray, target: np.ndarray, margin=1.0, reduction="mean") -> Sample:
    def ref(s):
        labels = _torch().as_tensor(target if target.ndim == 1 else target.argmax(1))[:, None]
        # Weston-Watkins from differentiable torch ops: PyTorch's multi_margin_loss (the same loss
        # divided by the number of classes) has no double backward. It still checks the values.
        per_sample = (margin + s - s.gather(1, labels)).clamp(min=0).scatter(1, labels, 0.0).sum(1)
        losses = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
        official = _tf().multi_margin_loss(s.detach(), labels[:, 0], margin=margin, reduction=reduction)
        _torch().testing.assert_close(losses.detach(), official * s.shape[1])
        return losses

    return Sample(desc, (scores,), {"target": target, "margin": margin, "reduction": reduction}, ref)


def one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


def uniform(*shape: int) -> np.ndarray:
    return common.rng.uniform(0.0, 1.0, size=shape)


def binary(*shape: int) -> np.ndarray:
    return common.rng.integers(0, 2, size=shape).astype(np.float64)


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
        cross_entropy("index targets, label smoothing 0.1", normal(5, 4), _labels, label_smoothing=0.1),
        cross_entropy("index targets, label smoothing 1, none", normal(5, 4), _labels, "none", 1.0),
        cross_entropy("probability targets, label smoothing 0.2", normal(5, 4), _probs, "sum", 0.2),
        cross_entropy_to_probabilities("gradient to probability targets", normal(5, 4), _probs),
        cross_entropy_to_probabilities("gradient to probability targets, none", normal(5, 4), _probs, reduction="none"),
        cross_entropy_to_probabilities(
            "gradient to probability targets, sum, label smoothing 0.3",
            normal(5, 4),
            _probs,
            reduction="sum",
            label_smoothing=0.3,
        ),
    ],
    "nll_loss": lambda: [
        nll_loss("mean", normal(5, 4), _labels),
        nll_loss("sum", normal(5, 4), _labels, reduction="sum"),
        nll_loss("none", normal(5, 4), _labels, reduction="none"),
        nll_loss("ignore_index -100, mean over the rest", normal(5, 4), np.array([2, -100, 3, -100, 0])),
        nll_loss("ignore_index 1 (a real class), none", normal(5, 4), _labels, ignore_index=1, reduction="none"),
    ],
    "mse_loss": lambda: [
        mse_loss("mean", normal(3, 4), normal(3, 4)),
        mse_loss("sum, 3-D", normal(2, 3, 2), normal(2, 3, 2), "sum"),
        mse_loss("none", normal(3, 4), normal(3, 4), "none"),
        mse_loss("0-D", normal(), normal()),
        mse_loss("constant array target", normal(3, 4), normal(3, 4), constant=True),
    ],
    "binary_cross_entropy_with_logits": lambda: [
        bce_with_logits("mean, soft targets", normal(3, 4), uniform(3, 4)),
        bce_with_logits("sum, 0/1 targets", normal(3, 4), binary(3, 4), reduction="sum"),
        bce_with_logits("none, constant target", normal(3, 4), binary(3, 4), constant=True, reduction="none"),
        bce_with_logits("weight (per element)", normal(3, 4), uniform(3, 4), weight=positive(3, 4)),
        bce_with_logits("pos_weight per class", normal(3, 4), uniform(3, 4), pos_weight=positive(4)),
        bce_with_logits(
            "weight and pos_weight, none",
            normal(2, 3),
            uniform(2, 3),
            weight=positive(3),
            pos_weight=positive(2, 3),
            reduction="none",
        ),
        bce_with_logits("large logits (1e4)", normal(3, 4) * 1e4 / 3, uniform(3, 4), pos_weight=positive(4)),
    ],
    "hinge": lambda: [
        # Scores on a 0.3 grid keep every margin + s_j - s_y at least 0.1 away from the kink.
        hinge("index targets, mean", distinct(5, 4) * 6, _labels),
        hinge("index targets, sum, margin 2", distinct(5, 4) * 6, _labels, 2.0, "sum"),
        hinge("one-hot targets, none", distinct(5, 4) * 6, one_hot(_labels, 4), 1.0, "none"),
    ],
}
