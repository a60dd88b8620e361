"""2-D convolution, channels-last: im2col through a strided view and one matrix product.

x (N, H, W, C_in), weight (kh, kw, C_in, C_out), bias (C_out,) -> (N, H_out, W_out, C_out).
`stride` reaches the op as a pair and `padding` as ((top, bottom), (left, right)).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd import Op
from .linalg import column_sums
from .registry import register
from .windows import first_max_masks, output_size, pad_image, scatter_windows, unpad_image


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], pool: int = 1) -> np.ndarray:
    """Patches of `x` as a (kh * kw * C, N * Ho * Wo) matrix, copied from one strided view.

    Column order is (pool_y, pool_x, N, Ho // pool, Wo // pool): with pool = 1 plain (N, Ho, Wo);
    with pool = p, the p * p positions of each pooling window land in p * p contiguous blocks
    (output rows and columns that a floor-mode pool would drop are not computed). Rows are
    (kh, kw, C). Copying in this order runs along whole output rows, which stays fast when C is 1
    (as for MNIST), and `cols.T` feeds the GEMM without a copy.
    """
    kh, kw = kernel
    n, h, w, c = x.shape
    hp, wp = output_size(h, kh, stride[0]) // pool, output_size(w, kw, stride[1]) // pool
    sn, sh, sw, sc = x.strides
    dy, dx = sh * stride[0], sw * stride[1]
    view = as_strided(
        x, (kh, kw, c, pool, pool, n, hp, wp), (sh, sw, sc, dy, dx, sn, dy * pool, dx * pool), writeable=False
    )
    return np.ascontiguousarray(view).reshape(kh * kw * c, -1)


def col2im(
    grad_cols: np.ndarray,
    padded_shape: tuple[int, ...],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    blocks_hw: tuple[int, int],
    pool: int = 1,
) -> np.ndarray:
    """Adjoint of `im2col`: add the gradient of every patch back onto a (padded) image.

    `grad_cols` is (kh * kw * C, pool * pool * N * Hp * Wp) in `im2col`'s order; `blocks_hw`
    is (Hp, Wp), the output size divided by `pool`.
    """
    (kh, kw), (n, _, _, c), (hp, wp), p = kernel, padded_shape, blocks_hw, pool
    pieces = grad_cols.reshape(kh, kw, c, p, p, n, hp, wp).transpose(0, 1, 5, 6, 3, 7, 4, 2)
    return scatter_windows(pieces.reshape(kh, kw, n, hp * p, wp * p, c), padded_shape, stride)


@register("conv2d")
class Conv2d(Op):
    def forward(self, x, weight, bias=None, stride=(1, 1), padding=((0, 0), (0, 0))):
        kh, kw, _, c_out = weight.shape
        padded = pad_image(x, padding)
        n, h, w, _ = padded.shape
        out_shape = (n, output_size(h, kh, stride[0]), output_size(w, kw, stride[1]), c_out)
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
            grad_cols = self.weight.reshape(-1, c_out) @ grad2.T
            padded = col2im(grad_cols, self.padded_shape, (kh, kw), self.stride, grad.shape[1:3])
            grad_x = unpad_image(padded, self.padding)
        if self.needs_input_grad[1]:
            grad_w = (self.cols @ grad2).reshape(self.weight.shape)
        if len(self.needs_input_grad) == 3:
            return grad_x, grad_w, column_sums(grad2) if self.needs_input_grad[2] else None
        return grad_x, grad_w


@register("conv2d_relu_maxpool2d")
class Conv2dReluMaxPool2d(Op):
    """max_pool2d(relu(conv2d(x, weight, bias)), pool) in one op, pool stride = pool size.

    Same result and gradients as the three ops (ties go to the first maximum), much faster:
    since max(relu(z + b)) = relu(max(z) + b), bias and ReLU run on the pooled map, and the
    patches are laid out (kh, kw, C, pool_y, pool_x, N, Hp, Wp), so the conv output arrives as
    pool * pool contiguous blocks whose elementwise maximum is the pooled map.
    """

    def forward(self, x, weight, bias, stride=(1, 1), padding=((0, 0), (0, 0)), pool=2):
        kh, kw, c_in, c_out = weight.shape
        padded = pad_image(x, padding)
        n, h, w, _ = padded.shape
        hp, wp = output_size(h, kh, stride[0]) // pool, output_size(w, kw, stride[1]) // pool
        cols = im2col(padded, (kh, kw), stride, pool)
        blocks = (cols.T @ weight.reshape(-1, c_out)).reshape(pool * pool, n * hp * wp, c_out)
        pooled = blocks.max(axis=0)
        out = pooled + bias
        self.active = out > 0
        np.maximum(out, 0, out=out)
        self.cols = cols if self.needs_input_grad[1] else None
        self.blocks, self.pooled, self.weight = blocks, pooled, weight
        self.padded_shape, self.stride, self.padding, self.pool = padded.shape, stride, padding, pool
        return out.reshape(n, hp, wp, c_out)

    def backward(self, grad):
        kh, kw, c_in, c_out = self.weight.shape
        n, hp, wp, _ = grad.shape
        grad_pooled = grad.reshape(-1, c_out) * self.active
        grad_blocks = np.empty_like(self.blocks)
        for grad_block, hit in zip(grad_blocks, first_max_masks(self.blocks, self.pooled)):  # pool * pool offsets
            np.multiply(grad_pooled, hit, out=grad_block)
        grad_z = grad_blocks.reshape(-1, c_out)
        grad_x = grad_w = None
        if self.needs_input_grad[0]:
            grad_cols = self.weight.reshape(-1, c_out) @ grad_z.T
            padded = col2im(grad_cols, self.padded_shape, (kh, kw), self.stride, (hp, wp), self.pool)
            grad_x = unpad_image(padded, self.padding)
        if self.needs_input_grad[1]:
            grad_w = (self.cols @ grad_z).reshape(self.weight.shape)
        grad_b = column_sums(grad_pooled) if self.needs_input_grad[2] else None
        return grad_x, grad_w, grad_b
