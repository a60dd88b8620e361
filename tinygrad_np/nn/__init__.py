"""Layers and models: each defines `forward` only; gradients come from the graph."""

from .cnn import CNN
from .init import manual_seed
from .layers import (
    Conv2D,
    Convolutional_Layer,
    Dense,
    Dense_Layer,
    Flatten,
    Flattening_Layer,
    Pooling,
    Pooling_Layer,
)
from .module import Module

__all__ = [
    "CNN",
    "Conv2D",
    "Convolutional_Layer",
    "Dense",
    "Dense_Layer",
    "Flatten",
    "Flattening_Layer",
    "Module",
    "Pooling",
    "Pooling_Layer",
    "manual_seed",
]
