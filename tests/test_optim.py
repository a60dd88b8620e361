"""Optimizer options (SGD momentum, dampening, nesterov, weight decay; Adam weight decay; AdamW) and
gradient clipping, step for step against torch.optim and torch.nn.utils, in float64 and float32."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_np import Tensor, optim
from tinygrad_np.nn.utils import clip_grad_norm_, clip_grad_value_

CONFIGS = [
    ("SGD", {"lr": 0.1, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.001}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.003, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "betas": (0.85, 0.995)}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, options", CONFIGS, ids=lambda c: str(c))
def test_optimizer_equals_torch_step_for_step(torch, dtype, name, options):
    g = np.random.default_rng(0)
    shapes = [(4, 3), (3,), (2, 2, 2)]
    values = [g.standard_normal(s).astype(dtype) for s in shapes]
    ours = [Tensor(v.copy(), requires_grad=True) for v in values]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    opt = getattr(optim, name)(ours, **options)
    ref = getattr(torch.optim, name)(theirs, **options)
    for _ in range(60):
        for p, t in zip(ours, theirs):
            grad = (g.standard_normal(p.shape) + 0.3 * p.data).astype(dtype)  # gradients that depend on p
            p.grad, t.grad = grad, torch.from_numpy(grad.copy())
        opt.step()
        ref.step()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for p, t in zip(ours, theirs):
        assert p.dtype == dtype
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda p: optim.SGD(p, 0.1, weight_decay=-1), ValueError, r"SGD: `weight_decay` must be >= 0"),
        (lambda p: optim.SGD(p, 0.1, nesterov=True), ValueError, r"SGD: `nesterov=True` needs momentum > 0"),
        (lambda p: optim.SGD(p, 0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, r"dampening 0"),
        (lambda p: optim.Adam(p, weight_decay="a"), TypeError, r"Adam: `weight_decay` must be a number"),
        (lambda p: optim.AdamW(p, betas=(0.9, 1.0)), ValueError, r"AdamW: `betas` must be a pair"),
    ],
)
def test_bad_optimizer_options_get_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make([Tensor(np.ones(2), requires_grad=True)])


def test_optimizer_state_round_trips_with_dampening():
    p = Tensor(np.ones(3), requires_grad=True)
    opt = optim.SGD([p], 0.1, momentum=0.9, dampening=0.5)
    p.grad = np.ones(3)
    opt.step()
    state = {k: v.copy() for k, v in opt.state().items()}
    fresh = optim.SGD([Tensor(np.ones(3), requires_grad=True)], 0.1, momentum=0.9, dampening=0.5)
    fresh.load_state(state)
    assert fresh.started == [True] and np.array_equal(fresh.velocity[0], opt.velocity[0])
    assert repr(opt) == "SGD(lr=0.1, momentum=0.9, dampening=0.5)"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("max_norm, norm_type", [(0.5, 2.0), (100.0, 2.0), (1.0, 1.0), (0.3, float("inf")), (2, 3.0)])
def test_clip_grad_norm_equals_torch(torch, dtype, max_norm, norm_type):
    g = np.random.default_rng(1)
    grads = [g.standard_normal(s).astype(dtype) for s in [(3, 4), (5,)]]
    ours = [Tensor(np.zeros(a.shape, dtype), requires_grad=True) for a in grads]
    theirs = [torch.zeros(a.shape, dtype=torch.from_numpy(a).dtype, requires_grad=True) for a in grads]
    for p, t, a in zip(ours, theirs, grads):
        p.grad, t.grad = a.copy(), torch.from_numpy(a.copy())
    total = clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(total, expected.item(), rtol=tol)
    for p, t in zip(ours, theirs):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_value_equals_torch(torch, dtype):
    a = np.random.default_rng(2).standard_normal((4, 4)).astype(dtype)
    p = Tensor(np.zeros(a.shape, dtype), requires_grad=True)
    t = torch.zeros(a.shape, dtype=torch.from_numpy(a).dtype, requires_grad=True)
    p.grad, t.grad = a.copy(), torch.from_numpy(a.copy())
    clip_grad_value_([p], 0.5)
    torch.nn.utils.clip_grad_value_([t], 0.5)
    np.testing.assert_array_equal(p.grad, t.grad.numpy())


def test_clipping_refuses_bad_arguments_clearly():
    p = Tensor(np.ones(2), requires_grad=True)
    p.grad = np.array([np.inf, 1.0])
    with pytest.raises(ValueError, match=r"clip_grad_norm_: `max_norm` must be >= 0"):
        clip_grad_norm_([p], -1)
    with pytest.raises(TypeError, match=r"clip_grad_norm_: `parameters` must be Tensors"):
        clip_grad_norm_([np.ones(2)], 1.0)
    with pytest.raises(FloatingPointError, match=r"clip_grad_norm_: the total norm of order 2.0 .* is inf"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match=r"clip_grad_value_: `clip_value` must be >= 0"):
        clip_grad_value_(p, -0.1)
