"""Two BLAS kernels for which NumPy has no fast path, from scipy.linalg.blas (SciPy comes with
scikit-learn). Both fall back to plain NumPy for dtypes or layouts BLAS does not take.

- `outer(x, y)`: a rank-1 update (ger) into zeros; ~2x NumPy's broadcast multiply at a dense
  layer's size (1568 x 128), which is the weight gradient at batch size 1.
- `axpy(y, x, a)`: y += a * x in one pass, in place; ~3.5x NumPy's two passes: the SGD update.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import blas

_GER = {np.dtype(np.float32): blas.sger, np.dtype(np.float64): blas.dger}
_AXPY = {np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy}


def outer(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The outer product x[:, None] * y[None, :] of two vectors, C-contiguous."""
    ger = _GER.get(x.dtype)
    if ger is None or y.dtype != x.dtype:
        return np.outer(x, y)
    # Column-major (len(y), len(x)) memory is row-major (len(x), len(y)): ger(y, x) then .T.
    return ger(1.0, y, x, a=np.zeros((len(y), len(x)), x.dtype, order="F"), overwrite_a=True).T


def axpy(y: np.ndarray, x: np.ndarray, a: float) -> None:
    """y += a * x, in place."""
    kernel = _AXPY.get(y.dtype)
    if kernel is None or x.dtype != y.dtype or not (y.flags.c_contiguous and x.flags.c_contiguous):
        y += a * x
        return
    flat = y.reshape(-1)
    result = kernel(x.reshape(-1), flat, a=a)
    if result is not flat:  # BLAS had to copy: write the result back
        flat[...] = result
