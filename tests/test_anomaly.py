"""Anomaly mode: injected faults, each caught at the right op, phase and line of this file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import AnomalyError, Tensor, nn
from tinygrad_np import functional as F

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own notes on the injected faults
ROOT = os.path.join(os.path.dirname(__file__), "..")


def next_line() -> int:
    """The line number after the caller's line: where the fault is injected."""
    return sys._getframe(1).f_lineno + 1


def marked_line(tag: str) -> int:
    """The number of the line of this file that ends with `tag`."""
    lines = Path(__file__).read_text().splitlines()
    return next(i for i, text in enumerate(lines, start=1) if text.endswith(tag))


def caught(err: pytest.ExceptionInfo, op: str, phase: str, line: int, shapes: list[tuple]) -> str:
    """Assert the error names `op`, `phase`, the input shapes and this file's `line`; return its message."""
    e, message = err.value, str(err.value)
    assert (e.op, e.phase, e.input_shapes) == (op, phase, shapes), message
    assert (e.filename, e.lineno) == (__file__, line), message
    assert message.startswith(f"anomaly in {phase}: op '{op}' with inputs [")
    assert f"created at {__file__}:{line} in test_" in message
    return message


def leaf(*values, dtype=np.float32):
    return Tensor(np.array(values, dtype), requires_grad=True)


# ---- faults in forward -------------------------------------------------------------------------
def test_log_of_zero():
    x = leaf(1.0, 0.0)
    with tg.detect_anomaly(), pytest.raises(AnomalyError) as err:
        line = next_line()
        x.log()
    message = caught(err, "log", "forward", line, [(2,)])
    assert "inf in 1 of 2 values (first at index (1,))" in message and "x.log()" in message


def test_sqrt_of_a_negative():
    x = leaf(4.0, -1.0, 9.0)
    with tg.detect_anomaly(), pytest.raises(AnomalyError) as err:
        y = x * 2
        line = next_line()
        y.sqrt()
    assert "NaN in 1 of 3 values" in caught(err, "sqrt", "forward", line, [(3,)])


def test_zero_divided_by_zero():
    a, b = leaf(0.0, 1.0), leaf(0.0, 2.0)
    with tg.detect_anomaly(), pytest.raises(AnomalyError) as err:
        line = next_line()
        a / b
    assert "NaN in 1 of 2 values (first at index (0,))" in caught(err, "div", "forward", line, [(2,), (2,)])


def test_exp_overflows_in_float32_but_not_in_float64():
    with tg.detect_anomaly():
        assert np.isfinite(leaf(100.0, dtype=np.float64).exp().item())
        with pytest.raises(AnomalyError) as err:
            line = next_line()
            leaf(1.0, 100.0).exp()
    assert "(2,) float32" in caught(err, "exp", "forward", line, [(2,)])


def test_inf_in_the_data_is_caught_at_the_first_op_that_uses_it():
    data = Tensor(np.array([[1.0, np.inf]], np.float32))
    w = leaf(0.5, 0.5)
    with tg.detect_anomaly(), pytest.raises(AnomalyError) as err:
        line = next_line()
        data * w
    assert "input 0 was already non-finite" in caught(err, "mul", "forward", line, [(1, 2), (2,)])


def test_matmul_overflow_in_float32():
    a = Tensor(np.full((2, 3), 1e20, np.float32), requires_grad=True)
    with tg.detect_anomaly(), pytest.raises(AnomalyError) as err:
        line = next_line()
        a @ a.transpose()
    caught(err, "matmul", "forward", line, [(2, 3), (3, 2)])


def test_sum_overflow_in_float32():
    with tg.detect_anomaly(), pytest.raises(AnomalyError) as err:
        line = next_line()
        leaf(3e38, 3e38).sum()
    caught(err, "sum", "forward", line, [(2,)])


def test_cross_entropy_of_infinite_logits():
    logits = Tensor(np.array([[np.inf, 0.0], [1.0, 2.0]], np.float32), requires_grad=True)
    with tg.detect_anomaly(), pytest.raises(AnomalyError) as err:
        line = next_line()
        F.cross_entropy(logits, np.array([0, 1]))
    caught(err, "cross_entropy", "forward", line, [(2, 2)])


def test_forward_checks_run_under_no_grad_too():
    with tg.detect_anomaly(), tg.no_grad(), pytest.raises(AnomalyError) as err:
        line = next_line()
        leaf(-1.0).log()
    caught(err, "log", "forward", line, [(1,)])


# ---- faults in backward: the line is the one that created the op, recorded at forward time ---------
def test_sqrt_at_zero_is_finite_forward_and_infinite_backward():
    x = leaf(0.0, 4.0)
    with tg.detect_anomaly():
        line = next_line()
        y = x.sqrt()
        loss = (y * 3).sum()
        with pytest.raises(AnomalyError) as err:
            loss.backward()
    message = caught(err, "sqrt", "backward", line, [(2,)])
    assert "its backward gave input 0 a gradient with inf in 1 of 2 values (first at index (0,))" in message


def test_division_gradient_overflows_in_float32():
    a, b = leaf(1.0), leaf(1e-20)
    with tg.detect_anomaly():
        line = next_line()
        q = a / b  # 1e20: fine; its gradient for b, -a / b**2 = -1e40, is not
        with pytest.raises(AnomalyError) as err:
            q.sum().backward()
    assert "gave input 1 a gradient with inf" in caught(err, "div", "backward", line, [(1,), (1,)])


