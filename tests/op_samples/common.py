"""What every op family's samples are made of: `Sample`, seeded value generators, torch layout helpers.

`SAMPLES[name]` lists `Sample`s: `args` are float64 arrays the op is differentiated in, `kwargs`
are constants, `torch` maps torch tensors (same order as args) to the reference result (layouts
transposed as needed: this library is channels-last). Values avoid ties and kinks (ReLU at 0,
equal maxima) so finite differences are meaningful.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

rng = np.random.default_rng()  # reseeded per op by `seeded`: adding a sample to one op changes no other


@dataclass
class Sample:
    desc: str
    args: tuple[np.ndarray, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    torch: Callable[..., Any] | None = None
    consts: tuple[Any, ...] = ()  # positional constants after the differentiated args
    call: Callable[..., Any] | None = None  # how to call the op when not `fn(*args, *consts, **kwargs)`
    packed: bool = False  # the op takes the differentiated args as one list (cat, stack); torch gets them apart
    out_dtype: Any = None  # the output's dtype from float32 inputs, when the op changes it (astype)


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


def seeded(name: str, build: Callable[[], list[Sample]]) -> list[Sample]:
    """Build one op's samples from a generator seeded by the op's name alone."""
    global rng
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return build()

