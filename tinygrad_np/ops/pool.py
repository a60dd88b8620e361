"""2-D max and average pooling over (N, H, W, C), any kernel and stride (floor, like PyTorch).

`kernel` and `stride` reach the ops as pairs.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Op
from .registry import register
from .windows import first_max_masks, kernel_offsets, output_size, scatter_windows, sliding_windows


@register("max_pool2d")
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


@register("avg_pool2d")
class AvgPool2d(Op):
    def forward(self, x, kernel=(2, 2), stride=(2, 2)):
        self.x_shape, self.kernel, self.stride = x.shape, kernel, stride
        return sliding_windows(x, kernel, stride).mean(axis=(3, 4), dtype=x.dtype)

    def backward(self, grad):
        kh, kw = self.kernel
        share = np.broadcast_to(grad / np.asarray(kh * kw, grad.dtype), (kh, kw, *grad.shape))
        return scatter_windows(share, self.x_shape, self.stride)
