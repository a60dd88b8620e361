"""The per-op profiler: counts every op call, forward and backward, and prints a table."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np

import tinygrad_np as tg
from tinygrad_np import Tensor


def test_profile_counts_calls_per_op_and_phase():
    stream = io.StringIO()
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    with tg.profile(stream) as prof:
        for _ in range(3):
            (x * 2).relu().sum().backward()
    assert prof.calls["mul", "forward"] == 3 and prof.calls["mul", "backward"] == 3
    assert prof.calls["relu", "forward"] == 3 and prof.calls["sum", "backward"] == 3
    assert all(s >= 0 for s in prof.seconds.values()) and prof.wall > 0
    table = stream.getvalue()
    assert table.splitlines()[0].split()[:2] == ["op", "calls"]
    assert {"mul", "relu", "sum"} <= {line.split()[0] for line in table.splitlines()[1:-1]}
    assert "outside ops" in table


def test_nothing_is_recorded_outside_the_block():
    with tg.profile(None) as prof:
        pass
    (Tensor([1.0], requires_grad=True) * 2).sum().backward()
    assert not prof.calls


def test_environment_variable_prints_at_exit():
    code = "import tinygrad_np as tg; (tg.Tensor([1.0, 2.0], requires_grad=True) * 3).sum().backward()"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        env={**os.environ, "TINYGRAD_NP_PROFILE": "1"},
    )  # fmt: skip
    assert result.returncode == 0
    assert "mul" in result.stderr and "outside ops" in result.stderr
