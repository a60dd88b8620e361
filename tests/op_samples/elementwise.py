"""Samples for the elementwise ops."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinygrad_np import functional as F

from .common import Sample, _tf, _torch, away_from_zero, distinct, normal, positive


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


def where_sample(desc: str, cond_shape, a_shape, b_shape) -> Sample:
    condition = normal(*cond_shape) > 0
    return Sample(
        desc, (normal(*a_shape), normal(*b_shape)), torch=lambda a, b: _torch().where(_torch().tensor(condition), a, b),
        call=lambda a, b: F.where(condition, a, b),
    )


def comparison(name: str) -> list[Sample]:
    """Values on a grid, some pairs equal, so that every comparison sees <, = and >."""
    a = np.round(normal(4, 5) * 2) / 2
    b = np.round(normal(4, 5) * 2) / 2
    b[::2] = a[::2]

    def ref(x, y):
        return getattr(_torch(), name)(x, y)

    return [
        Sample("same shape, some equal", (a, b), torch=ref),
        Sample("broadcast against a row", (a, b[0]), torch=ref),
        Sample("against a Python number", (a,), torch=lambda x: getattr(_torch(), name)(x, 0.5), consts=(0.5,)),
    ]


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
    "abs": lambda: unary("abs", away_from_zero),
    "maximum": lambda: binary("maximum", make_b=lambda *shape: distinct(*shape) + 0.01),
    "minimum": lambda: binary("minimum", make_b=lambda *shape: distinct(*shape) + 0.01),
    "clip": lambda: [
        Sample("both bounds", (distinct(3, 5) * 0.5 + 0.013,), {"min": -0.4, "max": 0.6},
               lambda x: _torch().clamp(x, -0.4, 0.6)),
        Sample("min only", (distinct(4, 3) * 0.5 + 0.013,), {"min": 0.1}, lambda x: _torch().clamp(x, min=0.1)),
        Sample("max only, 0-D", (normal(),), {"max": 5.0}, lambda x: _torch().clamp(x, max=5.0)),
    ],
    "where": lambda: [
        where_sample("same shape", (3, 4), (3, 4), (3, 4)),
        where_sample("condition and operands broadcast", (3, 1), (1, 4), (4,)),
    ],
    **{name: (lambda name=name: comparison(name)) for name in ("lt", "le", "gt", "ge", "eq", "ne")},
    "sin": lambda: unary("sin"),
    "cos": lambda: unary("cos"),
    "log1p": lambda: unary("log1p", lambda *shape: positive(*shape) - 0.4),
    "expm1": lambda: unary("expm1"),
    "erf": lambda: unary("erf"),
    "astype": lambda: [
        Sample("to float64", (normal(3, 4),), {"dtype": np.float64}, lambda x: x.to(_torch().float64),
               out_dtype=np.float64),
    ],
    "silu": lambda: [Sample("matrix", (normal(3, 4) * 2,), torch=lambda x: _tf().silu(x))],
    "leaky_relu": lambda: [
        Sample("default slope", (away_from_zero(3, 4),), {}, lambda x: _tf().leaky_relu(x)),
        Sample("slope 0.2", (away_from_zero(2, 3, 2),), {"negative_slope": 0.2}, lambda x: _tf().leaky_relu(x, 0.2)),
    ],
    "elu": lambda: [
        Sample("alpha 1", (away_from_zero(3, 4),), {}, lambda x: _tf().elu(x)),
        Sample("alpha 0.5", (away_from_zero(2, 3, 2),), {"alpha": 0.5}, lambda x: _tf().elu(x, 0.5)),
    ],
    "gelu": lambda: [
        Sample("exact (erf)", (normal(3, 4) * 2,), {}, lambda x: _tf().gelu(x)),
        Sample("tanh approximation", (normal(2, 5) * 2,), {"approximate": "tanh"},
               lambda x: _tf().gelu(x, approximate="tanh")),
    ],
    "softplus": lambda: [
        Sample("default", (normal(3, 4) * 3,), {}, lambda x: _tf().softplus(x)),
        Sample("beta 2, linear region past threshold 5", (np.array([-3.0, -0.5, 0.4, 1.7, 4.0, 9.0]),),
               {"beta": 2.0, "threshold": 5.0}, lambda x: _tf().softplus(x, beta=2.0, threshold=5.0)),
    ],
}
