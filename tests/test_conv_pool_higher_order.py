"""Second order through the conv and pool ops: what their create_graph backward records, and the
fused conv+relu+maxpool op against the three ops it fuses."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor
from tinygrad_np import functional as F
from tinygrad_np.autograd.engine import topological_order


def op_names(tensors) -> set[str]:
    return {t.op.name for t in topological_order(tensors) if t.op is not None}


def test_conv2d_gradients_are_a_transposed_conv_and_conv2d_weight():
    rng = np.random.default_rng(0)
    x, w = Tensor(rng.standard_normal((2, 5, 5, 3)), requires_grad=True), Tensor(rng.standard_normal((3, 3, 3, 4)))
    w.requires_grad = True
    out = F.conv2d(x, w, stride=2, padding=1)
    grad_x, grad_w = tg.grad(out, [x, w], np.ones(out.shape), create_graph=True)
    assert {"conv_transpose2d"} <= op_names([grad_x]) and {"conv2d_weight"} <= op_names([grad_w])


@pytest.mark.parametrize("fn", [F.max_pool2d, F.avg_pool2d])
def test_pool_gradients_are_recorded_transposed_convs(fn):
    x = Tensor(np.random.default_rng(1).permutation(50).reshape(1, 5, 5, 2) * 1.0, requires_grad=True)
    out = fn(x, 3, 2, 1)
    upstream = Tensor(np.ones(out.shape), requires_grad=True)  # the gradient is linear in it
    (grad_x,) = tg.grad(out, [x], upstream, create_graph=True)
    assert "conv_transpose2d" in op_names([grad_x])


def test_fused_op_second_order_equals_the_three_ops():
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((2, 7, 7, 2)), rng.standard_normal((3, 3, 2, 3)), rng.standard_normal(3) * 0.1
    vectors = [rng.standard_normal(a.shape) for a in (x, w, b)]
    u = rng.standard_normal((2, 3, 3, 3))
    results = []
    for fn in (
        lambda x, w, b: F.conv2d_relu_maxpool2d(x, w, b, padding=1, pool=2),
        lambda x, w, b: F.conv2d(x, w, b, padding=1).relu().max_pool2d(2),
    ):
        tensors = [Tensor(a, requires_grad=True) for a in (x, w, b)]
        upstream = Tensor(u, requires_grad=True)
        grads = tg.grad(fn(*tensors), tensors, upstream, create_graph=True)
        directional = sum((g * v).sum() for g, v in zip(grads, vectors))
        second = tg.grad(directional, [*tensors, upstream], allow_unused=True)
        results.append([np.zeros(3) if h is None else h.numpy() for h in second])  # b's second order: none
    assert all(np.abs(h).max() > 0 for h in results[0][:2] + results[0][3:])
    for fused, plain in zip(*results):
        np.testing.assert_allclose(fused, plain, rtol=1e-10, atol=1e-12)
