"""tinygrad_np.interop (PyTorch names and NCHW layouts) and the round trip
tinygrad_np -> safetensors -> PyTorch -> safetensors -> tinygrad_np."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from benchmarks import torch_worker
from models.lenet5 import INPUT_SHAPE as LENET5_INPUT
from models.lenet5 import build_lenet5
from models.mnist_cnn import INPUT_SHAPE, build_mnist_cnn
from tinygrad_np import Tensor, interop, nn
from tinygrad_np.checkpoint import load_file, save_arrays

ROOT = os.path.join(os.path.dirname(__file__), "..")
TORCH_HINT = "PyTorch is not installed: pip install torch (or pip install -e '.[test]', which pins torch==2.13.0)"


def trained_cnn(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.random((64, 28, 28, 1), dtype=np.float32)
    model = build_mnist_cnn(seed)
    model.fit(X, np.arange(64) % 10, epochs=1, lr=0.1, verbose=0)
    model.layers[0].biases.data += rng.normal(0, 0.1, 8).astype(np.float32)  # nonzero everywhere
    return model, X


def test_names_and_shapes_follow_torchs_sequential():
    state = interop.to_torch(build_mnist_cnn(0), INPUT_SHAPE)
    assert {k: v.shape for k, v in state.items()} == {
        "0.weight": (8, 1, 3, 3), "0.bias": (8,), "4.weight": (128, 1568), "4.bias": (128,),
        "6.weight": (10, 128), "6.bias": (10,),
    }  # fmt: skip
    assert all(v.flags.c_contiguous and v.dtype == np.float32 for v in state.values())


def test_conv_kernel_layout_is_cout_cin_kh_kw():
    model = nn.CNN(nn.Conv2D(4, 3, 2, padding=1, activation="relu"), nn.Flatten(), nn.Dense(5, 5 * 5 * 4, "softmax"))
    weight = interop.to_torch(model, (5, 5, 2))["0.weight"]
    filters = model.layers[0].filters.numpy()
    for co, ci, i, j in [(0, 0, 0, 0), (3, 1, 2, 0), (1, 0, 1, 2)]:
        assert weight[co, ci, i, j] == filters[i, j, ci, co]


def test_dense_rows_follow_channels_first_flatten_order():
    """Channels-last flatten @ W equals channels-first flatten @ W_torch.T, for any maps."""
    model = build_mnist_cnn(0)
    w_torch = interop.to_torch(model, INPUT_SHAPE)["4.weight"]
    maps = np.random.default_rng(0).random((3, 14, 14, 8), dtype=np.float32)
    ours = maps.reshape(3, -1) @ model.layers[3].weights.numpy()
    theirs = maps.transpose(0, 3, 1, 2).reshape(3, -1) @ w_torch.T
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(interop.to_torch(model, INPUT_SHAPE)["6.weight"], model.layers[4].weights.numpy().T)


def test_from_torch_inverts_to_torch_exactly():
    model, _ = trained_cnn()
    other = build_mnist_cnn(7)
    other.load_state_dict(interop.from_torch(other, interop.to_torch(model, INPUT_SHAPE), INPUT_SHAPE))
    for (name, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_from_torch_names_a_missing_or_misshaped_key_and_refuses_other_models():
    model = build_mnist_cnn(0)
    state = interop.to_torch(model, INPUT_SHAPE)
    del state["4.bias"]
    with pytest.raises(ValueError, match=r"from_torch: `state` has no key '4.bias' \(for Dense\(128, relu\)\)"):
        interop.from_torch(model, state, INPUT_SHAPE)
    state = interop.to_torch(model, INPUT_SHAPE)
    state["0.weight"] = np.zeros((8, 3, 3, 1), np.float32)  # channels-last by mistake
    expected = r"'0.weight' has shape \(8, 3, 3, 1\), Conv2D\(8, 3x3, relu\) needs \(8, 1, 3, 3\)"
    with pytest.raises(ValueError, match=expected):
        interop.from_torch(model, state, INPUT_SHAPE)
    with pytest.raises(TypeError, match="to_torch: `model` must be a tinygrad_np CNN"):
        interop.to_torch(nn.Dense(3, 4), (4,))
    with pytest.raises(ValueError, match=r"to_torch: `X` must be channels-last images \(N, H, W, 1\)"):
        interop.to_torch(model, (1, 28, 28))


def torch_net():
    torch = pytest.importorskip("torch", reason=TORCH_HINT)
    from torch import nn as tnn

    torch.manual_seed(0)
    return torch, tnn.Sequential(
        tnn.Conv2d(1, 8, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2, 2), tnn.Flatten(),
        tnn.Linear(1568, 128), tnn.ReLU(), tnn.Linear(128, 10),
    )  # fmt: skip


def test_round_trip_tinygrad_np_safetensors_pytorch_tinygrad_np(tmp_path):
    torch, net = torch_net()
    from safetensors.torch import load_file as torch_load
    from safetensors.torch import save_file as torch_save

    model, X = trained_cnn()
    ours = model.predict_proba(X)
    save_arrays(tmp_path / "to_torch.safetensors", interop.to_torch(model, INPUT_SHAPE))
    net.load_state_dict(torch_load(tmp_path / "to_torch.safetensors"))
    with torch.no_grad():
        theirs = net(torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2)))).numpy()
    np.testing.assert_allclose(model(Tensor(X)).numpy(), theirs, atol=1e-5, rtol=0)
    np.testing.assert_array_equal(ours.argmax(1), theirs.argmax(1))

    torch_save(net.state_dict(), tmp_path / "from_torch.safetensors")
    back = build_mnist_cnn(5)
    back.load_state_dict(interop.from_torch(back, load_file(tmp_path / "from_torch.safetensors")[0], INPUT_SHAPE))
    np.testing.assert_array_equal(back.predict_proba(X), ours)  # bit for bit: same weights, same engine


def test_torch_tensors_are_accepted_by_from_torch():
    _, net = torch_net()
    model = build_mnist_cnn(0)
    model.load_state_dict(interop.from_torch(model, net.state_dict(), INPUT_SHAPE))
    np.testing.assert_array_equal(model.layers[4].weights.numpy(), net[6].weight.detach().numpy().T)


def test_export_example_agrees_both_ways(tmp_path):
    pytest.importorskip("torch", reason=TORCH_HINT)
    script = os.path.join(ROOT, "examples", "export_to_pytorch.py")
    result = subprocess.run([sys.executable, script, "--limit", "1000", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK") == 2
    assert "same predicted class for 200 of 200 test images" in result.stdout
    assert sorted(os.listdir(tmp_path)) == ["mnist_cnn_from_torch.safetensors", "mnist_cnn_torch.safetensors"]


BLOCK_TORCH = """
import runpy, sys
class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("No module named 'torch'")
sys.meta_path.insert(0, NoTorch())
sys.argv = [sys.argv[1]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_export_example_without_torch_says_how_to_install_it():
    script = os.path.join(ROOT, "examples", "export_to_pytorch.py")
    result = subprocess.run([sys.executable, "-c", BLOCK_TORCH, script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "this example needs PyTorch: pip install torch" in result.stderr


def trained_lenet5(seed: int = 0):
    """LeNet-5 after a few steps, so its BatchNorm statistics and biases are far from their initial values."""
    rng = np.random.default_rng(seed)
    X = rng.random((64, 28, 28, 1), dtype=np.float32)
    model = build_lenet5(seed)
    model.fit(X, np.arange(64) % 10, epochs=2, lr=0.05, batch_size=16, verbose=0)
    return model.eval(), X


def test_lenet5_names_follow_torchs_sequential_with_batchnorm_relu_and_dropout():
    state = interop.to_torch(build_lenet5(0), LENET5_INPUT)
    batchnorm = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert list(state) == [
        "0.weight", "0.bias", *(f"1.{k}" for k in batchnorm), "4.weight", "4.bias", *(f"5.{k}" for k in batchnorm),
        "9.weight", "9.bias", "12.weight", "12.bias", "14.weight", "14.bias",
    ]  # fmt: skip
    assert state["9.weight"].shape == (120, 400) and state["5.running_var"].shape == (16,)
    assert state["1.num_batches_tracked"].dtype == np.int64


def test_lenet5_from_torch_inverts_to_torch_exactly():
    model, _ = trained_lenet5()
    other = build_lenet5(7)
    other.load_state_dict(interop.from_torch(other, interop.to_torch(model, LENET5_INPUT), LENET5_INPUT))
    for (name, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_batchnorm1d_after_flatten_follows_channels_first_order():
    """A BatchNorm1d between Flatten and Dense sees (h, w, c)-ordered features; PyTorch's, (c, h, w)."""
    model = nn.Sequential(nn.Conv2D(3, 3, 1, padding=1), nn.Flatten(), nn.BatchNorm1d(48), nn.Dense(2, 48, "none"))
    model.layers[2].running_mean.data = np.arange(48, dtype=np.float32)
    state = interop.to_torch(model, (4, 4, 1))
    np.testing.assert_array_equal(state["2.running_mean"], np.arange(48).reshape(4, 4, 3).transpose(2, 0, 1).ravel())
    back = interop.from_torch(model, state, (4, 4, 1))
    np.testing.assert_array_equal(back["layers.2.running_mean"], np.arange(48))


def test_lenet5_eval_logits_match_its_pytorch_twin_and_round_trip():
    torch = pytest.importorskip("torch", reason=TORCH_HINT)
    model, X = trained_lenet5()
    torch.manual_seed(0)
    net = torch_worker.lenet5(torch.nn)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in interop.to_torch(model, LENET5_INPUT).items()})
    net.eval()
    with torch.no_grad():
        theirs = net(torch.from_numpy(torch_worker.nchw(X))).numpy()
    np.testing.assert_allclose(model(Tensor(X)).numpy(), theirs, atol=1e-5, rtol=0)

    back = build_lenet5(5)
    back.load_state_dict(interop.from_torch(back, net.state_dict(), LENET5_INPUT))
    for (name, a), b in zip(model.state_dict().items(), back.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
