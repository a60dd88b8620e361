"""Every registered op: gradcheck on its samples, and forward + backward against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from op_samples import SAMPLES

import tinygrad_np as tg
from tinygrad_np import Op, Tensor, gradcheck
from tinygrad_np import functional as F


def cases(differentiable: bool) -> list:
    return [
        pytest.param(name, s, id=f"{name}: {s.desc}")
        for name, samples in SAMPLES.items()
        if tg.REGISTRY[name].differentiable == differentiable
        for s in samples
    ]


CASES = cases(differentiable=True)


def run(name: str, sample, *tensors: Tensor) -> Tensor:
    if sample.call is not None:
        return sample.call(*tensors)
    inputs = ([*tensors],) if sample.packed else tensors
    return getattr(F, name)(*inputs, *sample.consts, **sample.kwargs)


def test_every_registered_op_has_samples():
    missing = sorted(name for name in tg.REGISTRY if not SAMPLES.get(name))
    assert not missing, f"ops without test samples: {missing}"


def test_every_sample_names_a_registered_op():
    assert set(SAMPLES) <= set(tg.REGISTRY)


@pytest.mark.parametrize("name, sample", CASES)
def test_gradcheck(name, sample):
    assert gradcheck(lambda *xs: run(name, sample, *xs), *sample.args)


@pytest.mark.parametrize("name, sample", CASES)
def test_float32_in_float32_out(name, sample):
    xs = [Tensor(a.astype(np.float32), requires_grad=True) for a in sample.args]
    out = run(name, sample, *xs)
    assert out.dtype == (sample.out_dtype or np.float32)
    out.backward(np.ones(out.shape, out.dtype))
    assert all(x.grad.dtype == np.float32 and x.grad.shape == x.shape for x in xs)


@pytest.mark.parametrize("name, sample", CASES)
def test_matches_pytorch(name, sample, torch):
    ours = [Tensor(a.astype(np.float32), requires_grad=True) for a in sample.args]
    theirs = [torch.tensor(a.astype(np.float32), requires_grad=True) for a in sample.args]
    out = run(name, sample, *ours)
    expected = sample.torch(*theirs)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-5)
    upstream = np.random.default_rng(0).standard_normal(out.shape).astype(np.float32)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream.copy()))
    for x, t in zip(ours, theirs):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, sample", CASES)
def test_gradgradcheck(name, sample):
    assert tg.gradgradcheck(lambda *xs: run(name, sample, *xs), *sample.args)


def first_order_gradients(name, sample, upstream, create_graph):
    xs = [Tensor(a, requires_grad=True) for a in sample.args]
    out = run(name, sample, *xs)
    return tg.grad(out, xs, upstream(out.shape), create_graph=create_graph, allow_unused=True)


@pytest.mark.parametrize("name, sample", CASES)
def test_create_graph_backward_equals_the_fast_backward(name, sample):
    def upstream(shape):
        return np.random.default_rng(1).standard_normal(shape)

    fast = first_order_gradients(name, sample, upstream, create_graph=False)
    recorded = first_order_gradients(name, sample, upstream, create_graph=True)
    for a, b in zip(fast, recorded):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, sample", CASES)
def test_double_backward_matches_pytorch(name, sample, torch):
    rng = np.random.default_rng(2)
    ours = [Tensor(a, requires_grad=True) for a in sample.args]
    theirs = [torch.tensor(a, requires_grad=True) for a in sample.args]
    out, expected = run(name, sample, *ours), sample.torch(*theirs)
    v = rng.standard_normal(out.shape)
    first = tg.grad(out, ours, v, create_graph=True, allow_unused=True)
    first_t = torch.autograd.grad(expected, theirs, torch.tensor(v), create_graph=True, allow_unused=True)
    weights = [rng.standard_normal(a.shape) for a in sample.args]
    used = [i for i, g in enumerate(first_t) if g is not None and g.requires_grad]
    if not used:  # PyTorch's first-order gradient is constant: the second order is zero everywhere
        assert all(g is None or not g.requires_grad or np.all(g.numpy() == 0) for g in first)
        return
    total = sum((first[i] * weights[i]).sum() for i in used)
    total_t = sum((first_t[i] * torch.tensor(weights[i])).sum() for i in used)
    second = tg.grad(total, ours, allow_unused=True) if total.requires_grad else [None] * len(ours)
    second_t = torch.autograd.grad(total_t, theirs, allow_unused=True)
    for a, b in zip(second, second_t):
        a = np.zeros(b.shape) if a is None and b is not None else a
        if b is None:
            assert a is None or np.all(a.numpy() == 0)
        else:
            expected = b.numpy(force=True)  # force: PyTorch marks known-zero gradients as ZeroTensors
            np.testing.assert_allclose(a.numpy() if isinstance(a, Tensor) else a, expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name, sample", cases(differentiable=False))
def test_non_differentiable_op_matches_pytorch_and_records_nothing(name, sample, torch):
    ours = [Tensor(a.astype(np.float32), requires_grad=True) for a in sample.args]
    out = run(name, sample, *ours)
    expected = sample.torch(*[torch.tensor(a.astype(np.float32)) for a in sample.args]).numpy()
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)
    assert not out.requires_grad and out.op is None


class _Cube(Op):
    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, grad):
        return 3 * self.x**2 * grad


class _WrongCube(_Cube):
    def backward(self, grad):
        return 2 * self.x**2 * grad  # deliberately wrong


def cube(x):
    """x ** 3."""
    return _Cube.apply(tg.as_tensor(x))


def wrong_cube(x):
    """x ** 3 with a wrong gradient."""
    return _WrongCube.apply(tg.as_tensor(x))


@pytest.fixture
def registered():
    names = []

    def add(op, fn):
        tg.register(op)(fn)
        names.append(fn.__name__)

    yield add
    for name in names:
        if name in tg.FUNCTIONS:  # not unregistered by the test itself
            tg.unregister(name)


def test_user_op_is_callable_four_ways_and_checks(registered):
    registered(_Cube, cube)
    x = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    for result in (x.cube(), F.cube(x), cube(x), tg.ops.call("cube", x)):
        np.testing.assert_allclose(result.numpy(), x.numpy() ** 3)
        assert result.op.name == "cube" and isinstance(result.op, _Cube)
    assert tg.REGISTRY["cube"] is _Cube
    assert gradcheck(lambda t: t.cube(), np.array([1.0, -2.0, 0.5]))
    tg.unregister("cube")
    assert not hasattr(x, "cube") and "cube" not in tg.REGISTRY


def test_gradcheck_catches_a_wrong_backward(registered):
    registered(_WrongCube, wrong_cube)
    with pytest.raises(tg.GradcheckError) as info:
        gradcheck(lambda t: t.wrong_cube(), np.array([1.0, -2.0, 0.5]))
    message = str(info.value)
    assert "input 0" in message and "index (1,)" in message
    assert "analytic 8" in message and "numeric 12" in message


def test_gradcheck_catches_a_wrong_backward_with_random_projections(registered):
    registered(_WrongCube, wrong_cube)
    big = np.random.default_rng(0).standard_normal((60, 50))  # 3,000 inputs and outputs: projections
    with pytest.raises(tg.GradcheckError, match="random direction"):
        gradcheck(lambda t: t.wrong_cube(), big)
    assert gradcheck(lambda t: (t * t).sum(axis=0), big)


def test_register_refuses_duplicates_non_ops_and_ops_without_backward():
    def add(a, b):
        return a

    with pytest.raises(ValueError, match="'add' exists already"):
        tg.register(_Cube)(add)
    with pytest.raises(TypeError, match="subclass of Op"):
        tg.register(object)

    def backward(x):
        """A function whose name is a Tensor method's."""
        return x

    with pytest.raises(ValueError, match="would replace Tensor's own `backward`"):
        tg.register(_Cube)(backward)

    class NoBackward(Op):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match=r"NoBackward does not define backward\(\)"):
        tg.register(NoBackward)


