"""Peak memory per epoch over ten epochs of MNIST CNN training, and what survives each epoch.

    python benchmarks/bench_memory.py [--batch-size 32] [--epochs 10]

Each epoch resets the kernel's peak-RSS mark first (Linux), so every row is that epoch's own
peak. Flat rows mean nothing accumulates; the Tensor count after each epoch shows that no graph
outlives its step (only the parameters remain).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from benchmarks.rss import peak_rss_mib, reset_peak_rss  # noqa: E402
from models.mnist_cnn import build_mnist_cnn  # noqa: E402
from tinygrad_np import Tensor  # noqa: E402
from tinygrad_np.datasets import load_mnist  # noqa: E402
from tinygrad_np.optim import SGD  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    data = load_mnist("bundled", log=None)
    model = build_mnist_cnn(0)
    optimizer = SGD(model.parameters(), lr=0.3)
    print("| epoch | RSS at start MiB | peak RSS during epoch MiB | Tensors alive after | test acc |")
    print("|---|---|---|---|---|")
    for epoch in range(1, args.epochs + 1):
        start = reset_peak_rss()
        model.fit(data.X_train, data.y_train, epochs=1, lr=0.3, batch_size=args.batch_size,
                  optimizer=optimizer, seed=epoch, verbose=0)  # fmt: skip
        peak = peak_rss_mib()
        gc.collect()
        alive = sum(isinstance(o, Tensor) for o in gc.get_objects())
        accuracy = model.evaluate(data.X_test, data.y_test).accuracy
        print(f"| {epoch} | {start:.0f} | {peak:.0f} | {alive} | {100 * accuracy:.2f}% |", flush=True)


if __name__ == "__main__":
    main()
