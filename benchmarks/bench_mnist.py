"""Train the MNIST CNN and LeNet-5 in tinygrad_np and in PyTorch, side by side, fairly, and compare.

    python benchmarks/bench_mnist.py                 # every configuration, 3 alternating rounds
    python benchmarks/bench_mnist.py --quick         # 1 round, an eighth of the epochs: a smoke run
    python benchmarks/bench_mnist.py --configs mnist_cnn/32 --repeats 5

Fair means:
- Every run is a fresh process, and runs alternate: tinygrad_np with 1 and with 2 BLAS threads,
  PyTorch with 1 and with 2 threads. Each setting's median is reported; the ratio compares
  tinygrad_np with PyTorch's faster setting.
- The PyTorch worker (benchmarks/torch_worker.py) never imports tinygrad_np. This process writes a
  job file (.npz) with the data, the initial weights in PyTorch's layouts (interop.to_torch) and
  every epoch's order (the shuffles `fit` draws from its seed), so both frameworks train the same
  weights on the same batches: their per-epoch losses and test accuracies agree (float32 summation
  order aside), except LeNet-5's: its dropout masks come from each framework's own generator, so
  its losses agree only roughly.
- tinygrad_np is timed through `model.fit(..., verbose=0)`, what users call, so fit's checks and
  per-epoch work count. PyTorch runs the tight loop a user writes: permute the tensors once per
  epoch, slice contiguous batches, zero_grad / backward / step.
- Each framework takes one untimed warm-up step (then its initial weights are put back), and every
  configuration times at least 8,000 steps, except batch 256: it times the same 256,000 images
  as batch 32 (32 epochs, 1,024 steps): 8,000 steps would be 2 million images, two minutes a
  run, and at 15 ms a step the warm-up this rule guards against is far below the noise already.
The op-level section compares `fit` with a bare training loop over the same model (fit's own
overhead), then single ops, each framework in its own fresh process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from benchmarks import torch_worker  # noqa: E402  (NumPy-only helpers; torch is imported inside its functions)
from benchmarks.rss import PeakSampler  # noqa: E402
from models.lenet5 import INPUT_SHAPE as LENET5_INPUT  # noqa: E402
from models.lenet5 import build_lenet5  # noqa: E402
from models.mnist_cnn import INPUT_SHAPE, build_mnist_cnn  # noqa: E402
from tinygrad_np import interop  # noqa: E402

SEED = 0
# Model name -> (builder taking a seed, one input's channels-last shape). The PyTorch twin of each is
# torch_worker.TORCH_MODELS[name].
MODELS: dict[str, tuple[Callable, tuple[int, ...]]] = {
    "mnist_cnn": (build_mnist_cnn, INPUT_SHAPE),
    "lenet5": (build_lenet5, LENET5_INPUT),
}


@dataclass(frozen=True)
class Config:
    """One benchmark configuration: a model trained with plain SGD on the first `images` training images."""

    model: str
    batch: int
    images: int
    epochs: int
    lr: float

    @property
    def name(self) -> str:
        return f"{self.model}/{self.batch}"

    @property
    def steps(self) -> int:
        return self.epochs * -(-self.images // self.batch)


CONFIGS = [
    Config("mnist_cnn", 32, 8000, 32, 0.2),  # 8,000 steps
    Config("mnist_cnn", 1, 8000, 1, 0.01),  # per-sample SGD: 8,000 steps
    Config("mnist_cnn", 256, 8000, 32, 0.2),  # 1,024 steps, the same images as batch 32 (see the module doc)
    # LeNet-5: 8,000 steps, plain SGD at lr 0.05 in both. Its dropout masks differ between the frameworks
    # (each draws from its own generator), so its losses agree only roughly, unlike the CNN's.
    Config("lenet5", 32, 8000, 32, 0.05),
]


def write_job(config: Config, data, path: str) -> None:
    """The job file both workers read: data, initial weights in PyTorch's layouts, each epoch's order."""
    build, input_shape = MODELS[config.model]
    n = config.images
    state = interop.to_torch(build(SEED), input_shape)
    orders = [np.random.default_rng([SEED, epoch]).permutation(n) for epoch in range(1, config.epochs + 1)]
    np.savez(
        path,
        meta=np.array(json.dumps(asdict(config))),
        X_train=np.ascontiguousarray(data.X_train[:n]), y_train=data.y_train[:n].astype(np.int64),
        X_test=data.X_test, y_test=data.y_test.astype(np.int64),
        orders=np.stack(orders),
        **{f"state/{k}": v for k, v in state.items()},
    )  # fmt: skip


def train_tinygrad(job_path: str, threads: int) -> dict:
    """Train as the job file says with `fit`, at most `threads` BLAS threads; returns what torch_worker.train does."""
    from threadpoolctl import threadpool_limits

    with np.load(job_path) as job:
        config = Config(**json.loads(str(job["meta"])))
        X, y, X_test, y_test = (job[k] for k in ("X_train", "y_train", "X_test", "y_test"))
    model = MODELS[config.model][0](SEED)
    initial = model.state_dict()
    fit_args = dict(lr=config.lr, batch_size=config.batch, seed=SEED, verbose=0)
    with threadpool_limits(limits=threads):
        model.fit(X[: config.batch], y[: config.batch], epochs=1, **fit_args)  # warm-up step, untimed
        model.load_state_dict(initial)
        with PeakSampler() as memory:
            start = time.perf_counter()
            history = model.fit(X, y, epochs=config.epochs, **fit_args)
            seconds = time.perf_counter() - start
    epoch_ends = start + np.cumsum(history.seconds)  # fit's own epoch timings (its per-epoch snapshot comes after)
    return {
        "seconds": seconds,
        "losses": history.loss,
        "accuracy": model.evaluate(X_test, y_test).accuracy,
        "start_mib": memory.start_mib,
        "epoch_peaks_mib": [memory.peak_at(t) for t in epoch_ends],
    }


def fit_overhead_and_ops(repeats: int) -> dict:
    """Seconds of a `fit` epoch and of a bare loop's epoch over the same model and order (batch 32, 8,000
    images, 1 BLAS thread), alternating; and our ops' forward+backward µs at the CNN's shapes."""
    from threadpoolctl import threadpool_limits

    import tinygrad_np.functional as F
    from tinygrad_np import Tensor
    from tinygrad_np.datasets import load_mnist
    from tinygrad_np.optim import SGD

    config = CONFIGS[0]
    data = load_mnist("bundled", seed=SEED, log=None)
    X, y = np.ascontiguousarray(data.X_train[: config.images]), data.y_train[: config.images]
    targets = np.eye(10, dtype=np.float32)[y]
    order = np.random.default_rng([SEED, 1]).permutation(len(X))  # fit's first-epoch order
    model = MODELS[config.model][0](SEED)
    optimizer = SGD(model.named_parameters(), lr=config.lr)

    def fit_epoch(capture: bool = True) -> None:
        model.fit(X, y, epochs=1, lr=config.lr, batch_size=config.batch, seed=SEED, verbose=0, capture=capture)

    def bare_epoch() -> None:
        for i in range(0, len(X), config.batch):
            idx = order[i : i + config.batch]
            loss = F.cross_entropy(model(Tensor(X[idx])), targets[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    def seconds(fn: Callable[[], None]) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    with threadpool_limits(limits=1):
        seconds(fit_epoch)  # warm-up
        timings = {"fit": [], "fit_eager": [], "bare": []}
        for _ in range(repeats):
            timings["fit"].append(seconds(fit_epoch))
            timings["fit_eager"].append(seconds(lambda: fit_epoch(capture=False)))
            timings["bare"].append(seconds(bare_epoch))
        a = torch_worker.op_inputs()
        x, w, b, maps, logits, labels = (a[k] for k in ("x", "w", "b", "maps", "logits", "labels"))
        bn_weight, bn_bias = np.ones(6, np.float32), np.zeros(6, np.float32)

        def case(fn, *arrays):
            leaves = [Tensor(array, requires_grad=True) for array in arrays]
            return lambda: fn(*leaves).sum().backward()

        cases = {
            "conv2d 3x3 pad 1, 1->8 ch": case(lambda x, w, b: F.conv2d(x, w, b, padding=1), x, w, b),
            "max_pool2d 2x2 on 28x28x8": case(lambda m: F.max_pool2d(m, 2), maps),
            "cross_entropy (32, 10)": case(lambda z: F.cross_entropy(z, labels), logits),
            "conv+relu+maxpool (fused here)": case(
                lambda x, w, b: F.conv2d_relu_maxpool2d(x, w, b, padding=1), x, w, b
            ),
            "linear 1568->128": case(F.linear, a["flat"], a["dense_w"], a["dense_b"]),
            "LeNet-5: conv2d 5x5, 6->16 ch on 14x14": case(F.conv2d, a["maps6"], a["w16"], a["b16"]),
            "LeNet-5: batch_norm on 28x28x6": case(
                lambda z, g, h: F.batch_norm(z, weight=g, bias=h, training=True), a["bn_x"], bn_weight, bn_bias
            ),
        }
        ops = {name: torch_worker.per_call_us(fn, repeats) for name, fn in cases.items()}
    return {**timings, "ops": ops}


def run(args: list[str], module: bool = False) -> dict:
    """Run a worker in a fresh process (this script, or `-m benchmarks.torch_worker`); its JSON result."""
    command = [sys.executable, "-m", "benchmarks.torch_worker", *args] if module else [sys.executable, __file__, *args]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if result.returncode:
        raise RuntimeError(f"bench_mnist: worker {command[1:]} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


FRAMEWORKS = [("tinygrad_np", 1), ("tinygrad_np", 2), ("PyTorch", 1), ("PyTorch", 2)]


def run_config(config: Config, data, repeats: int, frameworks: list[tuple[str, int]]) -> dict:
    """`repeats` alternating rounds of fresh worker processes; results per (framework, threads)."""
    runs = {fw: [] for fw in frameworks}
    with tempfile.TemporaryDirectory() as tmp:
        job = os.path.join(tmp, "job.npz")
        write_job(config, data, job)
        for round_ in range(1, repeats + 1):
            for name, threads in frameworks:
                args = [job, str(threads)] if name == "PyTorch" else ["--worker", job, str(threads)]
                runs[name, threads].append(run(args, module=name == "PyTorch"))
                took = runs[name, threads][-1]["seconds"]
                print(f"{config.name} round {round_}/{repeats}: {name} x{threads}: {took:.1f} s", file=sys.stderr)
    return runs


def print_config(config: Config, runs: dict) -> None:
    """The table rows of one configuration."""
    medians = {fw: statistics.median(r["seconds"] for r in results) for fw, results in runs.items()}
    torch_best = min((s for fw, s in medians.items() if fw[0] == "PyTorch"), default=None)
    images = config.images * config.epochs
    for (name, threads), results in runs.items():
        label = f"{name}, {threads} {'BLAS ' * (name != 'PyTorch')}thread{'s' * (threads > 1)}"
        seconds = medians[name, threads]
        ratio = f"**{torch_best / seconds:.2f}**" if name != "PyTorch" and torch_best else ""
        peaks = [r["epoch_peaks_mib"] for r in results]
        first = max(p[0] - r["start_mib"] for p, r in zip(peaks, results))
        later = f"{max(p[-1] - p[0] for p in peaks):.0f}" if config.epochs > 1 else "—"
        losses = " ".join(f"{v:.4f}" for v in results[0]["losses"][:3])
        print(
            f"| {config.name} | {config.steps:,} ({config.epochs} x {config.images:,}) | {label} | {seconds:.2f} | "
            f"{images / seconds:,.0f} | {max(p[-1] for p in peaks):.0f} | {first:.0f} | {later} | {losses} | "
            f"{100 * results[0]['accuracy']:.2f}% | {ratio} |",
            flush=True,
        )


def print_op_level(repeats: int, with_torch: bool) -> None:
    """fit against a bare loop; then single ops against PyTorch's (each framework in its own process)."""
    ours = run(["--op-level", str(repeats)])
    fit_s, eager_s, bare_s = (statistics.median(ours[k]) for k in ("fit", "fit_eager", "bare"))
    print(f"\n| batch 32, 8,000 images, 1 BLAS thread (median of {repeats}) | s/epoch |")
    print("|---|---|")
    print(f"| `model.fit(..., epochs=1, verbose=0)` (captured steps, the default) | {fit_s:.3f} |")
    print(f"| `model.fit(..., epochs=1, verbose=0, capture=False)` (eager steps) | {eager_s:.3f} |")
    print(f"| bare eager loop (forward, loss, zero_grad, backward, step) | {bare_s:.3f} |")
    print(f"| fit's own overhead (eager fit against the bare loop), share of its epoch | "
          f"{100 * (eager_s - bare_s) / eager_s:.1f}% |")  # fmt: skip
    theirs = run(["--ops", str(repeats)], module=True) if with_torch else {}
    print("\n| op, forward+backward, batch 32 | tinygrad_np µs (1 BLAS thread) | PyTorch µs (1 thread) | ratio |")
    print("|---|---|---|---|")
    for name, us in ours["ops"].items():
        ratio = f"{theirs[name] / us:.2f}" if name in theirs else ""
        print(f"| {name} | {us:.0f} | {theirs.get(name, float('nan')):.0f} | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="alternating rounds per configuration (default 3)")
    parser.add_argument("--configs", default=",".join(c.name for c in CONFIGS), help="model/batch, comma-separated")
    parser.add_argument("--quick", action="store_true", help="1 round and an eighth of the epochs (a smoke run)")
    parser.add_argument("--worker", nargs=2, metavar=("JOB", "THREADS"), help=argparse.SUPPRESS)
    parser.add_argument("--op-level", type=int, metavar="REPEATS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(train_tinygrad(args.worker[0], int(args.worker[1]))))
        return
    if args.op_level:
        print(json.dumps(fit_overhead_and_ops(args.op_level)))
        return
    known = {c.name: c for c in CONFIGS}
    unknown = [name for name in args.configs.split(",") if name not in known]
    if unknown:
        parser.error(f"--configs: unknown {unknown}; known: {', '.join(known)}")
    configs = [known[name] for name in args.configs.split(",")]
    repeats = 1 if args.quick else args.repeats
    if args.quick:
        configs = [replace(c, epochs=max(1, c.epochs // 8)) for c in configs]
    try:
        import torch  # noqa: F401

        frameworks = FRAMEWORKS
    except ImportError:
        print("PyTorch is not installed: timing tinygrad_np alone (pip install torch==2.13.0 for the comparison)")
        frameworks = [fw for fw in FRAMEWORKS if fw[0] != "PyTorch"]

    from tinygrad_np.datasets import load_mnist

    data = load_mnist("bundled", seed=SEED, log=None)
    start = time.perf_counter()
    print(
        f"| config | steps (epochs x images) | framework | s (median of {repeats}) | samples/s | peak RSS MiB | "
        "growth in epoch 1 MiB | growth after epoch 1 MiB | loss, epochs 1-3 | test acc | tinygrad_np / PyTorch |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for config in configs:
        print_config(config, run_config(config, data, repeats, frameworks))
    print_op_level(max(repeats, 5), with_torch=len(frameworks) > 2)
    print(f"\n(total {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
