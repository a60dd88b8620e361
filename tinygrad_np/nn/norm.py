"""Normalization and dropout layers: BatchNorm1d / BatchNorm2d (channels-last), LayerNorm, Dropout."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..checks import check_int, check_number
from ..ops.norm import check_probability, normalized_shape_of
from ..tensor import Tensor
from .module import Module


class _BatchNorm(Module):
    """Batch normalization over the last axis (channels), with PyTorch's semantics: batch statistics
    in training (and the running statistics updated: running = (1 - momentum) * running + momentum *
    batch, the unbiased variance), running statistics in evaluation. `momentum=None` takes the
    cumulative average; `track_running_stats=False` always uses batch statistics."""

    layout = "(N, ..., C)"
    ndims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        name = type(self).__name__
        self.num_features = check_int(name, "num_features", num_features, minimum=1)
        self.eps = check_number(name, "eps", eps, minimum=0.0, exclusive=True)
        if momentum is not None and not 0 <= check_number(name, "momentum", momentum) <= 1:
            raise ValueError(f"{name}: `momentum` must be in [0, 1] or None (cumulative average), got {momentum}")
        self.momentum = momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        if self.affine:
            self.weight = Tensor(np.ones(num_features, np.float32), requires_grad=True, name="weight")
            self.bias = Tensor(np.zeros(num_features, np.float32), requires_grad=True, name="bias")
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, np.float32))
            self.register_buffer("running_var", np.ones(num_features, np.float32))
            self.register_buffer("num_batches_tracked", np.zeros((), np.float32))

    def forward(self, x: Tensor) -> Tensor:
        """Normalized x, each channel scaled by `weight` and shifted by `bias`."""
        if x.ndim not in self.ndims or x.shape[-1] != self.num_features:
            raise ValueError(
                f"{self.label()}: input must be {self.layout} with {self.num_features} channels last "
                f"(`num_features`), got shape {x.shape}"
            )
        momentum = self.momentum
        stats = (None, None)
        if self.track_running_stats:
            stats = (self.running_mean, self.running_var)
            if self.training:
                self.num_batches_tracked.data += 1  # in place: a 0-D array, as PyTorch's
                if momentum is None:
                    momentum = 1.0 / float(self.num_batches_tracked.data)
        affine = (self.weight, self.bias) if self.affine else (None, None)
        training = self.training or not self.track_running_stats
        return F.batch_norm(x, *stats, *affine, training=training, momentum=momentum or 0.0, eps=self.eps)

    def label(self) -> str:
        return f"{type(self).__name__}({self.num_features})"


class BatchNorm1d(_BatchNorm):
    """Batch normalization of features (N, C), or of sequences channels-last (N, L, C)."""

    layout = "(N, C) or (N, L, C)"
    ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of channels-last images (N, H, W, C), per channel."""

    layout = "channels-last images (N, H, W, C)"
    ndims = (4,)


class LayerNorm(Module):
    """Normalize each sample over its trailing `normalized_shape` axes, then scale by `weight`
    (ones) and shift by `bias` (zeros) when `elementwise_affine`, as PyTorch's LayerNorm."""

    replayable = True

    def __init__(
        self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5, elementwise_affine: bool = True
    ) -> None:
        self.normalized_shape = normalized_shape_of("LayerNorm", normalized_shape)
        self.eps = check_number("LayerNorm", "eps", eps, minimum=0.0, exclusive=True)
        self.elementwise_affine = bool(elementwise_affine)
        if self.elementwise_affine:
            self.weight = Tensor(np.ones(self.normalized_shape, np.float32), requires_grad=True, name="weight")
            self.bias = Tensor(np.zeros(self.normalized_shape, np.float32), requires_grad=True, name="bias")

    def forward(self, x: Tensor) -> Tensor:
        """layer_norm(x)."""
        affine = (self.weight, self.bias) if self.elementwise_affine else (None, None)
        return F.layer_norm(x, self.normalized_shape, *affine, eps=self.eps)

    def label(self) -> str:
        return f"LayerNorm({', '.join(map(str, self.normalized_shape))})"


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability `p` and scale the others by
    1 / (1 - p); in evaluation, the identity. Masks come from the library's generator, so
    `tinygrad_np.manual_seed(s)` repeats a run exactly."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = check_probability("Dropout", p)

    def forward(self, x: Tensor) -> Tensor:
        """dropout(x, p) in training mode, x in evaluation mode."""
        return F.dropout(x, self.p, training=self.training)

    def label(self) -> str:
        return f"Dropout({self.p:g})"
