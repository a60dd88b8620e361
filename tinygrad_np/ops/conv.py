"""2-D convolution, channels-last: im2col through a strided view and one matrix product.

x (N, H, W, C_in), weight (kh, kw, C_in, C_out), bias (C_out,) -> (N, H_out, W_out, C_out).
`stride` reaches the op as a pair and `padding` as ((top, bottom), (left, right)).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Op
from .linalg import column_sums
from .registry import register
from .windows import pad_image, scatter_windows, sliding_windows, unpad_image


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Patches of `x` as a (kh * kw * C, N * Ho * Wo) matrix.

    Copied in (kh, kw, C, N, Ho, Wo) order: the copy then runs along whole output rows,
    which stays fast when C is 1 (as for MNIST), and `cols.T` feeds the GEMM without a copy.
    """
    windows = sliding_windows(x, kernel, stride)
    n, ho, wo, kh, kw, c = windows.shape
    return np.ascontiguousarray(windows.transpose(3, 4, 5, 0, 1, 2)).reshape(kh * kw * c, n * ho * wo)


@register("conv2d")
class Conv2d(Op):
    def forward(self, x, weight, bias=None, stride=(1, 1), padding=((0, 0), (0, 0))):
        kh, kw, _, c_out = weight.shape
        padded = pad_image(x, padding)
        n, h, w, _ = padded.shape
        out_shape = (n, (h - kh) // stride[0] + 1, (w - kw) // stride[1] + 1, c_out)
        cols = im2col(padded, (kh, kw), stride)
        out = cols.T @ weight.reshape(-1, c_out)
        if bias is not None:
            out += bias
        self.cols = cols if self.needs_input_grad[1] else None
        self.weight = weight
        self.padded_shape, self.stride, self.padding = padded.shape, stride, padding
        return out.reshape(out_shape)

    def backward(self, grad):
        kh, kw, c_in, c_out = self.weight.shape
        grad2 = grad.reshape(-1, c_out)
        grad_x = grad_w = None
        if self.needs_input_grad[0]:
            n, ho, wo, _ = grad.shape
            pieces = (self.weight.reshape(-1, c_out) @ grad2.T).reshape(kh, kw, c_in, n, ho, wo)
            padded = scatter_windows(pieces.transpose(0, 1, 3, 4, 5, 2), self.padded_shape, self.stride)
            grad_x = unpad_image(padded, self.padding)
        if self.needs_input_grad[1]:
            grad_w = (self.cols @ grad2).reshape(self.weight.shape)
        if len(self.needs_input_grad) == 3:
            return grad_x, grad_w, column_sums(grad2) if self.needs_input_grad[2] else None
        return grad_x, grad_w
