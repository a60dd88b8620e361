"""Anomaly mode: where did the NaN come from?

    with tinygrad_np.detect_anomaly():
        loss = model(x).cross_entropy(y)
        loss.backward()

or TINYGRAD_NP_DETECT_ANOMALY=1 for a whole program. Inside, every op checks its forward output
and backward checks every gradient an op produces; the first NaN or infinity raises
`AnomalyError` naming the op, its input shapes, the phase (forward or backward), and the line of
your own code that created the op (recorded at forward time, only in this mode: outside it the
engine pays one attribute check per op and nothing else).
"""

from __future__ import annotations

import linecache
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .autograd import engine as autograd
from .ops.registry import FUNCTIONS

if TYPE_CHECKING:
    from .tensor import Tensor

# the package's folder as code objects may name it (as imported, absolute, symlinks resolved)
_PACKAGE = tuple({os.path.join(f(os.path.dirname(__file__)), "") for f in (str, os.path.abspath, os.path.realpath)})


class AnomalyError(FloatingPointError):
    """A NaN or infinity produced by an op in anomaly mode.

    Attributes: `op` (its name), `phase` ("forward" or "backward"), `input_shapes`, and where your
    code created the op: `filename`, `lineno` (None when no frame outside tinygrad_np was found).
    """

    def __init__(self, message: str, op: str, phase: str, input_shapes: list, filename: str | None, lineno: int | None):
        super().__init__(message)
        self.op, self.phase, self.input_shapes = op, phase, input_shapes
        self.filename, self.lineno = filename, lineno


def _user_frame() -> tuple[str, int, str] | None:
    """(file, line, function) of the innermost caller outside the tinygrad_np package and outside the
    registered public functions (a custom op's function, even in your file, is where the op is defined:
    the line that created it is the one that called the function)."""
    public = {getattr(fn, "__code__", None) for fn in FUNCTIONS.values()}
    frame = sys._getframe(1)
    while frame is not None and (frame.f_code in public or frame.f_code.co_filename.startswith(_PACKAGE)):
        frame = frame.f_back
    return None if frame is None else (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


def _describe_bad(array: np.ndarray) -> str:
    bad = ~np.isfinite(array)
    kinds = [k for k, n in (("NaN", np.isnan(array).sum()), ("inf", np.isinf(array).sum())) if n]
    first = tuple(int(i) for i in np.argwhere(bad)[0]) if array.ndim else ()
    return f"{' and '.join(kinds)} in {int(bad.sum())} of {array.size} values (first at index {first})"


class Detector:
    """The active anomaly mode (see `detect_anomaly`); the engine calls `forward` and `backward`."""

    def __enter__(self) -> Detector:
        self._previous, autograd._grad_mode.anomaly = autograd._grad_mode.anomaly, self
        return self

    def __exit__(self, *exc: object) -> None:
        autograd._grad_mode.anomaly = self._previous

    def forward(self, ctx: autograd.Op, inputs: Sequence[Tensor], out: np.ndarray, recorded: bool) -> None:
        """Check an op's output; when the op is recorded, remember where the user's code created it."""
        origin = _user_frame()
        if recorded:
            ctx.__dict__["_anomaly_origin"] = origin  # freed with the rest of the saved state
        if not _finite(out):
            note = [f"input {i} was already non-finite" for i, t in enumerate(inputs) if not _finite(t.data)]
            self._raise(ctx.name, "forward", [t.data for t in inputs], origin, autograd._grad_mode.scope,
                        f"its forward output (shape {out.shape}) has {_describe_bad(out)}", note)  # fmt: skip

    def backward(self, ctx: autograd.Op, grad: np.ndarray, input_grads: Sequence[np.ndarray | None]) -> None:
        """Check every gradient an op's backward produced."""
        for index, gi in enumerate(input_grads):
            if gi is not None and not _finite(gi):
                note = [] if _finite(grad) else ["the gradient flowing into it was already non-finite"]
                self._raise(
                    ctx.name,
                    "backward",
                    [t.data for t in ctx.parents],
                    ctx.__dict__.get("_anomaly_origin"),
                    ctx.scope,
                    f"its backward gave input {index} a gradient with {_describe_bad(gi)}",
                    note,
                )

    @staticmethod
    def _raise(op: str, phase: str, inputs: list[np.ndarray], origin: tuple | None, scope: Any, what: str,
               notes: list[str]) -> None:  # fmt: skip
        shapes = [a.shape for a in inputs]
        ins = ", ".join(f"{a.shape} {a.dtype}" for a in inputs)
        where = "created outside any user code that could be found"
        if origin is not None:
            filename, lineno, function = origin
            where = f"created at {filename}:{lineno} in {function}"
            source = linecache.getline(filename, lineno).strip()
            if source:
                where += f": {source}"
        layer = f" (inside {scope})" if scope is not None else ""
        extra = "".join(f"; {n}" for n in notes)
        raise AnomalyError(
            f"anomaly in {phase}: op '{op}' with inputs [{ins}]{layer}: {what}{extra}; {where}",
            op, phase, shapes, None if origin is None else origin[0], None if origin is None else origin[1],
        )  # fmt: skip


def _finite(array: Any) -> bool:
    array = np.asarray(array)
    return array.dtype.kind not in "fc" or bool(np.isfinite(array).all())


def detect_anomaly(enabled: bool = True) -> Detector | _Off:
    """A context manager in which every op's output and every gradient is checked for NaN and
    infinity (PyTorch's name); the first one raises `AnomalyError`. `detect_anomaly(False)` turns
    the mode off inside a block. Also on for a whole program with TINYGRAD_NP_DETECT_ANOMALY=1."""
    return Detector() if enabled else _Off()


class _Off(Detector):
    """Anomaly mode off inside the block."""

    def __enter__(self) -> _Off:
        self._previous, autograd._grad_mode.anomaly = autograd._grad_mode.anomaly, None
        return self


if os.environ.get("TINYGRAD_NP_DETECT_ANOMALY", "") not in ("", "0"):
    autograd._GradMode.anomaly = Detector()  # every thread, for the whole program