def test_every_registered_op_has_its_public_function_and_method():
    for name, op in tg.REGISTRY.items():
        fn = tg.FUNCTIONS.get(name)
        assert fn is not None and fn.__name__ == name, f"op {name!r} has no public function"
        assert getattr(F, name) is fn and getattr(Tensor, name) is fn, f"op {name!r}: functional/method differ"
        assert fn.__doc__, f"op {name!r}: its public function has no docstring"
        assert op.name == name


def test_every_sample_has_a_pytorch_reference():
    missing = [f"{name}: {s.desc}" for name, samples in SAMPLES.items() for s in samples if s.torch is None]
    assert not missing, f"samples without a PyTorch reference: {missing}"


@pytest.mark.parametrize("case", ["random", "all tied (zero image)", "all negative (ReLU kills)"])
def test_fused_conv_relu_maxpool_equals_the_three_ops(case):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 9, 9, 2)) if case == "random" else np.zeros((3, 9, 9, 2))
    w = rng.standard_normal((3, 3, 2, 4))
    b = {"random": rng.standard_normal(4), "all tied (zero image)": np.full(4, 0.5)}.get(case, np.full(4, -1.0))
    grads = []
    for fn in (
        lambda x, w, b: F.conv2d_relu_maxpool2d(x, w, b, padding=1, pool=2),
        lambda x, w, b: F.conv2d(x, w, b, padding=1).relu().max_pool2d(2),
    ):
        tensors = [Tensor(a, requires_grad=True) for a in (x, w, b)]
        out = fn(*tensors)
        out.backward(np.arange(out.size, dtype=np.float64).reshape(out.shape))
        grads.append([out.numpy()] + [t.grad for t in tensors])
    for fused, plain in zip(*grads):
        np.testing.assert_allclose(fused, plain, rtol=1e-12, atol=1e-12)


