"""The PyTorch side of bench_mnist.py: NumPy, PyTorch and the standard library only.

This module never imports tinygrad_np (tests/test_benchmarks.py checks it): importing the library
could change process-wide state (e.g. the C allocator), which would change PyTorch's speed too.
Everything it needs comes in a job file (.npz) that bench_mnist.py writes: the data, the initial
weights already in PyTorch's names and layouts (tinygrad_np.interop.to_torch), and the order of
every epoch (the shuffles `fit` uses), so both frameworks train the same weights on the same batches.

    python -m benchmarks.torch_worker JOB.npz THREADS      # prints one JSON line
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from benchmarks.rss import PeakSampler


def mnist_cnn(nn):
    """models/mnist_cnn.py in PyTorch (NCHW; the softmax is in the loss, as in tinygrad_np's CNN)."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, stride=1, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
        nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip


def lenet5(nn, dropout: float = 0.5):
    """models/lenet5.py in PyTorch (NCHW). Its dropout masks come from PyTorch's generator, not ours, so
    the two frameworks' training losses differ a little (the same weights and batches otherwise)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Dropout(dropout), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip


# Model name (bench_mnist.MODELS) -> builder of the same network in PyTorch, layer order as interop.to_torch names it.
TORCH_MODELS: dict[str, Callable] = {"mnist_cnn": mnist_cnn, "lenet5": lenet5}


def epoch_losses(step_losses: np.ndarray, n: int, batch: int) -> list[float]:
    """Mean loss per epoch from per-step mean losses, weighting each step by its batch's size (as `fit` does)."""
    sizes = np.minimum(batch, n - np.arange(0, n, batch))
    per_epoch = step_losses.reshape(-1, len(sizes))
    return [float(v) for v in per_epoch @ sizes / n]


def nchw(x: np.ndarray) -> np.ndarray:
    """Channels-last images (N, H, W, C) as PyTorch's contiguous (N, C, H, W)."""
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def train(job_path: str, threads: int) -> dict:
    """Train as the job file says, in the tight loop a PyTorch user writes; seconds, losses, accuracy, memory.

    One untimed warm-up step first (then the initial weights are put back); then each epoch permutes
    the data once and slices contiguous batches.
    """
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    with np.load(job_path) as job:
        meta = json.loads(str(job["meta"]))
        state = {k.removeprefix("state/"): torch.from_numpy(job[k]) for k in job.files if k.startswith("state/")}
        X, y = torch.from_numpy(nchw(job["X_train"])), torch.from_numpy(job["y_train"])
        X_test, y_test = nchw(job["X_test"]), job["y_test"]
        orders = torch.from_numpy(job["orders"])
    batch, lr, n = meta["batch"], meta["lr"], len(X)
    net = TORCH_MODELS[meta["model"]](torch.nn)
    net.load_state_dict(state)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    F.cross_entropy(net(X[:batch]), y[:batch]).backward()  # warm-up step, untimed; then the initial weights again
    optimizer.step()
    net.load_state_dict(state)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)

    losses, epoch_ends = [], []
    with PeakSampler() as memory:
        start = time.perf_counter()
        for order in orders:
            xs, ys = X[order], y[order]  # shuffle once per epoch
            for i in range(0, n, batch):
                loss = F.cross_entropy(net(xs[i : i + batch]), ys[i : i + batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())  # as fit does (kept 0-d tensors fragment the heap)
            epoch_ends.append(time.perf_counter())
        seconds = time.perf_counter() - start
    net.eval()  # BatchNorm's running statistics, no dropout (as `evaluate` does)
    with torch.no_grad():
        accuracy = float((net(torch.from_numpy(X_test)).argmax(1).numpy() == y_test).mean())
    return {
        "seconds": seconds,
        "losses": epoch_losses(np.array(losses), n, batch),
        "accuracy": accuracy,
        "start_mib": memory.start_mib,
        "epoch_peaks_mib": [memory.peak_at(t) for t in epoch_ends],
    }


def op_inputs() -> dict[str, np.ndarray]:
    """The arrays the op-level timings use (the MNIST CNN's shapes at batch 32), channels-last, seeded."""
    rng = np.random.default_rng(0)
    return {
        "x": rng.random((32, 28, 28, 1), dtype=np.float32),
        "w": rng.standard_normal((3, 3, 1, 8), dtype=np.float32),
        "b": rng.standard_normal(8, dtype=np.float32),
        "maps": rng.standard_normal((32, 28, 28, 8), dtype=np.float32),
        "logits": rng.standard_normal((32, 10), dtype=np.float32),
        "labels": rng.integers(0, 10, 32),
        "flat": rng.standard_normal((32, 1568), dtype=np.float32),  # the CNN's dense layer
        "dense_w": rng.standard_normal((1568, 128), dtype=np.float32) * 0.03,
        "dense_b": np.zeros(128, np.float32),
        "maps6": rng.standard_normal((32, 14, 14, 6), dtype=np.float32),  # LeNet-5's second conv
        "w16": rng.standard_normal((5, 5, 6, 16), dtype=np.float32) * 0.1,
        "b16": np.zeros(16, np.float32),
        "bn_x": rng.standard_normal((32, 28, 28, 6), dtype=np.float32),  # LeNet-5's first batch norm
    }


def per_call_us(fn: Callable[[], None], repeats: int, calls: int = 200) -> float:
    """Median over `repeats` of the mean microseconds per call of `fn` (after one untimed call)."""
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def op_timings(repeats: int) -> dict[str, float]:
    """Forward+backward microseconds per call of PyTorch's ops (1 thread); the names match bench_mnist's."""
    import torch
    import torch.nn.functional as tf

    torch.set_num_threads(1)
    a = op_inputs()
    x, maps, maps6, bn_x = (torch.from_numpy(nchw(a[k])) for k in ("x", "maps", "maps6", "bn_x"))
    w, w16 = (torch.from_numpy(np.ascontiguousarray(a[k].transpose(3, 2, 0, 1))) for k in ("w", "w16"))
    b, b16, logits, labels = (torch.from_numpy(a[k]) for k in ("b", "b16", "logits", "labels"))
    flat, dense_b = torch.from_numpy(a["flat"]), torch.from_numpy(a["dense_b"])
    dense_w = torch.from_numpy(a["dense_w"].T.copy())  # PyTorch's (out, in)
    bn_weight, bn_bias = torch.ones(6), torch.zeros(6)

    def case(fn, *tensors):
        leaves = [t.clone().requires_grad_(True) for t in tensors]
        return lambda: fn(*leaves).sum().backward()

    cases = {
        "conv2d 3x3 pad 1, 1->8 ch": case(lambda x, w, b: tf.conv2d(x, w, b, padding=1), x, w, b),
        "max_pool2d 2x2 on 28x28x8": case(lambda m: tf.max_pool2d(m, 2), maps),
        "cross_entropy (32, 10)": case(lambda z: tf.cross_entropy(z, labels), logits),
        "conv+relu+maxpool (fused here)": case(
            lambda x, w, b: tf.max_pool2d(tf.relu(tf.conv2d(x, w, b, padding=1)), 2), x, w, b
        ),
        "linear 1568->128": case(tf.linear, flat, dense_w, dense_b),
        "LeNet-5: conv2d 5x5, 6->16 ch on 14x14": case(tf.conv2d, maps6, w16, b16),
        "LeNet-5: batch_norm on 28x28x6": case(
            lambda z, g, h: tf.batch_norm(z, None, None, g, h, training=True), bn_x, bn_weight, bn_bias
        ),
    }
    return {name: per_call_us(fn, repeats) for name, fn in cases.items()}


def main() -> None:
    """`JOB.npz THREADS`: train and print the result; `--ops REPEATS`: print the op timings."""
    if sys.argv[1] == "--ops":
        print(json.dumps(op_timings(int(sys.argv[2]))))
    else:
        print(json.dumps(train(sys.argv[1], int(sys.argv[2]))))


if __name__ == "__main__":
    main()
