"""Samples for the elementwise ops."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .common import Sample, _torch, away_from_zero, normal, positive


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
}