def test_gradient_error_reports_the_worst_difference(registered):
    from tinygrad_np.gradcheck import gradient_error

    registered(_WrongCube, wrong_cube)
    x = np.array([1.0, -2.0, 0.5])
    assert gradient_error(lambda t: t * t * t, x) < 1e-6
    assert gradient_error(lambda t: t.wrong_cube(), x) == pytest.approx(4.0, rel=1e-4)  # |8 - 12| at x = -2


@pytest.mark.parametrize("fn", ["cross_entropy", "hinge", "softmax", "log_softmax"])
def test_float32_logits_of_magnitude_1e4_stay_finite_and_correct(fn):
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((6, 10)) * 1e4).astype(np.float32)
    labels = rng.integers(0, 10, 6)
    results = []
    for dtype in (np.float32, np.float64):
        z = Tensor(logits.astype(dtype), requires_grad=True)
        out = getattr(z, fn)(labels) if fn in ("cross_entropy", "hinge") else getattr(z, fn)()
        out.sum().backward()
        assert np.all(np.isfinite(out.numpy())) and np.all(np.isfinite(z.grad))
        results.append((out.numpy(), z.grad))
    (out32, grad32), (out64, grad64) = results
    np.testing.assert_allclose(out32, out64, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(grad32, grad64, rtol=1e-4, atol=1e-5)


def test_cross_entropy_with_certain_wrong_prediction_is_large_not_inf():
    logits = Tensor(np.array([[1e4, -1e4]], np.float32), requires_grad=True)
    loss = logits.cross_entropy(np.array([1]))
    assert loss.item() == pytest.approx(2e4, rel=1e-6)
    loss.backward()
    np.testing.assert_allclose(logits.grad, [[1.0, -1.0]])
