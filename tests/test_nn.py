"""Layers, Module parameter discovery, the CNN container and the MNIST model."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from models.mnist_cnn import INPUT_SHAPE, build_mnist_cnn
from tinygrad_np import Tensor, nn

rng = np.random.default_rng(0)


def test_aliases_are_the_same_classes():
    assert nn.Dense_Layer is nn.Dense and nn.Convolutional_Layer is nn.Conv2D
    assert nn.Pooling_Layer is nn.Pooling and nn.Flattening_Layer is nn.Flatten


def test_no_layer_or_model_defines_a_backward():
    for cls in (nn.Module, nn.Dense, nn.Conv2D, nn.Pooling, nn.Flatten, nn.CNN):
        assert "backward" not in {name for name, _ in inspect.getmembers(cls)}


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "softmax", "none"])
def test_dense_shapes_activation_and_params(activation):
    layer = nn.Dense(5, 3, activation=activation)
    assert layer.get_weights().shape == (3, 5) and layer.get_biases().shape == (5,)
    assert layer.num_parameters() == 3 * 5 + 5
    x = Tensor(rng.standard_normal((4, 3)).astype(np.float32))
    z = layer.weighted_sum(x)
    out = layer(x)
    assert out.shape == (4, 5) and out.dtype == np.float32
    expected = {
        "relu": np.maximum(z.numpy(), 0),
        "sigmoid": 1 / (1 + np.exp(-z.numpy())),
        "tanh": np.tanh(z.numpy()),
        "softmax": np.exp(z.numpy()) / np.exp(z.numpy()).sum(1, keepdims=True),
        "none": z.numpy(),
    }[activation]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_dense_xavier_init_range():
    nn.manual_seed(0)
    w = nn.Dense(128, 1568).get_weights()
    limit = np.sqrt(6 / (1568 + 128))
    assert w.dtype == np.float32 and np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit
    assert abs(w.std() - limit / np.sqrt(3)) < 0.01 * limit


def test_dense_getters_and_setters_validate():
    layer = nn.Dense(2, 3)
    layer.set_weights(np.ones((3, 2)))
    layer.set_biases([1.0, 2.0])
    np.testing.assert_array_equal(layer.get_weights(), np.ones((3, 2), np.float32))
    assert layer.get_biases().dtype == np.float32
    with pytest.raises(ValueError, match=r"`weights` must have shape \(3, 2\), got \(2, 3\)"):
        layer.set_weights(np.ones((2, 3)))
    with pytest.raises(ValueError, match="`biases`"):
        layer.set_biases(np.ones(3))
    with pytest.raises(TypeError, match="`weights` must be numeric"):
        layer.set_weights(np.array([["a", "b"]] * 3))


@pytest.mark.parametrize("init", ["he", "xavier"])
def test_conv2d_layer_shapes_and_init(init):
    nn.manual_seed(1)
    layer = nn.Conv2D(8, 3, 2, stride=1, padding=1, init=init)
    assert layer.filters.shape == (3, 3, 2, 8) and layer.biases.shape == (8,)
    assert layer.num_parameters() == 3 * 3 * 2 * 8 + 8
    std = layer.filters.numpy().std()
    expected = np.sqrt(2 / 18) if init == "he" else np.sqrt(2 / (18 + 72))
    assert abs(std - expected) < 0.25 * expected
    out = layer(Tensor(rng.standard_normal((2, 7, 6, 2)).astype(np.float32)))
    assert out.shape == (2, 7, 6, 8)
    assert nn.Conv2D(4, 3, 1, stride=2)(Tensor(np.zeros((1, 9, 9, 1), np.float32))).shape == (1, 4, 4, 4)


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pooling_and_flatten_layers(mode):
    x = Tensor(rng.standard_normal((2, 6, 6, 3)).astype(np.float32))
    pooled = nn.Pooling(mode, 2, 2)(x)
    assert pooled.shape == (2, 3, 3, 3) and nn.Pooling(mode).num_parameters() == 0
    reduce = np.max if mode == "max" else np.mean
    np.testing.assert_allclose(pooled.numpy(), reduce(x.numpy().reshape(2, 3, 2, 3, 2, 3), axis=(2, 4)), rtol=1e-6)
    flat = nn.Flatten()(pooled)
    assert flat.shape == (2, 27)
    np.testing.assert_array_equal(flat.numpy(), pooled.numpy().reshape(2, 27))


def test_flatten_backward_restores_the_feature_map_shape():
    x = Tensor(rng.standard_normal((2, 3, 3, 4)).astype(np.float32), requires_grad=True)
    (nn.Flatten()(x) * 2).sum().backward()
    assert x.grad.shape == (2, 3, 3, 4) and np.all(x.grad == 2)


def test_mnist_cnn_architecture_and_summary():
    model = build_mnist_cnn(seed=0)
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [nn.Conv2D, nn.Pooling, nn.Flatten, nn.Dense, nn.Dense]
    conv, pool, _, hidden, out = model.layers
    assert (conv.n_filters, conv.filter_size, conv.stride, conv.padding, conv.init, conv.activation) == (
        8, 3, 1, 1, "he", "relu",
    )  # fmt: skip
    assert (pool.mode, pool.size, pool.stride) == ("max", 2, 2)
    assert (hidden.n_neurons, hidden.activation, out.n_neurons, out.activation) == (128, "relu", 10, "softmax")
    assert model.num_parameters() == 80 + 200_832 + 1_290
    summary = model.summary(INPUT_SHAPE)
    for text in ("(None, 28, 28, 8)", "(None, 14, 14, 8)", "(None, 1568)", "200,832", "202,202"):
        assert text in summary


def test_cnn_scores_are_logits_and_probabilities_sum_to_one():
    model = build_mnist_cnn(seed=0)
    x = rng.random((3, 28, 28, 1)).astype(np.float32)
    scores = model(Tensor(x)).numpy()
    last = model.layers[-1]
    hidden = x
    for layer in model.layers[:-1]:
        hidden = layer(Tensor(hidden)).numpy()
    np.testing.assert_allclose(scores, hidden @ last.get_weights() + last.get_biases(), rtol=1e-5)
    proba = model.predict_proba(x)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_array_equal(model.predict(x), scores.argmax(axis=1))


def test_same_seed_same_weights():
    a, b, c = build_mnist_cnn(3), build_mnist_cnn(3), build_mnist_cnn(4)
    np.testing.assert_array_equal(a.layers[0].filters.numpy(), b.layers[0].filters.numpy())
    assert not np.array_equal(a.layers[0].filters.numpy(), c.layers[0].filters.numpy())


class TwoLayer(nn.Module):
    """A user model straight from Tensor ops, with a sub-module and a list of layers."""

    def __init__(self):
        self.w = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
        self.frozen = Tensor(np.ones(3))  # no grad: not a parameter
        self.head = nn.Dense(2, 3)
        self.blocks = [nn.Dense(3, 3), nn.Dense(3, 3)]
        self.shared = self.w  # the same tensor twice is listed once

    def forward(self, x):
        h = (x @ self.w) * self.frozen
        for block in self.blocks:
            h = block(h)
        return self.head(h)


def test_module_finds_parameters_in_attributes_lists_and_submodules():
    names = [name for name, _ in TwoLayer().named_parameters()]
    assert names == [
        "w", "head.weights", "head.biases", "blocks.0.weights", "blocks.0.biases", "blocks.1.weights",
        "blocks.1.biases",
    ]  # fmt: skip
    model = TwoLayer()
    model(Tensor(np.ones((5, 4)))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_fused_and_layer_by_layer_cnn_agree():
    model = build_mnist_cnn(seed=2)
    x = Tensor(rng.random((4, 28, 28, 1)).astype(np.float32))
    results = []
    for fuse in (True, False):
        model.fuse = fuse
        model.zero_grad()
        model(x).cross_entropy(np.array([1, 2, 3, 4])).backward()
        results.append([t.grad.copy() for t in model.parameters()])
    for fused, plain in zip(*results):
        np.testing.assert_allclose(fused, plain, rtol=1e-4, atol=1e-6)


