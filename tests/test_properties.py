"""hypothesis: conv2d and the pools against direct (loop-per-output-pixel) references over random
shapes, strides and paddings, plus gradcheck on every drawn case."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
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
