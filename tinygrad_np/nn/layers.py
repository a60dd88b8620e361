"""The original design's layers. Each defines `forward` only; backprop comes from the graph.

Aliases with the original design's names: `Dense_Layer`, `Convolutional_Layer`,
`Pooling_Layer`, `Flattening_Layer`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..checks import check_choice, check_int, describe
from ..ops.conv import conv_padding
from ..tensor import Tensor
from .init import he_normal, xavier_uniform
from .module import Module

ACTIVATIONS = {
    "relu": F.relu,
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "softmax": F.softmax,
    "none": lambda x: x,
}
CONV_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name != "softmax")  # feature maps have no classes


def _parameter(values: np.ndarray, name: str) -> Tensor:
    return Tensor(values, requires_grad=True, name=name)


def _set_parameter(owner: str, name: str, tensor: Tensor, values: Any) -> None:
    """Replace a parameter's values in place after checking shape and type."""
    array = np.asarray(values.data if isinstance(values, Tensor) else values)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{owner}: `{name}` must be numeric, got {describe(array)}")
    if array.shape != tensor.shape:
        raise ValueError(f"{owner}: `{name}` must have shape {tensor.shape}, got {array.shape}")
    tensor.data = array.astype(tensor.dtype)
    tensor.grad = None


class Dense(Module):
    """Fully connected layer: activation(x @ weights + biases).

    weights (n_inputs, n_neurons), Xavier-uniform; biases (n_neurons,), zeros. activation:
    "relu", "sigmoid", "tanh", "softmax" or "none".
    """

    replayable = True

    def __init__(self, n_neurons: int, n_inputs: int, activation: str = "relu") -> None:
        self.n_neurons = check_int("Dense", "n_neurons", n_neurons, minimum=1)
        self.n_inputs = check_int("Dense", "n_inputs", n_inputs, minimum=1)
        self.activation = check_choice("Dense", "activation", activation, ACTIVATIONS)
        self.weights = _parameter(xavier_uniform((n_inputs, n_neurons), n_inputs, n_neurons), "weights")
        self.biases = _parameter(np.zeros(n_neurons, np.float32), "biases")

    def check_features(self, fn: str, shape: tuple[int, ...], subject: str = "input") -> None:
        """Refuse an input shape other than (N, n_inputs); when it has n_neurons features the arguments
        look written in PyTorch's Linear(in, out) order, and the error says so."""
        if len(shape) == 2 and shape[1] == self.n_inputs:
            return
        owner = "" if fn == self.label() else f" for {self.label()}"
        message = f"{fn}: {subject} must have shape (N, {self.n_inputs}){owner}, got {shape}"
        if len(shape) == 2 and shape[1] == self.n_neurons:
            message += (
                f". The arguments look swapped: Dense takes (n_neurons, n_inputs), the reverse of PyTorch's "
                f"Linear(in_features, out_features); for {shape[1]} inputs and {self.n_inputs} outputs write "
                f"Dense({self.n_inputs}, {self.n_neurons})"
            )
        raise ValueError(message)

    def weighted_sum(self, x: Tensor) -> Tensor:
        """x @ weights + biases (the layer's pre-activation, or logits)."""
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            self.check_features(self.label(), x.shape)
        return F.linear(x, self.weights, self.biases)

    def activate(self, z: Tensor) -> Tensor:
        """Apply the layer's activation to a weighted sum."""
        return ACTIVATIONS[self.activation](z)

    def forward(self, x: Tensor) -> Tensor:
        """activate(weighted_sum(x))."""
        return self.activate(self.weighted_sum(x))

    def get_weights(self) -> np.ndarray:
        """The weight matrix (n_inputs, n_neurons)."""
        return self.weights.data

    def set_weights(self, weights: Any) -> None:
        """Replace the weight matrix; its shape must be (n_inputs, n_neurons)."""
        _set_parameter(self.label(), "weights", self.weights, weights)

    def get_biases(self) -> np.ndarray:
        """The bias vector (n_neurons,)."""
        return self.biases.data

    def set_biases(self, biases: Any) -> None:
        """Replace the bias vector; its shape must be (n_neurons,)."""
        _set_parameter(self.label(), "biases", self.biases, biases)

    def label(self) -> str:
        return f"Dense({self.n_neurons}, {self.activation})"


class Conv2D(Module):
    """2-D convolution over channels-last images (N, H, W, n_channels) -> (N, H', W', n_filters).

    filters (filter_size, filter_size, n_channels, n_filters) with "he" or "xavier" init; one
    bias per filter; optional activation applied to the feature maps.
    """

    replayable = True

    def __init__(
        self,
        n_filters: int,
        filter_size: int,
        n_channels: int,
        stride: int = 1,
        padding: int | str = 0,
        init: str = "he",
        activation: str = "none",
    ) -> None:
        self.n_filters = check_int("Conv2D", "n_filters", n_filters, minimum=1)
        self.filter_size = check_int("Conv2D", "filter_size", filter_size, minimum=1)
        self.n_channels = check_int("Conv2D", "n_channels", n_channels, minimum=1)
        self.stride = check_int("Conv2D", "stride", stride, minimum=1)
        conv_padding("Conv2D", padding, (filter_size, filter_size), (stride, stride))  # refused now, not at forward
        self.padding = padding
        self.init = check_choice("Conv2D", "init", init, ("he", "xavier"))
        self.activation = check_choice("Conv2D", "activation", activation, CONV_ACTIVATIONS)
        shape = (filter_size, filter_size, n_channels, n_filters)
        fan_in, fan_out = filter_size * filter_size * n_channels, filter_size * filter_size * n_filters
        values = he_normal(shape, fan_in) if init == "he" else xavier_uniform(shape, fan_in, fan_out)
        self.filters = _parameter(values, "filters")
        self.biases = _parameter(np.zeros(n_filters, np.float32), "biases")

    def forward(self, x: Tensor) -> Tensor:
        """Feature maps: activation(conv2d(x, filters) + biases)."""
        maps = F.conv2d(x, self.filters, self.biases, stride=self.stride, padding=self.padding)
        return ACTIVATIONS[self.activation](maps)

    def label(self) -> str:
        act = "" if self.activation == "none" else f", {self.activation}"
        return f"Conv2D({self.n_filters}, {self.filter_size}x{self.filter_size}{act})"


class Pooling(Module):
    """Max or average pooling over (N, H, W, C) with a square window `size` and `stride`."""

    replayable = True

    def __init__(self, mode: str = "max", size: int = 2, stride: int = 2) -> None:
        self.mode = check_choice("Pooling", "mode", mode, ("max", "avg"))
        self.size = check_int("Pooling", "size", size, minimum=1)
        self.stride = check_int("Pooling", "stride", stride, minimum=1)

    def forward(self, x: Tensor) -> Tensor:
        """Pooled feature maps."""
        pool = F.max_pool2d if self.mode == "max" else F.avg_pool2d
        return pool(x, self.size, self.stride)

    def label(self) -> str:
        return f"Pooling({self.mode} {self.size}x{self.size}, stride {self.stride})"


class Flatten(Module):
    """(N, H, W, C) -> (N, H*W*C); the backward reshape falls out of the graph."""

    replayable = True

    def forward(self, x: Tensor) -> Tensor:
        """Flatten every axis but the batch axis."""
        return F.flatten(x, 1)

    def label(self) -> str:
        return "Flatten"


Dense_Layer = Dense
Convolutional_Layer = Conv2D
Pooling_Layer = Pooling
Flattening_Layer = Flatten
