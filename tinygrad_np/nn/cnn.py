"""`CNN`: the original design's network class, a `Sequential` under its original name."""

from __future__ import annotations

from .containers import Sequential


class CNN(Sequential):
    """Layers applied in order (see `Sequential`: logits out, a final softmax left to the loss,
    conv+ReLU+max-pool fusion with `fuse=True`). The original design's name for the container."""
