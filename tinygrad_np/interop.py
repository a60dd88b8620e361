"""Weights to and from PyTorch: names and layouts of a `CNN` in PyTorch's NCHW convention.

tinygrad_np is channels-last; PyTorch is channels-first. For the same network:

- a `Conv2D` kernel (kh, kw, C_in, C_out) is PyTorch's `Conv2d.weight` (C_out, C_in, kh, kw);
- a `Dense` weight matrix (in, out) is PyTorch's `Linear.weight` (out, in);
- a `Dense` layer after `Flatten` of (H, W, C) maps sees its inputs in (h, w, c) order, while
  PyTorch's `nn.Flatten` of (C, H, W) maps gives (c, h, w) order: that layer's rows are permuted;
- biases are the same.

Names follow a `torch.nn.Sequential` built layer by layer, each activation its own module, and
the final softmax left out (the `CNN` returns logits; so does that Sequential). The MNIST CNN:

    nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
                  nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))

has the keys `0.weight 0.bias 4.weight 4.bias 6.weight 6.bias`. PyTorch is never imported here:
states are NumPy arrays (CPU torch tensors are accepted as input: anything `np.asarray` takes).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from .autograd import no_grad
from .nn.cnn import CNN
from .nn.layers import Conv2D, Dense, Flatten, Pooling
from .tensor import Tensor


class _Weighted(NamedTuple):
    """A layer with weights: where it sits in each framework, and the (H, W, C) maps it flattens, if any."""

    layer: Conv2D | Dense
    ours: str  # our name prefix, e.g. "layers.3."
    theirs: str  # PyTorch's, e.g. "4."
    flattened: tuple[int, int, int] | None


def _plan(fn: str, model: Any, input_shape: tuple[int, ...]) -> list[_Weighted]:
    """Walk the model's layers once with a dummy input, pairing every weighted layer with its PyTorch index."""
    if not isinstance(model, CNN):
        raise TypeError(f"{fn}: `model` must be a tinygrad_np CNN, got {type(model).__name__}")
    model.check_input(fn, (1, *input_shape))
    plan, index, maps = [], 0, None
    with no_grad():
        h = Tensor(np.zeros((1, *input_shape), np.float32))
        for i, layer in enumerate(model.layers):
            if not isinstance(layer, (Conv2D, Dense, Pooling, Flatten)):
                raise TypeError(f"{fn}: layer {i} ({layer.label()}) has no PyTorch counterpart here")
            if isinstance(layer, Flatten):
                maps = h.shape[1:] if h.ndim == 4 else None
            elif isinstance(layer, (Conv2D, Dense)):
                plan.append(_Weighted(layer, f"layers.{i}.", f"{index}.", maps if isinstance(layer, Dense) else None))
                maps = None
            index += 1 + (getattr(layer, "activation", "none") != "none")  # an activation is a module of its own
            h = layer(h)
    return plan


def to_torch(model: CNN, input_shape: tuple[int, ...]) -> OrderedDict[str, np.ndarray]:
    """The model's weights as a PyTorch `state_dict` (names and NCHW layouts; see the module doc).

    `input_shape` is one channels-last input, e.g. (28, 28, 1): it fixes the shape of the maps a
    Dense layer flattens. Returns float32 (or the model's dtype) contiguous NumPy arrays; in PyTorch,
    `net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})`.
    """
    state = OrderedDict()
    for w in _plan("to_torch", model, input_shape):
        weight = w.layer.filters.data if isinstance(w.layer, Conv2D) else w.layer.weights.data
        if isinstance(w.layer, Conv2D):
            weight = weight.transpose(3, 2, 0, 1)  # (kh, kw, C_in, C_out) -> (C_out, C_in, kh, kw)
        else:
            if w.flattened is not None:  # rows in (h, w, c) order -> (c, h, w) order
                weight = weight.reshape(*w.flattened, -1).transpose(2, 0, 1, 3).reshape(weight.shape)
            weight = weight.T  # (in, out) -> (out, in)
        state[w.theirs + "weight"] = np.ascontiguousarray(weight)
        state[w.theirs + "bias"] = w.layer.biases.data.copy()
    return state


def from_torch(model: CNN, state: Mapping[str, Any], input_shape: tuple[int, ...]) -> OrderedDict[str, np.ndarray]:
    """A PyTorch `state_dict` of the same network (see the module doc) as this model's state:
    pass the result to `model.load_state_dict`. The inverse of `to_torch`.

    Every key the model needs must be present with PyTorch's shape; a missing or mis-shaped key
    raises ValueError naming it (unrelated extra keys are left to `load_state_dict(strict=...)`).
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"from_torch: `state` must be a mapping name -> array, got {type(state).__name__}")
    ours = OrderedDict()
    for w in _plan("from_torch", model, input_shape):
        expected = _torch_shapes(w)
        arrays = {}
        for key, shape in expected.items():
            if key not in state:
                label = w.layer.label()
                raise ValueError(f"from_torch: `state` has no key {key!r} (for {label}); it has {list(state)}")
            arrays[key] = np.asarray(state[key])
            if arrays[key].shape != shape:
                raise ValueError(f"from_torch: {key!r} has shape {arrays[key].shape}, {w.layer.label()} needs {shape}")
        weight = arrays[w.theirs + "weight"]
        if isinstance(w.layer, Conv2D):
            ours[w.ours + "filters"] = weight.transpose(2, 3, 1, 0)  # (C_out, C_in, kh, kw) -> (kh, kw, C_in, C_out)
        else:
            weight = weight.T  # (out, in) -> (in, out)
            if w.flattened is not None:  # rows in (c, h, w) order -> (h, w, c) order
                h, wd, c = w.flattened
                weight = weight.reshape(c, h, wd, -1).transpose(1, 2, 0, 3).reshape(weight.shape)
            ours[w.ours + "weights"] = weight
        ours[w.ours + "biases"] = arrays[w.theirs + "bias"]
    return OrderedDict((name, np.ascontiguousarray(a)) for name, a in ours.items())


def _torch_shapes(w: _Weighted) -> dict[str, tuple[int, ...]]:
    """PyTorch's key -> shape for one weighted layer."""
    if isinstance(w.layer, Conv2D):
        kh, kw, c_in, c_out = w.layer.filters.shape
        return {w.theirs + "weight": (c_out, c_in, kh, kw), w.theirs + "bias": (c_out,)}
    n_in, n_out = w.layer.weights.shape
    return {w.theirs + "weight": (n_out, n_in), w.theirs + "bias": (n_out,)}
