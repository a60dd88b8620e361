"""2-D convolution, channels-last: im2col through a strided view and one matrix product.

x (N, H, W, C_in), weight (kh, kw, C_in, C_out), bias (C_out,) -> (N, H_out, W_out, C_out).
`stride` reaches the op as a pair and `padding` as ((top, bottom), (left, right)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd import Op
from ..checks import check_float, check_int, check_ndim, check_pair
from ..tensor import Tensor
from .arguments import as_tensor, image
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


def conv_padding(fn: str, padding: Any, kernel: tuple[int, int], stride: tuple[int, int]):
    """((top, bottom), (left, right)) from an int, a pair, "valid" or "same" (which needs stride 1)."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"{fn}: padding='same' needs stride 1, got stride={stride}")
        # As PyTorch: the odd pixel of an even kernel's padding goes after (bottom/right).
        return tuple(((k - 1) // 2, k - 1 - (k - 1) // 2) for k in kernel)
    if isinstance(padding, str):
        raise ValueError(f"{fn}: `padding` must be an int, a pair, 'same' or 'valid', got {padding!r}")
    ph, pw = check_pair(fn, "padding", padding, minimum=0)
    return (ph, ph), (pw, pw)


def conv_arguments(fn: str, x: Any, weight: Any, bias: Any, stride: Any, padding: Any):
    """Checked and normalized conv arguments: (inputs, stride pair, ((top, bottom), (left, right)))."""
    x, weight = image(fn, x), as_tensor(weight)
    check_ndim(fn, "weight", weight.shape, 4, "(kh, kw, C_in, C_out)")
    check_float(fn, "weight", weight.dtype)
    kh, kw, c_in, c_out = weight.shape
    if x.shape[3] != c_in:
        hint = ""
        if x.shape[1] == c_in:
            hint = "; x looks channels-first (N, C, H, W): use x.transpose(0, 2, 3, 1)"
        raise ValueError(
            f"{fn}: `x` has {x.shape[3]} channels (last axis of shape {x.shape}) but `weight` "
            f"expects C_in={c_in} (shape {weight.shape}){hint}"
        )
    inputs = [x, weight]
    if bias is not None:
        bias = as_tensor(bias)
        if bias.shape != (c_out,):
            raise ValueError(f"{fn}: `bias` must have shape ({c_out},), got {bias.shape}")
        inputs.append(bias)
    stride = check_pair(fn, "stride", stride, minimum=1)
    padding = conv_padding(fn, padding, (kh, kw), stride)
    padded = (x.shape[1] + sum(padding[0]), x.shape[2] + sum(padding[1]))
    if kh > padded[0] or kw > padded[1]:
        raise ValueError(
            f"{fn}: kernel {kh}x{kw} is larger than the padded input {padded[0]}x{padded[1]} "
            f"(x shape {x.shape}, padding {padding})"
        )
    return inputs, stride, padding


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


@register(Conv2d)
def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0) -> Tensor:
    """2-D convolution (cross-correlation, as in every framework), channels-last.

    x: (N, H, W, C_in); weight: (kh, kw, C_in, C_out); bias: (C_out,) or None.
    stride: int or pair; padding: int, pair, "same" (stride 1) or "valid".
    Returns (N, H_out, W_out, C_out), H_out = (H + pad_top + pad_bottom - kh) // stride + 1.
    """
    inputs, stride, padding = conv_arguments("conv2d", x, weight, bias, stride, padding)
    return Conv2d.apply(*inputs, stride=stride, padding=padding)


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


@register(Conv2dReluMaxPool2d)
def conv2d_relu_maxpool2d(x: Any, weight: Any, bias: Any, stride: Any = 1, padding: Any = 0, pool: int = 2) -> Tensor:
    """max_pool2d(relu(conv2d(x, weight, bias, stride, padding)), pool) as one fast op.

    The pool's stride equals its size `pool`; results and gradients equal the three ops'.
    """
    if bias is None:
        raise TypeError("conv2d_relu_maxpool2d: `bias` is required (pass zeros for none)")
    inputs, stride, padding = conv_arguments("conv2d_relu_maxpool2d", x, weight, bias, stride, padding)
    pool = check_int("conv2d_relu_maxpool2d", "pool", pool, minimum=1)
    kh, kw = inputs[1].shape[:2]
    out_h = (inputs[0].shape[1] + sum(padding[0]) - kh) // stride[0] + 1
    out_w = (inputs[0].shape[2] + sum(padding[1]) - kw) // stride[1] + 1
    if pool > min(out_h, out_w):
        raise ValueError(f"conv2d_relu_maxpool2d: `pool` {pool} is larger than the conv output {out_h}x{out_w}")
    return Conv2dReluMaxPool2d.apply(*inputs, stride=stride, padding=padding, pool=pool)
