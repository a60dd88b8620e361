"""examples/mnist.py --model lenet5 and the flags of issue 12 (--weight-decay, --scheduler, --dropout), in-process."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import mnist  # noqa: E402


def test_lenet5_trains_with_its_defaults_and_resumes_its_schedule(tmp_path, capsys):
    path = str(tmp_path / "ck.npz")
    flags = ["--model", "lenet5", "--data", "bundled", "--limit", "300", "--checkpoint", path]
    assert mnist.run([*flags, "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "BatchNorm2d(6)" in out and "Dropout(0.5)" in out
    assert "training: 2 epochs, momentum lr=0.1, weight decay 0.0005, onecycle schedule" in out
    assert float(re.search(r"test accuracy: ([\d.]+)%", out).group(1)) > 20
    assert mnist.run([*flags, "--epochs", "3", "--resume", path]) == 1  # one-cycle's length is fixed by --epochs
    assert 'scheduler (checkpoint "OneCycleLR(max_lr=0.1, total_steps=16' in capsys.readouterr().err


@pytest.mark.parametrize("scheduler", ["step", "cosine"])
def test_cnn_takes_weight_decay_and_a_schedule(capsys, scheduler):
    flags = ["--data", "bundled", "--limit", "200", "--epochs", "1", "--checkpoint", ""]
    assert mnist.run([*flags, "--weight-decay", "1e-4", "--scheduler", scheduler]) == 0
    assert f"weight decay 0.0001, {scheduler} schedule" in capsys.readouterr().out


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--dropout", "0.3"], "--dropout: only --model lenet5 has dropout"),
        (["--model", "lenet5", "--dropout", "1"], "--dropout: must be in [0, 1), got 1.0"),
        (["--weight-decay", "-1"], "--weight-decay: must be a number >= 0, got -1.0"),
    ],
)
def test_bad_flags_are_refused_clearly(capsys, flags, message):
    with pytest.raises(SystemExit):
        mnist.parse_args(flags)
    assert message in capsys.readouterr().err
