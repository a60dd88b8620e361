"""2-D convolution and its transpose, channels-last: im2col through a strided view and matrix products.

conv2d: x (N, H, W, C_in), weight (kh, kw, C_in // groups, C_out), bias (C_out,) -> (N, H_out, W_out, C_out).
conv_transpose2d: x (N, H, W, C_in), weight (kh, kw, C_out // groups, C_in) -> (N, H_out, W_out, C_out):
the same weight layout read the other way, so conv_transpose2d(., w) is the adjoint of conv2d(., w).

One conv core serves every op here: `im2col` (patches), `grouped_product` (the GEMM, batched over
groups), `col2im` (its adjoint) and `ConvCore` (an Op base holding the forward and both gradients).
`stride` and `dilation` reach the ops as pairs, `padding` as ((top, bottom), (left, right)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Op
from ..checks import check_float, check_int, check_ndim, check_pair
from ..tensor import Tensor
from .arguments import as_tensor, channels_first_hint, image
from .channels import channel_rows, channel_sums, tiled
from .registry import register
from .windows import first_max_masks, output_size, pad_image, scatter_windows, strided_view, unpad_image

Pair = tuple[int, int]
Padding = tuple[Pair, Pair]


def im2col(
    x: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair = (1, 1), groups: int = 1, pool: int = 1
) -> np.ndarray:
    """Patches of `x` as a (groups, kh * kw * C // groups, N * Ho * Wo) array, copied from one strided view.

    Column order is (pool_y, pool_x, N, Ho // pool, Wo // pool): with pool = 1 plain (N, Ho, Wo);
    with pool = p, the p * p positions of each pooling window land in p * p contiguous blocks
    (output rows and columns that a floor-mode pool would drop are not computed). Rows are
    (kh, kw, C // groups) within each group. The copy runs along the longer contiguous stretch:
    along output rows when a patch row's adjacent values are few (fewer than 8: one channel, as for
    MNIST), else along patch rows; the result is then the transpose of a (groups, N * Ho * Wo, K)
    array, which the matrix products take as it is.
    """
    (kh, kw), (dh, dw) = kernel, dilation
    n, h, w, c = x.shape
    hp = output_size(h, kh, stride[0], dh) // pool
    wp = output_size(w, kw, stride[1], dw) // pool
    sn, sh, sw, sc = x.strides
    dy, dx, cg = sh * stride[0], sw * stride[1], c // groups
    patch, positions = (kh, kw, cg), (pool, pool, n, hp, wp)
    patch_strides, position_strides = (sh * dh, sw * dw, sc), (dy, dx, sn, dy * pool, dx * pool)
    short_runs = (kw * cg if dw == 1 else cg) < 8  # a patch row's adjacent values: few for one channel
    if short_runs and pool > 1 and stride == dilation == (1, 1):
        # Patches of a pooled conv from its pool phases: row y * pool + a + i of x is row y of phase
        # a + i (x[:, a + i :: pool]), so the (pool + kh - 1) * (pool + kw - 1) phase images, copied
        # once, hold every patch value, and the columns are one copy from an overlapping view of them.
        rows, cols = pool + kh - 1, pool + kw - 1
        phase_strides = (sh, sw, sc, sn, sh * pool, sw * pool)
        phases = np.ascontiguousarray(strided_view(x, (rows, cols, c, n, hp, wp), phase_strides))
        su, sv, sc, *spread = phases.strides
        view = strided_view(phases, (groups, *patch, *positions), (sc * cg, su, sv, sc, su, sv, *spread))
        return np.ascontiguousarray(view).reshape(groups, kh * kw * cg, -1)
    if short_runs:
        view = strided_view(x, (groups, *patch, *positions), (sc * cg, *patch_strides, *position_strides))
        return np.ascontiguousarray(view).reshape(groups, kh * kw * cg, -1)
    view = strided_view(x, (groups, *positions, *patch), (sc * cg, *position_strides, *patch_strides))
    return np.ascontiguousarray(view).reshape(groups, -1, kh * kw * cg).transpose(0, 2, 1)


def col2im(
    weights: np.ndarray,
    z: np.ndarray,
    padded_shape: tuple[int, ...],
    kernel: Pair,
    stride: Pair,
    dilation: Pair,
    blocks_hw: Pair,
    pool: int = 1,
) -> np.ndarray:
    """Adjoint of `im2col`, applied to the patch gradients weights[g] @ z[g].T: add every patch's
    gradient back onto a (padded) image.

    `weights` is (groups, kh * kw * C // groups, C_out // groups) (`by_group`), `z` the (M, C_out)
    output gradient in `im2col`'s column order, `blocks_hw` (Hp, Wp) the output size over `pool`.
    The sums run on a channels-first image (C, N, H, W), so that each addition runs along rows.
    With stride 1, z is widened to the image's width W (zeros beyond the output's): the piece of
    kernel offset (i, j) is then one contiguous run per channel and image, added at flat offset
    i * dh * W + j * dw (what the widening makes land past a row's end is zero).
    """
    (kh, kw), (n, h, w, c), (hp, wp), p = kernel, padded_shape, blocks_hw, pool
    g = weights.shape[0]
    if stride == (1, 1) and p == 1:
        wide = np.zeros((n, hp, w, z.shape[1]), z.dtype)
        wide[:, :, :wp] = z.reshape(n, hp, wp, -1)
        grad_cols = grouped_product(weights, by_group(wide.reshape(-1, z.shape[1]), g).transpose(0, 2, 1))
        pieces = grad_cols.reshape(g, kh, kw, c // g, n, hp * w).transpose(1, 2, 0, 3, 4, 5)
        pieces = pieces.reshape(kh, kw, c, n, hp * w)
        (dh, dw), flat = dilation, np.zeros((c, n, h * w + (kw - 1) * dilation[1]), z.dtype)
        for i in range(kh):
            for j in range(kw):
                start = i * dh * w + j * dw
                flat[:, :, start : start + hp * w] += pieces[i, j]
        image = flat[:, :, : h * w].reshape(c, n, h, w)
    else:
        grad_cols = grouped_product(weights, by_group(z, g).transpose(0, 2, 1))
        pieces = grad_cols.reshape(g, kh, kw, c // g, p, p, n, hp, wp).transpose(1, 2, 0, 3, 6, 7, 4, 8, 5)
        image = scatter_windows(pieces.reshape(kh, kw, c, n, hp * p, wp * p), (c, n, h, w), stride, dilation)
    return np.ascontiguousarray(image.transpose(1, 2, 3, 0))


def by_group(matrix: np.ndarray, groups: int) -> np.ndarray:
    """A (rows, groups * k) matrix as a (groups, rows, k) view: one slice per group."""
    if groups == 1:  # the common case, kept to one cheap view (it is on every training step)
        return matrix[None]
    rows, width = matrix.shape
    return matrix.reshape(rows, groups, width // groups).transpose(1, 0, 2)


def ungroup(stacked: np.ndarray) -> np.ndarray:
    """Inverse of `by_group`: (groups, rows, k) -> (rows, groups * k)."""
    if len(stacked) == 1:
        return stacked[0]
    return stacked.transpose(1, 0, 2).reshape(stacked.shape[1], -1)


def grouped_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a[g] @ b[g] for every group g: one plain GEMM for a single group, else one batched matmul."""
    return (a[0] @ b[0])[None] if len(a) == 1 else np.matmul(a, b)  # a plain GEMM is faster than a batch of 1


class ConvCore(Op):
    """The conv core shared by every conv op: patches, the GEMM, and both gradients.

    `convolve` pads, copies patches (kept for the weight gradient) and returns the conv output as
    an (M, C_out) matrix in `im2col`'s column order; `convolve_backward` takes the gradient of that
    matrix and returns (gradient of x, gradient of weight), each None when not needed. The pieces
    (`patches`, `product`, `input_gradient`, `weight_gradient`) also serve `conv2d_weight`.
    """

    def convolve(self, x, weight, stride, padding, dilation=(1, 1), groups=1, pool=1):
        cols = self.patches(x, weight.shape[:2], stride, padding, dilation, groups, pool)
        self.cols = cols if self.needs_input_grad[1] else None
        self.weight = weight
        return self.product(cols, weight)

    def patches(self, x, kernel, stride, padding, dilation=(1, 1), groups=1, pool=1):
        """Pad `x` and return its patches (`im2col`), saving the geometry the gradients need."""
        padded = pad_image(x, padding)
        self.padded_shape, self.groups = padded.shape, groups
        self.geometry = stride, padding, dilation, pool
        sizes = zip(padded.shape[1:3], kernel, stride, dilation)
        self.blocks_hw = tuple(output_size(*size) // pool for size in sizes)  # output (H, W) // pool
        return im2col(padded, kernel, stride, dilation, groups, pool)

    def product(self, cols, weight):
        """The conv output (M, C_out) of patches `cols` with `weight`."""
        weights = by_group(weight.reshape(-1, weight.shape[3]), self.groups)
        return ungroup(grouped_product(cols.transpose(0, 2, 1), weights))

    def input_gradient(self, weight, grad_z):
        """The gradient of x from the output gradient `grad_z` (M, C_out): col2im of weight @ grad_z."""
        stride, padding, dilation, pool = self.geometry
        weights = by_group(weight.reshape(-1, weight.shape[3]), self.groups)
        padded = col2im(weights, grad_z, self.padded_shape, weight.shape[:2], stride, dilation, self.blocks_hw, pool)
        return unpad_image(padded, padding)

    def weight_gradient(self, cols, grad_z, shape):
        """The gradient of the weight (of `shape`) from patches `cols` and the output gradient `grad_z`."""
        return ungroup(grouped_product(cols, by_group(grad_z, self.groups))).reshape(shape)

    def convolve_backward(self, grad_z):
        grad_x = self.input_gradient(self.weight, grad_z) if self.needs_input_grad[0] else None
        grad_w = self.weight_gradient(self.cols, grad_z, self.weight.shape) if self.needs_input_grad[1] else None
        return grad_x, grad_w

    def input_gradient_op(self, grad_z: Tensor, weight: Tensor) -> Tensor:
        """`input_gradient` as a recorded conv_transpose2d (differentiable again); `grad_z` is the
        (N, H_out, W_out, C_out) output gradient of the whole (unpooled) conv."""
        stride, padding, dilation, _ = self.geometry
        spans = (d * (k - 1) + 1 for k, d in zip(weight.shape[:2], dilation))
        sizes = zip(self.padded_shape[1:3], grad_z.shape[1:3], stride, spans)
        output_padding = tuple(size - (out - 1) * s - span for size, out, s, span in sizes)  # rows floor dropped
        params = {"stride": stride, "padding": padding, "output_padding": output_padding, "dilation": dilation}
        return ConvTranspose2d.apply(grad_z, weight, **params, groups=self.groups)

    def weight_gradient_op(self, x: Tensor, grad_z: Tensor, kernel: Pair) -> Tensor:
        """`weight_gradient` as a recorded conv2d_weight (differentiable again)."""
        stride, padding, dilation, _ = self.geometry
        params = {"stride": stride, "padding": padding, "dilation": dilation, "groups": self.groups}
        return Conv2dWeight.apply(x, grad_z, kernel=kernel, **params)

    def conv_vjp(self, grad_z: Tensor) -> tuple[Tensor | None, Tensor | None]:
        """`convolve_backward` with Tensor ops: (gradient of x, gradient of weight), for create_graph."""
        x, weight = self.parents[:2]
        grad_x = self.input_gradient_op(grad_z, weight) if self.needs_input_grad[0] else None
        grad_w = self.weight_gradient_op(x, grad_z, weight.shape[:2]) if self.needs_input_grad[1] else None
        return grad_x, grad_w


def conv_padding(fn: str, padding: Any, kernel: Pair, stride: Pair, dilation: Pair = (1, 1)) -> Padding:
    """((top, bottom), (left, right)) from an int, a pair, "valid" or "same" (which needs stride 1)."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"{fn}: padding='same' needs stride 1, got stride={stride}")
        # As PyTorch: the odd pixel of an even (dilated) kernel's padding goes after (bottom/right).
        spans = (d * (k - 1) for k, d in zip(kernel, dilation))
        return tuple((s // 2, s - s // 2) for s in spans)
    if isinstance(padding, str):
        raise ValueError(f"{fn}: `padding` must be an int, a pair, 'same' or 'valid', got {padding!r}")
    ph, pw = check_pair(fn, "padding", padding, minimum=0)
    return (ph, ph), (pw, pw)


def conv_inputs(fn: str, x: Any, weight: Any, bias: Any, groups: Any, transposed: bool = False):
    """Checked tensors [x, weight(, bias)] and groups of a conv; `transposed` reads the weight as
    conv_transpose2d's (kh, kw, C_out // groups, C_in)."""
    x, weight = image(fn, x), as_tensor(weight)
    layout = "(kh, kw, C_out // groups, C_in)" if transposed else "(kh, kw, C_in // groups, C_out)"
    check_ndim(fn, "weight", weight.shape, 4, layout)
    check_float(fn, "weight", weight.dtype)
    groups = check_int(fn, "groups", groups, minimum=1)
    kh, kw, per_group, last = weight.shape
    c_in, c_out = (last, per_group * groups) if transposed else (per_group * groups, last)
    if x.shape[3] != c_in:
        raise ValueError(
            f"{fn}: `x` has {x.shape[3]} channels (last axis of shape {x.shape}) but `weight` of shape "
            f"{weight.shape} {layout} with groups={groups} expects C_in={c_in}{channels_first_hint(x.shape, c_in)}"
        )
    for name, channels in (("C_in", c_in), ("C_out", c_out)):
        if channels % groups:
            raise ValueError(f"{fn}: {name}={channels} must be divisible by `groups`={groups}")
    inputs = [x, weight]
    if bias is not None:
        bias = as_tensor(bias)
        if bias.shape != (c_out,):
            raise ValueError(f"{fn}: `bias` must have shape ({c_out},), got {bias.shape}")
        inputs.append(bias)
    return inputs, groups


def conv_arguments(fn: str, x: Any, weight: Any, bias: Any, stride: Any, padding: Any, dilation: Any = 1, groups=1):
    """Checked and normalized conv arguments: (inputs, params for `ConvCore.convolve`)."""
    inputs, groups = conv_inputs(fn, x, weight, bias, groups)
    kh, kw = inputs[1].shape[:2]
    stride = check_pair(fn, "stride", stride, minimum=1)
    dilation = check_pair(fn, "dilation", dilation, minimum=1)
    padding = conv_padding(fn, padding, (kh, kw), stride, dilation)
    padded = (inputs[0].shape[1] + sum(padding[0]), inputs[0].shape[2] + sum(padding[1]))
    span = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    if span[0] > padded[0] or span[1] > padded[1]:
        dilated = "" if dilation == (1, 1) else f" (spanning {span[0]}x{span[1]} with dilation {dilation})"
        raise ValueError(
            f"{fn}: kernel {kh}x{kw}{dilated} is larger than the padded input {padded[0]}x{padded[1]} "
            f"(x shape {inputs[0].shape}, padding {padding})"
        )
    return inputs, {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}


def bias_gradient(ctx: Op, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
    """The bias gradient (per-channel sums of the (..., C) output gradient `grad`) as a 1-tuple
    when the op has a bias input, else ()."""
    if len(ctx.needs_input_grad) < 3:
        return ()
    return (channel_sums(channel_rows(grad), grad.shape[-1]) if ctx.needs_input_grad[2] else None,)


def add_bias(out: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """`out` (..., C) += `bias` (C,) in place, along whole rows (fast with few channels)."""
    if bias is not None:
        rows = channel_rows(out)
        rows += tiled(bias, rows)
    return out


class Conv2d(ConvCore):
    def forward(self, x, weight, bias=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1):
        out = self.convolve(x, weight, stride, padding, dilation, groups)
        return add_bias(out.reshape(x.shape[0], *self.blocks_hw, weight.shape[3]), bias)

    def backward(self, grad):
        return *self.convolve_backward(grad.reshape(-1, grad.shape[3])), *bias_gradient(self, grad)

    def vjp(self, grad, out):
        return *self.conv_vjp(grad), *bias_gradient(self, grad)


@register(Conv2d)
def conv2d(
    x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1
) -> Tensor:
    """2-D convolution (cross-correlation, as in every framework), channels-last, as PyTorch's conv2d.

    x: (N, H, W, C_in); weight: (kh, kw, C_in // groups, C_out); bias: (C_out,) or None.
    stride, dilation: int or pair; padding: int, pair, "same" (stride 1) or "valid".
    groups: C_in and C_out are split into `groups` independent convolutions (output channel o
    sees input group o // (C_out // groups)); groups == C_in is a depthwise convolution.
    Returns (N, H_out, W_out, C_out), H_out = (H + pad_top + pad_bottom - dilation * (kh - 1) - 1) // stride + 1.
    """
    inputs, params = conv_arguments("conv2d", x, weight, bias, stride, padding, dilation, groups)
    return Conv2d.apply(*inputs, **params)


class Conv2dReluMaxPool2d(ConvCore):
    """max_pool2d(relu(conv2d(x, weight, bias)), pool) in one op, pool stride = pool size.

    Same result and gradients as the three ops (ties go to the first maximum), much faster:
    since max(relu(z + b)) = relu(max(z) + b), bias and ReLU run on the pooled map, and the conv
    core lays patches out so that the conv output arrives as pool * pool contiguous blocks whose
    elementwise maximum is the pooled map. Only the pooling and ReLU routing live here.
    """

    def forward(self, x, weight, bias, stride=(1, 1), padding=((0, 0), (0, 0)), pool=2):
        c_out = weight.shape[3]
        blocks = self.convolve(x, weight, stride, padding, pool=pool).reshape(pool * pool, -1, c_out)
        pooled = blocks.max(axis=0)
        out = pooled + bias
        self.active = out > 0
        np.maximum(out, 0, out=out)
        self.blocks, self.pooled = blocks, pooled
        return out.reshape(x.shape[0], *self.blocks_hw, c_out)

    def backward(self, grad):
        grad_pooled = grad.reshape(-1, grad.shape[3]) * self.active
        grad_blocks = np.empty_like(self.blocks)
        for grad_block, hit in zip(grad_blocks, first_max_masks(self.blocks, self.pooled)):  # pool * pool offsets
            np.multiply(grad_pooled, hit, out=grad_block)
        return *self.convolve_backward(grad_blocks.reshape(-1, grad.shape[3])), *bias_gradient(self, grad_pooled)

    def vjp(self, grad, out):
        """The same routing with Tensor ops and constant masks (ReLU's and each window's first
        maximum), then conv2d's differentiable gradients on the whole conv output's gradient."""
        (n, hp, wp, c), p = grad.shape, self.geometry[3]
        hits = np.stack(list(first_max_masks(self.blocks, self.pooled))).astype(grad.dtype)  # (p * p, M, C)
        grad_pooled = grad.reshape(-1, c) * self.active.astype(grad.dtype)
        grad_blocks = (grad_pooled.reshape(1, -1, c) * hits).reshape(p, p, n, hp, wp, c)
        image = grad_blocks.permute(2, 3, 0, 4, 1, 5).reshape(n, hp * p, wp * p, c)  # im2col order -> (N, H, W, C)
        (stride, _, dilation, _), kernel = self.geometry, self.parents[1].shape[:2]
        sizes = zip(self.padded_shape[1:3], kernel, stride, dilation)
        out_h, out_w = (output_size(*size) for size in sizes)  # the conv output, before the floor of the pool
        grad_z = image.pad(((0, 0), (0, out_h - hp * p), (0, out_w - wp * p), (0, 0)))
        return *self.conv_vjp(grad_z), *bias_gradient(self, grad_pooled)


@register(Conv2dReluMaxPool2d)
def conv2d_relu_maxpool2d(x: Any, weight: Any, bias: Any, stride: Any = 1, padding: Any = 0, pool: int = 2) -> Tensor:
    """max_pool2d(relu(conv2d(x, weight, bias, stride, padding)), pool) as one fast op.

    The pool's stride equals its size `pool`; results and gradients equal the three ops'.
    """
    fn = "conv2d_relu_maxpool2d"
    if bias is None:
        raise TypeError(f"{fn}: `bias` is required (pass zeros for none)")
    inputs, params = conv_arguments(fn, x, weight, bias, stride, padding)
    pool = check_int(fn, "pool", pool, minimum=1)
    (kh, kw), (sh, sw), (top, left) = inputs[1].shape[:2], params["stride"], params["padding"]
    out_h = output_size(inputs[0].shape[1] + sum(top), kh, sh)
    out_w = output_size(inputs[0].shape[2] + sum(left), kw, sw)
    if pool > min(out_h, out_w):
        raise ValueError(f"{fn}: `pool` {pool} is larger than the conv output {out_h}x{out_w}")
    return Conv2dReluMaxPool2d.apply(*inputs, stride=params["stride"], padding=params["padding"], pool=pool)


class ConvTranspose2d(ConvCore):
    """The adjoint of conv2d's input: forward is the conv core's input gradient (col2im of
    weight @ x); backward is the conv core's forward on the upstream gradient (the gradient of x)
    and its weight gradient with x as the output gradient."""

    def forward(self, x, weight, bias=None, stride=(1, 1), padding=((0, 0), (0, 0)), output_padding=(0, 0),
                dilation=(1, 1), groups=1):  # fmt: skip
        n, h, w, c_in = x.shape
        kh, kw, _, _ = weight.shape
        padded_shape = (
            n,
            (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0],
            (w - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1],
            weight.shape[2] * groups,
        )
        self.x, self.weight, self.settings = x, weight, (stride, padding, dilation, groups)
        weights = by_group(weight.reshape(-1, c_in), groups)
        out = col2im(weights, x.reshape(-1, c_in), padded_shape, (kh, kw), stride, dilation, (h, w))
        return add_bias(np.ascontiguousarray(unpad_image(out, padding)), bias)

    def backward(self, grad):
        x, weight, (stride, padding, dilation, groups) = self.x, self.weight, self.settings
        grad_x = grad_w = None
        if self.needs_input_grad[0] or self.needs_input_grad[1]:
            grad_x = self.convolve(grad, weight, stride, padding, dilation, groups).reshape(x.shape)
        if self.needs_input_grad[1]:
            grad_w = self.weight_gradient(self.cols, x.reshape(-1, x.shape[3]), weight.shape)
        return grad_x, grad_w, *bias_gradient(self, grad)

    def vjp(self, grad, out):
        """conv2d of the upstream gradient (for x) and conv2d_weight with x as the output gradient
        (for the weight), as recorded ops."""
        (x, weight), params = self.parents[:2], dict(self.params)
        del params["output_padding"]
        grad_x = Conv2d.apply(grad, weight, **params) if self.needs_input_grad[0] else None
        grad_w = Conv2dWeight.apply(grad, x, kernel=weight.shape[:2], **params) if self.needs_input_grad[1] else None
        return grad_x, grad_w, *bias_gradient(self, grad)


@register(ConvTranspose2d)
def conv_transpose2d(
    x: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """Transposed 2-D convolution (the gradient of conv2d with respect to its input), channels-last,
    as PyTorch's conv_transpose2d.

    x: (N, H, W, C_in); weight: (kh, kw, C_out // groups, C_in) -- conv2d's layout read backwards,
    so conv_transpose2d(y, w) is the adjoint of conv2d(., w) (PyTorch's (C_in, C_out // groups, kh, kw)
    is w.permute(3, 2, 0, 1)); bias: (C_out,) or None. stride, padding, dilation: int or pair;
    output_padding: int or pair, each smaller than its stride (extra rows/columns at the bottom/right).
    Returns (N, H_out, W_out, C_out), H_out = (H - 1) * stride - 2 * padding + dilation * (kh - 1)
    + output_padding + 1.
    """
    fn = "conv_transpose2d"
    inputs, groups = conv_inputs(fn, x, weight, bias, groups, transposed=True)
    stride = check_pair(fn, "stride", stride, minimum=1)
    dilation = check_pair(fn, "dilation", dilation, minimum=1)
    if isinstance(padding, str):
        raise TypeError(f"{fn}: `padding` must be an int or a pair of ints, got {padding!r}")
    ph, pw = check_pair(fn, "padding", padding, minimum=0)
    output_padding = check_pair(fn, "output_padding", output_padding, minimum=0)
    if output_padding[0] >= stride[0] or output_padding[1] >= stride[1]:
        raise ValueError(f"{fn}: `output_padding` {output_padding} must be smaller than `stride` {stride}")
    (_, h, w, _), (kh, kw) = inputs[0].shape, inputs[1].shape[:2]
    out_h = (h - 1) * stride[0] - 2 * ph + dilation[0] * (kh - 1) + output_padding[0] + 1
    out_w = (w - 1) * stride[1] - 2 * pw + dilation[1] * (kw - 1) + output_padding[1] + 1
    if out_h < 1 or out_w < 1:
        raise ValueError(f"{fn}: the output would be {out_h}x{out_w}: `padding` ({ph}, {pw}) is too large")
    params = {"stride": stride, "padding": ((ph, ph), (pw, pw)), "output_padding": output_padding}
    return ConvTranspose2d.apply(*inputs, **params, dilation=dilation, groups=groups)


class Conv2dWeight(ConvCore):
    """conv2d's weight gradient as an op of its own, so that it can be differentiated again: it is
    bilinear in (x, grad_output), <w, conv2d_weight(x, g)> = <conv2d(x, w), g>, so its gradients are
    conv_transpose2d(g, w_bar) for x and conv2d(x, w_bar) for grad_output."""

    def forward(self, x, grad_output, kernel=(1, 1), stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1),
                groups=1):  # fmt: skip
        self.cols = self.patches(x, kernel, stride, padding, dilation, groups)
        self.grad_z = grad_output.reshape(-1, grad_output.shape[3])
        return self.weight_gradient(self.cols, self.grad_z, (*kernel, x.shape[3] // groups, grad_output.shape[3]))

    def backward(self, grad):
        grad_x = self.input_gradient(grad, self.grad_z) if self.needs_input_grad[0] else None
        grad_out = None
        if self.needs_input_grad[1]:
            grad_out = self.product(self.cols, grad).reshape(self.parents[1].shape)
        return grad_x, grad_out

    def vjp(self, grad, out):
        x, grad_output = self.parents
        params = {k: v for k, v in self.params.items() if k != "kernel"}
        grad_x = self.input_gradient_op(grad_output, grad) if self.needs_input_grad[0] else None
        grad_out = Conv2d.apply(x, grad, **params) if self.needs_input_grad[1] else None
        return grad_x, grad_out


@register(Conv2dWeight)
def conv2d_weight(
    x: Any, grad_output: Any, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1
) -> Tensor:
    """The gradient of conv2d's weight, as PyTorch's torch.nn.grad.conv2d_weight (channels-last).

    x: (N, H, W, C_in), the conv's input; grad_output: (N, H_out, W_out, C_out), the gradient of its
    output; kernel_size, stride, padding, dilation, groups: the conv's (as in conv2d).
    Returns (kh, kw, C_in // groups, C_out): d<conv2d(x, w), grad_output>/dw. It is differentiable
    (twice and more): conv2d's gradients under create_graph=True are built from it.
    """
    fn = "conv2d_weight"
    x, grad_output = image(fn, x), image(fn, grad_output, "grad_output")
    kernel = check_pair(fn, "kernel_size", kernel_size, minimum=1)
    stride = check_pair(fn, "stride", stride, minimum=1)
    dilation = check_pair(fn, "dilation", dilation, minimum=1)
    groups = check_int(fn, "groups", groups, minimum=1)
    padding = conv_padding(fn, padding, kernel, stride, dilation)
    for name, channels in (("x", x.shape[3]), ("grad_output", grad_output.shape[3])):
        if channels % groups:
            raise ValueError(f"{fn}: `{name}` has {channels} channels, not divisible by `groups`={groups}")
    sizes = zip(x.shape[1:3], padding, kernel, stride, dilation)
    out_hw = tuple(output_size(size + sum(pad), k, s, d) for size, pad, k, s, d in sizes)
    if min(out_hw) < 1:
        raise ValueError(f"{fn}: kernel {kernel} (dilation {dilation}) is larger than x {x.shape} padded by {padding}")
    expected = (x.shape[0], *out_hw, grad_output.shape[3])
    if grad_output.shape != expected:
        raise ValueError(
            f"{fn}: `grad_output` must have conv2d's output shape {expected} for x {x.shape} with kernel {kernel}, "
            f"stride {stride}, padding {padding}, dilation {dilation}; got {grad_output.shape}"
        )
    params = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return Conv2dWeight.apply(x, grad_output, kernel=kernel, **params)
