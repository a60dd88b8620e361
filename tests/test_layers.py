"""The layers a PyTorch user reaches for (BatchNorm, LayerNorm, Dropout, activations), compared with
PyTorch in float64 and float32; modes, buffers, containers and Sequential's fusion."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Tensor, nn
from tinygrad_np.autograd.engine import topological_order
from tinygrad_np.checkpoint import CheckpointError

TOL = {np.float64: 1e-10, np.float32: 2e-5}
DTYPES = [np.float64, np.float32]


def cast(model: nn.Module, dtype) -> nn.Module:
    """Every parameter and buffer of `model` in `dtype` (float64 for exact comparisons)."""
    for _, t, _ in model._named_tensors():
        t.data = t.data.astype(dtype)
    return model


def channels_first(torch, x):
    return torch.from_numpy(x).movedim(-1, 1).requires_grad_()


def close(ours, theirs, dtype):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    np.testing.assert_allclose(ours, theirs, rtol=TOL[dtype], atol=TOL[dtype])


BATCH_NORMS = [
    ("BatchNorm2d", (4, 5, 5, 3)),
    ("BatchNorm1d", (8, 3)),
    ("BatchNorm1d", (4, 6, 3)),
]
OPTIONS = [{}, {"affine": False}, {"momentum": None}, {"track_running_stats": False}, {"momentum": 0.3, "eps": 1e-3}]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, shape", BATCH_NORMS)
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_batch_norm_matches_pytorch_in_training_and_evaluation(torch, dtype, name, shape, options):
    g = np.random.default_rng(0)
    ours = cast(getattr(nn, name)(3, **options), dtype)
    theirs = getattr(torch.nn, name)(3, **options).to(torch.float64 if dtype == np.float64 else torch.float32)
    if ours.affine:
        w, b = g.uniform(0.5, 2, 3).astype(dtype), g.standard_normal(3).astype(dtype)
        ours.weight.data, ours.bias.data = w.copy(), b.copy()
        theirs.weight.data, theirs.bias.data = torch.from_numpy(w.copy()), torch.from_numpy(b.copy())
    for _ in range(3):  # training steps: batch statistics, running statistics updated
        x = (g.standard_normal(shape) * 2 + 1).astype(dtype)
        upstream = g.standard_normal(shape).astype(dtype)
        xt = channels_first(torch, x.copy())
        out = ours(Tensor(x, requires_grad=True))
        ref = theirs(xt)
        close(out.numpy(), ref.movedim(1, -1), dtype)
        xs = out._ctx.parents[0]
        out.backward(upstream)
        ref.backward(torch.from_numpy(upstream.copy()).movedim(-1, 1))
        close(xs.grad, xt.grad.movedim(1, -1), dtype)
        if ours.affine:
            close(ours.weight.grad, theirs.weight.grad, dtype)
            close(ours.bias.grad, theirs.bias.grad, dtype)
            ours.zero_grad()
            theirs.zero_grad()
    if ours.track_running_stats:
        close(ours.running_mean.data, theirs.running_mean, dtype)
        close(ours.running_var.data, theirs.running_var, dtype)
        assert ours.num_batches_tracked.data == theirs.num_batches_tracked.item() == 3
    ours.eval(), theirs.eval()
    x = g.standard_normal(shape).astype(dtype)
    xt = channels_first(torch, x.copy())
    out = ours(Tensor(x, requires_grad=True))
    ref = theirs(xt)
    close(out.numpy(), ref.movedim(1, -1), dtype)
    xs = out._ctx.parents[0]
    out.sum().backward()
    ref.sum().backward()
    close(xs.grad, xt.grad.movedim(1, -1), dtype)


def test_batch_norm_state_dict_has_pytorchs_names_and_buffers_are_not_trained():
    bn = nn.BatchNorm2d(4)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert list(nn.BatchNorm1d(2, affine=False, track_running_stats=False).state_dict()) == []


@pytest.mark.parametrize(
    "make, shape, message",
    [
        (lambda: nn.BatchNorm2d(3), (2, 4, 4, 5),
         r"BatchNorm2d\(3\): input must be channels-last images \(N, H, W, C\) with 3 channels last "
         r"\(`num_features`\), got shape \(2, 4, 4, 5\)"),
        (lambda: nn.BatchNorm2d(3), (2, 3, 4, 4), r"with 3 channels last .* got shape \(2, 3, 4, 4\)"),
        (lambda: nn.BatchNorm1d(3), (2, 4, 4, 3), r"BatchNorm1d\(3\): input must be \(N, C\) or \(N, L, C\)"),
        (lambda: nn.BatchNorm1d(3), (1, 3), r"batch_norm: training needs more than one value per channel"),
    ],
)  # fmt: skip
def test_batch_norm_refuses_wrong_inputs_clearly(make, shape, message):
    with pytest.raises(ValueError, match=message):
        make()(Tensor(np.ones(shape, np.float32)))


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.BatchNorm2d(0), ValueError, r"BatchNorm2d: `num_features` must be >= 1, got 0"),
        (lambda: nn.BatchNorm1d(2.5), TypeError, r"BatchNorm1d: `num_features` must be an int"),
        (lambda: nn.BatchNorm2d(3, momentum=1.5), ValueError, r"BatchNorm2d: `momentum` must be in \[0, 1\]"),
        (lambda: nn.BatchNorm2d(3, eps=0), ValueError, r"BatchNorm2d: `eps` must be > 0"),
        (lambda: nn.Dropout(-0.1), ValueError, r"Dropout: `p` .* must be in \[0, 1\), got -0.1"),
        (lambda: nn.Dropout(1.0), ValueError, r"Dropout: `p` .* must be in \[0, 1\), got 1"),
        (lambda: nn.Dropout("half"), TypeError, r"Dropout: `p` must be a number"),
        (lambda: nn.LayerNorm(0), ValueError, r"LayerNorm: `normalized_shape` must be a positive int"),
        (lambda: nn.GELU("fast"), ValueError, r"GELU: `approximate`"),
        (lambda: nn.Sequential(), ValueError, r"Sequential: give at least one layer"),
        (lambda: nn.Sequential(nn.ReLU(), "relu"), TypeError, r"Sequential: `layers\[1\]` must be a layer"),
        (lambda: nn.ModuleList([nn.ReLU(), 3]), TypeError, r"ModuleList: `layers\[1\]` must be a layer"),
        (lambda: nn.ModuleDict({"a.b": nn.ReLU()}), ValueError, r"ModuleDict: a key must be a non-empty string"),
        (lambda: tg.functional.dropout(np.ones(3), 0.5, mask=np.ones(4, bool)), ValueError, r"dropout: `mask`"),
        (lambda: tg.functional.batch_norm(np.ones((2, 3))), ValueError, r"batch_norm: training=False normalizes"),
        (lambda: tg.functional.layer_norm(np.ones((2, 3)), 4), ValueError, r"layer_norm: `x` must end in the axes"),
    ],
)  # fmt: skip
def test_bad_layer_arguments_get_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape, normalized, affine", [((4, 5), 5, True), ((2, 3, 4), (3, 4), True), ((3, 6), 6, False)]
)
def test_layer_norm_matches_pytorch(torch, dtype, shape, normalized, affine):
    g = np.random.default_rng(1)
    ours = cast(nn.LayerNorm(normalized, elementwise_affine=affine), dtype)
    theirs = torch.nn.LayerNorm(normalized, elementwise_affine=affine, dtype=torch.float64 if dtype == np.float64
                                else torch.float32)  # fmt: skip
    if affine:
        w = g.uniform(0.5, 2, ours.weight.shape).astype(dtype)
        ours.weight.data, theirs.weight.data = w.copy(), torch.from_numpy(w.copy())
    x = g.standard_normal(shape).astype(dtype)
    xs, xt = Tensor(x.copy(), requires_grad=True), torch.from_numpy(x.copy()).requires_grad_()
    out, ref = ours(xs), theirs(xt)
    close(out.numpy(), ref, dtype)
    upstream = g.standard_normal(shape).astype(dtype)
    out.backward(upstream)
    ref.backward(torch.from_numpy(upstream))
    close(xs.grad, xt.grad, dtype)
    if affine:
        close(ours.weight.grad, theirs.weight.grad, dtype)
        close(ours.bias.grad, theirs.bias.grad, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda: nn.ReLU(), lambda t: t.nn.ReLU()),
        (lambda: nn.LeakyReLU(0.2), lambda t: t.nn.LeakyReLU(0.2)),
        (lambda: nn.Tanh(), lambda t: t.nn.Tanh()),
        (lambda: nn.Sigmoid(), lambda t: t.nn.Sigmoid()),
        (lambda: nn.GELU(), lambda t: t.nn.GELU()),
        (lambda: nn.GELU("tanh"), lambda t: t.nn.GELU("tanh")),
        (lambda: nn.Softmax(), lambda t: t.nn.Softmax(-1)),
    ],
)
def test_activation_layers_match_pytorch(torch, dtype, ours, theirs):
    x = np.random.default_rng(2).choice([-1, 1], (4, 5)) * np.random.default_rng(3).uniform(0.2, 2, (4, 5))
    x = x.astype(dtype)
    xs, xt = Tensor(x.copy(), requires_grad=True), torch.from_numpy(x.copy()).requires_grad_()
    out, ref = ours()(xs), theirs(torch)(xt)
    close(out.numpy(), ref, dtype)
    upstream = np.random.default_rng(4).standard_normal(x.shape).astype(dtype)
    out.backward(upstream)
    ref.backward(torch.from_numpy(upstream))
    close(xs.grad, xt.grad, dtype)


def test_dropout_is_inverted_seeded_and_the_identity_in_evaluation():
    layer = nn.Dropout(0.25)
    x = Tensor(np.ones((200, 50), np.float32), requires_grad=True)
    tg.manual_seed(7)
    first = layer(x)
    kept = first.numpy() != 0
    assert 0.7 < kept.mean() < 0.8 and first.dtype == np.float32
    np.testing.assert_allclose(first.numpy()[kept], 1 / 0.75)  # inverted: the expectation is unchanged
    first.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.75)
    tg.manual_seed(7)
    assert np.array_equal(layer(x).numpy(), first.numpy())  # the same seed, the same mask
    assert not np.array_equal(layer(x).numpy(), first.numpy())
    layer.eval()
    assert layer(x) is x


def test_train_and_eval_switch_every_sub_module_and_training_is_inherited():
    model = nn.Sequential(nn.Dense(4, 3), nn.Dropout(), nn.Dense(2, 4, "none"))
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(TypeError, match="train: `mode` must be True or False"):
        model.train("no")


def test_evaluate_and_predict_run_in_eval_mode_and_restore_the_mode_found():
    nn.manual_seed(0)
    model = nn.Sequential(nn.Dense(8, 4), nn.BatchNorm1d(8), nn.Dropout(0.5), nn.Dense(3, 8, "none"))
    X = np.random.default_rng(0).standard_normal((32, 4)).astype(np.float32)
    y = np.arange(32) % 3
    seen = []
    original = nn.Dropout.forward
    nn.Dropout.forward = lambda self, x: (seen.append(self.training), original(self, x))[1]
    try:
        before = model.state_dict()
        p1, p2 = model.predict_proba(X), model.predict_proba(X)
        np.testing.assert_array_equal(p1, p2)  # no dropout: deterministic
        model.predict(X), model.evaluate(X, y)
        assert not any(seen) and model.training  # ran in eval mode; train mode restored
        for name, value in model.state_dict().items():
            np.testing.assert_array_equal(value, before[name])  # running statistics untouched
        model.eval()
        seen.clear()
        model.fit(X, y, 1, 0.1, verbose=0)
        assert any(seen) and not model.training  # trained in train mode; eval mode restored
    finally:
        nn.Dropout.forward = original


class Nested(nn.Module):
    def __init__(self):
        self.blocks = [nn.Dense(5, 4), (nn.Dense(5, 5), {"inner": nn.Dense(5, 5)})]
        self.heads = {"digit": nn.Dense(3, 5, "none")}
        self.listed = nn.ModuleList([nn.BatchNorm1d(5)])
        self.named = nn.ModuleDict({"extra": nn.Dense(5, 5)})

    def forward(self, x):
        x = self.blocks[0](x)
        x = self.blocks[1][1]["inner"](self.blocks[1][0](x))
        x = self.named["extra"](self.listed[0](x))
        return self.heads["digit"](x)


def test_parameters_and_buffers_in_lists_tuples_dicts_and_module_containers_are_found_at_any_depth(tmp_path):
    model = Nested()
    names = [n for n, _ in model.named_parameters()]
    assert names == [
        "blocks.0.weights", "blocks.0.biases", "blocks.1.0.weights", "blocks.1.0.biases",
        "blocks.1.1.inner.weights", "blocks.1.1.inner.biases", "heads.digit.weights", "heads.digit.biases",
        "listed.0.weight", "listed.0.bias", "named.extra.weights", "named.extra.biases",
    ]  # fmt: skip
    assert [n for n, _ in model.named_buffers()] == [
        "listed.0.running_mean", "listed.0.running_var", "listed.0.num_batches_tracked"
    ]  # fmt: skip
    assert model.num_parameters() == 25 + 30 + 30 + 18 + 10 + 30
    X, y = np.random.default_rng(0).standard_normal((40, 4)).astype(np.float32), np.arange(40) % 3
    before = model.state_dict()
    model.fit(X, y, 1, 0.1, verbose=0)
    after = model.state_dict()
    assert all(not np.array_equal(before[n], after[n]) for n in after)  # every parameter trained, buffers updated
    path = model.save(tmp_path / "nested.npz")
    other = Nested().load(path)
    for name, value in other.state_dict().items():
        np.testing.assert_array_equal(value, after[name])
    assert "Dense(5, relu)" in model.summary((4,)) and "BatchNorm1d(5)" in model.summary((4,))


def test_layers_in_a_container_that_cannot_be_walked_are_an_error_not_a_silence():
    class InASet(nn.Module):
        def __init__(self):
            self.layers = {nn.Dense(2, 2)}

    with pytest.raises(TypeError, match=r"InASet: attribute `layers` holds layers or tensors in a set, which the model "
                                        r"cannot walk .* ModuleList / ModuleDict"):  # fmt: skip
        InASet().parameters()


def test_buffers_are_saved_loaded_and_a_checkpoint_whose_buffers_do_not_match_is_refused(tmp_path):
    model = nn.Sequential(nn.Dense(6, 4), nn.BatchNorm1d(6), nn.Dense(3, 6, "none"))
    model(Tensor(np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32)))
    path = model.save(tmp_path / "m.safetensors")
    other = nn.Sequential(nn.Dense(6, 4), nn.BatchNorm1d(6), nn.Dense(3, 6, "none")).load(path)
    np.testing.assert_array_equal(other.layers[1].running_var.data, model.layers[1].running_var.data)
    assert other.layers[1].num_batches_tracked.data == 1
    state = model.state_dict()
    state["layers.1.running_mean"] = np.zeros(5, np.float32)
    with pytest.raises(
        CheckpointError, match=r"buffer 'layers.1.running_mean' has shape \(5,\), the model expects \(6,\)"
    ):
        other.load_state_dict(state)
    del state["layers.1.running_mean"]
    with pytest.raises(CheckpointError, match=r"has no buffer 'layers.1.running_mean' \(missing key\)"):
        other.load_state_dict(state)
    no_stats = nn.Sequential(nn.Dense(6, 4), nn.BatchNorm1d(6, track_running_stats=False), nn.Dense(3, 6, "none"))
    with pytest.raises(CheckpointError, match=r"'layers.1.running_var', which the model lacks \(unexpected key\)"):
        no_stats.load(path)


@pytest.mark.parametrize("relu_layer", [False, True])
def test_conv_relu_maxpool_is_fused_in_sequential_with_the_same_numbers(relu_layer):
    def build(fuse):
        nn.manual_seed(3)
        conv = nn.Conv2D(4, 3, 2, padding=1, activation="none" if relu_layer else "relu")
        layers = [conv, nn.ReLU()] if relu_layer else [conv]
        return nn.Sequential(*layers, nn.Pooling(), nn.Flatten(), nn.Dense(3, 4 * 4 * 4, "softmax"), fuse=fuse)

    fused, plain = build(True), build(False)
    x = np.random.default_rng(0).standard_normal((5, 8, 8, 2)).astype(np.float32)
    outs = []
    for model in (fused, plain):
        with tg.profile(stream=None) as prof:
            out = model(Tensor(x))
        out.sum().backward()
        outs.append((out.numpy(), [p.grad for p in model.parameters()], {op for op, _ in prof.calls}))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-6, atol=1e-6)
    for a, b in zip(outs[0][1], outs[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert "conv2d_relu_maxpool2d" in outs[0][2] and "conv2d_relu_maxpool2d" not in outs[1][2]
    assert "softmax" not in outs[0][2]  # the final softmax is left to the loss, as CNN does


def test_relu_then_max_pool_runs_as_pool_then_relu_with_bitwise_the_same_numbers():
    def build(fuse):
        nn.manual_seed(4)
        layers = [nn.Conv2D(3, 3, 2, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.Pooling("max", 2, 2)]
        return nn.Sequential(*layers, nn.Flatten(), nn.Dense(2, 3 * 3 * 3, "none"), fuse=fuse)

    x = np.random.default_rng(1).standard_normal((6, 7, 7, 2)).astype(np.float32)  # odd size: a row is dropped
    results = []
    for model in (build(True), build(False)):
        out = model(Tensor(x))
        relu_shapes = [t.shape for t in topological_order([out]) if t._ctx is not None and t._ctx.name == "relu"]
        (out * out).sum().backward()
        results.append((out.numpy(), [p.grad for p in model.parameters()], relu_shapes))
    (fused_out, fused_grads, fused_relu), (plain_out, plain_grads, plain_relu) = results
    assert np.count_nonzero(plain_out) and (plain_out == fused_out).all()
    for a, b in zip(fused_grads, plain_grads):
        np.testing.assert_array_equal(a, b)
    assert (fused_relu, plain_relu) == ([(6, 3, 3, 3)], [(6, 7, 7, 3)])  # the fused model's ReLU ran on the pooled map


def test_a_custom_model_ending_in_softmax_trained_with_cross_entropy_is_warned_once_naming_the_layer():
    class Net(nn.Module):
        def __init__(self):
            self.hidden = nn.Dense(8, 4)
            self.out = nn.Dense(3, 8, "softmax")

        def forward(self, x):
            return self.out(self.hidden(x))

    X, y = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32), np.arange(64) % 3
    with pytest.warns(UserWarning, match=r"its layer 'out' \(Dense\(3, softmax\)\).* applied twice") as caught:
        Net().fit(X, y, 2, 0.1, verbose=0)
    assert len([w for w in caught if "softmax" in str(w.message)]) == 1
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Sequential(nn.Dense(8, 4), nn.Dense(3, 8, "softmax")).fit(X, y, 1, 0.1, verbose=0)  # handled: no warning


def test_dense_written_in_pytorch_order_says_the_arguments_look_swapped():
    model = nn.Sequential(nn.Dense(784, 128), nn.Dense(10, 784, "none"))
    X = np.zeros((4, 784), np.float32)
    expected = (
        r"fit: `X` must have shape \(N, 128\) for Dense\(784, relu\), got \(4, 784\)\. The arguments look swapped: "
        r"Dense takes \(n_neurons, n_inputs\), the reverse of PyTorch's Linear\(in_features, out_features\); for 784 "
        r"inputs and 128 outputs write Dense\(128, 784\)"
    )
    with pytest.raises(ValueError, match=expected):
        model.fit(X, np.zeros(4, int), 1, 0.1)
    with pytest.raises(ValueError, match=r"The arguments look swapped"):
        nn.Dense(784, 128)(Tensor(X))


def test_every_module_has_fit_evaluate_predict_summary_save_and_load(tmp_path):
    class Tiny(nn.Module):
        def __init__(self):
            self.layer = nn.Dense(3, 4, "none")

        def forward(self, x):
            return self.layer(x)

    X, y = np.random.default_rng(0).standard_normal((60, 4)).astype(np.float32), np.arange(60) % 3
    model = Tiny()
    history = model.fit(X, y, 2, 0.1, verbose=0)
    assert len(history.loss) == 2
    assert 0 <= model.evaluate(X, y).accuracy <= 1
    assert model.predict(X).shape == (60,) and np.allclose(model.predict_proba(X).sum(1), 1)
    assert "Dense(3, none)" in model.summary((4,))
    other = Tiny().load(model.save(tmp_path / "tiny.npz"))
    np.testing.assert_array_equal(other.predict_proba(X), model.predict_proba(X))
