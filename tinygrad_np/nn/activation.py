"""Activations as layers, so that models can be written as a `Sequential` of layers."""

from __future__ import annotations

from .. import functional as F
from ..checks import check_choice, check_int, check_number
from ..tensor import Tensor
from .module import Module


class ReLU(Module):
    """max(x, 0), elementwise."""

    replayable = True

    def forward(self, x: Tensor) -> Tensor:
        """relu(x)."""
        return F.relu(x)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x."""

    replayable = True

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = check_number("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        """leaky_relu(x, negative_slope)."""
        return F.leaky_relu(x, self.negative_slope)

    def label(self) -> str:
        return f"LeakyReLU({self.negative_slope:g})"


class Tanh(Module):
    """tanh(x), elementwise."""

    replayable = True

    def forward(self, x: Tensor) -> Tensor:
        """tanh(x)."""
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise."""

    replayable = True

    def forward(self, x: Tensor) -> Tensor:
        """sigmoid(x)."""
        return F.sigmoid(x)


class GELU(Module):
    """x * Phi(x) (approximate="none") or its tanh approximation (approximate="tanh"), as PyTorch."""

    replayable = True

    def __init__(self, approximate: str = "none") -> None:
        self.approximate = check_choice("GELU", "approximate", approximate, ("none", "tanh"))

    def forward(self, x: Tensor) -> Tensor:
        """gelu(x, approximate)."""
        return F.gelu(x, self.approximate)


class Softmax(Module):
    """softmax over `dim`. As the last layer of a `Sequential` it is left to the loss (see Sequential)."""

    replayable = True

    def __init__(self, dim: int = -1) -> None:
        self.dim = check_int("Softmax", "dim", dim)

    def forward(self, x: Tensor) -> Tensor:
        """softmax(x, dim)."""
        return F.softmax(x, self.dim)
