"""Mistakes a new user makes get a message naming what is wrong, not an error from deep inside."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor, nn


def tiny_model(seed=0):
    nn.manual_seed(seed)
    return nn.CNN(nn.Dense(8, 4, "relu"), nn.Dense(3, 8, "softmax"))


def data(n=30):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, 3, n)


# ---- set_parameters ----------------------------------------------------------------------------
def test_set_parameters_accepts_another_models_tensors_and_copies_them():
    source, target = tiny_model(seed=1), tiny_model(seed=2)
    target.set_parameters(dict(source.named_parameters()))
    for (name, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
        assert a.data is not b.data  # no shared memory


def test_set_parameters_says_what_it_expects():
    model = tiny_model()
    params = {name: t.data.tolist() for name, t in model.named_parameters()}
    with pytest.raises(TypeError, match=r"set_parameters: `arrays\['layers.0.weights'\]` must be a NumPy array or a "
                                        r"Tensor, got list"):  # fmt: skip
        model.set_parameters(params)
    with pytest.raises(TypeError, match=r"set_parameters: `arrays` must be a dict"):
        model.set_parameters([t.data for t in model.parameters()])


# ---- forward returning something that is not a Tensor ----------------------------------------
class ForgotTheCall(nn.Module):
    def __init__(self):
        self.dense = nn.Dense(3, 4, "none")

    def forward(self, x):
        return self.dense  # meant self.dense(x)


class ReturnsArray(nn.Module):
    def __init__(self):
        self.dense = nn.Dense(3, 4, "none")

    def forward(self, x):
        return self.dense(x).data


def test_forward_returning_a_layer_names_the_module_and_the_layer():
    X, y = data()
    message = r"ForgotTheCall.forward returned the layer Dense\(3, none\) itself, not a Tensor: call it on the input"
    with pytest.raises(TypeError, match=message):
        ForgotTheCall()(Tensor(X))
    with pytest.raises(TypeError, match=message):
        tg.training.fit(ForgotTheCall(), X, y, epochs=1, lr=0.1, verbose=0)


@pytest.mark.parametrize("use", ["fit", "evaluate", "predict"])
def test_forward_returning_an_array_names_the_model(use):
    X, y = data()
    calls = {
        "fit": lambda m: tg.training.fit(m, X, y, epochs=1, lr=0.1, verbose=0),
        "evaluate": lambda m: tg.training.evaluate(m, X, y),
        "predict": lambda m: tg.training.predict_scores(m, X),
    }
    with pytest.raises(TypeError, match=rf"{use}: the model ReturnsArray must return a Tensor of class scores "
                                        r"\(N, K\) from forward, it returned ndarray of shape \(1, 3\)"):  # fmt: skip
        calls[use](ReturnsArray())


# ---- summary ---------------------------------------------------------------------------------
def test_summary_shows_the_table_up_to_the_failing_layer_then_the_error():
    model = nn.CNN(nn.Conv2D(8, 3, 1, padding=1, activation="relu"), nn.Pooling(), nn.Flatten(),
                   nn.Dense(128, 1000), nn.Dense(10, 128, "softmax"))  # fmt: skip
    with pytest.raises(ValueError) as info:
        model.summary((28, 28, 1))
    lines = str(info.value).splitlines()
    assert lines[0] == "summary: layer 3, Dense(128, relu), cannot take its input of shape (None, 1568):"
    assert lines[1].split() == ["Layer", "Output", "shape", "Params"]
    assert [line.split("  ")[0] for line in lines[3:7]] == [
        "Conv2D(8, 3x3, relu)", "Pooling(max 2x2, stride 2)", "Flatten", "Dense(128, relu)"
    ]  # fmt: skip
    assert "(None, 14, 14, 8)" in lines[4] and "(None, 1568)" in lines[5] and "error" in lines[6]
    assert "Dense(10, softmax)" not in str(info.value)
    assert lines[-1] == "Dense(128, relu): input must have shape (N, 1000), got (1, 1568)"


# ---- ops without backward ----------------------------------------------------------------------
def test_registering_an_op_without_backward_is_refused_naming_it():
    class Softplus(tg.Op):
        def forward(self, x):
            return np.logaddexp(0, x)

    with pytest.raises(TypeError, match=r"Softplus does not define backward\(\); an op needs forward.*backward\(self"):
        tg.register(Softplus)
    assert Softplus not in tg.REGISTRY.values()


def test_an_unregistered_op_without_backward_names_itself_at_backward_time():
    class Half(tg.Op):
        name = "half"

        def forward(self, x):
            return x / 2

    x = Tensor(np.ones(3), requires_grad=True)
    out = Half.apply(x).sum()
    with pytest.raises(NotImplementedError, match=r"op 'half' \(Half\) does not define backward\(self, grad\)"):
        out.backward()
