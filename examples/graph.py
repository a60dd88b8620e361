"""Draw the computation graph of a tiny two-layer network after one backward pass, or of a gradient.

    python examples/graph.py                  # writes graph.svg
    python examples/graph.py net.png --collapse
    python examples/graph.py net.dot          # DOT source only: needs no graphviz programs
    python examples/graph.py grad.svg --gradient

Parameters are blue, the input and constants grey (dashed), intermediates white, the loss green;
yellow ellipses are ops with their key arguments, and each layer's ops sit in a labelled cluster.
With --gradient it draws the gradients of `sum(tanh(sin(x) * w))` taken with `create_graph=True`:
the ops the backward pass recorded sit in red clusters "backward of <op>", next to the forward ops
they reuse; the script then differentiates the gradient once more, through that graph.
"""

from __future__ import annotations

import argparse
import os
import sys

import graphviz
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import tinygrad_np as tg  # noqa: E402
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


def net_graph(collapse: bool, rankdir: str) -> tuple[graphviz.Digraph, str]:
    """The graph of one training step of TinyNet, and a line to print."""
    manual_seed(0)
    net = TinyNet()
    x = Tensor(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32), name="input")
    loss = F.cross_entropy(net(x), np.array([0, 1, 2, 1]))
    loss.name = "loss"
    loss.backward()
    graph = draw_graph(loss, params=net, show_grad=True, collapse=collapse, rankdir=rankdir)
    return graph, f"loss {loss.item():.4f}"


def gradient_graph(collapse: bool, rankdir: str) -> tuple[graphviz.Digraph, str]:
    """The graph of the gradients of `sum(tanh(sin(x) * w))` (float64), and their values."""
    x = Tensor(np.array([-1.0, 0.5, 2.0]), requires_grad=True, name="x")
    w = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, name="w")
    y = (x.sin() * w).tanh()
    ones = Tensor(np.ones(3), name="d sum / dy")  # upstream gradient of the sum
    gx, gw = tg.grad(y, (x, w), grad_outputs=ones, create_graph=True)
    gx.name, gw.name = "d sum / dx", "d sum / dw"
    graph = draw_graph(gx, gw, collapse=collapse, rankdir=rankdir)
    (hw,) = tg.grad(gw, w, grad_outputs=np.ones(3))  # second order, through the drawn graph
    return graph, f"d sum / dw = {np.round(gw.numpy(), 4)}; d/dw sum(d sum / dw) = {np.round(hw.numpy(), 4)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", default="graph.svg", help="output file: .svg, .png, .pdf or .dot")
    parser.add_argument("--collapse", action="store_true", help="one node per layer instead of one per op")
    parser.add_argument("--rankdir", default="LR", help="LR (left to right, default), TB, RL or BT")
    parser.add_argument("--gradient", action="store_true", help="draw the graph of a gradient (create_graph=True)")
    args = parser.parse_args(argv)

    graph, summary = (gradient_graph if args.gradient else net_graph)(args.collapse, args.rankdir)
    try:
        path = render_graph(graph, args.path)
    except (RuntimeError, ValueError, FileNotFoundError) as err:
        print(f"graph.py: {err}", file=sys.stderr)
        return 1
    print(f"{summary}; wrote the graph to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
