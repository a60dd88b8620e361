"""The library's seeded random generator: layer initializers and dropout draw from it, so
`manual_seed(s)` makes a run (weights and dropout masks) repeat exactly."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reseed the generator that layer initializers and dropout draw from (for reproducible runs)."""
    global _generator
    _generator = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    """The generator layer initializers and dropout draw from."""
    return _generator


def get_state() -> dict:
    """The generator's state, JSON-able (for training checkpoints)."""
    return _generator.bit_generator.state


def set_state(state: dict) -> None:
    """Restore a state returned by `get_state`."""
    _generator.bit_generator.state = state