def test_power_gradient_at_zero():
    x = leaf(0.0, 1.0)
    with tg.detect_anomaly():
        line = next_line()
        y = x**0.5
        with pytest.raises(AnomalyError) as err:
            y.sum().backward()
    caught(err, "pow", "backward", line, [(2,), ()])


@pytest.fixture
def nan_in_backward_op():
    class NanInBackward(tg.Op):
        def forward(self, x):
            return 2 * x

        def backward(self, grad):
            return grad * np.float32(np.nan)

    @tg.register(NanInBackward)
    def nan_in_backward(x):
        """2x, with a backward that returns NaN."""
        return NanInBackward.apply(tg.as_tensor(x))

    yield
    tg.unregister("nan_in_backward")


def test_custom_op_returning_nan_in_backward_only(nan_in_backward_op):
    x = leaf(1.0, 2.0)
    with tg.detect_anomaly():
        line = next_line()
        y = x.nan_in_backward()
        z = (y * y).sum()
        with pytest.raises(AnomalyError) as err:
            z.backward()
    message = caught(err, "nan_in_backward", "backward", line, [(2,)])
    assert "NaN in 2 of 2 values" in message and "already non-finite" not in message


def test_a_non_finite_upstream_gradient_is_reported_as_such():
    x = leaf(1.0, 2.0)
    with tg.detect_anomaly():
        line = next_line()
        y = x * 3
        with pytest.raises(AnomalyError) as err:
            y.backward(np.array([np.nan, 1.0], np.float32))
    assert "the gradient flowing into it was already non-finite" in caught(err, "mul", "backward", line, [(2,), ()])


class LogNet(nn.Module):
    def __init__(self):
        self.w = Tensor(np.ones((2, 1), np.float32), requires_grad=True)

    def forward(self, x):
        return (x @ self.w).log()  # LOG LINE


LOG_LINE = marked_line("# LOG LINE")


def test_an_op_inside_a_model_names_the_models_line_and_the_layer():
    with tg.detect_anomaly(), pytest.raises(AnomalyError) as err:
        LogNet()(Tensor(np.array([[1.0, -2.0]], np.float32)))
    assert err.value.op == "log" and err.value.lineno == LOG_LINE
    assert "(inside LogNet)" in str(err.value) and "in forward: return (x @ self.w).log()" in str(err.value)


# ---- the mode itself ---------------------------------------------------------------------------
def test_outside_anomaly_mode_nothing_is_checked_or_recorded():
    x = leaf(0.0)
    y = x.log()  # -inf, silently, as NumPy
    assert np.isneginf(y.item())
    assert "_anomaly_origin" not in y.op.__dict__
    with tg.detect_anomaly():
        with tg.detect_anomaly(False):
            x.log()  # off inside the block
        z = x * 1
        assert z.op.__dict__["_anomaly_origin"][:2] == (__file__, sys._getframe().f_lineno - 1)
    x.log()  # off again after the block


def test_the_environment_variable_turns_it_on_for_a_program(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text("import tinygrad_np as tg\nx = tg.Tensor([0.0])\ny = x.log()\n")
    env = dict(os.environ, TINYGRAD_NP_DETECT_ANOMALY="1", PYTHONPATH=os.path.abspath(ROOT))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert "AnomalyError: anomaly in forward: op 'log' with inputs [(1,) float32]" in result.stderr
    assert f"created at {script}:3 in <module>: y = x.log()" in result.stderr
    env["TINYGRAD_NP_DETECT_ANOMALY"] = "0"
    assert subprocess.run([sys.executable, str(script)], env=env, timeout=120).returncode == 0


class SqrtNet(nn.Module):
    def __init__(self):
        self.w = Tensor(np.full((4, 2), 0.5, np.float32), requires_grad=True)

    def forward(self, x):
        return (x @ self.w).sqrt()  # SQRT LINE


SQRT_LINE = marked_line("# SQRT LINE")


def test_fit_with_detect_anomaly_stops_at_the_op_and_keeps_the_last_good_parameters():
    X = np.ones((8, 4), np.float32)
    X[5] = -1  # sqrt of a negative; seed 0 shuffles epoch 1 as [1 3 7 6 0 4 2 5]: sample 5 is in the last batch
    model = SqrtNet()
    before = model.w.numpy().copy()
    with pytest.raises(AnomalyError) as err:
        tg.training.fit(model, X, np.zeros(8, int), epochs=1, lr=0.01, batch_size=2, seed=0, verbose=0,
                        detect_anomaly=True)  # fmt: skip
    assert err.value.op == "sqrt" and err.value.phase == "forward" and err.value.lineno == SQRT_LINE
    assert not np.array_equal(model.w.numpy(), before)  # earlier steps trained; the bad one did not
    assert np.all(np.isfinite(model.w.numpy()))
    with pytest.raises(tg.training.TrainingDivergedError):  # without it: the usual stop, less precise
        tg.training.fit(SqrtNet(), X, np.zeros(8, int), epochs=1, lr=0.01, batch_size=2, seed=0, verbose=0)


def test_mnist_example_detect_anomaly_names_the_layer():
    args = ["--data", "bundled", "--limit", "200", "--epochs", "1", "--checkpoint", "", "--lr", "1e30"]
    script = os.path.join(ROOT, "examples", "mnist.py")
    result = subprocess.run([sys.executable, script, *args, "--detect-anomaly"], capture_output=True, text=True,
                            timeout=300, cwd=ROOT)  # fmt: skip
    assert result.returncode == 1
    assert "error: anomaly in forward: op 'linear'" in result.stderr and "(inside Dense(128, relu))" in result.stderr
    assert "examples/mnist.py:" in result.stderr and "in main: history = model.fit(" in result.stderr
