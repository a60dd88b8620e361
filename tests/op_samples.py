"""Sample inputs for every registered op, with the PyTorch expression that computes the same.

`SAMPLES[name]` lists `Sample`s: `args` are float64 arrays the op is differentiated in,
`kwargs` are constants, `torch` maps torch tensors (same order as args) to the reference
result (layouts transposed as needed: this library is channels-last). Values avoid ties
and kinks (ReLU at 0, equal maxima) so finite differences are meaningful.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

rng = np.random.default_rng()  # reseeded per op by `_seeded`: adding a sample to one op changes no other


@dataclass
class Sample:
    desc: str
    args: tuple[np.ndarray, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    torch: Callable[..., Any] | None = None
    consts: tuple[Any, ...] = ()  # positional constants after the differentiated args


def normal(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def away_from_zero(*shape: int) -> np.ndarray:
    """Values with |x| in [0.2, 1.2]: no ReLU kink within finite-difference reach."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.2, 1.2, size=shape)


def distinct(*shape: int) -> np.ndarray:
    """All values different by at least 0.05: maxima are unique."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) - np.prod(shape) / 2) * 0.05


def positive(*shape: int) -> np.ndarray:
    return rng.uniform(0.5, 2.0, size=shape)


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def _torch():
    import torch

    return torch


def _tf():
    import torch.nn.functional as tf

    return tf


def binary(torch_fn_name: str, make_b: Callable[..., np.ndarray] = normal) -> list[Sample]:
    def ref(a, b):
        return getattr(_torch(), torch_fn_name)(a, b)

    return [
        Sample("same shape", (normal(3, 4), make_b(3, 4)), torch=ref),
        Sample("broadcast row", (normal(3, 4), make_b(4)), torch=ref),
        Sample("broadcast both ways", (normal(2, 1, 4), make_b(3, 1)), torch=ref),
        Sample("scalar operand", (normal(2, 3), make_b()), torch=ref),
    ]


def unary(torch_fn: str, make: Callable[..., np.ndarray] = normal) -> list[Sample]:
    def ref(x):
        return getattr(_torch(), torch_fn)(x)

    return [Sample("matrix", (make(3, 4),), torch=ref), Sample("4-D", (make(2, 3, 2, 2),), torch=ref)]


def reduction(torch_name: str, make: Callable[..., np.ndarray] = normal) -> list[Sample]:
    def case(desc: str, axis: Any, keepdims: bool, shape: tuple[int, ...] = (3, 4, 5)) -> Sample:
        def ref(x):
            if axis is None:
                result = getattr(x, torch_name)()
                return result.reshape((1,) * x.ndim) if keepdims else result
            return getattr(x, torch_name)(dim=axis, keepdim=keepdims)

        return Sample(desc, (make(*shape),), {"axis": axis, "keepdims": keepdims}, ref)

    return [
        case("all axes", None, False),
        case("all axes keepdims", None, True),
        case("axis 1", 1, False),
        case("axis -1 keepdims", -1, True),
        case("axes (0, 2)", (0, 2), False),
        case("vector", 0, False, (4,)),
        case("0-D, axis 0", 0, False, ()),
        case("0-D, axis -1 keepdims", -1, True, ()),
    ]


def conv(desc: str, x_shape, w_shape, bias: bool, stride=1, padding=0) -> Sample:
    def ref(x, w, b=None):
        return nhwc(_tf().conv2d(nchw(x), w.permute(3, 2, 0, 1), b, stride=stride, padding=padding))

    args = (normal(*x_shape), normal(*w_shape)) + ((normal(w_shape[3]),) if bias else ())
    return Sample(desc, args, {"stride": stride, "padding": padding}, ref)


def fused(desc: str, x_shape, w_shape, stride=1, padding=0, pool=2) -> Sample:
    def ref(x, w, b):
        z = _tf().conv2d(nchw(x), w.permute(3, 2, 0, 1), b, stride=stride, padding=padding)
        return nhwc(_tf().max_pool2d(_tf().relu(z), pool))

    # Distinct weights and inputs keep conv outputs apart: no ties inside a pooling window.
    args = (distinct(*x_shape) / 3, distinct(*w_shape) / 2, normal(w_shape[3]) * 0.1)
    return Sample(desc, args, {"stride": stride, "padding": padding, "pool": pool}, ref)


def pool(name: str, desc: str, x_shape, kernel, stride=None) -> Sample:
    def ref(x):
        return nhwc(getattr(_tf(), name)(nchw(x), kernel, stride))

    return Sample(desc, (distinct(*x_shape),), {"kernel_size": kernel, "stride": stride}, ref)


def cross_entropy(desc: str, logits: np.ndarray, target: np.ndarray, reduction: str = "mean") -> Sample:
    def ref(z):
        t = _torch().as_tensor(target)
        return _tf().cross_entropy(z, t.to(z.dtype) if t.ndim == 2 else t, reduction=reduction)

    return Sample(desc, (logits,), {"target": target, "reduction": reduction}, ref)


def hinge(desc: str, scores: np.ndarray, target: np.ndarray, margin=1.0, reduction="mean") -> Sample:
    def ref(s):
        labels = _torch().as_tensor(target if target.ndim == 1 else target.argmax(1))
        # PyTorch's multi_margin_loss is Weston-Watkins divided by the number of classes.
        return _tf().multi_margin_loss(s, labels, margin=margin, reduction=reduction) * s.shape[1]

    return Sample(desc, (scores,), {"target": target, "margin": margin, "reduction": reduction}, ref)


def one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


def getitem(desc: str, index: Any, torch_index: Any = None) -> Sample:
    torch_index = index if torch_index is None else torch_index
    return Sample(desc, (normal(4, 5, 3),), {"index": index}, lambda x: x[torch_index])


def pad(desc: str, shape, pad_width, value=0.0) -> Sample:
    def ref(x):
        widths = np.broadcast_to(np.asarray(pad_width), (len(shape), 2))
        flat = [int(v) for pair in widths[::-1] for v in pair]  # torch: last axis first
        return _tf().pad(x, flat, value=value)

    return Sample(desc, (normal(*shape),), {"pad_width": pad_width, "value": value}, ref)


_labels = np.array([2, 0, 3, 1, 3])
_probs = np.random.default_rng(4).dirichlet(np.ones(4), size=5)

BUILDERS: dict[str, Callable[[], list[Sample]]] = {
    "add": lambda: binary("add"),
    "sub": lambda: binary("sub"),
    "mul": lambda: binary("mul"),
    "div": lambda: binary("div", make_b=positive),
    "pow": lambda: [
        Sample("tensor exponent", (positive(3, 4), normal(3, 4)), torch=lambda a, b: a**b),
        Sample("broadcast exponent", (positive(3, 4), normal(4)), torch=lambda a, b: a**b),
        Sample("constant exponent 0, zero base", (np.array([0.0, 1.5, -2.0]),), torch=lambda a: a**0, consts=(0.0,)),
        Sample("constant exponent 2, zero base", (np.array([0.0, 1.5, -2.0]),), torch=lambda a: a**2, consts=(2.0,)),
    ],
    "neg": lambda: unary("neg"),
    "exp": lambda: unary("exp"),
    "log": lambda: unary("log", positive),
    "sqrt": lambda: unary("sqrt", positive),
    "relu": lambda: unary("relu", away_from_zero),
    "sigmoid": lambda: unary("sigmoid"),
    "tanh": lambda: unary("tanh"),
    "matmul": lambda: [
        Sample("2-D", (normal(3, 4), normal(4, 5)), torch=lambda a, b: a @ b),
        Sample("batched", (normal(2, 3, 4), normal(2, 4, 5)), torch=lambda a, b: a @ b),
        Sample("batch broadcast", (normal(2, 1, 3, 4), normal(3, 4, 2)), torch=lambda a, b: a @ b),
        Sample("matrix-vector", (normal(3, 4), normal(4)), torch=lambda a, b: a @ b),
        Sample("vector-matrix", (normal(4), normal(4, 5)), torch=lambda a, b: a @ b),
        Sample("vector-vector (dot product)", (normal(4), normal(4)), torch=lambda a, b: a @ b),
        Sample("vector-batch", (normal(4), normal(2, 4, 3)), torch=lambda a, b: a @ b),
        Sample("batch-vector", (normal(2, 3, 4), normal(4)), torch=lambda a, b: a @ b),
    ],
    "linear": lambda: [
        Sample("batch of 3", (normal(3, 4), normal(4, 5), normal(5)), torch=lambda x, w, b: x @ w + b),
        Sample(
            "batch of 1 (outer-product path)", (normal(1, 4), normal(4, 2), normal(2)), torch=lambda x, w, b: x @ w + b
        ),
    ],
    "sum": lambda: reduction("sum"),
    "mean": lambda: reduction("mean"),
    "max": lambda: reduction("amax", distinct),
    "softmax": lambda: [
        Sample("last axis", (normal(3, 5),), {"axis": -1}, lambda x: _torch().softmax(x, -1)),
        Sample("axis 0", (normal(3, 4, 2),), {"axis": 0}, lambda x: _torch().softmax(x, 0)),
        Sample("vector", (normal(5),), {}, lambda x: _torch().softmax(x, -1)),
        Sample("0-D", (normal(),), {}, lambda x: _torch().softmax(x, -1)),
    ],
    "log_softmax": lambda: [
        Sample("last axis", (normal(3, 5),), {"axis": -1}, lambda x: _torch().log_softmax(x, -1)),
        Sample("axis 1", (normal(3, 4, 2),), {"axis": 1}, lambda x: _torch().log_softmax(x, 1)),
        Sample("0-D, axis 0", (normal(),), {"axis": 0}, lambda x: _torch().log_softmax(x, 0)),
    ],
    "reshape": lambda: [
        Sample("to 2-D", (normal(2, 3, 4),), torch=lambda x: x.reshape(6, 4), consts=((6, 4),)),
        Sample("inferred -1", (normal(2, 3, 4),), torch=lambda x: x.reshape(4, -1), consts=(4, -1)),
    ],
    "flatten": lambda: [
        Sample("all", (normal(2, 3, 4),), {}, lambda x: x.flatten()),
        Sample("from axis 1 (layer)", (normal(2, 3, 4, 2),), {"start_dim": 1}, lambda x: x.flatten(1)),
        Sample("middle axes", (normal(2, 3, 4, 2),), {"start_dim": 1, "end_dim": 2}, lambda x: x.flatten(1, 2)),
        Sample("0-D to (1,)", (normal(),), {}, lambda x: x.flatten()),
    ],
    "transpose": lambda: [
        Sample("reverse", (normal(2, 3, 4),), {}, lambda x: x.permute(2, 1, 0)),
        Sample("NCHW to NHWC, axes as a tuple", (normal(2, 3, 4, 5),), {}, lambda x: x.permute(0, 2, 3, 1),
               consts=((0, 2, 3, 1),)),
        Sample("axes as separate ints", (normal(2, 3, 4),), {}, lambda x: x.permute(2, 0, 1), consts=(-1, 0, 1)),
    ],
    "getitem": lambda: [
        getitem("int and slice", (1, slice(0, 4, 2))),
        getitem("ellipsis and negative", (Ellipsis, -1)),
        getitem("integer array, repeated", np.array([0, 2, 2, 3])),
        getitem("boolean mask", np.array([True, False, True, True])),
    ],
    "pad": lambda: [
        pad("one pair per axis", (2, 3, 4), ((0, 0), (1, 2), (2, 1))),
        pad("int, value", (3, 4), 1, 0.5),
    ],
    "conv2d": lambda: [
        conv("stride 1, padding 0, bias", (2, 5, 6, 3), (3, 3, 3, 4), True),
        conv("stride 1, padding 1, no bias", (2, 5, 4, 2), (3, 3, 2, 3), False, 1, 1),
        conv("stride 2, padding 1, bias", (2, 7, 6, 3), (3, 3, 3, 2), True, 2, 1),
        conv("padding same, non-square kernel", (1, 6, 5, 2), (2, 3, 2, 3), True, 1, "same"),
        conv("padding valid, stride pair, non-square input", (2, 8, 5, 1), (3, 2, 1, 4), True, (2, 1), "valid"),
        conv("padding pair, single channel (MNIST-like)", (3, 6, 6, 1), (3, 3, 1, 8), True, 1, (1, 2)),
    ],
    "conv2d_relu_maxpool2d": lambda: [
        fused("MNIST layer shape: 3x3 pad 1, pool 2", (2, 6, 6, 1), (3, 3, 1, 4), 1, 1),
        fused("stride 2, several channels", (2, 9, 8, 2), (3, 3, 2, 3), 2, 1),
        fused("pool 3, odd size (floor drops a row)", (1, 8, 7, 2), (2, 2, 2, 3), 1, 0, 3),
        fused("padding same, non-square kernel", (2, 5, 6, 2), (2, 3, 2, 2), 1, "same"),
    ],
    "max_pool2d": lambda: [
        pool("max_pool2d", "2x2 stride 2", (2, 6, 4, 3), 2),
        pool("max_pool2d", "overlapping 3x3 stride 2", (2, 7, 7, 2), 3, 2),
        pool("max_pool2d", "non-dividing 2x2 on 5x7", (1, 5, 7, 3), 2),
        pool("max_pool2d", "non-square kernel", (2, 6, 5, 2), (3, 2), (1, 2)),
    ],
    "avg_pool2d": lambda: [
        pool("avg_pool2d", "2x2 stride 2", (2, 6, 4, 3), 2),
        pool("avg_pool2d", "overlapping 3x3 stride 2", (2, 7, 7, 2), 3, 2),
        pool("avg_pool2d", "non-dividing 2x2 on 5x7", (1, 5, 7, 3), 2),
        pool("avg_pool2d", "non-square kernel", (2, 6, 5, 2), (3, 2), (1, 2)),
    ],
    "cross_entropy": lambda: [
        cross_entropy("index targets, mean", normal(5, 4), _labels),
        cross_entropy("index targets, sum", normal(5, 4), _labels, "sum"),
        cross_entropy("index targets, none", normal(5, 4), _labels, "none"),
        cross_entropy("one-hot targets", normal(5, 4), one_hot(_labels, 4)),
        cross_entropy("probability targets", normal(5, 4), _probs, "none"),
        cross_entropy("large logits (1e4)", normal(5, 4) * 1e4 / 3, _labels, "none"),
    ],
    "hinge": lambda: [
        # Scores on a 0.3 grid keep every margin + s_j - s_y at least 0.1 away from the kink.
        hinge("index targets, mean", distinct(5, 4) * 6, _labels),
        hinge("index targets, sum, margin 2", distinct(5, 4) * 6, _labels, 2.0, "sum"),
        hinge("one-hot targets, none", distinct(5, 4) * 6, one_hot(_labels, 4), 1.0, "none"),
    ],
}


def _seeded(name: str, build: Callable[[], list[Sample]]) -> list[Sample]:
    """Build one op's samples from a generator seeded by the op's name alone."""
    global rng
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return build()


SAMPLES: dict[str, list[Sample]] = {name: _seeded(name, build) for name, build in BUILDERS.items()}
