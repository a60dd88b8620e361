"""Samples for the pool ops."""

from __future__ import annotations

from collections.abc import Callable

from .common import Sample, _tf, distinct, nchw, nhwc


def pool(name: str, desc: str, x_shape, kernel, stride=None) -> Sample:
    def ref(x):
        return nhwc(getattr(_tf(), name)(nchw(x), kernel, stride))

    return Sample(desc, (distinct(*x_shape),), {"kernel_size": kernel, "stride": stride}, ref)


BUILDERS: dict[str, Callable[[], list[Sample]]] = {
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
}
