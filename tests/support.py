"""Small data and models shared by the tests."""

from __future__ import annotations

import os

import numpy as np

from tinygrad_np import nn


def blobs(n: int = 240, k: int = 3, d: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` float32 points in `d` dimensions around `k` well-separated centres, and their labels."""
    g = np.random.default_rng(seed)
    centers = g.standard_normal((k, d)) * 3
    y = g.integers(0, k, n)
    return (centers[y] + g.standard_normal((n, d))).astype(np.float32), y


def small_model(seed: int = 0) -> nn.CNN:
    """A two-layer dense model for `blobs`."""
    nn.manual_seed(seed)
    return nn.CNN(nn.Dense(8, 4, "relu"), nn.Dense(3, 8, "softmax"))


def params_of(model) -> dict[str, np.ndarray]:
    """A copy of every parameter's values by name."""
    return {name: t.numpy().copy() for name, t in model.named_parameters()}


def examples(n: int) -> int:
    """A property test's number of examples: `n`, times TINYGRAD_NP_HYPOTHESIS_SCALE when set (to search harder)."""
    return n * int(os.environ.get("TINYGRAD_NP_HYPOTHESIS_SCALE", "1"))
