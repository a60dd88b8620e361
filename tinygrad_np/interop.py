"""Weights to and from PyTorch: names and layouts of a `Sequential` (or `CNN`) in PyTorch's NCHW convention.

tinygrad_np is channels-last; PyTorch is channels-first. For the same network:

- a `Conv2D` kernel (kh, kw, C_in, C_out) is PyTorch's `Conv2d.weight` (C_out, C_in, kh, kw);
- a `Dense` weight matrix (in, out) is PyTorch's `Linear.weight` (out, in);
- a layer after `Flatten` of (H, W, C) maps sees its inputs in (h, w, c) order, while PyTorch's
  `nn.Flatten` of (C, H, W) maps gives (c, h, w) order: the first `Dense` layer's rows (and the
  vectors of a `BatchNorm1d` before it) are permuted;
- biases are the same, and so are a `BatchNorm2d`/`BatchNorm1d`'s `weight`, `bias`, `running_mean`,
  `running_var` and `num_batches_tracked` (PyTorch's int64; ours is a float32 counter).

Names follow a `torch.nn.Sequential` built layer by layer, each activation its own module, and
the final softmax left out (the model returns logits; so does that Sequential). `ReLU`, `Dropout`,
`Pooling` and `Flatten` have no weights but take an index each, as in PyTorch. The MNIST CNN:

    nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
                  nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))

has the keys `0.weight 0.bias 4.weight 4.bias 6.weight 6.bias`; LeNet-5 (models/lenet5.py) is
`Conv2d, BatchNorm2d, ReLU, MaxPool2d, Conv2d, BatchNorm2d, ReLU, MaxPool2d, Flatten, Linear, ReLU,
Dropout, Linear, ReLU, Linear`. PyTorch is never imported here: states are NumPy arrays (CPU torch
tensors are accepted as input: anything `np.asarray` takes).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from .autograd import no_grad
from .nn.activation import ReLU
from .nn.containers import Sequential
from .nn.layers import Conv2D, Dense, Flatten, Pooling
from .nn.norm import Dropout, _BatchNorm
from .tensor import Tensor

_SAME_SHAPE = (_BatchNorm, ReLU, Dropout)  # layers that keep their input's shape
_TORCH_NAMES = {"filters": "weight", "weights": "weight", "biases": "bias"}  # BatchNorm's names are PyTorch's already


class _Weighted(NamedTuple):
    """A layer with weights: where it sits in each framework, and how PyTorch orders its flattened inputs."""

    layer: Conv2D | Dense | _BatchNorm
    ours: str  # our name prefix, e.g. "layers.3."
    theirs: str  # PyTorch's, e.g. "4."
    order: np.ndarray | None  # after a Flatten of (H, W, C) maps: our feature at each PyTorch (c, h, w) position


def _plan(fn: str, model: Any, input_shape: tuple[int, ...]) -> list[_Weighted]:
    """Walk the model's layers once with a dummy input, pairing every weighted layer with its PyTorch index."""
    if not isinstance(model, Sequential):
        raise TypeError(f"{fn}: `model` must be a tinygrad_np CNN or Sequential, got {type(model).__name__}")
    model.check_input(fn, (1, *input_shape))
    plan, index, order = [], 0, None
    with no_grad():
        h = Tensor(np.zeros((1, *input_shape), np.float32))
        for i, layer in enumerate(model.layers):
            if not isinstance(layer, (Conv2D, Dense, Pooling, Flatten, *_SAME_SHAPE)):
                raise TypeError(f"{fn}: layer {i} ({layer.label()}) has no PyTorch counterpart here")
            if isinstance(layer, Flatten):
                order = np.arange(h.size).reshape(h.shape[1:]).transpose(2, 0, 1).ravel() if h.ndim == 4 else None
            elif isinstance(layer, (Conv2D, Dense, _BatchNorm)):
                plan.append(_Weighted(layer, f"layers.{i}.", f"{index}.", None if isinstance(layer, Conv2D) else order))
                order = order if isinstance(layer, _BatchNorm) else None
            index += 1 + (getattr(layer, "activation", "none") != "none")  # an activation is a module of its own
            if not isinstance(layer, _SAME_SHAPE):  # running those would update statistics or draw dropout masks
                h = layer(h)
    return plan


def _theirs(w: _Weighted, name: str, array: np.ndarray) -> np.ndarray:
    """Our array `name` of a weighted layer in PyTorch's layout."""
    if isinstance(w.layer, Conv2D) and name == "filters":
        return array.transpose(3, 2, 0, 1)  # (kh, kw, C_in, C_out) -> (C_out, C_in, kh, kw)
    if name == "num_batches_tracked":
        return array.astype(np.int64)
    if w.order is not None and name != "biases":  # Dense rows or BatchNorm1d vectors: (h, w, c) -> (c, h, w) order
        array = array[w.order]
    return array.T if name == "weights" else array  # Dense (in, out) -> (out, in)


def _ours(w: _Weighted, name: str, array: np.ndarray) -> np.ndarray:
    """PyTorch's array for our `name` of a weighted layer in our layout: the inverse of `_theirs`."""
    if isinstance(w.layer, Conv2D) and name == "filters":
        return array.transpose(2, 3, 1, 0)  # (C_out, C_in, kh, kw) -> (kh, kw, C_in, C_out)
    array = array.T if name == "weights" else array
    if w.order is not None and name not in ("biases", "num_batches_tracked"):
        array = array[np.argsort(w.order)]
    return array


def to_torch(model: Sequential, input_shape: tuple[int, ...]) -> OrderedDict[str, np.ndarray]:
    """The model's weights (and BatchNorm statistics) as a PyTorch `state_dict` (names and NCHW
    layouts; see the module doc).

    `input_shape` is one channels-last input, e.g. (28, 28, 1): it fixes the shape of the maps a
    Dense layer flattens. Returns float32 (or the model's dtype) contiguous NumPy arrays; in PyTorch,
    `net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})`.
    """
    state = OrderedDict()
    for w in _plan("to_torch", model, input_shape):
        for name, array in w.layer.state_dict().items():
            key = w.theirs + _TORCH_NAMES.get(name, name)
            state[key] = np.require(_theirs(w, name, array), requirements="C")  # C order; a 0-D array stays 0-D
    return state


def from_torch(
    model: Sequential, state: Mapping[str, Any], input_shape: tuple[int, ...]
) -> OrderedDict[str, np.ndarray]:
    """A PyTorch `state_dict` of the same network (see the module doc) as this model's state:
    pass the result to `model.load_state_dict`. The inverse of `to_torch`.

    Every key the model needs must be present with PyTorch's shape; a missing or mis-shaped key
    raises ValueError naming it (unrelated extra keys are left to `load_state_dict(strict=...)`).
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"from_torch: `state` must be a mapping name -> array, got {type(state).__name__}")
    ours = OrderedDict()
    for w in _plan("from_torch", model, input_shape):
        for name, mine in w.layer.state_dict().items():
            key, shape, label = w.theirs + _TORCH_NAMES.get(name, name), _theirs(w, name, mine).shape, w.layer.label()
            if key not in state:
                raise ValueError(f"from_torch: `state` has no key {key!r} (for {label}); it has {list(state)}")
            array = np.asarray(state[key])
            if array.shape != shape:
                raise ValueError(f"from_torch: {key!r} has shape {array.shape}, {label} needs {shape}")
            ours[w.ours + name] = np.require(_ours(w, name, array), requirements="C")
    return ours
