"""state_dict / load_state_dict (PyTorch's semantics), buffers, and .safetensors files beside .npz."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.mnist_cnn import build_mnist_cnn
from tinygrad_np import Tensor, nn
from tinygrad_np.checkpoint import CheckpointError, load_file, read_metadata

NAMES = ["layers.0.filters", "layers.0.biases", "layers.3.weights", "layers.3.biases", "layers.4.weights",
         "layers.4.biases"]  # fmt: skip


class Normalized(nn.Module):
    """A layer with a buffer (statistics that are saved but not trained)."""

    def __init__(self) -> None:
        self.scale = Tensor(np.ones(3, np.float32), requires_grad=True)
        self.register_buffer("running_mean", np.zeros(3, np.float32))

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.running_mean) * self.scale


class Net(nn.Module):
    def __init__(self) -> None:
        self.norm = Normalized()
        self.head = nn.Dense(2, 3, "none")

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.norm(x))


def test_state_dict_is_ordered_names_to_array_copies():
    model = build_mnist_cnn(0)
    state = model.state_dict()
    assert list(state) == NAMES
    assert all(type(a) is np.ndarray and a.dtype == np.float32 for a in state.values())
    state["layers.0.biases"] += 1  # a copy: the model does not change
    assert not np.any(model.layers[0].biases.numpy())


def test_load_state_dict_round_trip_between_models():
    a, b = build_mnist_cnn(0), build_mnist_cnn(1)
    assert b.load_state_dict(a.state_dict()) == ([], [])
    for x, y in zip(a.state_dict().values(), b.state_dict().values()):
        np.testing.assert_array_equal(x, y)


def test_strict_error_names_every_missing_unexpected_and_misshaped_key_and_changes_nothing():
    model = build_mnist_cnn(0)
    before = model.state_dict()
    state = model.state_dict()
    del state["layers.0.filters"], state["layers.4.biases"]
    state["layers.9.weights"] = np.zeros(3, np.float32)
    state["layers.3.weights"] = np.zeros((10, 10), np.float32)
    with pytest.raises(CheckpointError) as err:
        model.load_state_dict(state)
    message = str(err.value)
    assert message.startswith("load_state_dict: the state does not fit the model (4 problems)")
    assert "has no parameter 'layers.0.filters' (missing key)" in message
    assert "has no parameter 'layers.4.biases' (missing key)" in message
    assert "has 'layers.9.weights', which the model lacks (unexpected key)" in message
    assert "parameter 'layers.3.weights' has shape (10, 10), the model expects (1568, 128)" in message
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_non_strict_loads_what_matches_and_reports_the_rest():
    model, other = build_mnist_cnn(0), build_mnist_cnn(1)
    state = other.state_dict()
    del state["layers.4.biases"]
    state["extra"] = np.ones(2, np.float32)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["layers.4.biases"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model.layers[0].filters.numpy(), other.layers[0].filters.numpy())


def test_non_strict_still_refuses_a_wrong_shape():
    model = build_mnist_cnn(0)
    with pytest.raises(CheckpointError, match=r"'layers.0.biases' has shape \(3,\), the model expects \(8,\)"):
        model.load_state_dict({"layers.0.biases": np.zeros(3, np.float32)}, strict=False)


def test_load_state_dict_refuses_non_mappings_and_non_finite_values():
    model = build_mnist_cnn(0)
    with pytest.raises(TypeError, match="load_state_dict: `state` must be a mapping"):
        model.load_state_dict([("layers.0.biases", np.zeros(8))])
    state = model.state_dict()
    state["layers.0.biases"][0] = np.nan
    with pytest.raises(CheckpointError, match="'layers.0.biases' is not finite"):
        model.load_state_dict(state)


def test_load_state_dict_takes_tensors_and_casts_to_the_model_dtype():
    model = build_mnist_cnn(0)
    state = {k: Tensor(v.astype(np.float64) + 1) for k, v in build_mnist_cnn(1).state_dict().items()}
    model.load_state_dict(state)
    assert model.layers[0].biases.dtype == np.float32
    np.testing.assert_allclose(model.layers[0].biases.numpy(), 1)


def test_buffers_are_in_the_state_but_not_parameters():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["norm.scale", "head.weights", "head.biases"]
    assert [n for n, _ in net.named_buffers()] == ["norm.running_mean"]
    assert list(net.state_dict()) == ["norm.scale", "norm.running_mean", "head.weights", "head.biases"]
    state = net.state_dict()
    state["norm.running_mean"] = np.array([1, 2, 3], np.float32)
    loaded = Net()
    loaded.load_state_dict(state)
    np.testing.assert_array_equal(loaded.norm.running_mean.numpy(), [1, 2, 3])
    assert not loaded.norm.running_mean.requires_grad
    del state["norm.running_mean"]
    with pytest.raises(CheckpointError, match="has no buffer 'norm.running_mean'"):
        loaded.load_state_dict(state)


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_save_load_round_trip_with_metadata(tmp_path, suffix):
    a, b = Net(), Net()
    a.norm.running_mean.data[:] = [4, 5, 6]
    meta = {"architecture": a.architecture(), "split": {"seed": 0, "test_size": 0.2}, "epoch": 3, "note": "7"}
    path = a.save(tmp_path / f"net{suffix}", metadata=meta)
    b.load(path)
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(x, y, err_msg=name)
    assert read_metadata(path) == meta
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")]


def test_safetensors_file_is_standard_with_metadata_in_its_header(tmp_path):
    from safetensors.numpy import load_file as st_load_file

    model = build_mnist_cnn(0)
    path = model.save(tmp_path / "cnn.safetensors", metadata={"architecture": model.architecture(), "epoch": 2})
    arrays = st_load_file(path)
    assert sorted(arrays) == sorted(NAMES)
    np.testing.assert_array_equal(arrays["layers.0.filters"], model.layers[0].filters.numpy())
    raw = Path(path).read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])["__metadata__"]
    assert json.loads(header["architecture"]).startswith("CNN(Conv2D(8, 3x3, relu), Pooling(max 2x2, stride 2)")
    assert header["epoch"] == "2"


def test_the_mnist_cnn_is_identical_after_a_safetensors_round_trip(tmp_path):
    X = np.random.default_rng(0).random((20, 28, 28, 1), dtype=np.float32)
    model = build_mnist_cnn(0)
    model.fit(X, np.arange(20) % 10, epochs=1, lr=0.1, verbose=0)
    back = build_mnist_cnn(3).load(model.save(tmp_path / "m.safetensors"))
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))


def test_training_checkpoints_can_be_safetensors(tmp_path):
    X = np.random.default_rng(0).random((40, 28, 28, 1), dtype=np.float32)
    y = np.arange(40) % 10
    path = tmp_path / "ck.safetensors"
    straight = build_mnist_cnn(0)
    straight.fit(X, y, epochs=2, lr=0.1, optimizer="momentum", verbose=0)
    resumed = build_mnist_cnn(0)
    resumed.fit(X, y, epochs=1, lr=0.1, optimizer="momentum", verbose=0, checkpoint=path)
    assert read_metadata(path)["epoch"] == 1
    with pytest.raises(CheckpointError, match=r"optimizer \(checkpoint 'momentum', this run 'adam'\)"):
        build_mnist_cnn(0).fit(X, y, epochs=2, lr=0.1, optimizer="adam", verbose=0, checkpoint=path, resume=True)
    resumed.fit(X, y, epochs=2, lr=0.1, optimizer="momentum", verbose=0, checkpoint=path, resume=True)
    for x, r in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_allclose(x.numpy(), r.numpy(), atol=1e-6)


@pytest.mark.parametrize("content", [b"", b"not safetensors", b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}      ",
                                     b"\xff" * 8 + b"{}"])  # fmt: skip
def test_corrupt_safetensors_files_are_refused_naming_them(tmp_path, content):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    model = build_mnist_cnn(0)
    before = model.state_dict()
    with pytest.raises(CheckpointError, match="load: 'bad.safetensors'|bad.safetensors.*not a readable safetensors"):
        model.load(path)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_truncated_safetensors_and_foreign_files_are_refused(tmp_path):
    good = build_mnist_cnn(0).save(tmp_path / "good.safetensors")
    data = Path(good).read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[:-100])
    with pytest.raises(CheckpointError, match="cut.safetensors.*not a readable safetensors"):
        build_mnist_cnn(0).load(tmp_path / "cut.safetensors")
    (tmp_path / "weights.npz").write_bytes(data)  # safetensors bytes under an .npz name
    with pytest.raises(CheckpointError, match="weights.npz.*not an .npz"):
        build_mnist_cnn(0).load(tmp_path / "weights.npz")
    other = nn.CNN(nn.Flatten(), nn.Dense(10, 784, "softmax")).save(tmp_path / "other.safetensors")
    with pytest.raises(CheckpointError, match="has no parameter 'layers.0.filters'"):
        build_mnist_cnn(0).load(other)


def test_corrupt_metadata_in_a_safetensors_header_is_refused(tmp_path):
    from safetensors.numpy import save_file

    path = tmp_path / "meta.safetensors"
    save_file({"a": np.zeros(2, np.float32)}, path, metadata={"epoch": "{broken"})
    with pytest.raises(CheckpointError, match="metadata of .*meta.safetensors.* is corrupt"):
        load_file(path)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_random_bytes_never_load_as_safetensors(tmp_path, garbage):
    path = tmp_path / "garbage.safetensors"
    path.write_bytes(garbage)
    with pytest.raises(CheckpointError):
        build_mnist_cnn(0).load(path)
