"""Per-op profile, like tinygrad's DEBUG: calls and time of every op, forward and backward apart.

    with tinygrad_np.profile():          # prints the table when the block ends
        model.fit(X, y, epochs=1, lr=0.1)

or run any program with TINYGRAD_NP_PROFILE=1 to print it at exit. Time outside ops (argument
checks, dispatch, the engine's walk, the optimizer, your loop) is shown as one line.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from collections import defaultdict
from typing import TextIO

from .autograd import engine as autograd


class Profile:
    """Accumulates op timings while active; `report()` formats them."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.calls: dict[tuple[str, str], int] = defaultdict(int)
        self.seconds: dict[tuple[str, str], float] = defaultdict(float)
        self.wall = 0.0
        self._start = 0.0
        self._previous: Profile | None = None

    def add(self, op: str, phase: str, seconds: float) -> None:
        """Record one call of `op` in `phase` ("forward" or "backward")."""
        self.calls[op, phase] += 1
        self.seconds[op, phase] += seconds

    def __enter__(self) -> Profile:
        self._previous, autograd._grad_mode.profile = autograd._grad_mode.profile, self
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._start
        autograd._grad_mode.profile = self._previous
        if self.stream is not None:
            print(self.report(), file=self.stream)

    def report(self) -> str:
        """The table: one row per op, slowest first, then the time spent outside ops."""
        ops = sorted(
            {op for op, _ in self.calls}, key=lambda op: -self.seconds[op, "forward"] - self.seconds[op, "backward"]
        )
        lines = [f"{'op':<24}{'calls':>8}{'fwd ms':>10}{'fwd µs/call':>13}{'bwd ms':>10}{'bwd µs/call':>13}"]
        for op in ops:
            row = f"{op:<24}{self.calls[op, 'forward']:>8}"
            for phase in ("forward", "backward"):
                n, s = self.calls[op, phase], self.seconds[op, phase]
                row += f"{1e3 * s:>10.1f}{(1e6 * s / n if n else 0):>13.1f}"
            lines.append(row)
        in_ops = sum(self.seconds.values())
        lines.append(
            f"time in ops {1e3 * in_ops:.1f} ms; outside ops (checks, dispatch, engine, optimizer, "
            f"your code) {1e3 * max(self.wall - in_ops, 0):.1f} ms; wall {1e3 * self.wall:.1f} ms"
        )
        return "\n".join(lines)


def profile(stream: TextIO | None = sys.stdout) -> Profile:
    """A context manager that profiles every op run inside it and prints the table at the end."""
    return Profile(stream)


if os.environ.get("TINYGRAD_NP_PROFILE", "") not in ("", "0"):
    _session = Profile(sys.stderr).__enter__()
    atexit.register(_session.__exit__, None, None, None)
