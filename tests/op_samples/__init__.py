"""Sample inputs for every registered op, with the PyTorch expression that computes the same.

One module per op family (the same names as `tinygrad_np/ops/`), each with a `BUILDERS` dict: op name
-> a function returning the op's `Sample`s. Each builder runs with a generator seeded by the op's
name alone, so adding a sample to one op changes no other op's values.
"""

from __future__ import annotations

from . import common, conv, elementwise, linalg, loss, norm, pool, reduce, shape
from .common import Sample

FAMILIES = (elementwise, linalg, reduce, shape, conv, pool, loss, norm)

SAMPLES: dict[str, list[Sample]] = {}
for _family in FAMILIES:
    for _name, _build in _family.BUILDERS.items():
        assert _name not in SAMPLES, f"op {_name!r} has samples in two families"
        SAMPLES[_name] = common.seeded(_name, _build)

__all__ = ["SAMPLES", "Sample"]
