"""Saving and loading models, training checkpoints, resume and Ctrl-C, corrupt files."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import blobs, examples, params_of, small_model

import tinygrad_np as tg
from models.mnist_cnn import build_mnist_cnn
from tinygrad_np import nn
from tinygrad_np.checkpoint import CheckpointError
from tinygrad_np.training import TrainingInterrupted


def test_save_load_round_trip(tmp_path):
    a, b = build_mnist_cnn(0), build_mnist_cnn(1)
    path = a.save(tmp_path / "model.npz")
    b.load(path)
    for (na, ta), (nb, tb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb
        np.testing.assert_array_equal(ta.numpy(), tb.numpy())
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(name for name, _ in a.named_parameters())
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")]

def test_load_refuses_another_architecture_and_changes_nothing(tmp_path):
    path = nn.CNN(nn.Flatten(), nn.Dense(10, 784 * 1, "softmax")).save(tmp_path / "other.npz")
    model = build_mnist_cnn(0)
    before = [t.numpy().copy() for t in model.parameters()]
    with pytest.raises(CheckpointError, match="has no parameter 'layers.0.filters'"):
        model.load(path)
    bigger = nn.CNN(
        nn.Conv2D(16, 3, 1, padding=1), nn.Pooling(), nn.Flatten(), nn.Dense(128, 14 * 14 * 16), nn.Dense(10, 128)
    )
    with pytest.raises(CheckpointError, match=r"'layers.0.filters'.*\(3, 3, 1, 16\).*\(3, 3, 1, 8\)"):
        model.load(bigger.save(tmp_path / "bigger.npz"))
    assert all(np.array_equal(b, t.numpy()) for b, t in zip(before, model.parameters()))

@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04truncated"])
def test_load_refuses_corrupt_files(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="bad.npz"):
        build_mnist_cnn(0).load(path)

def test_load_refuses_pickles(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, **{"layers.0.filters": np.array([object()], dtype=object)})
    with pytest.raises(CheckpointError, match="pickled.npz"):
        build_mnist_cnn(0).load(path)

def test_load_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        build_mnist_cnn(0).load(tmp_path / "nope.npz")

@pytest.mark.parametrize("how", ["save", "fit checkpoint"])
def test_written_files_get_the_usual_permissions(tmp_path, how):
    mask = os.umask(0)
    os.umask(mask)
    if how == "save":
        path = build_mnist_cnn(0).save(tmp_path / "model.npz")
    else:
        path = tmp_path / "ck.npz"
        small_model().fit(*blobs(), epochs=1, lr=0.05, verbose=0, checkpoint=path)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask

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

@settings(max_examples=examples(40))
@given(st.binary(max_size=400))
def test_random_bytes_never_load(tmp_path, garbage):
    path = tmp_path / "garbage.npz"
    path.write_bytes(garbage)
    with pytest.raises(CheckpointError):
        small_model().load(path)
