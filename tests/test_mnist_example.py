"""examples/mnist.py end to end on the bundled data (small runs), as a user runs it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..")
SCRIPT = os.path.join(ROOT, "examples", "mnist.py")


def run(*args: str) -> subprocess.CompletedProcess:
    if "--checkpoint" not in args and "--load" not in args:
        args = (*args, "--checkpoint", "")  # no checkpoint file left in the repository
    return subprocess.run(
        [sys.executable, SCRIPT, "--data", "bundled", *args], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def accuracy(output: str) -> float:
    return float(re.search(r"test accuracy: ([\d.]+)%", output).group(1))


@pytest.fixture(scope="module")
def short_run():
    return run("--limit", "2000", "--epochs", "4")


def test_short_run_reaches_90_percent_and_prints_everything(short_run):
    out = short_run.stdout
    assert short_run.returncode == 0, short_run.stderr
    assert "bundled: the original MNIST test set" in out
    assert "train 1,600 images, test 400 images" in out
    assert "Conv2D(8, 3x3, relu)" in out and "202,202" in out
    assert len(re.findall(r"^epoch \d/4  loss [\d.]+  train acc [\d.]+%  val acc [\d.]+%  [\d.]+ s  [\d,]+ samples/s$",
                          out, re.M)) == 4  # fmt: skip
    assert accuracy(out) >= 90.0
    matrix = out.split("confusion matrix (test split):\n")[1].splitlines()[1:11]
    assert sum(int(v) for row in matrix for v in row.split()[1:]) == 400


def test_same_seed_prints_identical_accuracies(short_run):
    again = run("--limit", "2000", "--epochs", "4")
    pick = re.compile(r"(?:train acc|val acc|test accuracy:) [\d.]+%")
    assert pick.findall(again.stdout) == pick.findall(short_run.stdout)
    other = run("--limit", "2000", "--epochs", "4", "--seed", "1")
    assert pick.findall(other.stdout) != pick.findall(short_run.stdout)


def test_save_then_load_evaluates_the_same(tmp_path):
    path = tmp_path / "cnn.npz"
    trained = run("--limit", "1000", "--epochs", "1", "--save", str(path))
    assert trained.returncode == 0 and path.exists()
    loaded = run("--limit", "1000", "--load", str(path))
    assert loaded.returncode == 0, loaded.stderr
    assert "loaded parameters" in loaded.stdout and "epoch 1/" not in loaded.stdout
    assert accuracy(loaded.stdout) == accuracy(trained.stdout)


@pytest.mark.parametrize(
    "loss, optimizer", [("hinge", "sgd"), ("cross-entropy", "adam"), ("cross-entropy", "momentum")]
)
def test_losses_and_optimizers_train(loss, optimizer):
    result = run("--limit", "1000", "--epochs", "3", "--loss", loss, "--optimizer", optimizer)
    assert result.returncode == 0, result.stderr
    assert accuracy(result.stdout) >= 80.0


def test_loading_on_another_split_warns(tmp_path):
    path = tmp_path / "cnn.npz"
    assert run("--limit", "500", "--epochs", "1", "--save", str(path)).returncode == 0
    same = run("--limit", "500", "--load", str(path))
    other = run("--limit", "500", "--load", str(path), "--seed", "1")
    assert same.returncode == other.returncode == 0
    assert "warning" not in same.stderr and "may include images it was trained on" in other.stderr


def test_batch_size_one_learns_with_the_default_lr():
    result = run("--limit", "1000", "--epochs", "2", "--batch-size", "1")
    assert result.returncode == 0 and "lr=0.009375" in result.stdout
    assert accuracy(result.stdout) >= 80.0


def test_runtime_errors_are_one_line_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"garbage")
    for args in (["--load", str(bad)], ["--data", str(tmp_path / "missing")]):
        result = run(*args)
        assert result.returncode == 1 and result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_plot_writes_a_png(tmp_path):
    path = tmp_path / "curves.png"
    result = run("--limit", "500", "--epochs", "2", "--plot", str(path))
    assert result.returncode == 0, result.stderr
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_help_lists_every_flag():
    result = subprocess.run([sys.executable, SCRIPT, "--help"], capture_output=True, text=True, timeout=60)
    for flag in ("--epochs", "--lr", "--batch-size", "--loss", "--optimizer", "--seed", "--data", "--test-size",
                 "--limit", "--save", "--load", "--plot"):  # fmt: skip
        assert flag in result.stdout


@pytest.mark.parametrize(
    "args, words",
    [
        (["--epochs", "0"], "--epochs"),
        (["--lr", "-1"], "--lr"),
        (["--batch-size", "0"], "--batch-size"),
        (["--test-size", "1.5"], "--test-size"),
        (["--loss", "mse"], "--loss"),
        (["--optimizer", "rmsprop"], "--optimizer"),
        (["--load", "a.npz", "--save", "b.npz"], "--load"),
        (["--limit", "5"], "--limit"),
        (["--save", "/no/such/dir/cnn.npz"], "--save"),
        (["--plot", "/no/such/dir/p.png"], "--plot"),
        (["--plot", "curves.txt"], "--plot"),
        (["--graph", "g.jpg"], "--graph"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(args, words):
    result = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and words in result.stderr


def test_graph_of_one_training_step(tmp_path, dot):
    path = tmp_path / "step.svg"
    result = run("--limit", "500", "--epochs", "1", "--graph", str(path))
    assert result.returncode == 0, result.stderr
    svg = path.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for label in ("Conv2D(8, 3x3, relu)", "Pooling(max 2x2, stride 2)", "Flatten", "Dense(128, relu)",
                  "Dense(10, softmax)", "layers.0.filters", "input", "loss", "cross_entropy mean"):  # fmt: skip
        assert label in svg
    assert svg.count("grad ") >= 13  # every parameter and every intermediate shows its gradient


def test_ctrl_c_saves_the_last_epoch_and_resume_finishes_like_an_uninterrupted_run(tmp_path):
    args = ["--data", "bundled", "--limit", "2000", "--epochs", "4", "--checkpoint", str(tmp_path / "ck.npz")]
    whole = run(*args[2:])
    assert whole.returncode == 0, whole.stderr

    slow = subprocess.Popen(
        [sys.executable, SCRIPT, *args[:-1], str(tmp_path / "run.npz"), "--batch-size", "32"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    for line in slow.stdout:  # interrupt as soon as epoch 2 is done (so during epoch 3)
        if line.startswith("epoch 2/4"):
            slow.send_signal(signal.SIGINT)
            break
    out, err = slow.communicate(timeout=120)
    assert slow.returncode == 130, err
    assert "after epoch 2" in err and "run.npz" in err and "--resume" in err

    resumed = run(*args[2:-2], "--resume", str(tmp_path / "run.npz"))
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from" in resumed.stdout and "epoch 3/4" in resumed.stdout and "epoch 1/4" not in resumed.stdout
    assert accuracy(resumed.stdout) == accuracy(whole.stdout)


def test_diverging_run_exits_non_zero_with_the_reason(tmp_path):
    result = run("--limit", "500", "--epochs", "1", "--lr", "1e30", "--checkpoint", str(tmp_path / "ck.npz"))
    assert result.returncode == 1
    assert "became non-finite at epoch 1, batch" in result.stderr and "learning rate" in result.stderr
    assert "Traceback" not in result.stderr
