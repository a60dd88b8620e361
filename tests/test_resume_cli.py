"""Resume, load and the data split, as a new user meets them in examples/mnist.py (run in-process, small runs).

Kaggle is simulated: `kaggle.download_mnist` is replaced by a folder of Kaggle-style CSV files
("online") or by the error an unreachable network gives ("offline").
"""

from __future__ import annotations

import importlib.util
import os
import struct
from importlib.resources import as_file, files
from pathlib import Path

import numpy as np
import pytest

from tinygrad_np import nn
from tinygrad_np.checkpoint import CheckpointError, read_metadata
from tinygrad_np.datasets import DatasetError, kaggle, load_mnist
from tinygrad_np.datasets.errors import DatasetUnavailableError
from tinygrad_np.datasets.idx import read_mnist_idx

ROOT = os.path.join(os.path.dirname(__file__), "..")
SMALL = ("--limit", "500", "--epochs", "1")


@pytest.fixture(scope="module")
def cli():
    """examples/mnist.py as a module; its `run(argv)` is what `python examples/mnist.py ...` runs."""
    spec = importlib.util.spec_from_file_location("mnist_cli", os.path.join(ROOT, "examples", "mnist.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def run(cli, capsys, monkeypatch, tmp_path):
    """run(*args) -> (exit code, stdout, stderr), in a temporary folder (the default checkpoint lands there)."""
    monkeypatch.chdir(tmp_path)

    def run_cli(*args: str) -> tuple[int, str, str]:
        code = cli.run(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run_cli


@pytest.fixture(scope="module")
def digits():
    """The bundled images (uint8 (10000, 28, 28)) and labels."""
    folder = files("tinygrad_np") / "data"
    with as_file(folder / "t10k-images-idx3-ubyte.gz") as images, as_file(folder / "t10k-labels-idx1-ubyte.gz") as lb:
        return read_mnist_idx(images, lb)


def write_csv(path, images, labels) -> None:
    header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
    table = np.column_stack([labels, images.reshape(len(images), -1)]).astype(np.int64)
    np.savetxt(path, table, fmt="%d", delimiter=",", header=header, comments="")


def write_idx(path, array) -> None:
    with open(path, "wb") as f:
        f.write(struct.pack(f">I{array.ndim}I", 0x0800 | array.ndim, *array.shape) + array.astype(np.uint8).tobytes())


@pytest.fixture
def kaggle_folder(tmp_path, digits):
    """Kaggle's layout in miniature: mnist_train.csv (600 images) and mnist_test.csv (200 others)."""
    images, labels = digits
    folder = tmp_path / "kaggle"
    folder.mkdir()
    write_csv(folder / "mnist_train.csv", images[:600], labels[:600])
    write_csv(folder / "mnist_test.csv", images[600:800], labels[600:800])
    return folder


@pytest.fixture
def idx_folder(tmp_path, digits):
    """A folder of the original IDX files in miniature: train-* (600 images) and t10k-* (200 others)."""
    images, labels = digits
    folder = tmp_path / "idx"
    folder.mkdir()
    for prefix, part in (("train", slice(0, 600)), ("t10k", slice(600, 800))):
        write_idx(folder / f"{prefix}-images-idx3-ubyte", images[part])
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels[part])
    return folder


@pytest.fixture
def online(monkeypatch, kaggle_folder):
    monkeypatch.setattr(kaggle, "download_mnist", lambda timeout: str(kaggle_folder))


@pytest.fixture
def offline(monkeypatch):
    def unreachable(timeout):
        raise DatasetUnavailableError("Kaggle unreachable (simulated)")

    monkeypatch.setattr(kaggle, "download_mnist", unreachable)


@pytest.fixture
def trained(run, offline, tmp_path):
    """A checkpoint of one epoch on 500 bundled images (requested as "auto", which fell back), SGD."""
    path = str(tmp_path / "done.npz")
    code, out, err = run("--data", "auto", *SMALL, "--checkpoint", path)
    assert code == 0, err
    return path


# ---- what a checkpoint records -------------------------------------------------------------------
def test_checkpoint_records_the_data_actually_used_the_split_and_the_training_settings(trained):
    meta = read_metadata(trained)
    assert meta["metadata"] == {"data": "bundled", "split": "random", "test_size": 0.2, "seed": 0, "limit": 500}
    assert meta["training"] == {"loss": "cross_entropy", "optimizer": "sgd", "lr": 0.3, "batch_size": 32,
                                "seed": 0, "train_samples": 400}  # fmt: skip
    assert meta["epoch"] == 1


# ---- --resume refuses what it cannot continue honestly ---------------------------------------------
def test_resume_with_another_optimizer_names_it(run, trained):
    code, out, err = run("--data", "bundled", *SMALL[:2], "--epochs", "2", "--optimizer", "adam", "--resume", trained)
    assert code == 1 and "Traceback" not in err
    assert "optimizer (checkpoint 'sgd', this run 'adam')" in err and "lr (checkpoint 0.3, this run 0.001)" in err
    assert "has no parameter" not in err and "epoch 2/2" not in out


@pytest.mark.parametrize(
    "flags, named",
    [
        (("--limit", "1000"), ["limit (checkpoint 500, this run 1000)", "train_samples (checkpoint 400, this run 8"]),
        (("--limit", "500", "--seed", "1"), ["seed (checkpoint 0, this run 1)"]),
        (("--limit", "500", "--test-size", "0.3"), ["test_size (checkpoint 0.2, this run 0.3)"]),
        (("--limit", "500", "--batch-size", "16"), ["batch_size (checkpoint 32, this run 16)", "lr (checkpoint 0.3"]),
        (("--limit", "500", "--loss", "hinge"), ["loss (checkpoint 'cross_entropy', this run 'hinge')"]),
    ],
)
def test_resume_on_other_data_split_or_settings_is_refused_naming_each_difference(run, trained, flags, named):
    before = Path(trained).read_bytes()
    code, out, err = run("--data", "bundled", *flags, "--epochs", "2", "--resume", trained)
    assert code == 1 and "cannot resume from" in err, err
    for words in named:
        assert words in err
    assert "epoch 2/2" not in out and Path(trained).read_bytes() == before


def test_resume_on_other_data_source_is_refused(run, trained, idx_folder):
    code, out, err = run("--data", str(idx_folder), *SMALL[:2], "--epochs", "2", "--resume", trained)
    assert code == 1 and f"data (checkpoint 'bundled', this run '{idx_folder}')" in err


def test_resume_with_no_more_epochs_says_there_is_nothing_to_train(run, trained):
    code, out, err = run("--data", "bundled", *SMALL, "--resume", trained)
    assert code == 1 and "already holds 1 epoch and `epochs` is 1: there is nothing to train" in err
    assert "ask for more than 1 epochs" in err


def test_resume_reads_one_file_and_writes_where_checkpoint_says(run, trained, tmp_path):
    before = Path(trained).read_bytes()
    target = str(tmp_path / "continued.npz")
    code, out, err = run("--data", "bundled", *SMALL[:2], "--epochs", "2", "--resume", trained, "--checkpoint", target)
    assert code == 0, err
    assert f"resumed from {trained} after epoch 1" in out and "epoch 2/2" in out and "epoch 1/2" not in out
    assert Path(trained).read_bytes() == before
    assert read_metadata(target)["epoch"] == 2
    # without --checkpoint, the resumed file itself is continued
    code, out, err = run("--data", "bundled", *SMALL[:2], "--epochs", "2", "--resume", trained)
    assert code == 0 and read_metadata(trained)["epoch"] == 2 and not os.path.exists("mnist_checkpoint.npz")


# ---- --load compares the data actually used ----------------------------------------------------
def test_load_compares_the_data_actually_used_not_the_flag(run, offline, tmp_path):
    saved = str(tmp_path / "cnn.npz")
    assert run("--data", "auto", *SMALL, "--checkpoint", "", "--save", saved)[0] == 0  # auto fell back to bundled
    code, out, err = run("--data", "bundled", "--limit", "500", "--load", saved)
    assert code == 0 and "warning" not in err and "loaded parameters" in out


def test_load_warns_when_online_training_data_meets_an_offline_run(run, online, monkeypatch, tmp_path):
    saved = str(tmp_path / "cnn.npz")
    code, out, err = run("--data", "auto", *SMALL, "--checkpoint", "", "--save", saved)  # auto reached "Kaggle"
    assert code == 0 and "kaggle:" in out, err
    monkeypatch.setattr(kaggle, "download_mnist", lambda timeout: (_ for _ in ()).throw(DatasetUnavailableError("x")))
    code, out, err = run("--data", "auto", "--limit", "500", "--load", saved)
    assert code == 0 and "warning: this model was trained on other data or another split" in err
    assert "data (checkpoint 'kaggle', this run 'bundled')" in err


# ---- --split official ------------------------------------------------------------------------------
@pytest.mark.parametrize("source", ["kaggle", "idx"])
def test_split_official_trains_on_the_training_file_and_tests_on_the_official_test_set(run, online, idx_folder, source):
    data = "auto" if source == "kaggle" else str(idx_folder)
    code, out, err = run("--data", data, "--split", "official", "--epochs", "1", "--checkpoint", "")
    assert code == 0, err
    assert "train 600 images, test 200 images" in out and "official split" in out
    assert "test accuracy:" in out and "on 200 images (the official test set)" in out
    assert "official test file accuracy" not in out and "confusion matrix (official test set)" in out


def test_split_official_needs_a_source_with_a_test_set(run):
    code, out, err = run("--data", "bundled", "--split", "official", *SMALL, "--checkpoint", "")
    assert code == 1 and "split='official' needs a source with its own test set" in err and "bundled" in err


def test_split_official_has_no_test_size(run, capsys):
    with pytest.raises(SystemExit) as info:
        run("--data", "bundled", "--split", "official", "--test-size", "0.1")
    assert info.value.code == 2
    assert "--test-size: --split official tests on the source's own test set" in capsys.readouterr().err


def test_load_mnist_official_split_from_csv_files(kaggle_folder, digits):
    data = load_mnist(str(kaggle_folder), split="official", limit=300, log=None)
    assert len(data.y_train) == 300 and len(data.y_test) == 200
    np.testing.assert_array_equal(data.y_test, digits[1][600:800])
    np.testing.assert_array_equal(data.X_test, data.official_test[0])
    with pytest.raises(ValueError, match=r"load_mnist: `split` must be 'random' or 'official', got 'test'"):
        load_mnist("bundled", split="test")
    with pytest.raises(DatasetError, match="split='official' needs a source with its own test set"):
        load_mnist("bundled", split="official", log=None)


# ---- the same checks in the library ------------------------------------------------------------
def blobs(n=60):
    rng = np.random.default_rng(0)
    y = np.arange(n) % 3
    return (rng.normal(size=(n, 4)) + 3 * y[:, None]).astype(np.float32), y


def test_fit_resume_from_one_path_saves_to_another_and_refuses_other_metadata(tmp_path):
    X, y = blobs()
    nn.manual_seed(0)
    first = nn.CNN(nn.Dense(8, 4, "relu"), nn.Dense(3, 8, "softmax"))
    first.fit(X, y, epochs=1, lr=0.1, verbose=0, checkpoint=tmp_path / "a.npz", metadata={"data": "mine"})
    before = (tmp_path / "a.npz").read_bytes()
    nn.manual_seed(1)
    model = nn.CNN(nn.Dense(8, 4, "relu"), nn.Dense(3, 8, "softmax"))
    untouched = [p.data.copy() for p in model.parameters()]
    with pytest.raises(CheckpointError, match=r"data \(checkpoint 'mine', this run 'other'\)"):
        model.fit(X, y, epochs=2, lr=0.1, verbose=0, resume=tmp_path / "a.npz", metadata={"data": "other"})
    with pytest.raises(ValueError, match="already holds 1 epoch and `epochs` is 1"):
        model.fit(X, y, epochs=1, lr=0.1, verbose=0, resume=tmp_path / "a.npz", metadata={"data": "mine"})
    for p, value in zip(model.parameters(), untouched):
        np.testing.assert_array_equal(p.data, value)
    history = model.fit(X, y, epochs=2, lr=0.1, verbose=0, checkpoint=tmp_path / "b.npz", resume=tmp_path / "a.npz",
                        metadata={"data": "mine"})  # fmt: skip
    assert len(history.loss) == 2 and (tmp_path / "a.npz").read_bytes() == before
    assert read_metadata(tmp_path / "b.npz")["epoch"] == 2
