"""Layers and models: each defines `forward` only; gradients come from the graph."""

from . import utils
from .activation import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .cnn import CNN
from .containers import ModuleDict, ModuleList, Sequential
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
from .norm import BatchNorm1d, BatchNorm2d, Dropout, LayerNorm

__all__ = [
    "CNN",
    "GELU",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2D",
    "Convolutional_Layer",
    "Dense",
    "Dense_Layer",
    "Dropout",
    "Flatten",
    "Flattening_Layer",
    "LayerNorm",
    "LeakyReLU",
    "Module",
    "ModuleDict",
    "ModuleList",
    "Pooling",
    "Pooling_Layer",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "manual_seed",
    "utils",
]
