"""Gradients of gradients: create_graph, tg.grad, the function transforms, gradgradcheck, and what
users build from them (Newton's method, Hessian-vector products of the MNIST CNN, gradient penalties)."""

from __future__ import annotations

import runpy
import sys

import numpy as np
import pytest

import tinygrad_np as tg
from models.mnist_cnn import build_mnist_cnn
from tinygrad_np import Tensor
from tinygrad_np import functional as F
from tinygrad_np.autograd import functional as AF

rng = np.random.default_rng(0)


# ---- create_graph and tg.grad ------------------------------------------------------------------
def test_second_derivative_of_x4_at_2_is_48():
    x = Tensor(np.array(2.0), requires_grad=True)
    (dy,) = tg.grad(x**4, x, create_graph=True)
    (d2y,) = tg.grad(dy, x)
    assert dy.item() == pytest.approx(32.0) and d2y.item() == pytest.approx(48.0)


def test_backward_with_create_graph_leaves_arrays_in_grad_and_a_differentiable_grad_tensor():
    x = Tensor(np.array([0.5, -1.5]), requires_grad=True)
    (x.sin() * x).sum().backward(create_graph=True)
    expected = np.cos(x.numpy()) * x.numpy() + np.sin(x.numpy())
    assert isinstance(x.grad, np.ndarray)
    np.testing.assert_allclose(x.grad, expected)
    np.testing.assert_allclose(x.grad_tensor.numpy(), expected)
    x.grad = None
    x.grad_tensor.sum().backward()  # d/dx of sum(cos(x) x + sin(x)) = -sin(x) x + 2 cos(x)
    np.testing.assert_allclose(x.grad, -np.sin(x.numpy()) * x.numpy() + 2 * np.cos(x.numpy()))


def test_first_order_backward_records_nothing():
    x = Tensor(np.array([0.5, -1.5]), requires_grad=True)
    (x.exp() * x).sum().backward()
    assert x.grad_tensor is None


def test_grad_does_not_accumulate_and_matches_pytorch(torch):
    a_np, b_np = rng.standard_normal((3, 4)), rng.standard_normal(4)
    a, b = Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True)
    out1, out2 = (a * b).tanh(), (a.exp() @ b).sum()
    v = rng.standard_normal((3, 4))
    grads = tg.grad([out1, out2], [a, b], [v, None])
    assert a.grad is None and b.grad is None
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    expected = torch.autograd.grad([(ta * tb).tanh(), (ta.exp() @ tb).sum()], [ta, tb], [torch.tensor(v), None])
    for ours, theirs in zip(grads, expected):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_grad_names_an_unused_input_unless_allowed():
    x, unused = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(3), requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match=r"input 1 \(shape \(3,\)\) is not used.*allow_unused=True"):
        tg.grad(y, [x, unused], retain_graph=True)
    gx, gu = tg.grad(y, [x, unused], allow_unused=True)
    np.testing.assert_array_equal(gx.numpy(), [2.0, 2.0])
    assert gu is None


def test_grad_refuses_inputs_without_grad_and_bad_grad_outputs():
    x = Tensor(np.ones(2), requires_grad=True)
    y = x * 3
    with pytest.raises(RuntimeError, match="input 0 .* does not require grad"):
        tg.grad(y.sum(), Tensor(np.ones(2)))
    with pytest.raises(RuntimeError, match="one-element output.*grad_outputs="):
        tg.grad(y, x)
    with pytest.raises(ValueError, match=r"grad must have shape \(2,\)"):
        tg.grad(y, x, np.ones(3))
    with pytest.raises(TypeError, match="`inputs` must be a Tensor"):
        tg.grad(y.sum(), "x")


def test_graph_is_kept_with_create_graph_and_freed_without():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x.exp() * x).sum()
    tg.grad(y, x, create_graph=True)
    tg.grad(y, x)  # retain_graph defaulted to create_graph: the graph is still there
    with pytest.raises(RuntimeError, match="a second time"):
        tg.grad(y, x)


def test_second_order_of_piecewise_linear_ops_is_zero_not_an_error():
    x = Tensor(np.array([[-1.0, 2.0], [3.0, -4.0]]), requires_grad=True)
    y = (x.relu() * 3 + x.abs()).max()  # the max is 3 * 3 + 3 = 12, at x = 3: slope 3 + 1
    (g,) = tg.grad(y, x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), [[0, 0], [4, 0]])
    if g.requires_grad:
        (second,) = tg.grad(g.sum(), x, allow_unused=True)
        assert second is None or np.all(second.numpy() == 0)


