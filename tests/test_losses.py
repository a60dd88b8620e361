"""Loss behaviour beyond the registry-enumerated samples: which targets are inputs of the op (and get
gradients) and which stay constants, stability for huge logits, and how the losses compose."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_np import Tensor
from tinygrad_np import functional as F

rng = np.random.default_rng(0)
LOGITS = rng.standard_normal((6, 5))
LABELS = np.array([0, 4, 2, 2, 1, 3])


def test_class_indices_stay_constants_and_float_targets_become_inputs():
    z = Tensor(LOGITS, requires_grad=True)
    assert F.cross_entropy(z, LABELS).op.parents == (z,)
    probs = Tensor(np.full((6, 5), 0.2), requires_grad=True)
    loss = F.cross_entropy(z, probs, label_smoothing=0.1)
    assert loss.op.parents == (z, probs)
    loss.backward()
    assert probs.grad is not None and probs.grad.shape == (6, 5)
    # d loss / d target = -(1 - smoothing) * log_softmax(z) / N (mean)
    np.testing.assert_allclose(probs.grad, -0.9 * F.log_softmax(Tensor(LOGITS)).numpy() / 6, rtol=1e-12)


def test_constant_probability_targets_get_no_gradient():
    z = Tensor(LOGITS.astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(z, np.full((6, 5), 0.2))  # a float64 array with float32 logits
    loss.backward()
    assert loss.dtype == np.float32 and not loss.op.parents[1].requires_grad and z.grad.dtype == np.float32


def test_nll_of_log_softmax_is_cross_entropy():
    grads = []
    for fn in (lambda z: F.nll_loss(F.log_softmax(z, axis=1), LABELS), lambda z: F.cross_entropy(z, LABELS)):
        z = Tensor(LOGITS, requires_grad=True)
        loss = fn(z)
        loss.backward()
        grads.append((loss.item(), z.grad))
    assert grads[0][0] == pytest.approx(grads[1][0], rel=1e-12)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-10, atol=1e-14)


def test_nll_ignored_samples_add_nothing_and_get_no_gradient():
    z = Tensor(LOGITS, requires_grad=True)
    target = np.array([0, -100, 2, -100, 1, 3])
    loss = F.nll_loss(z, target)
    assert loss.item() == pytest.approx(-LOGITS[[0, 2, 4, 5], [0, 2, 1, 3]].mean(), rel=1e-12)
    loss.backward()
    assert not z.grad[[1, 3]].any() and z.grad[0, 0] == -0.25


def test_mse_gradient_flows_to_a_target_that_requires_grad():
    x, t = Tensor(LOGITS, requires_grad=True), Tensor(LOGITS[::-1].copy(), requires_grad=True)
    F.mse_loss(x, t).backward()
    np.testing.assert_allclose(x.grad, 2 * (LOGITS - LOGITS[::-1]) / LOGITS.size, rtol=1e-12)
    np.testing.assert_array_equal(t.grad, -x.grad)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_finite_and_exact_for_huge_logits(dtype):
    z = Tensor(np.array([1e4, -1e4, 1e4, -1e4], dtype), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(z, np.array([0.0, 1.0, 1.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [1e4, 1e4, 0.0, 0.0])
    loss.sum().backward()
    np.testing.assert_array_equal(z.grad, [1.0, -1.0, 0.0, 0.0])
    assert loss.dtype == dtype and z.grad.dtype == dtype


def test_hinge_still_takes_one_hot_targets_and_reduces_per_row():
    s = Tensor(LOGITS, requires_grad=True)
    per_sample = F.hinge(s, np.eye(5)[LABELS], reduction="none")
    assert per_sample.shape == (6,)
    per_sample.backward(np.arange(6.0))
    assert not s.grad[0].any() and s.grad[1:].any()  # row 0's upstream is 0
