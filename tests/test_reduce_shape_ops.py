"""What the registry-enumerated op tests cannot see in the reduce and shape families: `split` (a
composite returning a tuple), tie and edge rules, dtype promotion of `cat`, and the NumPy functions
that are Tensor ops."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_np import Tensor, gradcheck
from tinygrad_np import functional as F

rng = np.random.default_rng(0)

SPLITS = [
    ("int chunk size that divides", (6, 2), 3, 0),
    ("int chunk size, last piece smaller", (7, 2), 3, 0),
    ("sizes along axis -1, with an empty piece", (2, 6), [1, 0, 5], -1),
    ("chunk larger than the axis: one piece", (2, 3), 5, 1),
    ("sizes as a tuple, 3-D", (2, 5, 3), (2, 3), 1),
]


def weighted(pieces: tuple[Tensor, ...], axis: int) -> Tensor:
    """The pieces joined back, each scaled differently, so a piece's gradient sent to the wrong place shows."""
    return F.cat([p * (i + 1) for i, p in enumerate(pieces)], axis=axis)


@pytest.mark.parametrize("desc, shape, sections, axis", SPLITS, ids=[s[0] for s in SPLITS])
def test_split_gradcheck(desc, shape, sections, axis):
    assert gradcheck(lambda x: weighted(x.split(sections, axis), axis), rng.standard_normal(shape))


@pytest.mark.parametrize("desc, shape, sections, axis", SPLITS, ids=[s[0] for s in SPLITS])
def test_split_matches_pytorch(desc, shape, sections, axis, torch):
    data = rng.standard_normal(shape).astype(np.float32)
    ours, theirs = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    pieces = F.split(ours, sections, axis=axis)
    expected = torch.split(theirs, list(sections) if isinstance(sections, tuple) else sections, dim=axis)
    assert isinstance(pieces, tuple) and len(pieces) == len(expected)
    for piece, reference in zip(pieces, expected):
        np.testing.assert_array_equal(piece.numpy(), reference.detach().numpy())
    upstream = [rng.standard_normal(p.shape).astype(np.float32) for p in pieces]
    sum((p * u).sum() for p, u in zip(pieces, upstream) if p.size).backward()  # (sum refuses empty tensors)
    sum((r * torch.from_numpy(u)).sum() for r, u in zip(expected, upstream)).backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-6)


def test_split_is_a_method_and_concatenate_is_cat():
    x = Tensor(np.arange(6.0))
    assert [p.numpy().tolist() for p in x.split(4)] == [[0, 1, 2, 3], [4, 5]]
    assert F.concatenate is F.cat


@pytest.mark.parametrize("fn", ["min", "max"])
def test_min_and_max_ties_share_the_gradient_equally(fn):
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]) * (1 if fn == "max" else -1), requires_grad=True)
    getattr(x, fn)(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_std_of_equal_values_has_zero_gradient_as_in_pytorch():
    x = Tensor(np.full((2, 3), 1.5), requires_grad=True)
    out = x.std(axis=1)
    out.sum().backward()
    np.testing.assert_array_equal(out.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))


def test_logsumexp_is_stable_at_both_ends():
    big = Tensor(np.array([1e4, 1e4 - 1.0], np.float32))
    assert big.logsumexp().item() == pytest.approx(1e4 + np.log1p(np.exp(-1.0)), rel=1e-6)
    with np.errstate(all="raise"):  # no warning: the all -inf row is exactly -inf
        out = Tensor(np.array([[-np.inf, -np.inf], [0.0, -np.inf]])).logsumexp(axis=1)
    np.testing.assert_array_equal(out.numpy(), [-np.inf, 0.0])


def test_argmax_gives_int64_and_the_first_of_tied_indices():
    x = Tensor(np.array([[0.0, 7.0, 7.0], [5.0, 5.0, 1.0]], np.float32), requires_grad=True)
    assert x.argmax().dtype == np.int64 and x.argmax().item() == 1
    np.testing.assert_array_equal(x.argmax(axis=1).numpy(), [1, 0])
    np.testing.assert_array_equal(x.argmin(axis=0, keepdims=True).numpy(), [[0, 1, 1]])
    np.testing.assert_array_equal(F.argmin(np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]), axis=1).numpy(), [1, 0])


def test_cat_and_stack_promote_as_pytorch():
    ints = Tensor(np.array([1, 2]))
    f32 = Tensor(np.array([0.5, 1.5], np.float32), requires_grad=True)
    f64 = Tensor(np.array([0.25, 0.75]), requires_grad=True)
    assert F.cat([ints, f32]).dtype == np.float32 and F.stack([f32, ints]).dtype == np.float32
    assert F.cat([ints, Tensor(np.array([3], np.int32))]).dtype == np.int64
    out = F.cat([f32, f64])
    assert out.dtype == np.float64
    out.backward(np.arange(4.0))
    assert f32.grad.dtype == np.float32 and f64.grad.dtype == np.float64
    np.testing.assert_array_equal(f32.grad, [0, 1])
    np.testing.assert_array_equal(f64.grad, [2, 3])


def test_numpy_functions_run_as_tensor_ops_with_numpy_semantics():
    data = rng.standard_normal((3, 4))
    x = Tensor(data, requires_grad=True)
    np.testing.assert_allclose(np.var(x).numpy(), np.var(data))  # NumPy's ddof=0, not torch's correction=1
    np.testing.assert_allclose(np.std(x, axis=0, ddof=1).numpy(), np.std(data, axis=0, ddof=1))
    np.testing.assert_array_equal(np.min(x, axis=1).numpy(), np.amin(data, axis=1))
    np.testing.assert_array_equal(np.argmin(x).numpy(), np.argmin(data))
    np.testing.assert_array_equal(np.argmax(x, axis=0).numpy(), np.argmax(data, axis=0))
    np.testing.assert_array_equal(np.flip(x).numpy(), np.flip(data))
    np.testing.assert_array_equal(np.broadcast_to(x, (2, 3, 4)).numpy(), np.broadcast_to(data, (2, 3, 4)))
    joined = np.concatenate([x, x], axis=1) + np.stack([x, x]).sum(axis=0).sum(axis=1, keepdims=True)
    assert isinstance(joined, Tensor) and joined.shape == (3, 8)
    joined.sum().backward()
    np.testing.assert_allclose(x.grad, np.full((3, 4), 2.0 + 2 * 8))


def test_expand_is_a_view_and_its_gradient_sums_over_the_repeats():
    x = Tensor(np.array([[1.0], [2.0]]), requires_grad=True)
    out = x.expand(3, -1, 4)
    assert out.shape == (3, 2, 4) and np.shares_memory(out.numpy(), x.numpy())
    out.backward(np.ones(out.shape))
    np.testing.assert_array_equal(x.grad, [[12.0], [12.0]])
