"""The engine: graph recording, backward order, accumulation, freeing, grad mode, dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor
from tinygrad_np import functional as F


def leaf(values, dtype=np.float64):
    return Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_dtype_rules():
    assert Tensor([1, 2]).dtype == np.int64  # as in PyTorch
    assert Tensor([1.5, 2.5]).dtype == np.float32
    assert Tensor(3).dtype == np.int64 and Tensor(3.0).dtype == np.float32
    assert Tensor([True, False]).dtype == np.bool_
    assert Tensor(np.arange(3, dtype=np.int32)).dtype == np.int32
    assert Tensor(np.zeros(2, np.uint8)).dtype == np.uint8
    assert Tensor(np.zeros(2, np.float16)).dtype == np.float32
    assert Tensor(np.zeros(2, np.float64)).dtype == np.float64
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor(np.arange(3), dtype=np.int64).dtype == np.int64


def test_promotion_follows_pytorch():
    ints, f32 = Tensor([1, 2]), Tensor(np.ones(2, np.float32))
    assert (ints + f32).dtype == np.float32 and (f32 * ints).dtype == np.float32
    assert (ints * 2).dtype == np.int64 and (ints * 0.5).dtype == np.float32
    assert (ints / 2).dtype == np.float32 and (ints / ints).dtype == np.float32
    np.testing.assert_allclose((ints / 2).numpy(), [0.5, 1.0])
    assert ints.exp().dtype == np.float32 and ints.mean().dtype == np.float32 and ints.sum().dtype == np.int64
    assert (f32 + Tensor(np.ones(2))).dtype == np.float64  # float32 with float64: float64, as in both


def test_tensor_basics():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
    assert x.shape == (2, 2) and x.ndim == 2 and x.size == 4 and len(x) == 2
    assert isinstance(x.numpy(), np.ndarray) and x.grad is None and x.is_leaf
    assert Tensor([[5.0]]).item() == 5.0
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.numpy() is x.numpy()
    assert "x" in repr(x) and "requires_grad" in repr(x)


def test_operators_and_scalars_keep_dtype():
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    for y in (x + 1, 1 + x, x - 1, 1 - x, x * 2, 2 * x, x / 2, 2 / x, x**2, 2**x, -x):
        assert y.dtype == np.float32
    np.testing.assert_allclose((2 / x).numpy(), [2.0, 1.0])
    np.testing.assert_allclose((1 - x).numpy(), [0.0, -1.0])
    np.testing.assert_allclose((2**x).numpy(), [2.0, 4.0])


def test_used_twice_accumulates():
    x = leaf([3.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0])


def test_diamond_accumulates():
    x = leaf([2.0, -1.0])
    a, b = x * 3, x.exp()
    (a * b).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * np.exp(x.data) * (1 + x.data))


def test_grads_accumulate_across_backward_calls_until_zeroed():
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad, [4.0, 4.0])
    x.zero_grad()
    assert x.grad is None


def test_broadcast_gradients_are_summed_to_each_input_shape():
    a, b, c = leaf(np.ones((2, 3))), leaf(np.ones(3)), leaf(np.ones((2, 1)))
    (a * b + c).sum().backward()
    assert a.grad.shape == (2, 3) and b.grad.shape == (3,) and c.grad.shape == (2, 1)
    np.testing.assert_allclose(b.grad, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(c.grad, [[3.0], [3.0]])


def test_mixed_dtypes_cast_gradients_back():
    a = leaf([1.0, 2.0], np.float32)
    b = leaf([3.0, 4.0], np.float64)
    out = a * b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_float32_training_stays_float32():
    x = Tensor(np.random.default_rng(0).standard_normal((4, 6, 6, 1)).astype(np.float32))
    w = leaf(np.random.default_rng(1).standard_normal((3, 3, 1, 2)), np.float32)
    loss = x.conv2d(w, padding=1).relu().max_pool2d(2).flatten(1).mean().log_softmax(0) * 0.5
    assert loss.dtype == np.float32
    loss.sum().backward()
    assert w.grad.dtype == np.float32


def test_backward_order_is_deterministic():
    def grads():
        x = leaf(np.linspace(-1, 1, 7))
        y = x
        for i in range(30):
            y = y * 0.9 + x * (i % 3)
        y.sum().backward()
        return x.grad

    np.testing.assert_array_equal(grads(), grads())


def test_chain_of_100000_ops_does_not_recurse():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0])


def test_non_scalar_backward_needs_grad():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*pass grad="):
        y.backward()
    with pytest.raises(ValueError, match="grad must have shape"):
        y.backward(np.ones(3))
    y.backward(np.ones(2))


def test_backward_on_untracked_tensor_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_graph_is_freed_after_backward_unless_retained():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 4 * x.data)
    assert y.op.freed and y.op.parents[0].op.freed
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_freed_graph_keeps_its_structure():
    x = leaf([1.0, 2.0])
    y = (x * 3).sum(axis=0)
    y.backward()
    assert y.op.name == "sum" and y.op.params == {"axis": (0,), "keepdims": False}
    assert y.op.parents[0].op.name == "mul" and y.op.parents[0].op.parents[0] is x
    assert not hasattr(y.op, "shape")  # the saved arrays are gone


def test_no_grad_context_and_decorator():
    x = leaf([1.0])
    with tg.no_grad():
        y = x * 2
        with tg.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.op is None and z.requires_grad
    assert tg.is_grad_enabled()

    @tg.no_grad()
    def double(t):
        assert not tg.is_grad_enabled()
        return t * 2

    assert not double(x).requires_grad and tg.is_grad_enabled()


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(RuntimeError, match="boom"), tg.no_grad():
        raise RuntimeError("boom")
    assert tg.is_grad_enabled()


def test_constants_record_nothing():
    y = Tensor([1.0]) * Tensor([2.0])
    assert not y.requires_grad and y.op is None


def test_detach_cuts_the_graph():
    x = leaf([2.0])
    y = x * x.detach()
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [2.0])


def test_retain_grad_keeps_intermediate_gradients():
    x = leaf([1.0, 2.0])
    h = (x * 3).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.data)
    unretained = x * 3
    (unretained * 1).sum().backward()
    assert unretained.grad is None


def test_getitem_gradients():
    x = leaf(np.arange(6.0).reshape(2, 3))
    (x[0, 1:] * 2).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 2, 2], [0, 0, 0]])
    x.zero_grad()
    x[[1, 1, 0]].sum().backward()
    np.testing.assert_allclose(x.grad, [[1, 1, 1], [2, 2, 2]])


def test_deep_dense_network_backward():
    rng = np.random.default_rng(0)
    h = Tensor(rng.standard_normal((4, 16)).astype(np.float32))
    weights = [leaf(rng.standard_normal((16, 16)) * 0.25, np.float32) for _ in range(50)]
    for w in weights:
        h = (h @ w).tanh()
    h.sum().backward()
    assert all(w.grad is not None and np.all(np.isfinite(w.grad)) for w in weights)


def test_max_pool_ties_route_to_the_first_maximum_of_each_window():
    x = Tensor(np.zeros((1, 4, 4, 1)), requires_grad=True)
    x.max_pool2d(2).sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(x.grad[0, :, :, 0], expected)


def test_max_over_axis_splits_ties_evenly():
    x = Tensor(np.array([[1.0, 3.0, 3.0]]), requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.5, 0.5]])


# ---- NumPy arrays and scalars meet Tensors ------------------------------------------------------
NUMPY_LEFT = {
    "+": lambda a, x: a + x,
    "-": lambda a, x: a - x,
    "*": lambda a, x: a * x,
    "/": lambda a, x: a / x,
    "**": lambda a, x: a**x,
    "@": lambda a, x: a @ x,
}


LEFT_OPERANDS = {"array": np.array([1.0, 2.0, 3.0]), "np.float64": np.float64(2.0), "np.float32": np.float32(2.0)}


@pytest.mark.parametrize(
    "op, left",
    [(op, kind) for op in sorted(NUMPY_LEFT) for kind in LEFT_OPERANDS if op != "@" or kind == "array"],  # no scalar @
)
def test_numpy_operand_on_the_left_gives_a_tensor_with_gradients(op, left):
    left = LEFT_OPERANDS[left]
    x = Tensor(np.array([1.0, 2.0, 3.0], np.float32), requires_grad=True)
    out = NUMPY_LEFT[op](left, x)
    assert type(out) is Tensor and out.dtype.kind == "f"
    expected = NUMPY_LEFT[op](np.asarray(left, np.float64), x.numpy().astype(np.float64))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == (3,) and np.all(np.isfinite(x.grad))


def test_numpy_scalar_times_tensor_keeps_float32_and_its_methods():
    x = Tensor(np.ones((2, 2), np.float32), requires_grad=True)
    out = (np.sqrt(2.0) * x).relu()
    assert out.dtype == np.float32
    out.sum().backward()
    np.testing.assert_allclose(x.grad, np.full((2, 2), np.sqrt(2.0)), rtol=1e-6)


def test_numpy_functions_on_tensors_are_ops_or_refused_clearly():
    x = Tensor(np.array([0.5, 1.0, 2.0]), requires_grad=True)
    np.exp(x).sum().backward()
    np.testing.assert_allclose(x.grad, np.exp([0.5, 1.0, 2.0]))
    assert type(np.sum(x, axis=0)) is Tensor and type(np.mean(x)) is Tensor
    with pytest.raises(TypeError, match="numpy.arctan is not a Tensor op"):
        np.arctan(x)
    with pytest.raises(TypeError, match="numpy.cumsum is not a Tensor op"):
        np.cumsum(x)
    with pytest.raises(TypeError, match="requires grad"):
        np.asarray(x)
    np.testing.assert_array_equal(np.asarray(x.detach()), [0.5, 1.0, 2.0])


# ---- shapes PyTorch accepts -----------------------------------------------------------------------
def test_pow_zero_has_a_zero_gradient_at_zero():
    x = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


MATMUL_SHAPES = [
    ((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)), ((2, 3, 4), (4,)), ((4,), (2, 4, 3)), ((2, 1, 3, 4), (5, 4, 2)),
]  # fmt: skip


@pytest.mark.parametrize("shapes", MATMUL_SHAPES)
def test_matmul_backpropagates_every_shape_combination(shapes):
    rng = np.random.default_rng(0)
    a, b = (Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes)
    (a @ b).sum().backward()
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    assert tg.gradcheck(lambda p, q: p @ q, a.numpy(), b.numpy())


@pytest.mark.parametrize(
    "method, expected, slope",
    [("sum", 3.0, 1.0), ("mean", 3.0, 1.0), ("max", 3.0, 1.0), ("softmax", 1.0, 0.0), ("log_softmax", 0.0, 0.0)],
)
@pytest.mark.parametrize("axis", [0, -1])
def test_zero_dim_tensors_take_axis_0_and_minus_1(method, expected, slope, axis):
    s = Tensor(3.0, requires_grad=True)
    out = getattr(s, method)(axis)
    assert out.shape == () and out.item() == pytest.approx(expected)
    out.backward()
    assert s.grad == pytest.approx(slope)


def test_zero_dim_tensor_flattens_to_one_element():
    s = Tensor(3.0, requires_grad=True)
    out = s.flatten()
    assert out.shape == (1,)
    out.sum().backward()
    assert s.grad == 1.0


def test_comparisons_give_boolean_tensors_without_gradients():
    x = Tensor(np.array([-1.0, 0.5, 2.0], np.float32), requires_grad=True)
    for result, expected in [
        (x > 0, [False, True, True]), (x <= 0.5, [True, True, False]), (x == 0.5, [False, True, False]),
        (x != 0.5, [True, False, True]), (np.array([0.0, 0.0, 3.0]) < x, [False, True, False]),
    ]:  # fmt: skip
        assert result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), expected)
    assert bool(x.sum() > 1) and not bool(x.sum() > 2)
    y = F.where(x > 0, x, x * 0.1)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [0.1, 1.0, 1.0], rtol=1e-6)


def test_astype_between_floats_carries_the_gradient_back_in_the_input_dtype():
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.op.name == "astype"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [2.0, 4.0])
    labels = x.astype(np.int64)
    assert labels.dtype == np.int64 and not labels.requires_grad
