"""Samples for the conv ops."""

from __future__ import annotations

from collections.abc import Callable

from .common import Sample, _tf, distinct, nchw, nhwc, normal


def conv(desc: str, x_shape, w_shape, bias: bool, stride=1, padding=0) -> Sample:
    def ref(x, w, b=None):
        return nhwc(_tf().conv2d(nchw(x), w.permute(3, 2, 0, 1), b, stride=stride, padding=padding))

    args = (normal(*x_shape), normal(*w_shape)) + ((normal(w_shape[3]),) if bias else ())
    return Sample(desc, args, {"stride": stride, "padding": padding}, ref)

def fused(desc: str, x_shape, w_shape, stride=1, padding=0, pool=2) -> Sample:
    def ref(x, w, b):
        z = _tf().conv2d(nchw(x), w.permute(3, 2, 0, 1), b, stride=stride, padding=padding)
        return nhwc(_tf().max_pool2d(_tf().relu(z), pool))

    # Distinct weights and inputs keep conv outputs apart: no ties inside a pooling window.
    args = (distinct(*x_shape) / 3, distinct(*w_shape) / 2, normal(w_shape[3]) * 0.1)
    return Sample(desc, args, {"stride": stride, "padding": padding, "pool": pool}, ref)


BUILDERS: dict[str, Callable[[], list[Sample]]] = {
    "conv2d": lambda: [
        conv("stride 1, padding 0, bias", (2, 5, 6, 3), (3, 3, 3, 4), True),
        conv("stride 1, padding 1, no bias", (2, 5, 4, 2), (3, 3, 2, 3), False, 1, 1),
        conv("stride 2, padding 1, bias", (2, 7, 6, 3), (3, 3, 3, 2), True, 2, 1),
        conv("padding same, non-square kernel", (1, 6, 5, 2), (2, 3, 2, 3), True, 1, "same"),
        conv("padding valid, stride pair, non-square input", (2, 8, 5, 1), (3, 2, 1, 4), True, (2, 1), "valid"),
        conv("padding pair, single channel (MNIST-like)", (3, 6, 6, 1), (3, 3, 1, 8), True, 1, (1, 2)),
    ],
    "conv2d_relu_maxpool2d": lambda: [
        fused("MNIST layer shape: 3x3 pad 1, pool 2", (2, 6, 6, 1), (3, 3, 1, 4), 1, 1),
        fused("stride 2, several channels", (2, 9, 8, 2), (3, 3, 2, 3), 2, 1),
        fused("pool 3, odd size (floor drops a row)", (1, 8, 7, 2), (2, 2, 2, 3), 1, 0, 3),
        fused("padding same, non-square kernel", (2, 5, 6, 2), (2, 3, 2, 2), 1, "same"),
    ],
}
