"""fit and evaluate, optimizers, and what stops a run: divergence, non-finite gradients, unscaled data."""

from __future__ import annotations

import numpy as np
import pytest
from support import blobs, params_of, small_model

import tinygrad_np as tg
from tinygrad_np import Tensor, nn, optim
from tinygrad_np.training import TrainingDivergedError

rng = np.random.default_rng(0)

@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.1), ("momentum", 0.05), ("adam", 0.01)])
@pytest.mark.parametrize("loss", ["cross_entropy", "hinge"])
def test_fit_learns_separable_blobs(optimizer, lr, loss):
    X, y = blobs(300)
    nn.manual_seed(0)
    model = nn.CNN(nn.Dense(16, 4, "relu"), nn.Dense(3, 16, "softmax"))
    history = model.fit(X, y, epochs=5, lr=lr, batch_size=16, loss=loss, optimizer=optimizer, verbose=0)
    assert history.accuracy[-1] > 0.95 and history.loss[-1] < history.loss[0]
    assert model.evaluate(X, y, loss).accuracy > 0.95

def test_fit_history_and_output(capsys):
    X, y = blobs(300)
    nn.manual_seed(0)
    model = nn.CNN(nn.Dense(3, 4, "softmax"))
    history = model.fit(X, np.eye(3)[y], epochs=2, lr=0.1, validation_data=(X, y))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2") and "val acc" in lines[0] and "samples/s" in lines[0]
    assert len(history.loss) == len(history.val_accuracy) == len(history.samples_per_second) == 2
    model.fit(X, y, epochs=1, lr=0.1, verbose=0)
    assert capsys.readouterr().out == ""

def test_fit_is_reproducible_with_a_seed():
    X, y = blobs(300)

    def run(seed):
        nn.manual_seed(0)
        model = nn.CNN(nn.Dense(8, 4, "relu"), nn.Dense(3, 8, "softmax"))
        return model.fit(X, y, epochs=2, lr=0.05, batch_size=8, seed=seed, verbose=0).loss

    assert run(1) == run(1) and run(1) != run(2)

def test_batch_size_one_is_per_sample_sgd():
    X, y = blobs(n=40)
    nn.manual_seed(0)
    model = nn.CNN(nn.Dense(3, 4, "softmax"))
    w0 = model.layers[0].get_weights().copy()
    model.fit(X[:1], y[:1], epochs=1, lr=0.5, batch_size=1, verbose=0)
    z = X[:1] @ w0
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    expected = w0 - 0.5 * X[:1].T @ (p - np.eye(3)[y[:1]])
    np.testing.assert_allclose(model.layers[0].get_weights(), expected, rtol=1e-5, atol=1e-6)

def test_optimizers_match_pytorch(torch):
    w0 = rng.standard_normal((4, 3)).astype(np.float32)
    grads = [rng.standard_normal((4, 3)).astype(np.float32) for _ in range(5)]
    cases = [
        (lambda p: optim.SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
        (lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
        (lambda p: optim.Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    ]
    for ours_fn, theirs_fn in cases:
        ours, theirs = Tensor(w0.copy(), requires_grad=True), torch.tensor(w0.copy(), requires_grad=True)
        opt_a, opt_b = ours_fn([ours]), theirs_fn([theirs])
        for g in grads:
            ours.grad, theirs.grad = g, torch.from_numpy(g.copy())
            opt_a.step()
            opt_b.step()
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)

@pytest.mark.parametrize("capture", [False, True])
def test_no_graph_survives_a_training_step(capture):
    import gc
    import weakref

    X, y = blobs(n=32)
    nn.manual_seed(0)
    model = nn.CNN(nn.Dense(3, 4, "softmax"))
    refs = []
    original_apply = tg.Op.apply.__func__

    def spy(cls, *inputs, **params):
        out = original_apply(cls, *inputs, **params)
        refs.append(weakref.ref(out))
        return out

    tg.Op.apply = classmethod(spy)
    gc.disable()  # the graph must be freed by reference counting alone: no cycles
    try:
        model.fit(X, y, epochs=1, lr=0.1, batch_size=8, verbose=0, capture=capture)
        assert len(refs) >= 4 and all(r() is None for r in refs)  # at least an op per step, none alive
    finally:
        gc.enable()
        tg.Op.apply = classmethod(original_apply)

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

def test_unscaled_pixels_warn():
    X, y = blobs()
    with pytest.warns(UserWarning, match="X / 255"):
        small_model().fit(X * 255, y, epochs=1, lr=0.01, verbose=0)


class ThreadCounter(nn.Module):
    """A linear model that records how many BLAS threads NumPy may use in its training steps."""

    def __init__(self):
        self.layer = nn.Dense(3, 4, "none")
        self.seen = set()

    def forward(self, x):
        from threadpoolctl import threadpool_info

        if tg.is_grad_enabled():  # a training step (fit's shape probe runs without grad)
            self.seen.update(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")
        return self.layer(x)


def test_per_sample_sgd_runs_on_one_blas_thread_and_restores_the_setting():
    from threadpoolctl import threadpool_info

    X, y = blobs(4)
    before = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    model = ThreadCounter()
    tg.training.fit(model, X, y, epochs=1, lr=0.1, batch_size=1, verbose=0)
    assert model.seen == {1}
    assert [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"] == before
