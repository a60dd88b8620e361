"""A refused optimizer step changes nothing: parameters, moments, velocities and step count stay as they were."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from tinygrad_np import Tensor, optim
from tinygrad_np.optim import NonFiniteUpdateError

OPTIMIZERS = {
    "sgd": lambda params: optim.SGD(params, lr=0.1),
    "momentum": lambda params: optim.SGD(params, lr=0.1, momentum=0.9),
    "adam": lambda params: optim.Adam(params, lr=0.01),
}


def make_params():
    rng = np.random.default_rng(0)
    return [
        ("w", Tensor(rng.normal(size=(3, 4)).astype(np.float32), requires_grad=True)),
        ("b", Tensor(rng.normal(size=4).astype(np.float32), requires_grad=True)),
    ]


def gradients(seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32)]


def take_step(opt, grads):
    for p, g in zip(opt.params, grads):
        p.grad = g.copy()
    opt.step()


def snapshot(opt):
    return [p.data.copy() for p in opt.params], copy.deepcopy(opt.state())


def assert_same(a, b):
    for x, y in zip(a[0], b[0]):
        np.testing.assert_array_equal(x, y)
    assert a[1].keys() == b[1].keys()
    for key in a[1]:
        np.testing.assert_array_equal(a[1][key], b[1][key])


def bad_gradients(kind):
    grads = gradients(7)
    if kind == "inf gradient":
        grads[1][2] = np.inf
    elif kind == "nan gradient":
        grads[0][1, 1] = np.nan
    else:  # a finite gradient whose square overflows float32 (Adam's second moment) or whose update does
        grads[1][0] = np.float32(3e38)
    return grads


@pytest.mark.parametrize("kind", ["inf gradient", "nan gradient", "overflow"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_a_refused_step_then_good_steps_equal_never_refusing(name, kind):
    refused, clean = OPTIMIZERS[name](make_params()), OPTIMIZERS[name](make_params())
    for opt in (refused, clean):
        take_step(opt, gradients(1))
    before = snapshot(refused)
    if name != "adam" and kind == "overflow":
        refused.lr = 10.0  # lr * 3e38 overflows (Adam's overflows in its second moment)
    with pytest.raises(NonFiniteUpdateError):
        take_step(refused, bad_gradients(kind))
    refused.lr = clean.lr
    assert_same(snapshot(refused), before)  # parameters and state exactly as before the refused step
    for seed in (2, 3):
        for opt in (refused, clean):
            take_step(opt, gradients(seed))
    assert_same(snapshot(refused), snapshot(clean))
    if name == "adam":
        assert refused.t == clean.t == 3


def test_the_message_names_the_parameter_in_plain_words():
    opt = optim.Adam(make_params(), lr=0.01)
    with pytest.raises(NonFiniteUpdateError) as info:
        take_step(opt, bad_gradients("inf gradient"))
    message = str(info.value)
    assert message.startswith("step refused: parameter 1 (b): its gradient is not finite;")
    assert "'s its" not in message and "no parameter and no optimizer state was changed" in message
    assert info.value.index == 1 and info.value.name == "b" and not info.value.gradient_finite


def test_unnamed_parameters_are_named_by_their_tensor_name_or_index():
    w = Tensor(np.ones(3, np.float32), requires_grad=True, name="weights")
    v = Tensor(np.ones(3, np.float32), requires_grad=True)
    opt = optim.SGD([w, v], lr=1e38)
    w.grad, v.grad = np.ones(3, np.float32), np.full(3, 10, np.float32)
    with pytest.raises(NonFiniteUpdateError, match=r"parameter 1: its update overflowed \(its gradient is finite\)"):
        opt.step()
    v.grad = None
    w.grad = np.full(3, np.inf, np.float32)
    with pytest.raises(NonFiniteUpdateError, match=r"parameter 0 \(weights\): its gradient is not finite"):
        opt.step()
    np.testing.assert_array_equal(w.data, 1)


def test_huge_but_finite_gradients_are_not_mistaken_for_non_finite_ones():
    """The quick finiteness test (a dot product of the values with themselves) overflows for values
    near 1e20; the exact test behind it must then accept them."""

    p = Tensor(np.zeros(4, np.float32), requires_grad=True)
    p.grad = np.full(4, 1e30, np.float32)
    optim.SGD([p], lr=1e-30).step()
    np.testing.assert_allclose(p.numpy(), -1.0, rtol=1e-6)
