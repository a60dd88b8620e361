"""Samples for the conv ops."""

from __future__ import annotations

from collections.abc import Callable

from .common import Sample, _tf, _torch, distinct, nchw, nhwc, normal


def conv(desc: str, x_shape, w_shape, bias: bool, stride=1, padding=0, **more) -> Sample:
    """A conv2d sample; `more` holds dilation and groups. Weights (kh, kw, C_in // groups, C_out)
    are PyTorch's (C_out, C_in // groups, kh, kw) permuted."""

    def ref(x, w, b=None):
        return nhwc(_tf().conv2d(nchw(x), w.permute(3, 2, 0, 1), b, stride=stride, padding=padding, **more))

    args = (normal(*x_shape), normal(*w_shape)) + ((normal(w_shape[3]),) if bias else ())
    return Sample(desc, args, {"stride": stride, "padding": padding, **more}, ref)


def transposed(desc: str, x_shape, w_shape, bias: bool, stride=1, padding=0, **more) -> Sample:
    """A conv_transpose2d sample; weights (kh, kw, C_out // groups, C_in) are PyTorch's
    (C_in, C_out // groups, kh, kw) permuted the same way as conv2d's."""

    def ref(x, w, b=None):
        return nhwc(_tf().conv_transpose2d(nchw(x), w.permute(3, 2, 0, 1), b, stride=stride, padding=padding, **more))

    c_out = w_shape[2] * more.get("groups", 1)
    args = (normal(*x_shape), normal(*w_shape)) + ((normal(c_out),) if bias else ())
    return Sample(desc, args, {"stride": stride, "padding": padding, **more}, ref)


def weight_gradient(desc: str, x_shape, w_shape, out_hw, stride=1, padding=0, **more) -> Sample:
    """A conv2d_weight sample: x and the conv's output gradient (N, *out_hw, C_out) are differentiated;
    the reference is PyTorch's weight gradient of its conv2d, recorded for double backward."""

    def ref(x, grad_output):
        torch = _torch()
        w = torch.zeros(w_shape[3], w_shape[2], *w_shape[:2], dtype=x.dtype, requires_grad=True)
        y = _tf().conv2d(nchw(x), w, stride=stride, padding=padding, **more)
        return torch.autograd.grad(y, w, nchw(grad_output), create_graph=True)[0].permute(2, 3, 1, 0)

    args = (normal(*x_shape), normal(x_shape[0], *out_hw, w_shape[3]))
    return Sample(desc, args, {"kernel_size": w_shape[:2], "stride": stride, "padding": padding, **more}, ref)


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
        conv("dilation 2, padding 2", (2, 7, 6, 2), (3, 3, 2, 3), True, 1, 2, dilation=2),
        conv("dilation pair, stride 2, no bias", (1, 9, 8, 2), (2, 3, 2, 2), False, 2, (1, 0), dilation=(2, 1)),
        conv("groups 2, stride 2, padding 1", (2, 6, 7, 4), (3, 3, 2, 6), True, 2, 1, groups=2),
        conv("depthwise (groups = C_in), channel multiplier 2", (2, 5, 6, 3), (3, 3, 1, 6), True, 1, 1, groups=3),
        conv("groups 3, dilation, padding same", (1, 7, 6, 3), (3, 2, 1, 3), False, 1, "same", dilation=2, groups=3),
    ],
    "conv2d_weight": lambda: [
        weight_gradient("stride 1, padding 0", (2, 5, 6, 3), (3, 3, 3, 4), (3, 4)),
        weight_gradient("stride 2, padding 1 (floor drops a row)", (2, 6, 5, 2), (3, 3, 2, 3), (3, 3), 2, 1),
        weight_gradient("padding same, non-square kernel", (1, 6, 5, 2), (2, 3, 2, 3), (6, 5), 1, "same"),
        weight_gradient("dilation pair, stride pair", (1, 9, 8, 2), (2, 3, 2, 2), (5, 3), 2, (1, 0), dilation=(2, 1)),
        weight_gradient("groups 2, padding 1", (2, 5, 5, 4), (3, 3, 2, 6), (5, 5), 1, 1, groups=2),
        weight_gradient("depthwise (groups = C_in)", (2, 5, 6, 3), (3, 3, 1, 6), (3, 4), 1, 0, groups=3),
    ],
    "conv_transpose2d": lambda: [
        transposed("stride 1, padding 0, bias", (2, 4, 5, 3), (3, 3, 2, 3), True),
        transposed("stride 2, padding 1, no bias", (2, 4, 3, 2), (3, 3, 3, 2), False, 2, 1),
        transposed("stride 2, output_padding 1", (1, 3, 4, 2), (3, 3, 2, 2), True, 2, 1, output_padding=1),
        transposed("non-square kernel, stride pair", (2, 3, 4, 3), (2, 3, 2, 3), True, (2, 1), (1, 0)),
        transposed("dilation 2, padding pair", (1, 4, 4, 2), (3, 2, 3, 2), True, 1, (2, 1), dilation=2),
        transposed("groups 2, stride 2", (2, 3, 3, 4), (3, 3, 3, 4), True, 2, 1, output_padding=(1, 0), groups=2),
        transposed("depthwise (groups = C_in)", (2, 4, 5, 3), (2, 2, 1, 3), False, 1, 0, groups=3),
    ],
    "conv2d_relu_maxpool2d": lambda: [
        fused("MNIST layer shape: 3x3 pad 1, pool 2", (2, 6, 6, 1), (3, 3, 1, 4), 1, 1),
        fused("stride 2, several channels", (2, 9, 8, 2), (3, 3, 2, 3), 2, 1),
        fused("pool 3, odd size (floor drops a row)", (1, 8, 7, 2), (2, 2, 2, 3), 1, 0, 3),
        fused("padding same, non-square kernel", (2, 5, 6, 2), (2, 3, 2, 2), 1, "same"),
    ],
}
