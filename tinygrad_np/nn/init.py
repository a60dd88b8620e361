"""Weight initialization and the library's seeded random generator."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reseed the generator that layer initializers draw from (for reproducible models)."""
    global _generator
    _generator = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    """The generator layer initializers draw from."""
    return _generator


def xavier_uniform(shape: tuple[int, ...], fan_in: int, fan_out: int) -> np.ndarray:
    """Glorot/Xavier uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), as float32."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return _generator.uniform(-limit, limit, size=shape).astype(np.float32)


def he_normal(shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """He/Kaiming normal: N(0, 2 / fan_in), as float32 (suits ReLU)."""
    return (_generator.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
