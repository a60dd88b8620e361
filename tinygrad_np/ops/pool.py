"""2-D max and average pooling over (N, H, W, C), any kernel and stride (floor, like PyTorch).

`kernel` and `stride` reach the ops as pairs.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Op
from .registry import register
from .windows import scatter_windows, sliding_windows


@register("max_pool2d")
class MaxPool2d(Op):
    """Each window's gradient goes to one input: its first maximum in row-major order (like PyTorch)."""

    def forward(self, x, kernel=(2, 2), stride=(2, 2)):
        n, ho, wo, kh, kw, c = (windows := sliding_windows(x, kernel, stride)).shape
        flat = windows.reshape(n, ho, wo, kh * kw, c)
        self.argmax = flat.argmax(axis=3)
        self.x_shape, self.dtype, self.kernel, self.stride = x.shape, x.dtype, kernel, stride
        return np.take_along_axis(flat, self.argmax[:, :, :, None, :], axis=3)[:, :, :, 0, :]

    def backward(self, grad):
        n, h, w, c = self.x_shape
        (kh, kw), (sh, sw) = self.kernel, self.stride
        _, ho, wo, _ = grad.shape
        row = np.arange(ho)[:, None, None] * sh + self.argmax // kw
        col = np.arange(wo)[None, :, None] * sw + self.argmax % kw
        target = ((np.arange(n)[:, None, None, None] * h + row) * w + col) * c + np.arange(c)
        if sh >= kh and sw >= kw:  # windows do not overlap: each input is hit at most once
            out = np.zeros(n * h * w * c, dtype=self.dtype)
            out[target.ravel()] = grad.ravel()
        else:
            out = np.bincount(target.ravel(), weights=grad.ravel(), minlength=n * h * w * c)
        return out.reshape(self.x_shape).astype(self.dtype, copy=False)


@register("avg_pool2d")
class AvgPool2d(Op):
    def forward(self, x, kernel=(2, 2), stride=(2, 2)):
        self.x_shape, self.kernel, self.stride = x.shape, kernel, stride
        return sliding_windows(x, kernel, stride).mean(axis=(3, 4), dtype=x.dtype)

    def backward(self, grad):
        kh, kw = self.kernel
        share = np.broadcast_to(grad / np.asarray(kh * kw, grad.dtype), (kh, kw, *grad.shape))
        return scatter_windows(share, self.x_shape, self.stride)
