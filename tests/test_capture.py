"""Capture and replay (tinygrad_np/capture.py): a replayed training step gives bitwise the numbers of
an eager one, over whole epochs; every guard falls back to eager or records anew."""

from __future__ import annotations

import numpy as np
import pytest
from support import params_of

import tinygrad_np as tg
from models.lenet5 import build_lenet5
from models.mnist_cnn import build_mnist_cnn
from tinygrad_np import Tensor, nn
from tinygrad_np.capture import Capture, Replay, capturable
from tinygrad_np.datasets import load_mnist


@pytest.fixture(scope="module")
def mnist():
    data = load_mnist("bundled", log=None)
    return data.X_train[:1000], data.y_train[:1000]


@pytest.mark.parametrize(("batch_size", "images", "loss"), [(32, 1000, "cross_entropy"), (1, 150, "cross_entropy"),
                                                       (7, 100, "cross_entropy"), (32, 500, "hinge")])  # fmt: skip
def test_captured_training_equals_eager_bitwise(mnist, batch_size, images, loss, monkeypatch):
    X, y = mnist[0][:images], mnist[1][:images]  # 1000 / 32 and 100 / 7 leave a last, smaller batch
    replays = []
    replay = Replay.forward
    monkeypatch.setattr(Replay, "forward", lambda self, *a, **k: replays.append(1) or replay(self, *a, **k))
    runs = []
    for capture in (True, False):
        model = build_mnist_cnn(0)
        history = model.fit(X, y, epochs=2, lr=0.05, batch_size=batch_size, loss=loss, verbose=0, capture=capture)
        runs.append((params_of(model), history.loss, history.accuracy))
    # Every step is replayed but each batch shape's first (recorded): the whole step, model and
    # cross-entropy. The hinge loss takes the labels as an array argument, so its step's tape is not
    # replayed: the step then runs eagerly around the captured model, recorded at the second call.
    calls_per_shape = [2 * (images // batch_size)] + [2] * (images % batch_size > 0)  # 2 epochs
    recorded = 1 if loss == "cross_entropy" else 2
    assert len(replays) == sum(max(0, calls - recorded) for calls in calls_per_shape)
    (captured, *captured_history), (eager, *eager_history) = runs
    assert captured_history == eager_history
    for name in eager:
        np.testing.assert_array_equal(captured[name], eager[name], err_msg=name)
    assert not all((captured[name] == params_of(build_mnist_cnn(0))[name]).all() for name in captured)  # it trained


def test_first_call_of_a_shape_records_then_replays_with_the_same_outputs_and_gradients():
    rng = np.random.default_rng(0)
    model = build_mnist_cnn(1)
    captured = Capture(model)
    batches = [rng.random((4, 28, 28, 1), dtype=np.float32) for _ in range(3)]
    for i, x in enumerate(batches):
        out = captured(Tensor(x))
        assert isinstance(out._ctx, Replay) == (i > 0)  # the first call of a shape is eager, recording
        (out * out).sum().backward()
        grads = [p.grad.copy() for p in model.parameters()]
        model.zero_grad()
        eager = model(Tensor(x))
        (eager * eager).sum().backward()
        np.testing.assert_array_equal(out.numpy(), eager.numpy())
        for a, p in zip(grads, model.parameters()):
            np.testing.assert_array_equal(a, p.grad)
        model.zero_grad()
    other = captured(Tensor(rng.random((3, 28, 28, 1), dtype=np.float32)))  # another shape: recorded anew
    assert not isinstance(other._ctx, Replay)
    assert isinstance(captured(Tensor(rng.random((3, 28, 28, 1), dtype=np.float32)))._ctx, Replay)
    as_float64 = captured(Tensor(rng.random((3, 28, 28, 1))))  # another dtype too
    assert not isinstance(as_float64._ctx, Replay) and as_float64.dtype == np.float64


def test_replay_reads_the_parameters_as_they_are_now():
    x = Tensor(np.random.default_rng(2).random((2, 28, 28, 1), dtype=np.float32))
    model = build_mnist_cnn(0)
    captured = Capture(model)
    captured(x)
    model.load_state_dict(build_mnist_cnn(5).state_dict())  # new arrays in the same parameter tensors
    replayed = captured(x)
    assert isinstance(replayed._ctx, Replay)
    np.testing.assert_array_equal(replayed.numpy(), build_mnist_cnn(5)(x).numpy())


def test_only_models_of_replayable_layers_are_captured():
    class Custom(nn.Module):
        def __init__(self):
            self.dense = nn.Dense(3, 4)

        def forward(self, x):
            return self.dense(x)

    assert capturable(build_mnist_cnn(0))
    assert capturable(nn.Sequential(nn.Dense(5, 4), nn.Tanh(), nn.LayerNorm(5), nn.Dense(3, 5, "none")))
    assert not capturable(build_lenet5(0))  # dropout draws masks, batch norm counts batches
    assert not capturable(nn.Sequential(nn.Dense(5, 4), nn.Dropout(0.1), nn.Dense(3, 5)))
    assert not capturable(Custom())
    assert not capturable(nn.Sequential(Custom(), nn.Dense(2, 3)))


@pytest.mark.parametrize("context", ["profile", "anomaly", "no_grad", "x requires grad"])
def test_profiling_anomaly_mode_no_grad_and_input_gradients_run_eagerly(context):
    x = np.random.default_rng(3).random((2, 28, 28, 1), dtype=np.float32)
    captured = Capture(build_mnist_cnn(0))
    captured(Tensor(x))
    blocks = {"profile": lambda: tg.profile(stream=None), "anomaly": tg.detect_anomaly, "no_grad": tg.no_grad}
    with blocks.get(context, tg.enable_grad)():
        out = captured(Tensor(x, requires_grad=context == "x requires grad"))
    assert not isinstance(out._ctx, Replay)
    assert isinstance(captured(Tensor(x))._ctx, Replay)



class _Shift(nn.Module):
    """Adds a constant made during the forward: the kind of leaf a replay could not trust."""

    replayable = True

    def forward(self, x):
        return x + Tensor(np.full(x.shape[1:], 0.5, np.float32))


class _FixedMask(nn.Module):
    """Takes an array argument made during the forward."""

    replayable = True

    def forward(self, x):
        return tg.functional.dropout(x, 0.5, mask=np.ones(x.shape, bool))


@pytest.mark.parametrize("layer", [_Shift, _FixedMask])
def test_a_forward_making_constants_or_array_arguments_is_not_replayed(layer):
    model = nn.Sequential(nn.Dense(3, 4), layer(), nn.Dense(2, 3, "none"))
    captured = Capture(model)
    x = np.random.default_rng(4).random((5, 4), dtype=np.float32)
    for _ in range(3):
        out = captured(Tensor(x))
        assert not isinstance(out._ctx, Replay)
        np.testing.assert_array_equal(out.numpy(), model(Tensor(x)).numpy())


def test_a_captured_function_of_several_inputs_returns_its_other_outputs_as_values():
    model = build_mnist_cnn(2)

    def step(x, targets):
        scores = model(x)
        return tg.functional.cross_entropy(scores, targets), scores

    captured = Capture(step)
    rng = np.random.default_rng(5)
    for i in range(3):
        x = Tensor(rng.random((3, 28, 28, 1), dtype=np.float32))
        targets = Tensor(np.eye(10, dtype=np.float32)[[1, 4, i]])
        loss, scores = captured(x, targets)
        assert isinstance(loss._ctx, Replay) == (i > 0)
        loss.backward()
        grads = [p.grad.copy() for p in model.parameters()]
        model.zero_grad()
        eager_loss, eager_scores = step(x, targets)
        eager_loss.backward()
        assert loss.item() == eager_loss.item()
        np.testing.assert_array_equal(scores.numpy(), eager_scores.numpy())
        assert not scores.requires_grad or i == 0  # a replay's other outputs are values
        for a, p in zip(grads, model.parameters()):
            np.testing.assert_array_equal(a, p.grad)
        model.zero_grad()


def test_a_capture_inside_another_runs_eagerly_while_the_outer_one_records():
    model = build_mnist_cnn(3)
    inner = Capture(model)
    outer = Capture(lambda x: inner(x).tanh())
    x = Tensor(np.random.default_rng(6).random((2, 28, 28, 1), dtype=np.float32))
    outer(x)
    assert inner.tapes == {}  # the outer recording saw the model's own ops
    replayed = outer(x)
    assert isinstance(replayed._ctx, Replay)
    np.testing.assert_array_equal(replayed.numpy(), model(x).tanh().numpy())
