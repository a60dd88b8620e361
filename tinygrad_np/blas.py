"""BLAS level-1 and level-2 routines for the optimizers' steps and a dense layer's batch-1 weight
gradient: axpy (y -= a * x in one pass over memory) and ger (an outer product), which NumPy lacks.

SciPy has them (it is installed with scikit-learn), but its BLAS is a second library beside NumPy's,
with a thread pool of its own. On two cores, the two pools' threads spin against each other: a
batch-32 benchmark run took 83 s instead of 7 s. So SciPy's routines run only inside `one_thread()`,
where both libraries are limited to one thread (`fit` uses it for per-sample SGD, where they pay
most); everywhere else the NumPy forms run, on NumPy's BLAS alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

BLAS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_one_thread = False  # inside `one_thread()`: SciPy's routines may run


@contextmanager
def one_thread() -> Iterator[None]:
    """A block in which every BLAS library (NumPy's, and SciPy's, loaded first so that the limit
    covers it) runs on one thread, and SciPy's axpy and ger serve `subtract_scaled` and `outer`.
    The thread settings are restored when the block ends."""
    global _one_thread
    import scipy.linalg.blas  # noqa: F401  (loaded before the limit, so that it is limited too)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        previous, _one_thread = _one_thread, True
        try:
            yield
        finally:
            _one_thread = previous


@functools.cache
def _routine(name: str, dtype: np.dtype) -> Callable[..., Any] | None:
    """SciPy's BLAS routine `name` for arrays of `dtype`; None when BLAS has none (not float32 or float64)."""
    if dtype not in BLAS_DTYPES:
        return None
    from scipy.linalg.blas import get_blas_funcs

    return get_blas_funcs(name, dtype=dtype)


def squared_norm(a: np.ndarray) -> float:
    """The sum of the squares of all elements by one (NumPy) BLAS dot; NaN and inf propagate into it."""
    flat = a.reshape(-1)
    return float(np.dot(flat, flat))


def subtract_scaled(target: np.ndarray, scale: float, direction: np.ndarray, scratch: np.ndarray | None = None) -> None:
    """`target -= scale * direction`, in place. Inside `one_thread()`, for a C-contiguous float32 or
    float64 `target` and a `direction` of its dtype: one pass (SciPy's axpy). Else NumPy's two, the
    product written into `scratch` (shaped and typed like `target`) when it is given."""
    axpy = _routine("axpy", target.dtype) if _one_thread else None
    if axpy is None or direction.dtype != target.dtype or not target.flags.c_contiguous:
        target -= direction if scale == 1 else np.multiply(direction, scale, out=scratch)
        return
    flat = target.reshape(-1)  # a view: target is C-contiguous
    result = axpy(direction.reshape(-1), flat, a=-scale)
    if result is not flat:  # SciPy worked on a copy (it copies arrays BLAS cannot take, e.g. misaligned ones)
        flat[...] = result


def outer(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The outer product of vectors x (m,) and y (n,), a new C-ordered (m, n) array. Inside
    `one_thread()`, when both are float32 or both float64: SciPy's ger on zeros (about 2x faster
    than NumPy's loop, which runs one short row at a time); else NumPy's einsum."""
    ger = _routine("ger", x.dtype) if _one_thread else None
    if ger is None or y.dtype != x.dtype:
        return np.einsum("i,j->ij", x, y)
    zeros = np.zeros((len(x), len(y)), dtype=x.dtype)
    # ger works on column-major matrices: zeros.T, (n, m) in column-major order, receives y x^T.
    return ger(1.0, y, x, a=zeros.T, overwrite_a=True).T
