"""2-D max and average pooling over (N, H, W, C), any kernel, stride and padding (floor, like PyTorch).

`kernel`, `stride` and `padding` reach the ops as pairs. Max pooling pads with -inf (a padded
pixel is never a window's maximum), average pooling with zeros.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Op
from ..checks import check_pair, describe
from ..tensor import Tensor
from .arguments import image
from .conv import conv_transpose2d
from .registry import register
from .windows import (
    first_max_masks,
    kernel_offsets,
    output_size,
    pad_image,
    scatter_windows,
    sliding_windows,
    unpad_image,
)


def pool_arguments(fn: str, x: Any, kernel_size: Any, stride: Any, padding: Any) -> tuple[Tensor, dict[str, Any]]:
    """The image and normalized parameters of a pool: kernel, stride (defaults to the kernel) and
    padding pairs; as in PyTorch, padding may be at most half the kernel."""
    x = image(fn, x)
    kernel = check_pair(fn, "kernel_size", kernel_size, minimum=1)
    stride = kernel if stride is None else check_pair(fn, "stride", stride, minimum=1)
    padding = check_pair(fn, "padding", padding, minimum=0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{fn}: `padding` must be at most half of `kernel_size` {kernel}, got {describe(padding)}")
    h, w = x.shape[1] + 2 * padding[0], x.shape[2] + 2 * padding[1]
    if kernel[0] > h or kernel[1] > w:
        raise ValueError(f"{fn}: kernel {kernel[0]}x{kernel[1]} is larger than the padded input {h}x{w}")
    return x, {"kernel": kernel, "stride": stride, "padding": padding}


def spread(ctx: Op, pieces: Tensor, weight: np.ndarray) -> Tensor:
    """Add window values back onto the input's pixels with Tensor ops (for create_graph): a
    transposed depthwise conv of `pieces` (N, H_out, W_out, C * m), m values per window and channel,
    with the constant `weight` (kh, kw, 1, C * m) choosing where each lands; padding is cropped."""
    kernel, stride, padding = ctx.params["kernel"], ctx.params["stride"], ctx.params["padding"]
    sizes = zip(ctx.parents[0].shape[1:3], padding, pieces.shape[1:3], stride, kernel)
    output_padding = tuple(size + 2 * pad - (out - 1) * s - k for size, pad, out, s, k in sizes)  # rows floor dropped
    groups = ctx.parents[0].shape[3]
    weight = weight.astype(pieces.dtype)
    return conv_transpose2d(pieces, weight, None, stride, padding, output_padding, groups=groups)


def both_sides(padding: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """(ph, pw) as pad_image's ((top, bottom), (left, right))."""
    return (padding[0], padding[0]), (padding[1], padding[1])


