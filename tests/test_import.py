"""Importing the package changes nothing global: not the C allocator, warning filters, random
state, NumPy's settings or threads; and it does not import PyTorch."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = r"""
import json, random, sys, threading, warnings
import numpy as np

foreign_calls = []  # every C symbol looked up through ctypes while the package imports (mallopt, ...)
sys.addaudithook(lambda event, args: foreign_calls.append(str(args[1])) if event == "ctypes.dlsym" else None)

def state():
    return {
        "warning filters": [str(f) for f in warnings.filters],
        "threads": threading.active_count(),
        "numpy random": np.random.get_state()[1][:4].tolist(),
        "python random": list(random.getstate()[1][:4]),
        "numpy errors": np.geterr(),
        "numpy print": np.get_printoptions()["precision"],
    }

before = state()
import tinygrad_np  # noqa: E402
print(json.dumps({"before": before, "after": state(), "torch": "torch" in sys.modules, "ctypes": foreign_calls}))
"""


def import_report() -> dict:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_changes_nothing_global():
    report = import_report()
    assert report["before"] == report["after"]
    assert not report["torch"]


def test_import_tunes_no_allocator():
    assert not [name for name in import_report()["ctypes"] if "malloc" in name or "mallopt" in name]
