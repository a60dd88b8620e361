"""The MNIST benchmark is fair: PyTorch's worker never imports tinygrad_np, and both frameworks train
the same weights on the same batches (so their losses agree)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np

from benchmarks.bench_mnist import ROOT, Config, train_tinygrad, write_job

CHECK = """
import json, sys
from benchmarks import torch_worker
result = torch_worker.train(sys.argv[1], 1)
print(json.dumps({"result": result, "imported": sorted(m for m in sys.modules if m.split(".")[0] == "tinygrad_np")}))
"""


def tiny_job(path: str) -> str:
    """A job file for 2 epochs of batch 16 over 64 random images (fast)."""
    rng = np.random.default_rng(3)
    data = SimpleNamespace(
        X_train=rng.random((64, 28, 28, 1), dtype=np.float32),
        y_train=rng.integers(0, 10, 64),
        X_test=rng.random((20, 28, 28, 1), dtype=np.float32),
        y_test=rng.integers(0, 10, 20),
    )
    write_job(Config("mnist_cnn", batch=16, images=64, epochs=2, lr=0.1), data, path)
    return path


def test_torch_worker_does_not_import_tinygrad_np_and_matches_fit(torch, tmp_path):
    job = tiny_job(os.fspath(tmp_path / "job.npz"))
    out = subprocess.run(
        [sys.executable, "-c", CHECK, job], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert report["imported"] == [], f"the PyTorch worker imported {report['imported']}"
    theirs, ours = report["result"], train_tinygrad(job, threads=1)
    assert len(theirs["losses"]) == len(ours["losses"]) == 2
    np.testing.assert_allclose(theirs["losses"], ours["losses"], rtol=1e-4)  # same weights, same batches
    assert theirs["losses"][1] < theirs["losses"][0]
    assert abs(theirs["accuracy"] - ours["accuracy"]) <= 0.05  # at most one of 20 test images differs
    assert len(theirs["epoch_peaks_mib"]) == len(ours["epoch_peaks_mib"]) == 2
