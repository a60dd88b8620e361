"""How long graph drawings take for 10,000-op graphs: building the Digraph and writing `.dot`.

    python benchmarks/bench_viz.py [--ops 10000] [--repeat 3]

Cases: a chain (one op after another, 10,000 deep: the walk must not recurse), a wide graph
(thousands of branches from one input, summed by a tree of adds), and the chain again with
every 10 ops inside a layer scope, drawn with clusters and collapsed. Prints the best time of
`--repeat` runs for each step; rendering to SVG with `dot` is left out (its layout time grows
much faster than the graph and is graphviz's, not ours).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tinygrad_np import Tensor  # noqa: E402
from tinygrad_np.autograd import scope  # noqa: E402
from tinygrad_np.viz import draw_graph, render_graph  # noqa: E402


def chain(n_ops: int, layer_size: int = 0) -> Tensor:
    """n_ops ops in a line (tanh, then * constant, alternating); optionally scoped in layers."""
    h = Tensor(np.ones(4, np.float32), requires_grad=True, name="x")
    block = layer_size or n_ops
    for start in range(0, n_ops, block):
        with scope(f"Block({start // block})") if layer_size else contextlib.nullcontext():
            for i in range(start, min(start + block, n_ops)):
                h = h.tanh() if i % 2 else h * 0.5
    return h


def wide(n_ops: int) -> Tensor:
    """n_ops // 2 branches x * w_i from one input, summed pairwise: about n_ops ops, depth log2."""
    x = Tensor(np.ones(4, np.float32), name="x")
    level = [x * Tensor(np.full(4, i, np.float32), requires_grad=True) for i in range(n_ops // 2)]
    while len(level) > 1:
        level = [level[i] + level[i + 1] if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return level[0].sum()


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def count_ops(t: Tensor) -> int:
    return sum(" [label=" in line and line.lstrip().startswith("op") for line in draw_graph(t, legend=False).body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=10_000, help="ops per graph (default 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the best is shown (default 3)")
    args = parser.parse_args(argv)

    cases = {
        "chain": (chain(args.ops), {}),
        "wide": (wide(args.ops), {}),
        "chain, scoped": (chain(args.ops, layer_size=10), {}),
        "chain, scoped, collapse": (chain(args.ops, layer_size=10), {"collapse": True}),
    }
    print(f"{'graph':<24} {'ops':>7} {'DOT lines':>10} {'draw_graph s':>13} {'write .dot s':>13} {'.dot MB':>8}")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "graph.dot")
        for name, (output, options) in cases.items():
            graph = draw_graph(output, **options)
            draw = best(lambda o=output, kw=options: draw_graph(o, **kw), args.repeat)
            write = best(lambda g=graph: render_graph(g, path), args.repeat)
            size = os.path.getsize(path) / 1e6
            ops, lines = count_ops(output), len(graph.body)
            print(f"{name:<24} {ops:>7,} {lines:>10,} {draw:>13.3f} {write:>13.3f} {size:>8.2f}")


if __name__ == "__main__":
    main()