def running_max(candidates: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The elementwise maximum of `candidates` and, for each element, the index of the first
    candidate that reaches it (uint8; a later one wins only when strictly greater)."""
    if len(candidates) == 1:
        return candidates[0].copy(), np.zeros(candidates[0].shape, np.uint8)
    best, pick = candidates[0], None
    for index, candidate in enumerate(candidates[1:], 1):  # the winner: the last to beat the best so far
        beats = (candidate > best).view(np.uint8)
        pick = beats if pick is None else np.maximum(pick, beats * np.uint8(index))
        best = np.maximum(best, candidate)
    return best, pick


class MaxPool2d(Op):
    """Each window's gradient goes to one input: its first maximum in row-major order (like PyTorch).

    Windows that tile the image (stride = kernel, the common case) take the maximum in two passes:
    along each window row (kw strided slices), then over the kh row maxima; the first maximum of
    the first row holding the window's maximum is the row-major first. Each pass remembers which
    slice won, and backward routes the gradient back through the two passes. Overlapping windows
    loop over the kh * kw kernel offsets. Each step is a whole-batch array operation.
    """

    def forward(self, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0)):
        self.padding = both_sides(padding)
        x = pad_image(x, self.padding, -np.inf)
        n, h, w, c = x.shape
        (kh, kw), out_hw = kernel, (output_size(h, kernel[0], stride[0]), output_size(w, kernel[1], stride[1]))
        self.x, self.kernel, self.stride, self.out_hw, self.tiles = x, kernel, stride, out_hw, kernel == stride
        if self.tiles:  # the window rows' maxima (N, Ho * kh, Wo, C), then the windows'
            covered = x[:, : out_hw[0] * kh, : out_hw[1] * kw]
            row_max, self.column_pick = running_max([covered[:, :, j::kw] for j in range(kw)])
            self.out, self.row_pick = running_max([row_max[:, i::kh] for i in range(kh)])
            return self.out
        out = None
        for _, _, window in self.offsets():
            out = x[window].copy() if out is None else np.maximum(out, x[window], out=out)
        self.out = out
        return out

    def offsets(self) -> list[tuple[int, int, tuple[slice, ...]]]:
        """The kernel offsets' windows (`kernel_offsets`) of this pool."""
        return list(kernel_offsets(self.kernel, self.stride, self.out_hw))

    def backward(self, grad):
        grad_x = np.zeros_like(self.x)
        if self.tiles:
            (kh, kw), (n, ho, wo, c) = self.kernel, grad.shape
            grad_rows = np.empty((n, ho * kh, wo, c), grad.dtype)
            for i in range(kh):
                np.multiply(grad, self.row_pick == i, out=grad_rows[:, i::kh])
            for j in range(kw):
                np.multiply(grad_rows, self.column_pick == j, out=grad_x[:, : ho * kh, j : wo * kw : kw])
            return unpad_image(grad_x, self.padding)
        windows = [window for _, _, window in self.offsets()]
        for window, hit in zip(windows, first_max_masks((self.x[w] for w in windows), self.out)):
            grad_x[window] += grad * hit
        return unpad_image(grad_x, self.padding)

    def vjp(self, grad, out):
        """The same routing, linear in `grad` with constant masks: the kh * kw masked copies of `grad`
        (channel c, offset k at channel c * kh * kw + k) spread by one-hot kernels."""
        windows = [window for _, _, window in self.offsets()]
        hits = np.stack(list(first_max_masks((self.x[w] for w in windows), self.out))).astype(grad.dtype)
        (kh, kw), (n, h, w, c), taps = self.params["kernel"], grad.shape, len(windows)
        pieces = (grad.reshape(1, n, h, w, c) * hits).permute(1, 2, 3, 4, 0).reshape(n, h, w, c * taps)
        return spread(self, pieces, np.tile(np.eye(taps).reshape(kh, kw, 1, taps), (1, 1, 1, c)))


@register(MaxPool2d)
def max_pool2d(x: Any, kernel_size: Any = 2, stride: Any = None, padding: Any = 0) -> Tensor:
    """Max pooling over (N, H, W, C), as PyTorch's max_pool2d; stride defaults to the kernel;
    padding (int or pair, at most half the kernel) adds -inf borders; each window's gradient goes
    to its first maximum. H_out = (H + 2 * padding - kh) // stride + 1."""
    x, params = pool_arguments("max_pool2d", x, kernel_size, stride, padding)
    return MaxPool2d.apply(x, **params)


class AvgPool2d(Op):
    """Each window's mean; its gradient is shared evenly by the pixels it averaged."""

    def forward(self, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), count_include_pad=True):
        self.padding = both_sides(padding)
        padded = pad_image(x, self.padding)
        self.padded_shape, self.kernel, self.stride = padded.shape, kernel, stride
        sums = sliding_windows(padded, kernel, stride).sum(axis=(3, 4), dtype=x.dtype)
        if count_include_pad or padding == (0, 0):
            self.counts = np.asarray(kernel[0] * kernel[1], x.dtype)
        else:  # the real pixels in each window: the window sums of a padded image of ones
            ones = pad_image(np.ones((1, *x.shape[1:3], 1), x.dtype), self.padding)
            self.counts = sliding_windows(ones, kernel, stride).sum(axis=(3, 4))
        return sums / self.counts

    def backward(self, grad):
        (kh, kw), (n, h, w, c) = self.kernel, self.padded_shape
        share = (grad / self.counts).transpose(0, 3, 1, 2)  # channels first: (N, C, Ho, Wo)
        share = np.broadcast_to(share, (kh, kw, *share.shape))
        image = scatter_windows(share, (n, c, h, w), self.stride).transpose(0, 2, 3, 1)
        return unpad_image(image, self.padding)

    def vjp(self, grad, out):
        """The same spread with Tensor ops: a transposed depthwise conv with a kernel of ones."""
        return spread(self, grad / self.counts, np.ones((*self.kernel, 1, grad.shape[3])))


@register(AvgPool2d)
def avg_pool2d(
    x: Any, kernel_size: Any = 2, stride: Any = None, padding: Any = 0, count_include_pad: bool = True
) -> Tensor:
    """Average pooling over (N, H, W, C), as PyTorch's avg_pool2d; stride defaults to the kernel;
    padding (int or pair, at most half the kernel) adds zero borders, counted in each window's
    divisor when `count_include_pad` (else each window divides by its real pixels only).
    H_out = (H + 2 * padding - kh) // stride + 1."""
    if not isinstance(count_include_pad, (bool, np.bool_)):
        raise TypeError(f"avg_pool2d: `count_include_pad` must be a bool, got {describe(count_include_pad)}")
    x, params = pool_arguments("avg_pool2d", x, kernel_size, stride, padding)
    return AvgPool2d.apply(x, **params, count_include_pad=bool(count_include_pad))
