"""BLAS routines from SciPy (installed with scikit-learn), loaded on first use so that `import
tinygrad_np` stays light: axpy (y += a * x in one pass over memory, which NumPy lacks) and dot
(without NumPy's call overhead) for the optimizers' steps, and ger (a rank-1 update) for a dense
layer's weight gradient at batch 1.

SciPy's BLAS is a library of its own, beside NumPy's: a thread limit (threadpoolctl) covers only the
libraries loaded when it is set, so code that limits threads calls `load()` first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

BLAS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def load() -> None:
    """Load SciPy's BLAS library now (about 0.1 s, once), so that a thread limit set next covers it."""
    import scipy.linalg.blas  # noqa: F401


@functools.cache
def _routine(name: str, dtype: np.dtype) -> Callable[..., Any] | None:
    """SciPy's BLAS routine `name` for arrays of `dtype`; None when BLAS has none (not float32 or float64)."""
    if dtype not in BLAS_DTYPES:
        return None
    from scipy.linalg.blas import get_blas_funcs

    return get_blas_funcs(name, dtype=dtype)


def squared_norm(a: np.ndarray) -> float:
    """The sum of the squares of all elements (NaN and inf propagate into it), by BLAS dot: about
    0.1 us for a small array where `np.dot` takes 0.4 us, and as fast on large ones."""
    flat = a.reshape(-1)
    dot = _routine("dot", a.dtype)
    return float(np.dot(flat, flat)) if dot is None else dot(flat, flat)


def subtract_scaled(target: np.ndarray, scale: float, direction: np.ndarray) -> None:
    """`target -= scale * direction`, in place; one pass over memory (BLAS axpy) when `target` is a
    C-contiguous float32 or float64 array and `direction` has its dtype, else NumPy's two."""
    axpy = _routine("axpy", target.dtype)
    if axpy is None or direction.dtype != target.dtype or not target.flags.c_contiguous:
        target -= scale * direction
        return
    flat = target.reshape(-1)  # a view: target is C-contiguous
    result = axpy(direction.reshape(-1), flat, a=-scale)
    if result is not flat:  # SciPy worked on a copy (it copies arrays BLAS cannot take, e.g. misaligned ones)
        flat[...] = result


def outer(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The outer product of vectors x (m,) and y (n,), a new C-ordered (m, n) array: through BLAS ger
    on zeros when both share a float32 or float64 dtype (about 2x faster than `np.multiply.outer`,
    whose inner loop runs one short row at a time), else through NumPy."""
    ger = _routine("ger", x.dtype)
    if ger is None or y.dtype != x.dtype:
        return np.multiply.outer(x, y)
    zeros = np.zeros((len(x), len(y)), dtype=x.dtype)
    # ger works on column-major matrices: zeros.T, (n, m) in column-major order, receives y x^T.
    return ger(1.0, y, x, a=zeros.T, overwrite_a=True).T
