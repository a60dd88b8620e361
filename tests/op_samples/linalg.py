"""Samples for the linalg ops."""

from __future__ import annotations

from collections.abc import Callable

from .common import Sample, normal

BUILDERS: dict[str, Callable[[], list[Sample]]] = {
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
}
