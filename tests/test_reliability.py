"""Numerical trouble, interrupted and resumed runs, corrupt checkpoints, random compositions of ops."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tinygrad_np as tg
from tinygrad_np import Tensor, nn
from tinygrad_np import functional as F
from tinygrad_np.checkpoint import CheckpointError
from tinygrad_np.training import TrainingDivergedError, TrainingInterrupted


def blobs(n=240, k=3, d=4, seed=0):
    g = np.random.default_rng(seed)
    centers = g.standard_normal((k, d)) * 3
    y = g.integers(0, k, n)
    return (centers[y] + g.standard_normal((n, d))).astype(np.float32), y


def small_model(seed=0):
    nn.manual_seed(seed)
    return nn.CNN(nn.Dense(8, 4, "relu"), nn.Dense(3, 8, "softmax"))


def params_of(model):
    return {name: t.numpy().copy() for name, t in model.named_parameters()}


# ---- numerical trouble ------------------------------------------------------------------------
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


def test_diverging_loss_stops_fit_before_spoiling_the_parameters():
    X, y = blobs()
    model = small_model()
    with pytest.raises(TrainingDivergedError, match=r"became non-finite at epoch \d+, batch \d+.*lr=1e\+30"):
        model.fit(X * 1e10, y, epochs=3, lr=1e30, verbose=0)
    assert all(np.all(np.isfinite(p)) for p in params_of(model).values())


class SqrtModel(nn.Module):
    """Finite loss, infinite gradient: d sqrt(w) / dw at w = 0."""

    def __init__(self):
        self.w = Tensor(np.zeros((4, 3), np.float32), requires_grad=True, name="w")

    def forward(self, x):
        return x @ self.w.sqrt()


def test_non_finite_gradient_stops_fit_naming_the_parameter():
    X, y = blobs()
    model = SqrtModel()
    with pytest.raises(TrainingDivergedError, match=r"the gradient of w became non-finite at epoch 1, batch 1"):
        tg.training.fit(model, X, y, epochs=1, lr=0.1, verbose=0)
    np.testing.assert_array_equal(model.w.numpy(), 0)


# ---- checkpoints, resume, Ctrl-C ------------------------------------------------------------
def test_resumed_run_equals_an_uninterrupted_one(tmp_path):
    X, y = blobs()
    whole = small_model()
    history = whole.fit(X, y, epochs=4, lr=0.05, batch_size=16, optimizer="adam", seed=3, verbose=0)

    path = tmp_path / "ck.npz"
    first = small_model()
    first.fit(X, y, epochs=2, lr=0.05, batch_size=16, optimizer="adam", seed=3, verbose=0, checkpoint=path)
    resumed = small_model(seed=99)  # other initial weights: all of them must come from the checkpoint
    again = resumed.fit(X, y, epochs=4, lr=0.05, batch_size=16, optimizer="adam", seed=3, verbose=0,
                        checkpoint=path, resume=True)  # fmt: skip
    assert again.loss == pytest.approx(history.loss, rel=1e-6) and len(again.accuracy) == 4
    for name, value in params_of(whole).items():
        np.testing.assert_allclose(params_of(resumed)[name], value, rtol=1e-6)


class InterruptAt(nn.Module):
    """Wraps a model and raises KeyboardInterrupt at its n-th training call (a Ctrl-C)."""

    def __init__(self, model, at_call):
        self.model, self.at_call, self.calls = model, at_call, 0

    def forward(self, x):
        self.calls += 1
        if self.calls == self.at_call:
            raise KeyboardInterrupt
        return self.model(x)


def test_ctrl_c_restores_the_last_complete_epoch_and_says_where_it_is(tmp_path):
    X, y = blobs()
    path = tmp_path / "ck.npz"
    model = InterruptAt(small_model(), at_call=1 + 15 + 15 + 7)  # probe + 2 epochs of 15 batches + 7 batches
    with pytest.raises(TrainingInterrupted) as info:
        tg.training.fit(model, X, y, epochs=5, lr=0.05, batch_size=16, verbose=0, checkpoint=path)
    assert "during epoch 3" in str(info.value) and "after epoch 2" in str(info.value) and str(path) in str(info.value)
    assert info.value.checkpoint == path
    saved = np.load(path, allow_pickle=False)
    for name, value in params_of(model).items():
        np.testing.assert_array_equal(saved["param/" + name], value)


def test_ctrl_c_in_the_first_epoch_says_nothing_was_saved(tmp_path):
    X, y = blobs()
    model = InterruptAt(small_model(), at_call=4)
    before = params_of(model)
    with pytest.raises(TrainingInterrupted, match="not saved") as info:
        tg.training.fit(model, X, y, epochs=2, lr=0.05, verbose=0, checkpoint=tmp_path / "ck.npz")
    assert info.value.checkpoint is None and not (tmp_path / "ck.npz").exists()
    for name, value in before.items():
        np.testing.assert_array_equal(params_of(model)[name], value)


@pytest.mark.parametrize("cut", [0, 10, 200, -20])
def test_corrupt_or_truncated_checkpoint_is_refused_and_nothing_is_loaded(tmp_path, cut):
    X, y = blobs()
    path = tmp_path / "ck.npz"
    small_model().fit(X, y, epochs=1, lr=0.05, verbose=0, checkpoint=path)
    data = path.read_bytes()
    path.write_bytes(data[:cut] if cut else b"")
    model = small_model(seed=5)
    before = params_of(model)
    with pytest.raises(CheckpointError, match="ck.npz"):
        model.fit(X, y, epochs=2, lr=0.05, verbose=0, checkpoint=path, resume=True)
    with pytest.raises(CheckpointError, match="ck.npz"):
        model.load(path)
    for name, value in before.items():
        np.testing.assert_array_equal(params_of(model)[name], value)


def test_a_plain_save_file_is_not_a_training_checkpoint(tmp_path):
    X, y = blobs()
    model = small_model()
    path = model.save(tmp_path / "model.npz")
    with pytest.raises(CheckpointError, match="not a training checkpoint"):
        model.fit(X, y, epochs=1, lr=0.1, verbose=0, checkpoint=path, resume=True)


def test_checkpoint_of_another_optimizer_is_refused(tmp_path):
    X, y = blobs()
    path = tmp_path / "ck.npz"
    small_model().fit(X, y, epochs=1, lr=0.05, optimizer="adam", verbose=0, checkpoint=path)
    with pytest.raises(CheckpointError, match=r"optimizer \(checkpoint 'adam', this run 'momentum'\)"):
        small_model().fit(X, y, epochs=2, lr=0.05, optimizer="momentum", verbose=0, checkpoint=path, resume=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_random_bytes_never_load(tmp_path, garbage):
    path = tmp_path / "garbage.npz"
    path.write_bytes(garbage)
    with pytest.raises(CheckpointError):
        small_model().load(path)


# ---- random compositions of ops ----------------------------------------------------------------
SMOOTH_UNARY = {
    "exp": lambda t: (t * 0.5).exp(),
    "log": lambda t: (t * t + 1.0).log(),
    "sqrt": lambda t: (t * t + 0.5).sqrt(),
    "sigmoid": F.sigmoid,
    "tanh": F.tanh,
    "neg": F.neg,
    "softmax": lambda t: t.softmax(axis=-1),
    "log_softmax": lambda t: t.log_softmax(axis=0),
    "pow": lambda t: (t * t + 1.0) ** 1.5,
    "transpose": lambda t: t.transpose(),
    "pad": lambda t: t.pad(1),
    "getitem": lambda t: t[..., ::-1],
}
BINARY = {"add": F.add, "sub": F.sub, "mul": F.mul, "div": lambda a, b: a / (b * b + 1.0)}


@st.composite
def compositions(draw):
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    # a second operand broadcasting against the first: some of its axes are 1 or missing
    other = tuple(n if draw(st.booleans()) else 1 for n in shape)[draw(st.integers(0, len(shape) - 1)) :]
    steps = draw(st.lists(st.sampled_from(sorted(SMOOTH_UNARY) + sorted(BINARY)), min_size=1, max_size=5))
    return rng.standard_normal(shape), rng.standard_normal(other), steps


def broadcasts(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        return np.broadcast_shapes(a, b) == b
    except ValueError:
        return False


@settings(max_examples=60, deadline=None)
@given(compositions())
def test_random_compositions_pass_gradcheck(case):
    a, b, steps = case

    def fn(x, y):
        h = x
        for name in steps:
            if name in BINARY:
                h = BINARY[name](h, y if broadcasts(y.shape, h.shape) else y.sum())
            else:
                h = SMOOTH_UNARY[name](h)
        return (h * h).mean(axis=0) if h.ndim else h

    assert tg.gradcheck(fn, a, b)


def test_checkpoints_keep_the_usual_permissions(tmp_path):
    X, y = blobs()
    path = tmp_path / "ck.npz"
    small_model().fit(X, y, epochs=1, lr=0.05, verbose=0, checkpoint=path)
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask


def test_unscaled_pixels_warn():
    X, y = blobs()
    with pytest.warns(UserWarning, match="X / 255"):
        small_model().fit(X * 255, y, epochs=1, lr=0.01, verbose=0)
