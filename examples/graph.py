"""Draw the computation graph of a tiny two-layer network after one backward pass.

    python examples/graph.py                  # writes graph.svg
    python examples/graph.py net.png --collapse
    python examples/graph.py net.dot          # DOT source only: needs no graphviz programs

Parameters are blue, the input and constants grey (dashed), intermediates white, the loss green;
yellow ellipses are ops with their key arguments, and each layer's ops sit in a labelled cluster.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tinygrad_np import Tensor, manual_seed  # noqa: E402
from tinygrad_np import functional as F  # noqa: E402
from tinygrad_np.nn import Dense, Module  # noqa: E402
from tinygrad_np.viz import draw_graph, render_graph  # noqa: E402


class TinyNet(Module):
    """3 features -> Dense(8, relu) -> Dense(3, none): class scores."""

    def __init__(self) -> None:
        self.hidden = Dense(n_neurons=8, n_inputs=3, activation="relu")
        self.out = Dense(n_neurons=3, n_inputs=8, activation="none")

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.hidden(x))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", default="graph.svg", help="output file: .svg, .png, .pdf or .dot")
    parser.add_argument("--collapse", action="store_true", help="one node per layer instead of one per op")
    parser.add_argument("--rankdir", default="LR", help="LR (left to right, default), TB, RL or BT")
    args = parser.parse_args(argv)

    manual_seed(0)
    net = TinyNet()
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32), name="input")
    loss = F.cross_entropy(net(x), np.array([0, 1, 2, 1]))
    loss.name = "loss"
    loss.backward()

    graph = draw_graph(loss, params=net, show_grad=True, collapse=args.collapse, rankdir=args.rankdir)
    try:
        path = render_graph(graph, args.path)
    except (RuntimeError, ValueError, FileNotFoundError) as err:
        print(f"graph.py: {err}", file=sys.stderr)
        return 1
    print(f"loss {loss.item():.4f}; wrote the graph to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
