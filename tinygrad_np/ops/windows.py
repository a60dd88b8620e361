"""Sliding windows over (N, H, W, C) images, shared by convolution and pooling.

`sliding_windows` is a zero-copy strided view; `scatter_windows` is its adjoint (col2im):
it adds per-window values back onto a channels-first image, looping only over the kh * kw kernel
offsets, never over images, pixels or channels.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def output_size(size: int, kernel: int, stride: int, dilation: int = 1) -> int:
    """Number of window positions along one axis (floor, like PyTorch); a dilated kernel spans
    dilation * (kernel - 1) + 1 pixels."""
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def strided_view(x: np.ndarray, shape: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    """A read-only view of `x`'s memory with this shape and these strides (bytes), as NumPy's
    `as_strided`, whose Python wrapper costs about 2 µs a call (a seventh of a small conv's forward
    at batch 1): a C-contiguous `x` is viewed directly through the ndarray constructor."""
    if not x.flags.c_contiguous:
        return as_strided(x, shape, strides, writeable=False)
    view = np.ndarray(shape, x.dtype, x, 0, strides)
    view.flags.writeable = False
    return view


def sliding_windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Read-only view of shape (N, Ho, Wo, kh, kw, C) with every kernel window of `x`."""
    n, h, w, c = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    sn, shh, sww, sc = x.strides
    shape = (n, output_size(h, kh, sh), output_size(w, kw, sw), kh, kw, c)
    return strided_view(x, shape, (sn, shh * sh, sww * sw, shh, sww, sc))


def kernel_offsets(
    kernel: tuple[int, int], stride: tuple[int, int], out_hw: tuple[int, int], dilation: tuple[int, int] = (1, 1)
):
    """For each kernel offset (i, j), the index that picks, for every window, its pixel at that
    offset (i * dilation_h, j * dilation_w): an (N, Ho, Wo, C) strided slice. Loops run over
    kh * kw offsets only."""
    (kh, kw), (sh, sw), (ho, wo), (dh, dw) = kernel, stride, out_hw, dilation
    for i in range(kh):
        for j in range(kw):
            y, x = i * dh, j * dw
            yield i, j, (slice(None), slice(y, y + sh * (ho - 1) + 1, sh), slice(x, x + sw * (wo - 1) + 1, sw))


def first_max_masks(candidates, maximum: np.ndarray):
    """For arrays compared in order whose elementwise maximum is `maximum`, yield one mask each:
    where that array is the first to reach the maximum. Ties go to the first, like PyTorch."""
    taken = np.zeros(maximum.shape, dtype=bool)
    for candidate in candidates:
        hit = candidate == maximum
        hit &= ~taken
        taken |= hit
        yield hit


def scatter_windows(
    pieces: np.ndarray, image_shape: tuple[int, ...], stride: tuple[int, int], dilation: tuple[int, int] = (1, 1)
) -> np.ndarray:
    """Sum `pieces` of shape (kh, kw, ..., Ho, Wo) onto a zero image of `image_shape` (..., H, W):
    spatial axes last, so that each addition runs along whole rows.

    Piece [i, j, ..., y, x] lands on pixel (y * sh + i * dh, x * sw + j * dw); overlaps add up.
    """
    kh, kw, *_, ho, wo = pieces.shape
    out = np.zeros(image_shape, dtype=pieces.dtype)
    for i, j, (_, rows, columns) in kernel_offsets((kh, kw), stride, (ho, wo), dilation):
        out[..., rows, columns] += pieces[i, j]
    return out


def pad_image(x: np.ndarray, padding: tuple[tuple[int, int], tuple[int, int]], value: float = 0.0) -> np.ndarray:
    """Pad H and W of an (N, H, W, C) array with `value` (zeros by default) by writing it into a
    prefilled buffer (cheaper than np.pad)."""
    (top, bottom), (left, right) = padding
    if not (top or bottom or left or right):
        return x
    n, h, w, c = x.shape
    shape = (n, h + top + bottom, w + left + right, c)
    out = np.zeros(shape, dtype=x.dtype) if value == 0 else np.full(shape, value, dtype=x.dtype)
    out[:, top : top + h, left : left + w, :] = x
    return out


def unpad_image(x: np.ndarray, padding: tuple[tuple[int, int], tuple[int, int]]) -> np.ndarray:
    """Inverse of `pad_image`: the interior view."""
    (top, bottom), (left, right) = padding
    return x[:, top : x.shape[1] - bottom, left : x.shape[2] - right, :]
