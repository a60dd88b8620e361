"""Weight initialization, drawing from the library's seeded generator (`tinygrad_np.rng`)."""

from __future__ import annotations

import numpy as np

from ..rng import generator, manual_seed

__all__ = ["generator", "he_normal", "manual_seed", "xavier_uniform"]


def xavier_uniform(shape: tuple[int, ...], fan_in: int, fan_out: int) -> np.ndarray:
    """Glorot/Xavier uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), as float32."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return generator().uniform(-limit, limit, size=shape).astype(np.float32)


def he_normal(shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """He/Kaiming normal: N(0, 2 / fan_in), as float32 (suits ReLU)."""
    return (generator().standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
