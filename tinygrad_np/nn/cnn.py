"""`CNN`: the original design's network class, a sequential container of layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import training
from ..autograd import no_grad, scope
from ..tensor import Tensor
from .layers import Dense
from .module import Module


class CNN(Module):
    """Layers applied in order. `forward` gives scores (logits): a final Dense layer with a
    softmax activation stops before its softmax, which the fused loss or `predict_proba`
    applies once, stably."""

    def __init__(self, *layers: Module) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError("CNN: give at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"CNN: `layers[{i}]` must be a layer (a Module), got {type(layer).__name__}")
        self.layers = list(layers)

    def forward(self, x: Any) -> Tensor:
        """Class scores (N, K) for a batch."""
        h = x if isinstance(x, Tensor) else Tensor(training.check_features("CNN", x))
        *body, last = self.layers
        for layer in body:
            h = layer(h)
        if isinstance(last, Dense) and last.activation == "softmax":
            with scope(last.label()):
                return last.weighted_sum(h)
        return last(h)

    def predict_proba(self, X: Any, batch_size: int = 500) -> np.ndarray:
        """Class probabilities (N, K): softmax of the scores."""
        scores = training.predict_scores(self, X, batch_size)
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: Any, batch_size: int = 500) -> np.ndarray:
        """Class ids (N,)."""
        return training.predict_scores(self, X, batch_size).argmax(axis=1)

    def fit(self, X: Any, y: Any, epochs: int, lr: float, **options: Any) -> training.History:
        """Train the network; see `tinygrad_np.training.fit` for the options."""
        return training.fit(self, X, y, epochs, lr, **options)

    def evaluate(self, X: Any, y: Any, loss: str = "cross_entropy") -> training.Evaluation:
        """(accuracy, mean loss) on (X, y)."""
        return training.evaluate(self, X, y, loss)

    def summary(self, input_shape: tuple[int, ...]) -> str:
        """A table of layers, output shapes and parameter counts, for one input of `input_shape`."""
        rows = [("Layer", "Output shape", "Params")]
        with no_grad():
            h = Tensor(np.zeros((1, *input_shape), np.float32))
            for layer in self.layers:
                h = layer(h)
                rows.append((layer.label(), str((None, *h.shape[1:])), f"{layer.num_parameters():,}"))
        rows.append(("Total", "", f"{self.num_parameters():,}"))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows]
        rule = "-" * len(lines[0])
        return "\n".join([lines[0], rule, *lines[1:-1], rule, lines[-1]])

    def label(self) -> str:
        return "CNN"
