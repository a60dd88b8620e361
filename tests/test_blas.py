"""The BLAS helpers behind the optimizers' updates and the dense layer's batch-1 weight gradient:
in place where they promise it, equal to NumPy's arithmetic for every layout and dtype, inside
`one_thread()` (SciPy's routines) and outside it (NumPy's, and never SciPy's: its thread pool would
compete with NumPy's)."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from tinygrad_np import Tensor, blas, optim
from tinygrad_np.blas import outer, subtract_scaled

MODES = {"one thread": blas.one_thread, "default": nullcontext}


def misaligned(values):
    """A copy of `values` whose data starts one byte into a buffer (BLAS cannot take it as is)."""
    raw = np.zeros(values.nbytes + 1, np.uint8)
    array = raw[1:].view(values.dtype).reshape(values.shape)
    array[...] = values
    assert not array.flags.aligned
    return array


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "misaligned", "other dtype"])
def test_subtract_scaled_updates_the_array_itself(mode, dtype, layout):
    rng = np.random.default_rng(0)
    values, direction = rng.normal(size=(2, 5, 3)).astype(dtype)
    target = {"transposed": lambda a: a.T.copy().T, "misaligned": misaligned}.get(layout, lambda a: a.copy())(values)
    if layout == "other dtype":
        direction = direction.astype(np.float64 if dtype == np.float32 else np.float32)
    expected = values - dtype(0.1) * direction.astype(dtype)
    with MODES[mode]():
        subtract_scaled(target, 0.1, direction)
    np.testing.assert_allclose(target, expected, rtol=1e-6)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtypes", [(np.float32, np.float32), (np.float64, np.float64), (np.float32, np.float64)])
def test_outer_equals_numpy(mode, dtypes):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=7).astype(dtypes[0]), rng.normal(size=4).astype(dtypes[1])
    with MODES[mode]():
        product = outer(x, y)
    assert product.flags.c_contiguous and product.dtype == np.result_type(x, y)
    np.testing.assert_array_equal(product, np.multiply.outer(x, y))


def test_sgd_steps_float64_parameters_exactly():
    w = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    w.grad = np.full((2, 3), 0.5)
    optim.SGD([w], lr=0.25).step()
    np.testing.assert_array_equal(w.data, np.arange(6.0).reshape(2, 3) - 0.125)


def test_scipy_routines_run_only_on_one_thread_and_the_settings_come_back(monkeypatch):
    before = [lib["num_threads"] for lib in threadpool_info()]
    with blas.one_thread():
        assert {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"} == {1}
        assert len([lib for lib in threadpool_info() if lib["user_api"] == "blas"]) >= 2  # SciPy's is limited too
    assert [lib["num_threads"] for lib in threadpool_info()][: len(before)] == before

    def refuse(name, dtype):
        raise AssertionError(f"SciPy's {name} called outside one_thread()")

    monkeypatch.setattr(blas, "_routine", refuse)
    target = np.ones((3, 4), np.float32)
    subtract_scaled(target, 0.5, np.ones((3, 4), np.float32))
    outer(np.ones(3, np.float32), np.ones(4, np.float32))
    np.testing.assert_array_equal(target, 0.5)
