"""2-D max and average pooling over (N, H, W, C), any kernel and stride (floor, like PyTorch).

`kernel` and `stride` reach the ops as pairs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Op
from ..checks import check_pair
from ..tensor import Tensor
from .arguments import image
from .registry import register
from .windows import first_max_masks, kernel_offsets, output_size, scatter_windows, sliding_windows


def pool_arguments(fn: str, x: Any, kernel_size: Any, stride: Any) -> tuple[Tensor, dict[str, Any]]:
    """The image and normalized parameters of a pool: kernel and stride pairs (stride defaults to the kernel)."""
    x = image(fn, x)
    kernel = check_pair(fn, "kernel_size", kernel_size, minimum=1)
    stride = kernel if stride is None else check_pair(fn, "stride", stride, minimum=1)
    if kernel[0] > x.shape[1] or kernel[1] > x.shape[2]:
        raise ValueError(f"{fn}: kernel {kernel[0]}x{kernel[1]} is larger than the input {x.shape[1]}x{x.shape[2]}")
    return x, {"kernel": kernel, "stride": stride}


class MaxPool2d(Op):
    """Each window's gradient goes to one input: its first maximum in row-major order (like PyTorch).

    Both directions loop over the kh * kw kernel offsets, each step a whole-batch array operation.
    """

    def forward(self, x, kernel=(2, 2), stride=(2, 2)):
        n, h, w, c = x.shape
        out_hw = (output_size(h, kernel[0], stride[0]), output_size(w, kernel[1], stride[1]))
        self.x, self.offsets = x, list(kernel_offsets(kernel, stride, out_hw))
        out = None
        for _, _, window in self.offsets:
            out = x[window].copy() if out is None else np.maximum(out, x[window], out=out)
        self.out = out
        return out

    def backward(self, grad):
        grad_x = np.zeros_like(self.x)
        windows = [window for _, _, window in self.offsets]
        for window, hit in zip(windows, first_max_masks((self.x[w] for w in windows), self.out)):
            grad_x[window] += grad * hit
        return grad_x


@register(MaxPool2d)
def max_pool2d(x: Any, kernel_size: Any = 2, stride: Any = None) -> Tensor:
    """Max pooling over (N, H, W, C); stride defaults to the kernel; each window's gradient goes
    to its first maximum. Output size floors, like PyTorch."""
    x, params = pool_arguments("max_pool2d", x, kernel_size, stride)
    return MaxPool2d.apply(x, **params)


class AvgPool2d(Op):
    def forward(self, x, kernel=(2, 2), stride=(2, 2)):
        self.x_shape, self.kernel, self.stride = x.shape, kernel, stride
        return sliding_windows(x, kernel, stride).mean(axis=(3, 4), dtype=x.dtype)

    def backward(self, grad):
        kh, kw = self.kernel
        share = np.broadcast_to(grad / np.asarray(kh * kw, grad.dtype), (kh, kw, *grad.shape))
        return scatter_windows(share, self.x_shape, self.stride)


@register(AvgPool2d)
def avg_pool2d(x: Any, kernel_size: Any = 2, stride: Any = None) -> Tensor:
    """Average pooling over (N, H, W, C); stride defaults to the kernel; output size floors."""
    x, params = pool_arguments("avg_pool2d", x, kernel_size, stride)
    return AvgPool2d.apply(x, **params)
