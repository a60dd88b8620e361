"""Bad input gets a clear error: the right exception type, and a message naming the argument.

Each case is (call, exception type, words the message must contain).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest

import tinygrad_np as tg
from models.mnist_cnn import build_mnist_cnn
from tinygrad_np import Tensor, nn, optim, viz
from tinygrad_np import functional as F
from tinygrad_np.checkpoint import CheckpointError
from tinygrad_np.datasets import load_mnist, one_hot

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


def _model():
    return build_mnist_cnn(0)


_X = rng.random((8, 28, 28, 1)).astype(np.float32)
_y = np.arange(8) % 10


def _checkpoint_of_another_architecture(tmp):
    path = nn.CNN(nn.Flatten(), nn.Dense(10, 784, "softmax")).save(os.path.join(tmp, "other.npz"))
    _model().load(path)


def _bad_idx_folder(tmp):
    with open(os.path.join(tmp, "train-images-idx3-ubyte"), "wb") as f:
        f.write(b"\x00\x00\x08\x05" + b"\x00" * 12)  # magic of a 5-D array
    load_mnist(tmp, log=None)


MODEL_CASES = {
    "dense bad activation": (
        lambda: nn.Dense(4, 3, activation="gelu"),
        ValueError,
        ["Dense", "`activation`", "'gelu'"],
    ),
    "dense zero neurons": (lambda: nn.Dense(0, 3), ValueError, ["Dense", "`n_neurons`", ">= 1"]),
    "dense float inputs": (lambda: nn.Dense(4, 2.5), TypeError, ["Dense", "`n_inputs`"]),
    "dense wrong input": (lambda: nn.Dense(4, 3)(Tensor(np.ones((2, 5)))), ValueError, ["(N, 3)", "(2, 5)"]),
    "set_weights shape": (lambda: nn.Dense(4, 3).set_weights(np.ones((4, 3))), ValueError, ["`weights`", "(3, 4)"]),
    "set_biases shape": (lambda: nn.Dense(4, 3).set_biases(np.ones(3)), ValueError, ["`biases`", "(4,)"]),
    "conv layer init": (lambda: nn.Conv2D(8, 3, 1, init="glorot"), ValueError, ["Conv2D", "`init`", "'glorot'"]),
    "conv layer padding": (lambda: nn.Conv2D(8, 3, 1, padding="full"), ValueError, ["Conv2D", "`padding`"]),
    "conv layer stride": (lambda: nn.Conv2D(8, 3, 1, stride=0), ValueError, ["Conv2D", "`stride`"]),
    "conv layer same padding with stride 2": (
        lambda: nn.Conv2D(8, 3, 1, stride=2, padding="same"), ValueError, ["Conv2D", "padding='same'", "stride 1"]
    ),
    "pooling mode": (lambda: nn.Pooling("min"), ValueError, ["Pooling", "`mode`", "'min'"]),
    "pooling size": (lambda: nn.Pooling("max", size=0), ValueError, ["Pooling", "`size`"]),
    "cnn not a layer": (lambda: nn.CNN(nn.Flatten(), "dense"), TypeError, ["CNN", "`layers[1]`", "str"]),
    "cnn empty": (lambda: nn.CNN(), ValueError, ["CNN", "at least one layer"]),
    "fit channels-first": (
        lambda: _model().fit(_X.transpose(0, 3, 1, 2), _y, 1, 0.1, verbose=0),
        ValueError,
        ["fit", "`X`", "(8, 1, 28, 28)", "channels-first"],
    ),
    "fit int pixels": (
        lambda: _model().fit((_X * 255).astype(np.uint8), _y, 1, 0.1),
        TypeError,
        ["fit", "`X`", "uint8"],
    ),
    "fit object array": (lambda: _model().fit(np.array([None] * 8), _y, 1, 0.1), TypeError, ["fit", "`X`", "object"]),
    "fit a list": (lambda: _model().fit([[0.0] * 784] * 8, _y, 1, 0.1), TypeError, ["fit", "`X`", "list"]),
    "fit lr zero": (lambda: _model().fit(_X, _y, 1, 0.0), ValueError, ["fit", "`lr`", "> 0"]),
    "fit lr nan": (lambda: _model().fit(_X, _y, 1, float("nan")), ValueError, ["fit", "`lr`", "finite"]),
    "fit epochs zero": (lambda: _model().fit(_X, _y, 0, 0.1), ValueError, ["fit", "`epochs`", ">= 1"]),
    "fit batch zero": (lambda: _model().fit(_X, _y, 1, 0.1, batch_size=0), ValueError, ["fit", "`batch_size`"]),
    "fit capture": (lambda: _model().fit(_X, _y, 1, 0.1, capture="yes"), TypeError, ["fit", "`capture`", "bool"]),
    "fit loss": (lambda: _model().fit(_X, _y, 1, 0.1, loss="mse"), ValueError, ["fit", "`loss`", "'mse'"]),
    "fit optimizer": (
        lambda: _model().fit(_X, _y, 1, 0.1, optimizer="rmsprop"),
        ValueError,
        ["fit", "`optimizer`", "'rmsprop'"],
    ),
    "fit labels range": (lambda: _model().fit(_X, _y + 5, 1, 0.1), ValueError, ["fit", "`y`", "[0, 9]", "got 10"]),
    "fit labels length": (lambda: _model().fit(_X, _y[:5], 1, 0.1), ValueError, ["fit", "`y`", "(8)", "5"]),
    "fit float labels": (lambda: _model().fit(_X, _y.astype(float), 1, 0.1), TypeError, ["fit", "`y`", "integer"]),
    "fit seed": (lambda: _model().fit(_X, _y, 1, 0.1, seed=-1), ValueError, ["fit", "`seed`"]),
    "fit validation": (
        lambda: _model().fit(_X, _y, 1, 0.1, validation_data=_X),
        TypeError,
        ["fit", "`validation_data`"],
    ),
    "fit resume without path": (
        lambda: _model().fit(_X, _y, 1, 0.1, resume=True),
        ValueError,
        ["fit", "resume", "`checkpoint`"],
    ),
    "evaluate labels": (lambda: _model().evaluate(_X, _y - 1), ValueError, ["evaluate", "`y`", "-1"]),
    "predict 3-D": (lambda: _model().predict(_X[:, :, :, 0]), ValueError, ["predict", "`X`", "(8, 28, 28)"]),
    "sgd lr": (lambda: optim.SGD(_model().parameters(), lr=-1), ValueError, ["SGD", "`lr`"]),
    "sgd momentum": (lambda: optim.SGD(_model().parameters(), lr=0.1, momentum=1.5), ValueError, ["SGD", "`momentum`"]),
    "sgd no params": (lambda: optim.SGD([], lr=0.1), ValueError, ["SGD", "`params`", "empty"]),
    "sgd frozen param": (lambda: optim.SGD([Tensor([1.0])], lr=0.1), TypeError, ["SGD", "`params`", "requires_grad"]),
    "adam betas": (lambda: optim.Adam(_model().parameters(), betas=(0.9, 1.5)), ValueError, ["Adam", "`betas`"]),
    "adam eps": (lambda: optim.Adam(_model().parameters(), eps=0), ValueError, ["Adam", "`eps`"]),
    "load another architecture": (
        lambda: with_tmp(_checkpoint_of_another_architecture),
        CheckpointError,
        ["load", "layers.0.filters"],
    ),
    "load missing file": (
        lambda: _model().load("/nonexistent/cnn.npz"),
        FileNotFoundError,
        ["checkpoint", "/nonexistent/cnn.npz"],
    ),
    "save missing folder": (
        lambda: _model().save("/nonexistent/dir/cnn.npz"),
        FileNotFoundError,
        ["save", "/nonexistent/dir"],
    ),
    "data unknown source": (lambda: load_mnist("kagle", log=None), ValueError, ["source", "'kagle'"]),
    "data missing folder": (lambda: load_mnist("./no/such/folder", log=None), FileNotFoundError, ["no/such/folder"]),
    "data bad idx": (lambda: with_tmp(_bad_idx_folder), ValueError, ["train-images-idx3-ubyte"]),
    "data test_size": (lambda: load_mnist("bundled", test_size=1.5, log=None), ValueError, ["`test_size`", "1.5"]),
    "data limit": (lambda: load_mnist("bundled", limit=3, log=None), ValueError, ["`limit`", "3"]),
    "data timeout": (lambda: load_mnist("auto", timeout=0, log=None), ValueError, ["`timeout`"]),
    "one_hot range": (lambda: one_hot(np.array([1, 10])), ValueError, ["`labels`", "10"]),
    "draw non-tensor": (lambda: viz.draw_graph(np.ones(3)), TypeError, ["draw_graph", "outputs"]),
    "draw rankdir": (
        lambda: viz.draw_graph(Tensor([1.0], requires_grad=True) * 2, rankdir="XY"),
        ValueError,
        ["rankdir", "'XY'"],
    ),
    "render suffix": (
        lambda: viz.render_graph(Tensor([1.0], requires_grad=True) * 2, "graph.jpeg"),
        ValueError,
        ["path", "graph.jpeg"],
    ),
}


def with_tmp(fn):
    with tempfile.TemporaryDirectory() as tmp:
        return fn(tmp)


_v = Tensor(np.array([-1.0, 0.5, 2.0]), requires_grad=True)
ELEMENTWISE_CASES = {
    "maximum shapes": (lambda: F.maximum(_v, np.ones(2)), ValueError, ["maximum", "(3,)", "(2,)", "broadcast"]),
    "clip no bound": (lambda: F.clip(_v), ValueError, ["clip", "`min`", "`max`"]),
    "clip min > max": (lambda: _v.clip(1.0, 0.0), ValueError, ["clip", "`min`", "`max`"]),
    "clip string bound": (lambda: _v.clip("0"), TypeError, ["clip", "`min`"]),
    "where float condition": (lambda: F.where(np.ones(3), _v, _v), TypeError, ["where", "`condition`", "boolean"]),
    "where shapes": (lambda: F.where(np.ones(4, bool), _v, _v), ValueError, ["where", "(4,)", "(3,)"]),
    "leaky_relu slope": (lambda: _v.leaky_relu("0.1"), TypeError, ["leaky_relu", "`negative_slope`"]),
    "elu alpha nan": (lambda: _v.elu(float("nan")), ValueError, ["elu", "`alpha`", "finite"]),
    "gelu approximate": (lambda: _v.gelu("erf"), ValueError, ["gelu", "`approximate`", "'erf'"]),
    "softplus beta": (lambda: _v.softplus(beta=0), ValueError, ["softplus", "`beta`", "> 0"]),
    "compare shapes": (lambda: _v < np.ones(2), ValueError, ["lt", "(3,)", "(2,)"]),
    "truth of many": (lambda: bool(_v > 0), ValueError, ["truth value", "3 elements", "ambiguous"]),
}



w_dw = Tensor(rng.standard_normal((3, 3, 1, 6)).astype(np.float32))  # depthwise for 3 channels, multiplier 2
w_t = Tensor(rng.standard_normal((3, 3, 2, 3)).astype(np.float32))  # conv_transpose2d: 3 channels in, 2 out
IMAGE_OP_CASES = {
    "conv dilation 0": (lambda: img.conv2d(w3, dilation=0), ValueError, ["conv2d", "`dilation`", ">= 1"]),
    "conv dilation float": (lambda: img.conv2d(w3, dilation=1.5), TypeError, ["conv2d", "`dilation`"]),
    "conv groups 0": (lambda: img.conv2d(w_dw, groups=0), ValueError, ["conv2d", "`groups`", ">= 1"]),
    "conv groups float": (lambda: img.conv2d(w_dw, groups=3.0), TypeError, ["conv2d", "`groups`", "int"]),
    "conv groups channels": (lambda: img.conv2d(w_dw, groups=2), ValueError, ["conv2d", "C_in=2", "groups=2"]),
    "conv groups C_out": (
        lambda: img.conv2d(np.ones((3, 3, 1, 4), np.float32), groups=3),
        ValueError,
        ["conv2d", "C_out=4", "divisible", "`groups`=3"],
    ),
    "conv dilated kernel too big": (
        lambda: img.conv2d(w3, dilation=4),
        ValueError,
        ["conv2d", "kernel 3x3", "spanning 9x9", "larger"],
    ),
    "convT weight ndim": (
        lambda: img.conv_transpose2d(np.ones((3, 3, 3))),
        ValueError,
        ["conv_transpose2d", "`weight`"],
    ),
    "convT channels": (
        lambda: img.conv_transpose2d(np.ones((3, 3, 3, 2), np.float32)),
        ValueError,
        ["conv_transpose2d", "3 channels", "C_in=2", "(kh, kw, C_out // groups, C_in)"],
    ),
    "convT groups": (lambda: img.conv_transpose2d(w_t, groups=2), ValueError, ["conv_transpose2d", "C_in=3", "groups"]),
    "convT bias": (lambda: img.conv_transpose2d(w_t, np.ones(3)), ValueError, ["conv_transpose2d", "`bias`", "(2,)"]),
    "convT padding word": (
        lambda: img.conv_transpose2d(w_t, padding="same"),
        TypeError,
        ["conv_transpose2d", "`padding`"],
    ),
    "convT output_padding": (
        lambda: img.conv_transpose2d(w_t, stride=2, output_padding=2),
        ValueError,
        ["conv_transpose2d", "`output_padding`", "smaller than `stride`"],
    ),
    "convT output_padding negative": (
        lambda: img.conv_transpose2d(w_t, output_padding=-1),
        ValueError,
        ["conv_transpose2d", "`output_padding`", ">= 0"],
    ),
    "convT padding too big": (
        lambda: F.conv_transpose2d(np.ones((1, 1, 1, 3), np.float32), w_t, padding=2),
        ValueError,
        ["conv_transpose2d", "output would be -1x-1", "`padding`"],
    ),
    "convT stride 0": (lambda: img.conv_transpose2d(w_t, stride=0), ValueError, ["conv_transpose2d", "`stride`"]),
    "pool padding too big": (
        lambda: img.max_pool2d(2, padding=2),
        ValueError,
        ["max_pool2d", "`padding`", "half", "(2, 2)"],
    ),
    "pool padding negative": (lambda: img.avg_pool2d(3, padding=-1), ValueError, ["avg_pool2d", "`padding`", ">= 0"]),
    "pool padding float": (lambda: img.max_pool2d(3, padding=0.5), TypeError, ["max_pool2d", "`padding`"]),
    "pool count_include_pad": (
        lambda: img.avg_pool2d(3, padding=1, count_include_pad="no"),
        TypeError,
        ["avg_pool2d", "`count_include_pad`", "bool"],
    ),
}


_probs = Tensor(np.full((4, 10), 0.1, np.float32))
_x34 = Tensor(np.zeros((3, 4), np.float32))
LOSS_CASES = {
    "ce smoothing negative": (lambda: logits.cross_entropy(labels, label_smoothing=-0.1), ValueError,
                              ["cross_entropy", "`label_smoothing`", ">= 0.0", "-0.1"]),
    "ce smoothing above 1": (lambda: logits.cross_entropy(labels, label_smoothing=1.5), ValueError,
                             ["cross_entropy", "`label_smoothing`", "[0, 1]", "1.5"]),
    "ce smoothing type": (lambda: logits.cross_entropy(labels, label_smoothing="0.1"), TypeError,
                          ["cross_entropy", "`label_smoothing`", "number"]),
    "ce non-finite probabilities": (lambda: logits.cross_entropy(np.full((4, 10), np.nan)), ValueError,
                                    ["cross_entropy", "`target`", "finite"]),
    "nll 1-D log_probs": (lambda: F.nll_loss(np.zeros(10), np.array([1])), ValueError,
                          ["nll_loss", "`log_probs`", "2-D"]),
    "nll label range": (lambda: F.nll_loss(logits, np.array([1, 2, 3, 10])), ValueError, ["nll_loss", "[0, 9]", "10"]),
    "nll negative label": (lambda: F.nll_loss(logits, np.array([1, -1, 3, 4])), ValueError, ["nll_loss", "-1"]),
    "nll float labels": (lambda: F.nll_loss(logits, np.array([1.0, 2, 3, 4])), TypeError, ["nll_loss", "integer"]),
    "nll one-hot": (lambda: F.nll_loss(logits, np.eye(10)[labels]), ValueError, ["nll_loss", "(N,)", "(4, 10)"]),
    "nll batch mismatch": (lambda: F.nll_loss(logits, np.array([1, 2])), ValueError, ["nll_loss", "(4)", "2"]),
    "nll all ignored": (lambda: F.nll_loss(logits, np.full(4, -100)), ValueError,
                        ["nll_loss", "ignore_index", "reduction='sum'"]),
    "nll ignore_index type": (lambda: F.nll_loss(logits, labels, ignore_index=0.5), TypeError,
                              ["nll_loss", "`ignore_index`", "int"]),
    "nll reduction": (lambda: F.nll_loss(logits, labels, reduction="avg"), ValueError, ["nll_loss", "`reduction`"]),
    "mse shape mismatch": (lambda: F.mse_loss(_x34, np.zeros((4, 3))), ValueError,
                           ["mse_loss", "`target`", "(3, 4)", "(4, 3)"]),
    "mse no broadcasting": (lambda: F.mse_loss(_x34, np.zeros(4)), ValueError, ["mse_loss", "`target`", "(4,)"]),
    "mse non-finite target": (lambda: F.mse_loss(_x34, np.full((3, 4), np.inf)), ValueError,
                              ["mse_loss", "`target`", "finite"]),
    "mse string target": (lambda: F.mse_loss(_x34, np.full((3, 4), "a")), TypeError, ["mse_loss", "`target`"]),
    "mse int input": (lambda: F.mse_loss(np.zeros((3, 4), np.int64), _x34), TypeError, ["mse_loss", "`input`"]),
    "mse reduction": (lambda: F.mse_loss(_x34, _x34, reduction="mea"), ValueError, ["mse_loss", "`reduction`"]),
    "bce shape mismatch": (lambda: F.binary_cross_entropy_with_logits(_x34, np.zeros((3, 1))), ValueError,
                           ["binary_cross_entropy_with_logits", "`target`", "(3, 4)"]),
    "bce non-finite target": (lambda: F.binary_cross_entropy_with_logits(_x34, np.full((3, 4), np.nan)), ValueError,
                              ["binary_cross_entropy_with_logits", "`target`", "finite"]),
    "bce weight shape": (lambda: F.binary_cross_entropy_with_logits(_x34, _x34, weight=np.ones(3)), ValueError,
                         ["binary_cross_entropy_with_logits", "`weight`", "(3,)", "(3, 4)"]),
    "bce pos_weight shape": (lambda: F.binary_cross_entropy_with_logits(_x34, _x34, pos_weight=np.ones((2, 4))),
                             ValueError, ["`pos_weight`", "(2, 4)"]),
    "bce non-finite weight": (lambda: F.binary_cross_entropy_with_logits(_x34, _x34, weight=np.full(4, np.inf)),
                              ValueError, ["`weight`", "finite"]),
    "bce weight needs grad": (
        lambda: F.binary_cross_entropy_with_logits(_x34, _x34, weight=Tensor(np.ones(4), requires_grad=True)),
        TypeError, ["`weight`", "constant", "detach"]),
    "bce reduction": (lambda: F.binary_cross_entropy_with_logits(_x34, _x34, reduction=None), ValueError,
                      ["binary_cross_entropy_with_logits", "`reduction`"]),
    "bce int logits": (lambda: F.binary_cross_entropy_with_logits(np.zeros(3, np.int64), np.zeros(3)), TypeError,
                       ["binary_cross_entropy_with_logits", "`logits`", "floating"]),
    "ce with probabilities still checks shape": (lambda: logits.cross_entropy(_probs[:, :5]), ValueError,
                                                 ["cross_entropy", "(4, 10)", "(4, 5)"]),
}  # fmt: skip




m23 = Tensor(np.ones((2, 3)))
REDUCE_SHAPE_CASES = {
    "min axis range": (lambda: m23.min(axis=-3), ValueError, ["min", "axis", "-3"]),
    "min of empty": (lambda: Tensor(np.ones((0, 3))).min(), ValueError, ["min", "empty"]),
    "var correction too large": (lambda: m23.var(axis=0, correction=2), ValueError, ["var", "correction", "(2)"]),
    "var of one element": (lambda: Tensor(1.0).var(), ValueError, ["var", "correction", "(1)"]),
    "std negative correction": (lambda: m23.std(correction=-1), ValueError, ["std", "correction", ">= 0"]),
    "std correction type": (lambda: m23.std(correction="1"), TypeError, ["std", "correction", "number"]),
    "logsumexp axis type": (lambda: m23.logsumexp(axis=0.5), TypeError, ["logsumexp", "axis"]),
    "argmax axis tuple": (lambda: m23.argmax(axis=(0, 1)), TypeError, ["argmax", "axis", "one int"]),
    "argmin axis range": (lambda: m23.argmin(axis=2), ValueError, ["argmin", "axis", "2"]),
    "argmax of empty": (lambda: Tensor(np.ones((0,))).argmax(), ValueError, ["argmax", "empty", "(0,)"]),
    "cat not a list": (lambda: F.cat(m23), TypeError, ["cat", "`tensors`", "list or tuple"]),
    "cat empty list": (lambda: F.cat([]), ValueError, ["cat", "`tensors`", "empty"]),
    "cat shapes": (lambda: F.cat([m23, np.ones((3, 3))], axis=1), ValueError, ["cat", "tensor 1", "(3, 3)"]),
    "cat ndim": (lambda: F.cat([m23, np.ones(3)]), ValueError, ["cat", "(2, 3)", "(3,)"]),
    "cat 0-D": (lambda: F.cat([Tensor(1.0), Tensor(2.0)]), ValueError, ["cat", "0-D", "stack"]),
    "cat axis None": (lambda: F.cat([m23, m23], axis=None), TypeError, ["cat", "axis", "one int"]),
    "stack shapes": (lambda: F.stack([m23, np.ones((3, 2))]), ValueError, ["stack", "same shape", "(3, 2)"]),
    "stack axis range": (lambda: F.stack([m23, m23], axis=3), ValueError, ["stack", "axis", "3", "2-D", "-3 .. 2"]),
    "split sizes sum": (lambda: m23.split([1, 1], axis=1), ValueError, ["split", "add up to 2", "size 3"]),
    "split size 0": (lambda: m23.split(0), ValueError, ["split", "split_size_or_sections", ">= 1"]),
    "split size type": (lambda: m23.split(1.5), TypeError, ["split", "split_size_or_sections", "int"]),
    "split 0-D": (lambda: Tensor(1.0).split(1), ValueError, ["split", "0-D"]),
    "squeeze axis range": (lambda: m23.squeeze(2), ValueError, ["squeeze", "axis", "2"]),
    "unsqueeze axis range": (lambda: m23.unsqueeze(3), ValueError, ["unsqueeze", "axis", "3", "2-D", "-3 .. 2"]),
    "unsqueeze axis tuple": (lambda: m23.unsqueeze((0, 1)), TypeError, ["unsqueeze", "axis", "an int", "(0, 1)"]),
    "expand size": (lambda: m23.expand(2, 4), ValueError, ["expand", "(2, 3)", "(2, 4)"]),
    "expand fewer axes": (lambda: m23.expand(3), ValueError, ["expand", "fewer axes"]),
    "expand new -1": (lambda: m23.expand(-1, 2, 3), ValueError, ["expand", "-1", "new leading"]),
    "expand negative": (lambda: m23.expand(2, -2), ValueError, ["expand", "shape", ">= 0"]),
    "broadcast_to shape": (lambda: m23.broadcast_to((3,)), ValueError, ["broadcast_to", "(2, 3)", "(3,)"]),
    "broadcast_to type": (lambda: m23.broadcast_to("23"), TypeError, ["broadcast_to", "shape", "int"]),
    "flip repeated axis": (lambda: m23.flip((0, -2)), ValueError, ["flip", "axis", "repeats"]),
    "permute too few": (lambda: m23.permute(0), ValueError, ["permute", "dims", "permutation of 2"]),
    "permute repeated": (lambda: m23.permute(1, 1), ValueError, ["permute", "dims"]),
    "permute 0-D": (lambda: Tensor(1.0).permute(0), ValueError, ["permute", "dims", "permutation of 0"]),
    "np.var out": (lambda: np.var(m23, out=np.ones(3)), TypeError, ["numpy.var", "out"]),
}



ADD_AT_CASES = {
    "add_at int x": (lambda: F.add_at(np.ones(3, np.int64), 0, 1.0), TypeError, ["add_at", "`x`", "floating", "int64"]),
    "add_at index range": (lambda: F.add_at(m23, (2, 0), 1.0), IndexError, ["add_at", "index", "(2, 3)"]),
    "add_at float index": (lambda: F.add_at(m23, np.array([0.5]), 1.0), TypeError, ["add_at", "integers"]),
    "add_at values shape": (
        lambda: F.add_at(m23, np.array([0, 0]), np.ones(2)),
        ValueError,
        ["add_at", "`values`", "(2,)", "(2, 3)"],
    ),
}


g_out = Tensor(np.ones((2, 6, 6, 4), np.float32))  # conv2d(img, w3)'s output gradient
CONV2D_WEIGHT_CASES = {
    "conv2d_weight grad_output shape": (
        lambda: F.conv2d_weight(img, g_out, 3, padding=1),
        ValueError,
        ["conv2d_weight", "`grad_output`", "(2, 8, 8, 4)", "(2, 6, 6, 4)"],
    ),
    "conv2d_weight grad_output 3-D": (
        lambda: F.conv2d_weight(img, np.ones((6, 6, 4)), 3),
        ValueError,
        ["conv2d_weight", "grad_output", "(6, 6, 4)"],
    ),
    "conv2d_weight groups": (
        lambda: F.conv2d_weight(img, g_out, 3, groups=2),
        ValueError,
        ["conv2d_weight", "`x`", "3 channels", "groups"],
    ),
    "conv2d_weight kernel too large": (
        lambda: F.conv2d_weight(img, g_out, 9),
        ValueError,
        ["conv2d_weight", "kernel (9, 9)", "larger"],
    ),
    "conv2d_weight kernel_size": (lambda: F.conv2d_weight(img, g_out, 0), ValueError, ["conv2d_weight", "kernel_size"]),
}


ALL_CASES = (
    CORE_CASES | MODEL_CASES | ELEMENTWISE_CASES | IMAGE_OP_CASES | LOSS_CASES | REDUCE_SHAPE_CASES | ADD_AT_CASES
    | CONV2D_WEIGHT_CASES
)


def test_at_least_sixty_cases():
    assert len(ALL_CASES) >= 60


@pytest.mark.parametrize("call, error, words", ALL_CASES.values(), ids=ALL_CASES.keys())
def test_clear_errors(call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert "Traceback" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
