"""Bad input gets a clear error: the right exception type, and a message naming the argument.

Each case is (call, exception type, words the message must contain).
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor
from tinygrad_np import functional as F

rng = np.random.default_rng(0)
img = Tensor(rng.standard_normal((2, 8, 8, 3)).astype(np.float32))
w3 = Tensor(rng.standard_normal((3, 3, 3, 4)).astype(np.float32))
logits = Tensor(rng.standard_normal((4, 10)).astype(np.float32))
labels = np.array([1, 2, 3, 4])

CORE_CASES = {
    "tensor from strings": (lambda: Tensor(["a", "b"]), TypeError, ["numeric"]),
    "tensor bad dtype": (lambda: Tensor([1.0], dtype="not-a-dtype"), TypeError, ["dtype"]),
    "requires_grad on ints": (lambda: Tensor([1], dtype=np.int64, requires_grad=True), TypeError, ["requires_grad"]),
    "item of many": (lambda: Tensor([1.0, 2.0]).item(), ValueError, ["one element", "(2,)"]),
    "add no broadcast": (lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones(4)), ValueError, ["add", "(2, 3)", "(4,)"]),
    "mul no broadcast": (lambda: Tensor(np.ones((2, 3))) * np.ones((3, 2)), ValueError, ["mul", "(3, 2)"]),
    "matmul inner": (lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5))), ValueError, ["matmul", "inner"]),
    "matmul scalar": (lambda: F.matmul(Tensor(1.0), Tensor(np.ones(2))), ValueError, ["matmul", "1-D"]),
    "matmul batch": (lambda: F.matmul(np.ones((2, 3, 4)), np.ones((3, 4, 2))), ValueError, ["matmul", "batch"]),
    "sum axis range": (lambda: Tensor(np.ones((2, 3))).sum(axis=2), ValueError, ["sum", "axis", "2"]),
    "mean axis type": (lambda: Tensor(np.ones((2, 3))).mean(axis=1.5), TypeError, ["mean", "axis"]),
    "max repeated axis": (lambda: Tensor(np.ones((2, 3))).max(axis=(1, -1)), ValueError, ["max", "axis"]),
    "max of empty": (lambda: Tensor(np.ones((0, 3))).max(), ValueError, ["max", "empty"]),
    "softmax axis": (lambda: Tensor(np.ones((2, 3))).softmax(axis=3), ValueError, ["softmax", "axis"]),
    "reshape size": (lambda: Tensor(np.ones((2, 3))).reshape(4, 2), ValueError, ["reshape", "(2, 3)", "(4, 2)"]),
    "reshape two -1": (lambda: Tensor(np.ones((2, 3))).reshape(-1, -1), ValueError, ["reshape"]),
    "transpose perm": (lambda: Tensor(np.ones((2, 3))).transpose((0, 0)), ValueError, ["transpose", "axes"]),
    "flatten order": (lambda: Tensor(np.ones((2, 3, 4))).flatten(2, 1), ValueError, ["flatten", "start_dim"]),
    "getitem range": (lambda: Tensor(np.ones((2, 3)))[5], IndexError, ["getitem", "(2, 3)"]),
    "getitem float": (lambda: Tensor(np.ones((2, 3)))[np.array([0.5])], TypeError, ["getitem", "integers"]),
    "pad negative": (lambda: Tensor(np.ones((2, 3))).pad(-1), ValueError, ["pad", "pad_width"]),
    "pad width count": (lambda: Tensor(np.ones((2, 3))).pad(((1, 1),) * 3), ValueError, ["pad", "pad_width"]),
    "conv x ndim": (lambda: F.conv2d(np.ones((8, 8, 3)), w3), ValueError, ["conv2d", "`x`", "4-D", "(8, 8, 3)"]),
    "conv weight ndim": (lambda: img.conv2d(np.ones((3, 3, 3))), ValueError, ["conv2d", "`weight`", "4-D"]),
    "conv channels": (lambda: img.conv2d(np.ones((3, 3, 2, 4))), ValueError, ["conv2d", "3 channels", "C_in=2"]),
    "conv channels first": (
        lambda: F.conv2d(np.ones((2, 3, 8, 8)), w3),
        ValueError,
        ["conv2d", "channels-first", "transpose"],
    ),
    "conv int input": (
        lambda: F.conv2d(Tensor(np.ones((2, 8, 8, 3)), dtype=np.int64), w3),
        TypeError,
        ["`x`", "float"],
    ),
    "conv bias shape": (lambda: img.conv2d(w3, np.ones(3)), ValueError, ["conv2d", "`bias`", "(4,)", "(3,)"]),
    "conv stride 0": (lambda: img.conv2d(w3, stride=0), ValueError, ["conv2d", "`stride`", ">= 1"]),
    "conv stride -1": (lambda: img.conv2d(w3, stride=(1, -1)), ValueError, ["conv2d", "`stride`"]),
    "conv stride float": (lambda: img.conv2d(w3, stride=1.5), TypeError, ["conv2d", "`stride`"]),
    "conv padding negative": (lambda: img.conv2d(w3, padding=-1), ValueError, ["conv2d", "`padding`", ">= 0"]),
    "conv padding word": (lambda: img.conv2d(w3, padding="full"), ValueError, ["conv2d", "`padding`", "same"]),
    "conv same stride 2": (lambda: img.conv2d(w3, stride=2, padding="same"), ValueError, ["same", "stride"]),
    "conv kernel too big": (
        lambda: F.conv2d(np.ones((1, 2, 2, 3), np.float32), w3),
        ValueError,
        ["conv2d", "kernel 3x3", "larger"],
    ),
    "pool kernel 0": (lambda: img.max_pool2d(0), ValueError, ["max_pool2d", "`kernel_size`"]),
    "pool stride 0": (lambda: img.avg_pool2d(2, stride=0), ValueError, ["avg_pool2d", "`stride`"]),
    "pool kernel too big": (lambda: img.max_pool2d(9), ValueError, ["max_pool2d", "larger"]),
    "pool 3-D input": (lambda: F.max_pool2d(np.ones((8, 8, 3))), ValueError, ["max_pool2d", "`x`", "4-D"]),
    "ce logits 1-D": (lambda: F.cross_entropy(np.ones(10), np.array([1])), ValueError, ["cross_entropy", "`logits`"]),
    "ce label range": (lambda: logits.cross_entropy(np.array([1, 2, 3, 10])), ValueError, ["`target`", "[0, 9]", "10"]),
    "ce negative label": (lambda: logits.cross_entropy(np.array([1, -1, 3, 4])), ValueError, ["`target`", "-1"]),
    "ce batch mismatch": (lambda: logits.cross_entropy(np.array([1, 2])), ValueError, ["`target`", "(4)", "2"]),
    "ce float labels": (lambda: logits.cross_entropy(np.array([1.0, 2, 3, 4])), TypeError, ["`target`", "integer"]),
    "ce one-hot shape": (lambda: logits.cross_entropy(np.ones((4, 3))), ValueError, ["`target`", "(4, 10)"]),
    "ce reduction": (lambda: logits.cross_entropy(labels, reduction="avg"), ValueError, ["`reduction`", "'avg'"]),
    "hinge not one-hot": (lambda: logits.hinge(np.full((4, 10), 0.1)), ValueError, ["hinge", "`target`", "one-hot"]),
    "hinge margin": (lambda: logits.hinge(labels, margin=-1), ValueError, ["hinge", "`margin`"]),
    "hinge batch mismatch": (lambda: logits.hinge(np.array([1, 2, 3])), ValueError, ["hinge", "`target`"]),
    "backward wrong grad": (
        lambda: (Tensor([1.0, 2.0], requires_grad=True) * 2).backward(np.ones(3)),
        ValueError,
        ["grad", "(2,)"],
    ),
    "gradcheck nothing": (lambda: tg.gradcheck(lambda x: x, Tensor([1.0])), ValueError, ["gradcheck", "requires_grad"]),
    "gradcheck float32 fn": (
        lambda: tg.gradcheck(lambda x: Tensor(x.numpy().astype(np.float32)) * 1, np.ones(2)),
        TypeError,
        ["gradcheck", "float64"],
    ),
    "unknown op": (lambda: tg.ops.call("nope", Tensor([1.0])), KeyError, ["nope"]),
}


@pytest.mark.parametrize("call, error, words", CORE_CASES.values(), ids=CORE_CASES.keys())
def test_clear_errors(call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
