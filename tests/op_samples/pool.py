"""Samples for the pool ops."""

from __future__ import annotations

from collections.abc import Callable

from .common import Sample, _tf, distinct, nchw, nhwc


def pool(name: str, desc: str, x_shape, kernel, stride=None, padding=0, **more) -> Sample:
    def ref(x):
        return nhwc(getattr(_tf(), name)(nchw(x), kernel, stride, padding, **more))

    kwargs = {"kernel_size": kernel, "stride": stride, "padding": padding, **more}
    return Sample(desc, (distinct(*x_shape),), kwargs, ref)


BUILDERS: dict[str, Callable[[], list[Sample]]] = {
    "max_pool2d": lambda: [
        pool("max_pool2d", "2x2 stride 2", (2, 6, 4, 3), 2),
        pool("max_pool2d", "overlapping 3x3 stride 2", (2, 7, 7, 2), 3, 2),
        pool("max_pool2d", "non-dividing 2x2 on 5x7", (1, 5, 7, 3), 2),
        pool("max_pool2d", "non-square kernel", (2, 6, 5, 2), (3, 2), (1, 2)),
        pool("max_pool2d", "3x3 stride 2 padding 1", (2, 7, 6, 2), 3, 2, 1),
        pool("max_pool2d", "padding pair, non-square kernel", (1, 5, 6, 3), (2, 3), (1, 2), (1, 1)),
        pool("max_pool2d", "2x2 padding 1, default stride", (2, 5, 4, 2), 2, None, 1),
    ],
    "avg_pool2d": lambda: [
        pool("avg_pool2d", "2x2 stride 2", (2, 6, 4, 3), 2),
        pool("avg_pool2d", "overlapping 3x3 stride 2", (2, 7, 7, 2), 3, 2),
        pool("avg_pool2d", "non-dividing 2x2 on 5x7", (1, 5, 7, 3), 2),
        pool("avg_pool2d", "non-square kernel", (2, 6, 5, 2), (3, 2), (1, 2)),
        pool("avg_pool2d", "3x3 stride 2 padding 1, padding counted", (2, 7, 6, 2), 3, 2, 1),
        pool("avg_pool2d", "3x3 stride 2 padding 1, not counted", (2, 7, 6, 2), 3, 2, 1, count_include_pad=False),
        pool("avg_pool2d", "padding pair, not counted", (1, 5, 6, 3), (2, 3), (1, 2), (1, 1), count_include_pad=False),
    ],
}
