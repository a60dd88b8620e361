"""Newton's method on a 1-D function, with the second derivative taken from the graph.

    python examples/newton.py            # y = x**4 - 2*x**2 from x = 2: converges to the minimum at x = 1

Each step differentiates y once with create_graph=True (so the first derivative is itself a Tensor
with a graph) and then differentiates that derivative again: x <- x - y'(x) / y''(x).
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_np as tg


def f(x: tg.Tensor) -> tg.Tensor:
    """The function to minimise: y = x**4 - 2*x**2 (minima at x = -1 and 1, a maximum at 0)."""
    return x**4 - 2 * x**2


def derivatives(x: float) -> tuple[float, float, float]:
    """(y, y', y'') at x, all from the graph: y' with create_graph=True, then y' differentiated again."""
    x_t = tg.Tensor(np.array(x), requires_grad=True)  # float64
    y = f(x_t)
    (dy,) = tg.grad(y, x_t, create_graph=True)
    (d2y,) = tg.grad(dy, x_t)
    return y.item(), dy.item(), d2y.item()


def newton(x0: float, steps: int, tol: float = 1e-12) -> list[tuple[float, float, float, float]]:
    """Newton's iterates from x0, each as (x, y, y', y''); stops once |y'| < tol."""
    x, iterates = x0, []
    for _ in range(steps + 1):
        y, dy, d2y = derivatives(x)
        iterates.append((x, y, dy, d2y))
        if abs(dy) < tol:
            break
        if d2y == 0:
            raise ZeroDivisionError(f"y''({x}) is 0: Newton's step is undefined there")
        x -= dy / d2y
    return iterates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--x0", type=float, default=2.0, help="starting point (default 2)")
    parser.add_argument("--steps", type=int, default=10, help="at most this many steps (default 10)")
    args = parser.parse_args()
    for i, (x, y, dy, d2y) in enumerate(newton(args.x0, args.steps)):
        print(f"step {i}: x = {x:.12f}  y = {y:+.12f}  y' = {dy:+.3e}  y'' = {d2y:.6f}")


if __name__ == "__main__":
    main()
