"""Test-wide settings: deterministic hypothesis runs, and the tools some tests need (PyTorch, graphviz's dot).

A test that needs a tool takes the `torch` or `dot` fixture. On a machine without the tool it is
skipped with a reason that says how to install it; with TINYGRAD_NP_REQUIRE_TOOLS=1 (set by
.ci/run) a missing tool fails the test instead, so CI can never skip them silently.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

# Property tests draw the same examples on every run (derandomize), so CI results are reproducible;
# each test sets its own max_examples through support.examples().
settings.register_profile(
    "deterministic",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("deterministic")

REQUIRE_TOOLS = os.environ.get("TINYGRAD_NP_REQUIRE_TOOLS", "") not in ("", "0")


def require(tool: str, available: bool, install: str) -> None:
    """Skip the calling test when `tool` is missing (fail instead when tools are required)."""
    if available:
        return
    message = f"{tool} is not installed; install it with: {install}"
    if REQUIRE_TOOLS:
        pytest.fail(f"{message} (TINYGRAD_NP_REQUIRE_TOOLS is set: this run requires it)")
    pytest.skip(message)


@pytest.fixture
def torch():
    """PyTorch, the test oracle."""
    require("PyTorch", importlib.util.find_spec("torch") is not None, 'pip install -e ".[test]" (torch==2.13.0)')
    import torch

    return torch


@pytest.fixture
def dot():
    """The path of graphviz's `dot` program, which renders graphs to SVG/PNG/PDF."""
    path = shutil.which("dot")
    require(
        "graphviz's `dot` program",
        path is not None,
        "apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS) or conda install graphviz",
    )
    return path
