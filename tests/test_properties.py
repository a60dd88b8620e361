"""hypothesis: conv2d and the pools against direct (loop-per-output-pixel) references over random
shapes, strides and paddings, plus gradcheck on every drawn case."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from support import examples

import tinygrad_np as tg
from tinygrad_np import Tensor, gradcheck
from tinygrad_np import functional as F

SETTINGS = settings(max_examples=examples(40))


def reference_conv(x, w, b, stride, padding):
    (sh, sw), ((pt, pb), (pl, pr)) = stride, padding
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    kh, kw, _, c_out = w.shape
    ho, wo = (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1
    out = np.zeros((x.shape[0], ho, wo, c_out))
    for i in range(ho):
        for j in range(wo):
            window = xp[:, i * sh : i * sh + kh, j * sw : j * sw + kw, :]
            out[:, i, j, :] = np.einsum("nabc,abco->no", window, w)
    return out + (0 if b is None else b)


def reference_pool(x, kernel, stride, reduce):
    (kh, kw), (sh, sw) = kernel, stride
    ho, wo = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    out = np.zeros((x.shape[0], ho, wo, x.shape[3]))
    for i in range(ho):
        for j in range(wo):
            out[:, i, j, :] = reduce(x[:, i * sh : i * sh + kh, j * sw : j * sw + kw, :], axis=(1, 2))
    return out


@st.composite
def conv_cases(draw):
    n, c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, kh - 2 * ph), 9))
    w = draw(st.integers(max(1, kw - 2 * pw), 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    bias = rng.standard_normal(c_out) if draw(st.booleans()) else None
    x, weight = rng.standard_normal((n, h, w, c_in)), rng.standard_normal((kh, kw, c_in, c_out))
    return x, weight, bias, (sh, sw), (ph, pw)


@SETTINGS
@given(conv_cases())
def test_conv2d_matches_direct_reference(case):
    x, w, b, stride, (ph, pw) = case
    out = F.conv2d(x, w, b, stride=stride, padding=(ph, pw))
    expected = reference_conv(x, w, b, stride, ((ph, ph), (pw, pw)))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)
    args = (x, w) if b is None else (x, w, b)
    assert gradcheck(lambda *t: F.conv2d(*t, stride=stride, padding=(ph, pw)), *args)


@SETTINGS
@given(conv_cases())
def test_conv2d_same_padding_keeps_size(case):
    x, w, b, _, _ = case
    out = F.conv2d(x, w, b, padding="same")
    assert out.shape[1:3] == x.shape[1:3]
    kh, kw = w.shape[:2]
    padding = (((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2))
    np.testing.assert_allclose(out.numpy(), reference_conv(x, w, b, (1, 1), padding), rtol=1e-10, atol=1e-10)


@st.composite
def pool_cases(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    shape = (draw(st.integers(1, 2)), draw(st.integers(kh, 8)), draw(st.integers(kw, 8)), draw(st.integers(1, 3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1  # distinct: a unique max per window
    return x, (kh, kw), stride


@SETTINGS
@given(pool_cases())
def test_max_pool2d_matches_direct_reference(case):
    x, kernel, stride = case
    out = F.max_pool2d(x, kernel, stride)
    np.testing.assert_array_equal(out.numpy(), reference_pool(x, kernel, stride, np.max))
    assert gradcheck(lambda t: F.max_pool2d(t, kernel, stride), x)


@SETTINGS
@given(pool_cases())
def test_avg_pool2d_matches_direct_reference(case):
    x, kernel, stride = case
    out = F.avg_pool2d(x, kernel, stride)
    np.testing.assert_allclose(out.numpy(), reference_pool(x, kernel, stride, np.mean), rtol=1e-12)
    assert gradcheck(lambda t: F.avg_pool2d(t, kernel, stride), x)


@SETTINGS
@given(pool_cases())
def test_max_pool2d_gradient_goes_to_one_input_per_window(case):
    x, kernel, stride = case
    t = Tensor(x, requires_grad=True)
    out = F.max_pool2d(t, kernel, stride)
    out.sum().backward()
    assert t.grad.sum() == out.size  # each window routes exactly its one unit of gradient


# ---- dilation, groups, conv_transpose2d and padded pools --------------------------------------
def reference_grouped_conv(x, w, stride, padding, dilation, groups):
    """conv2d by direct loops over output pixels and groups, dilated windows picked by slicing."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))
    kh, kw, cg, c_out = w.shape
    og = c_out // groups
    ho, wo = (xp.shape[1] - dh * (kh - 1) - 1) // sh + 1, (xp.shape[2] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], ho, wo, c_out))
    for i in range(ho):
        for j in range(wo):
            window = xp[:, i * sh : i * sh + dh * (kh - 1) + 1 : dh, j * sw : j * sw + dw * (kw - 1) + 1 : dw, :]
            for g in range(groups):
                patch, kernel = window[..., g * cg : (g + 1) * cg], w[..., g * og : (g + 1) * og]
                out[:, i, j, g * og : (g + 1) * og] = np.einsum("nabc,abco->no", patch, kernel)
    return out