# ---- transforms ----------------------------------------------------------------------------------
def smooth(x, y):
    return (x.sin() * y).sum() + (x * x * y).tanh().sum()


def smooth_torch(x, y):
    return (x.sin() * y).sum() + (x * x * y).tanh().sum()


def test_transforms_match_torch_autograd_functional(torch):
    x, y = rng.standard_normal(3), rng.standard_normal(3)
    vx, vy = rng.standard_normal(3), rng.standard_normal(3)
    tx, ty, tvx, tvy = (torch.tensor(a) for a in (x, y, vx, vy))
    TF = torch.autograd.functional

    def close(ours, theirs):
        ours = ours if isinstance(ours, tuple) else (ours,)
        theirs = theirs if isinstance(theirs, tuple) else (theirs,)
        for o, t in zip(ours, theirs):
            if isinstance(t, tuple):
                close(o, t)
            else:
                np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-10, atol=1e-12)

    close(AF.vjp(smooth, (x, y))[1], TF.vjp(smooth_torch, (tx, ty))[1])
    elementwise, elementwise_t = (lambda a: a.exp() * a.sin()), (lambda a: a.exp() * a.sin())
    close(AF.vjp(elementwise, x, vx)[1], TF.vjp(elementwise_t, tx, tvx)[1])
    close(AF.jvp(elementwise, x, vx)[1], TF.jvp(elementwise_t, tx, tvx)[1])
    close(AF.jvp(smooth, (x, y), (vx, vy))[1], TF.jvp(smooth_torch, (tx, ty), (tvx, tvy))[1])
    close(AF.hvp(smooth, (x, y), (vx, vy))[1], TF.hvp(smooth_torch, (tx, ty), (tvx, tvy))[1])
    close(AF.jacobian(elementwise, x), TF.jacobian(elementwise_t, tx))
    close(AF.jacobian(smooth, (x, y)), TF.jacobian(smooth_torch, (tx, ty)))
    close(AF.hessian(smooth, (x, y)), TF.hessian(smooth_torch, (tx, ty)))
    close(AF.hessian(lambda a: (a**3).sum(), x), TF.hessian(lambda a: (a**3).sum(), tx))


def test_transforms_refuse_bad_arguments():
    with pytest.raises(ValueError, match="hvp: `func` must return a one-element Tensor"):
        AF.hvp(lambda a: a * 2, np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"jvp: `v\[0\]` must have shape \(3,\)"):
        AF.jvp(lambda a: a * 2, np.ones(3), np.ones(2))
    with pytest.raises(TypeError, match="inputs\\[0\\]` must be a floating"):
        AF.jacobian(lambda a: a * 2, np.ones(3, np.int64))
    with pytest.raises(TypeError, match="`func` must return a Tensor"):
        AF.vjp(lambda a: 3.0, np.ones(3))


def test_gradgradcheck_catches_a_vjp_that_drifted_from_backward():
    class BadSquare(tg.Op):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, grad):
            return grad * 2 * self.x

        def vjp(self, grad, out):  # deliberately wrong: 3 x instead of 2 x
            return grad * 3 * self.parents[0]

    def bad_square(x):
        """x * x with a wrong differentiable backward."""
        return BadSquare.apply(tg.as_tensor(x))

    tg.register(BadSquare)(bad_square)
    try:
        assert tg.gradcheck(lambda t: t.bad_square(), np.array([1.0, 2.0]))
        with pytest.raises(tg.GradcheckError, match="create_graph backward .* disagrees"):
            tg.gradgradcheck(lambda t: t.bad_square(), np.array([1.0, 2.0]))
    finally:
        tg.unregister("bad_square")


# ---- what users build ------------------------------------------------------------------------
def test_newton_example_finds_the_minimum(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["newton.py"])
    runpy.run_path("examples/newton.py", run_name="__main__")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert "x = 1.000000000000" in last and "y'' = 8.000000" in last


def mnist_cnn_float64():
    model = build_mnist_cnn(seed=1)
    return [Tensor(p.numpy().astype(np.float64), requires_grad=True) for p in model.parameters()]


def cnn_loss(x, labels, conv_w, conv_b, w1, b1, w2, b2):
    h = F.conv2d_relu_maxpool2d(x, conv_w, conv_b, padding=1, pool=2).flatten(1)
    return F.linear(F.linear(h, w1, b1).relu(), w2, b2).cross_entropy(labels)


