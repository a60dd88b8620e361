"""Containers: `Sequential` (layers in order, with conv+ReLU+max-pool fusion), `ModuleList` and
`ModuleDict` (sub-modules by index or name, as in PyTorch)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .. import functional as F
from .. import training
from ..autograd import scope
from ..ops.arguments import channels_first_hint
from ..tensor import Tensor
from .activation import ReLU, Softmax
from .layers import Conv2D, Dense, Pooling
from .module import Module, _expand, recording


def _check_layers(fn: str, layers: Iterable[Any]) -> list[Module]:
    layers = list(layers)
    for i, layer in enumerate(layers):
        if not isinstance(layer, Module):
            raise TypeError(f"{fn}: `layers[{i}]` must be a layer (a Module), got {type(layer).__name__}")
    return layers


def fused_span(layers: list[Module], i: int) -> int:
    """How many layers from `i` run as one `conv2d_relu_maxpool2d` op: a Conv2D with ReLU (its
    activation, or a ReLU layer after it) then a max Pooling whose stride is its size; 0 if none."""
    conv, j = layers[i], i + 1
    if not isinstance(conv, Conv2D):
        return 0
    if conv.activation == "none" and j < len(layers) and type(layers[j]) is ReLU:
        j += 1
    elif conv.activation != "relu":
        return 0
    pool = layers[j] if j < len(layers) else None
    fusable = isinstance(pool, Pooling) and pool.mode == "max" and pool.size == pool.stride
    return j + 1 - i if fusable else 0


def pools_after_relu(layers: list[Module], i: int) -> bool:
    """A ReLU layer at `i` followed by a max Pooling: max_pool(relu(x)) = relu(max_pool(x)), and
    pooling first lets ReLU (forward and backward) run on the smaller map, with the same numbers."""
    return (
        type(layers[i]) is ReLU
        and i + 1 < len(layers)
        and isinstance(layers[i + 1], Pooling)
        and layers[i + 1].mode == "max"
    )


def ends_in_softmax(layer: Module) -> bool:
    """A layer whose output is a softmax: Dense(..., activation="softmax") or Softmax."""
    return (isinstance(layer, Dense) and layer.activation == "softmax") or isinstance(layer, Softmax)


class Sequential(Module):
    """Layers applied in order: `Sequential(Conv2D(...), ReLU(), Pooling(), Flatten(), Dense(...))`.

    `forward` gives class scores (logits): a last layer that is a softmax (`Dense(...,
    activation="softmax")`, or `Softmax()`) is left to the fused loss and `predict_proba`, which
    apply it once, stably. With `fuse=True` (the default) a ReLU Conv2D (or a Conv2D then `ReLU()`)
    followed by a max Pooling whose stride is its size runs as the single op `conv2d_relu_maxpool2d`:
    the same numbers, about twice as fast; a `ReLU()` followed by a max Pooling pools first (the same
    numbers: ReLU and max commute), so ReLU runs on the smaller map. `model.fuse = False` runs (and
    draws) the layers one by one.
    Parameters are named `layers.<index>.<name>`.
    """

    replayable = True

    def __init__(self, *layers: Module, fuse: bool = True) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        if not layers:
            raise ValueError(f"{type(self).__name__}: give at least one layer")
        self.layers = _check_layers(type(self).__name__, layers)
        self.fuse = bool(fuse)

    def forward(self, x: Any) -> Tensor:
        """Class scores (N, K) for a batch."""
        h = x if isinstance(x, Tensor) else Tensor(training.check_features(type(self).__name__, x))
        *body, last = self.layers
        fuse = self.fuse and not recording()  # a summary lists every layer
        i = 0
        while i < len(body):
            span = fused_span(body, i) if fuse else 0
            if span:
                conv, pool = body[i], body[i + span - 1]
                with scope(" + ".join(layer.label() for layer in body[i : i + span])):
                    h = F.conv2d_relu_maxpool2d(h, conv.filters, conv.biases, conv.stride, conv.padding, pool.size)
                i += span
            elif fuse and pools_after_relu(body, i):
                with scope(f"{body[i].label()} + {body[i + 1].label()}"):
                    h = F.relu(body[i + 1](h))
                i += 2
            else:
                h = body[i](h)
                i += 1
        if ends_in_softmax(last) and not recording():
            if isinstance(last, Softmax):
                return h
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
                raise ValueError(
                    f"{fn}: `X` must be channels-last images (N, H, W, {c}) for {first.label()}, "
                    f"got shape {shape}{channels_first_hint(shape, c, 'X')}"
                )
        elif isinstance(first, Dense) and (len(shape) != 2 or shape[1] != first.n_inputs):
            first.check_features(fn, shape, "`X`")

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def architecture(self) -> str:
        """The layers in order, e.g. `Sequential(Conv2D(8, 3x3, relu), Pooling(max 2x2, stride 2), ...)`."""
        return f"{self.label()}({', '.join(layer.label() for layer in self.layers)})"


class ModuleList(Module):
    """Sub-modules in a list, named by index (`blocks.0.weight`), as PyTorch's ModuleList."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        self._modules = _check_layers("ModuleList", modules)

    def _members(self) -> Iterator[tuple[str, Any, bool]]:
        for index, module in enumerate(self._modules):
            yield from _expand(str(index), module, False)

    def append(self, module: Module) -> ModuleList:
        """Add `module` at the end."""
        self._modules += _check_layers("ModuleList", [module])
        return self

    def __getitem__(self, index: int) -> Module:
        return self._modules[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules)


class ModuleDict(Module):
    """Sub-modules by name (`heads.digit.weight`), as PyTorch's ModuleDict."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        self._modules: dict[str, Module] = {}
        for name, module in (modules or {}).items():
            self[name] = module

    def _members(self) -> Iterator[tuple[str, Any, bool]]:
        for name, module in self._modules.items():
            yield from _expand(name, module, False)

    def __setitem__(self, name: str, module: Module) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"ModuleDict: a key must be a non-empty string without '.', got {name!r}")
        self._modules[name] = _check_layers("ModuleDict", [module])[0]

    def __getitem__(self, name: str) -> Module:
        return self._modules[name]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def keys(self):
        """The names."""
        return self._modules.keys()

    def values(self):
        """The modules."""
        return self._modules.values()

    def items(self):
        """(name, module) pairs."""
        return self._modules.items()