def reference_conv_transpose(x, w, stride, padding, output_padding, dilation, groups):
    """conv_transpose2d by scattering every input pixel's contribution (loops over pixels and groups)."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, h, wd, c_in = x.shape
    kh, kw, og, _ = w.shape
    cg = c_in // groups
    full = np.zeros((n, (h - 1) * sh + dh * (kh - 1) + 1 + output_padding[0],
                     (wd - 1) * sw + dw * (kw - 1) + 1 + output_padding[1], og * groups))  # fmt: skip
    for i in range(h):
        for j in range(wd):
            for g in range(groups):
                part = np.einsum("nc,aboc->nabo", x[:, i, j, g * cg : (g + 1) * cg], w[..., g * cg : (g + 1) * cg])
                rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
                cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
                full[:, rows, cols, g * og : (g + 1) * og] += part
    return full[:, ph : full.shape[1] - ph, pw : full.shape[2] - pw, :]


@st.composite
def grouped_cases(draw):
    groups, cg, og = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    h = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 8))
    w = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((draw(st.integers(1, 2)), h, w, groups * cg))
    return x, rng.standard_normal((kh, kw, cg, groups * og)), stride, padding, dilation, groups


@SETTINGS
@given(grouped_cases())
def test_conv2d_with_dilation_and_groups_matches_direct_reference(case):
    x, w, stride, padding, dilation, groups = case
    params = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    out = F.conv2d(x, w, **params)
    expected = reference_grouped_conv(x, w, stride, padding, dilation, groups)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)
    assert gradcheck(lambda *t: F.conv2d(*t, **params), x, w)


@SETTINGS
@given(grouped_cases(), st.data())
def test_conv_transpose2d_matches_direct_reference_and_is_conv2d_adjoint(case, data):
    y, w, stride, padding, dilation, groups = case  # y plays conv2d's input; conv_transpose2d maps back to it
    conv_shape = F.conv2d(y, w, None, stride, padding, dilation, groups).shape
    x = np.random.default_rng(0).standard_normal(conv_shape)
    most = (min(stride[0] - 1, 1), min(stride[1] - 1, 1))
    output_padding = (data.draw(st.integers(0, most[0])), data.draw(st.integers(0, most[1])))
    params = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    geometry = zip(x.shape[1:3], stride, padding, dilation, w.shape[:2])
    size = [(n - 1) * s - 2 * p + d * (k - 1) + 1 for n, s, p, d, k in geometry]
    assume(min(size) >= 1)  # else conv_transpose2d refuses (tests/test_errors.py), as PyTorch does
    out = F.conv_transpose2d(x, w, output_padding=output_padding, **params)
    expected = reference_conv_transpose(x, w, stride, padding, output_padding, dilation, groups)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-10)
    if output_padding == (0, 0) and out.shape == y.shape:  # <conv2d(y, w), x> == <y, conv_transpose2d(x, w)>
        np.testing.assert_allclose((F.conv2d(y, w, **params).numpy() * x).sum(), (y * out.numpy()).sum())
    assert gradcheck(lambda *t: F.conv_transpose2d(*t, output_padding=output_padding, **params), x, w)


def reference_padded_pool(x, kernel, stride, padding, reduce, fill):
    xp = np.pad(x, ((0, 0), (padding[0],) * 2, (padding[1],) * 2, (0, 0)), constant_values=fill)
    return reference_pool(xp, kernel, stride, reduce)


@st.composite
def padded_pool_cases(draw):
    x, kernel, stride = draw(pool_cases())
    return x, kernel, stride, (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))


@SETTINGS
@given(padded_pool_cases())
def test_padded_pools_match_direct_reference(case):
    x, kernel, stride, padding = case
    out = F.max_pool2d(x, kernel, stride, padding)
    np.testing.assert_array_equal(out.numpy(), reference_padded_pool(x, kernel, stride, padding, np.max, -np.inf))
    out = F.avg_pool2d(x, kernel, stride, padding)
    expected = reference_padded_pool(x, kernel, stride, padding, np.mean, 0.0)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    out = F.avg_pool2d(x, kernel, stride, padding, count_include_pad=False)
    real = reference_padded_pool(np.ones_like(x), kernel, stride, padding, np.sum, 0.0)
    sums = reference_padded_pool(x, kernel, stride, padding, np.sum, 0.0)
    np.testing.assert_allclose(out.numpy(), sums / real, rtol=1e-12)
    assert gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding), x)
    assert gradcheck(lambda t: F.avg_pool2d(t, kernel, stride, padding, count_include_pad=False), x)


# ---- random compositions of ops ----------------------------------------------------------------
# Each unary step is smooth everywhere and keeps values bounded (exp and pow see inputs in a fixed
# range), so no composition overflows: every drawn case is one where gradcheck must pass.
SMOOTH_UNARY = {
    "exp": lambda t: t.tanh().exp(),
    "log": lambda t: (t * t + 1.0).log(),
    "sqrt": lambda t: (t * t + 0.5).sqrt(),
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "neg": F.neg,
    "softmax": lambda t: t.softmax(axis=-1),
    "log_softmax": lambda t: t.log_softmax(axis=0),
    "pow": lambda t: (t.sigmoid() + 0.5) ** 1.5,
    "transpose": lambda t: t.transpose(),
    "pad": lambda t: t.pad(1),
    "getitem": lambda t: t[..., ::-1],
}

BINARY = {"add": F.add, "sub": F.sub, "mul": F.mul, "div": lambda a, b: a / (b * b + 1.0)}

@st.composite
def compositions(draw):
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    # a second operand broadcasting against the first: some of its axes are 1 or missing
    other = tuple(n if draw(st.booleans()) else 1 for n in shape)[draw(st.integers(0, len(shape) - 1)) :]
    steps = draw(st.lists(st.sampled_from(sorted(SMOOTH_UNARY) + sorted(BINARY)), min_size=1, max_size=5))
    return rng.standard_normal(shape), rng.standard_normal(other), steps

def broadcasts(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(a, b) == b
    except ValueError:
        return False

@settings(max_examples=examples(60))
@given(compositions())
def test_random_compositions_pass_gradcheck(case):
    a, b, steps = case

    def fn(x, y):
        h = x
        for name in steps:
            if name in BINARY:
                h = BINARY[name](h, y if broadcasts(y.shape, h.shape) else y.sum())
            else:
                h = SMOOTH_UNARY[name](h)
        return (h * h).mean(axis=0) if h.ndim else h

    assert tg.gradcheck(fn, a, b)
