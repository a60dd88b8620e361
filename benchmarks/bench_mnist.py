"""Train the MNIST CNN for one epoch in tinygrad_np and in PyTorch, side by side, and compare.

    python benchmarks/bench_mnist.py              # all configurations, 3 alternating rounds
    python benchmarks/bench_mnist.py --repeats 5 --configs 32

Both frameworks start from the same weights (copied across), see the same shuffles, use the
same hyperparameters, float32, on the CPU. Each run is a fresh subprocess (so peak memory is
per framework); runs alternate tinygrad_np / PyTorch (1 thread) / PyTorch (2 threads). The ratio
compares throughput with PyTorch's faster thread setting. Op-level forward+backward timings at
the CNN's shapes follow.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from models.mnist_cnn import build_mnist_cnn  # noqa: E402
from tinygrad_np import interop  # noqa: E402
from tinygrad_np.datasets import load_mnist  # noqa: E402

CONFIGS = {  # batch size -> (training images, learning rate)
    32: (8000, 0.2),
    1: (1000, 0.01),
    256: (8000, 0.2),
}
SEED = 0


def reset_peak_rss() -> float:
    """Reset the kernel's peak-RSS mark (Linux: clear_refs 5); return the current RSS in MiB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return peak_rss_mib()


def peak_rss_mib() -> float:
    """Peak resident memory of this process since start or the last reset (VmHWM)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


def torch_model(ours):
    """The same CNN in PyTorch (NCHW), with our initial weights copied across."""
    import torch
    from torch import nn

    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
        nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip
    # NCHW kernels, and the first dense layer's rows in PyTorch's (c, h, w) flatten order: see tinygrad_np.interop
    model.load_state_dict({k: torch.from_numpy(v) for k, v in interop.to_torch(ours, (28, 28, 1)).items()})
    return model


def worker(framework: str, batch: int, threads: int) -> dict:
    """One training epoch in this process; returns seconds, accuracy and memory."""
    n, lr = CONFIGS[batch]
    data = load_mnist("bundled", seed=SEED, log=None)
    X, y = np.ascontiguousarray(data.X_train[:n]), data.y_train[:n]
    model = build_mnist_cnn(SEED)
    if framework == "tinygrad_np":
        before = reset_peak_rss()
        start = time.perf_counter()
        model.fit(X, y, epochs=1, lr=lr, batch_size=batch, seed=SEED, verbose=0)
        seconds = time.perf_counter() - start
        accuracy = model.evaluate(data.X_test, data.y_test).accuracy
    else:
        import torch

        torch.set_num_threads(threads)
        net = torch_model(model)
        optimizer = torch.optim.SGD(net.parameters(), lr=lr)
        inputs = torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2)))
        labels = torch.from_numpy(y)
        order = torch.from_numpy(np.random.default_rng([SEED, 1]).permutation(n))  # the same shuffle as fit()
        before = reset_peak_rss()
        start = time.perf_counter()
        for i in range(0, n, batch):
            idx = order[i : i + batch]
            loss = torch.nn.functional.cross_entropy(net(inputs[idx]), labels[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        with torch.no_grad():
            test = torch.from_numpy(np.ascontiguousarray(data.X_test.transpose(0, 3, 1, 2)))
            accuracy = float((net(test).argmax(1).numpy() == data.y_test).mean())
    return {
        "seconds": seconds,
        "accuracy": accuracy,
        "peak_mib": peak_rss_mib(),
        "epoch_growth_mib": peak_rss_mib() - before,
    }


def run_worker(framework: str, batch: int, threads: int) -> dict:
    command = [sys.executable, __file__, "--worker", framework, "--batch", str(batch), "--threads", str(threads)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def op_timings(repeats: int) -> list[tuple[str, float, float]]:
    """Forward+backward microseconds per call at the MNIST CNN's shapes (batch 32): ours, PyTorch."""
    import torch

    import tinygrad_np.functional as F
    from tinygrad_np import Tensor

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.random((32, 28, 28, 1), dtype=np.float32)
    w = rng.standard_normal((3, 3, 1, 8), dtype=np.float32)
    b = rng.standard_normal(8, dtype=np.float32)
    maps = rng.standard_normal((32, 28, 28, 8), dtype=np.float32)
    logits = rng.standard_normal((32, 10), dtype=np.float32)
    labels = rng.integers(0, 10, 32)
    tx, tw, tb = (
        torch.from_numpy(x.transpose(0, 3, 1, 2).copy()),
        torch.from_numpy(w.transpose(3, 2, 0, 1).copy()),
        torch.from_numpy(b),
    )
    tmaps, tlogits, tlabels = (
        torch.from_numpy(maps.transpose(0, 3, 1, 2).copy()),
        torch.from_numpy(logits),
        torch.from_numpy(labels),
    )
    tf = torch.nn.functional

    def ours(fn, *arrays):
        tensors = [Tensor(a, requires_grad=True) for a in arrays]
        return lambda: fn(*tensors).sum().backward()

    def theirs(fn, *arrays):
        tensors = [a.clone().requires_grad_(True) for a in arrays]
        return lambda: fn(*tensors).sum().backward()

    cases = [
        ("conv2d 3x3 pad 1, 1->8 ch", ours(lambda x, w, b: F.conv2d(x, w, b, padding=1), x, w, b),
         theirs(lambda x, w, b: tf.conv2d(x, w, b, padding=1), tx, tw, tb)),
        ("max_pool2d 2x2 on 28x28x8", ours(lambda m: F.max_pool2d(m, 2), maps),
         theirs(lambda m: tf.max_pool2d(m, 2), tmaps)),
        ("cross_entropy (32, 10)", ours(lambda z: F.cross_entropy(z, labels), logits),
         theirs(lambda z: tf.cross_entropy(z, tlabels), tlogits)),
        ("conv+relu+maxpool (fused here)", ours(lambda x, w, b: F.conv2d_relu_maxpool2d(x, w, b, padding=1), x, w, b),
         theirs(lambda x, w, b: tf.max_pool2d(tf.relu(tf.conv2d(x, w, b, padding=1)), 2), tx, tw, tb)),
    ]  # fmt: skip

    def per_call(fn, calls=200):
        fn()
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            samples.append((time.perf_counter() - start) / calls * 1e6)
        return statistics.median(samples)

    return [(name, per_call(a), per_call(b)) for name, a, b in cases]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="alternating rounds per configuration")
    parser.add_argument("--configs", default="32,1,256", help="batch sizes, comma-separated (32, 1, 256)")
    parser.add_argument("--worker", choices=["tinygrad_np", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.batch, args.threads)))
        return
    try:
        import torch  # noqa: F401

        frameworks = [("tinygrad_np", 0), ("torch", 1), ("torch", 2)]
    except ImportError:
        print("PyTorch is not installed: timing tinygrad_np alone (pip install torch==2.13.0 for the comparison)")
        frameworks = [("tinygrad_np", 0)]

    print(f"| batch | images | framework | s/epoch (median of {args.repeats}) | samples/s | peak RSS MiB | "
          "epoch growth MiB | test acc | tinygrad_np / PyTorch |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for batch in [int(b) for b in args.configs.split(",")]:
        n = CONFIGS[batch][0]
        runs = {fw: [] for fw in frameworks}
        for _ in range(args.repeats):
            for fw in frameworks:
                runs[fw].append(run_worker(fw[0], batch, fw[1]))
        medians = {fw: statistics.median(r["seconds"] for r in results) for fw, results in runs.items()}
        torch_best = min((s for fw, s in medians.items() if fw[0] == "torch"), default=None)
        for fw, results in runs.items():
            name = "tinygrad_np" if fw[0] == "tinygrad_np" else f"PyTorch {fw[1]} thread{'s' * (fw[1] > 1)}"
            ratio = f"**{torch_best / medians[fw]:.2f}**" if fw[0] == "tinygrad_np" and torch_best else ""
            print(
                f"| {batch} | {n:,} | {name} | {medians[fw]:.3f} | {n / medians[fw]:,.0f} | "
                f"{max(r['peak_mib'] for r in results):.0f} | {max(r['epoch_growth_mib'] for r in results):.0f} | "
                f"{100 * results[0]['accuracy']:.2f}% | {ratio} |",
                flush=True,
            )
    if len(frameworks) > 1:
        print("\n| op, forward+backward, batch 32 | tinygrad_np µs | PyTorch µs (1 thread) | ratio |")
        print("|---|---|---|---|")
        for name, ours_us, theirs_us in op_timings(args.repeats):
            print(f"| {name} | {ours_us:.0f} | {theirs_us:.0f} | {theirs_us / ours_us:.2f} |")


if __name__ == "__main__":
    main()
