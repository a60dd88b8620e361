"""The BLAS helpers used on hot paths agree with NumPy, including their fallbacks."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_np.ops.blas import axpy, outer

rng = np.random.default_rng(0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_outer(dtype):
    x, y = (rng.standard_normal(7) * 10).astype(dtype), (rng.standard_normal(5) * 10).astype(dtype)
    result = outer(x, y)
    assert result.shape == (7, 5) and result.dtype == dtype and result.flags.c_contiguous
    np.testing.assert_allclose(result, np.outer(x, y), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("contiguous", [True, False])
def test_axpy_updates_in_place(dtype, contiguous):
    y = rng.standard_normal((6, 4)).astype(dtype)
    x = rng.standard_normal((6, 4)).astype(dtype)
    if not contiguous:
        y, x = np.asfortranarray(y), np.asfortranarray(x)
    expected = y + -0.5 * x
    before = y.__array_interface__["data"][0]
    axpy(y, x, -0.5)
    assert y.__array_interface__["data"][0] == before
    np.testing.assert_allclose(y, expected, rtol=1e-6)
