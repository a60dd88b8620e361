"""`CNN`: the original design's network class, a sequential container of layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import training
from ..autograd import no_grad, scope
from ..tensor import Tensor
from .layers import Conv2D, Dense, Pooling
from .module import Module


def _fusable(layer: Module, following: Module | None) -> bool:
    """A ReLU convolution followed by a max pool whose stride is its size: one fused op."""
    return (
        isinstance(layer, Conv2D)
        and layer.activation == "relu"
        and isinstance(following, Pooling)
        and following.mode == "max"
        and following.size == following.stride
    )


def _table(rows: list[tuple[str, str, str]], total: tuple[str, str, str] | None = None) -> str:
    """(layer, output shape, params) rows as aligned columns under a ruled header, then the total if given."""
    cells = rows if total is None else [*rows, total]
    widths = [max(len(r[i]) for r in cells) for i in range(3)]
    header, *body = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}" for a, b, c in cells]
    rule = "-" * len(header)
    if total is not None:
        body.insert(len(body) - 1, rule)
    return "\n".join([header, rule, *body])


class CNN(Module):
    """Layers applied in order. `forward` gives scores (logits): a final Dense layer with a
    softmax activation stops before its softmax, which the fused loss or `predict_proba`
    applies once, stably.

    With `fuse=True` (the default) a ReLU Conv2D followed by a max Pooling with stride equal
    to its size runs as the single op `conv2d_relu_maxpool2d`: same numbers, about twice as
    fast. Set `model.fuse = False` to run (and draw) the layers one by one.
    """

    def __init__(self, *layers: Module, fuse: bool = True) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError("CNN: give at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"CNN: `layers[{i}]` must be a layer (a Module), got {type(layer).__name__}")
        self.layers = list(layers)
        self.fuse = bool(fuse)

    def forward(self, x: Any) -> Tensor:
        """Class scores (N, K) for a batch."""
        h = x if isinstance(x, Tensor) else Tensor(training.check_features("CNN", x))
        *body, last = self.layers
        i = 0
        while i < len(body):
            layer, following = body[i], body[i + 1] if i + 1 < len(body) else None
            if self.fuse and _fusable(layer, following):
                with scope(f"{layer.label()} + {following.label()}"):
                    h = layer.forward_pooled(h, following.size)
                i += 2
            else:
                h = layer(h)
                i += 1
        if isinstance(last, Dense) and last.activation == "softmax":
            with scope(last.label()):
                return last.weighted_sum(h)
        return last(h)

    def check_input(self, fn: str, shape: tuple[int, ...]) -> None:
        """Refuse a batch shape the first layer cannot take, saying what it expects (and when a
        batch of images looks channels-first)."""
        first = self.layers[0]
        if isinstance(first, Conv2D):
            c = first.n_channels
            if len(shape) != 4 or shape[3] != c:
                hint = ""
                if len(shape) == 4 and shape[1] == c:
                    hint = "; it looks channels-first (N, C, H, W): use X.transpose(0, 2, 3, 1)"
                raise ValueError(
                    f"{fn}: `X` must be channels-last images (N, H, W, {c}) for {first.label()}, "
                    f"got shape {shape}{hint}"
                )
        elif isinstance(first, Dense) and (len(shape) != 2 or shape[1] != first.n_inputs):
            raise ValueError(f"{fn}: `X` must have shape (N, {first.n_inputs}) for {first.label()}, got {shape}")

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
        """A table of layers, output shapes and parameter counts, for one input of `input_shape`.

        A layer that cannot take its input raises the error of that layer (ValueError/TypeError)
        with the table up to it, then its name and the input shape it got.
        """
        rows = [("Layer", "Output shape", "Params")]
        with no_grad():
            h = Tensor(np.zeros((1, *input_shape), np.float32))
            for i, layer in enumerate(self.layers):
                try:
                    out = layer(h)
                except (ValueError, TypeError) as err:
                    rows.append((layer.label(), "error", f"{layer.num_parameters():,}"))
                    raise type(err)(
                        f"summary: layer {i}, {layer.label()}, cannot take its input of shape "
                        f"{(None, *h.shape[1:])}:\n{_table(rows)}\n{err}"
                    ) from None
                h = out
                rows.append((layer.label(), str((None, *h.shape[1:])), f"{layer.num_parameters():,}"))
        return _table(rows, ("Total", "", f"{self.num_parameters():,}"))

    def label(self) -> str:
        return "CNN"

    def architecture(self) -> str:
        """The layers in order, e.g. `CNN(Conv2D(8, 3x3, relu), Pooling(max 2x2, stride 2), ...)`."""
        return f"CNN({', '.join(layer.label() for layer in self.layers)})"