def cnn_loss_torch(torch, x, labels, conv_w, conv_b, w1, b1, w2, b2):
    tf = torch.nn.functional
    z = tf.conv2d(x.permute(0, 3, 1, 2), conv_w.permute(3, 2, 0, 1), conv_b, padding=1)
    h = tf.max_pool2d(tf.relu(z), 2).permute(0, 2, 3, 1).flatten(1)  # channels-last order, as ours
    return tf.cross_entropy(tf.relu(h @ w1 + b1) @ w2 + b2, labels)


def test_hessian_vector_product_of_the_mnist_cnn_matches_pytorch(torch):
    params = mnist_cnn_float64()
    x = rng.random((4, 28, 28, 1))
    labels = np.array([3, 1, 4, 1])
    vs = tuple(rng.standard_normal(p.shape) for p in params)
    _, ours = AF.hvp(lambda *ps: cnn_loss(x, labels, *ps), tuple(params), vs)
    theirs = torch.autograd.functional.hvp(
        lambda *ps: cnn_loss_torch(torch, torch.tensor(x), torch.tensor(labels), *ps),
        tuple(torch.tensor(p.numpy()) for p in params),
        tuple(torch.tensor(v) for v in vs),
    )[1]
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-6, atol=1e-6 * np.abs(t.numpy()).max())


def test_gradient_penalty_backpropagates_like_pytorch(torch):
    """WGAN-GP: loss = mean(critic(x)) + 10 * mean((|d critic(x) / dx| - 1) ** 2), through unfused ops."""
    x_np = rng.random((3, 6, 6, 2))
    w_np, b_np = rng.standard_normal((3, 3, 2, 4)) * 0.5, rng.standard_normal(4) * 0.1
    v_np = rng.standard_normal((3 * 3 * 4, 1)) * 0.3

    def critic(x, w, b, v):
        return F.conv2d(x, w, b, padding=1).tanh().max_pool2d(2).flatten(1) @ v

    def critic_torch(x, w, b, v):
        z = torch.nn.functional.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), b, padding=1).tanh()
        return torch.nn.functional.max_pool2d(z, 2).permute(0, 2, 3, 1).flatten(1) @ v

    x = Tensor(x_np, requires_grad=True)
    params = [Tensor(a, requires_grad=True) for a in (w_np, b_np, v_np)]
    scores = critic(x, *params)
    (dx,) = tg.grad(scores.sum(), x, create_graph=True)
    norms = (dx * dx).sum(axis=(1, 2, 3)).sqrt()
    loss = scores.mean() + 10 * ((norms - 1) ** 2).mean()
    loss.backward()

    tx = torch.tensor(x_np, requires_grad=True)
    tparams = [torch.tensor(a, requires_grad=True) for a in (w_np, b_np, v_np)]
    tscores = critic_torch(tx, *tparams)
    (tdx,) = torch.autograd.grad(tscores.sum(), tx, create_graph=True)
    tloss = tscores.mean() + 10 * ((tdx.pow(2).sum(dim=(1, 2, 3)).sqrt() - 1) ** 2).mean()
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
    for ours, theirs in zip(params, tparams):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_gradgradcheck_catches_a_second_derivative_lost_to_a_constant():
    class ConstantSquare(tg.Op):
        def forward(self, x):
            self.twice = 2 * x  # derived from x, so the default vjp treats it as a constant: d2/dx2 is lost
            return x * x

        def backward(self, grad):
            return grad * self.twice

    def constant_square(x):
        """x * x whose backward hides its dependence on x."""
        return ConstantSquare.apply(tg.as_tensor(x))

    tg.register(ConstantSquare)(constant_square)
    try:
        with pytest.raises(tg.GradcheckError, match="gradcheck: gradient of input 0"):
            tg.gradgradcheck(lambda t: t.constant_square(), np.array([1.0, 2.0]))
    finally:
        tg.unregister("constant_square")


def test_zero_grad_forgets_the_gradient_tensor_too():
    model = tg.nn.Sequential(tg.nn.Dense(3, 2, "tanh"), tg.nn.Dense(1, 3, "none"))
    model(Tensor(np.ones((4, 2), np.float32))).sum().backward(create_graph=True)
    assert all(p.grad_tensor is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None and p.grad_tensor is None for p in model.parameters())
