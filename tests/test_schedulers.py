"""Learning-rate schedulers against torch.optim.lr_scheduler over 100 steps, fit(..., scheduler=), and
checkpoints that carry a schedule (with BatchNorm buffers and dropout) through a resume."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_np import Tensor, nn, optim
from tinygrad_np.checkpoint import CheckpointError
from tinygrad_np.optim import lr_scheduler

SCHEDULES = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}, "SGD", {}),
    ("MultiStepLR", {"milestones": [10, 25, 60], "gamma": 0.3}, "SGD", {}),
    ("ExponentialLR", {"gamma": 0.97}, "Adam", {}),
    ("CosineAnnealingLR", {"T_max": 100}, "SGD", {}),
    ("CosineAnnealingLR", {"T_max": 30, "eta_min": 0.01}, "SGD", {}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 100}, "SGD", {"momentum": 0.9}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 100, "anneal_strategy": "linear", "three_phase": True}, "SGD",
     {"momentum": 0.9}),
    ("OneCycleLR", {"max_lr": 0.01, "epochs": 10, "steps_per_epoch": 10, "pct_start": 0.25}, "Adam", {}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 100, "cycle_momentum": False}, "SGD", {}),
]  # fmt: skip


@pytest.mark.parametrize("name, options, optimizer, optimizer_options", SCHEDULES, ids=lambda c: str(c))
def test_schedule_equals_pytorch_over_100_steps(torch, name, options, optimizer, optimizer_options):
    ours_opt = getattr(optim, optimizer)([Tensor(np.ones(2), requires_grad=True)], lr=0.1, **optimizer_options)
    theirs_opt = getattr(torch.optim, optimizer)([torch.ones(2, requires_grad=True)], lr=0.1, **optimizer_options)
    ours = getattr(lr_scheduler, name)(ours_opt, **options)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **options)
    for _ in range(100):
        group = theirs_opt.param_groups[0]
        np.testing.assert_allclose(ours_opt.lr, group["lr"], rtol=1e-12, atol=1e-15)
        if name == "OneCycleLR" and ours.cycle_momentum:
            ours_momentum = ours_opt.beta1 if optimizer == "Adam" else ours_opt.momentum
            theirs_momentum = group["betas"][0] if optimizer == "Adam" else group["momentum"]
            np.testing.assert_allclose(ours_momentum, theirs_momentum, rtol=1e-12)
        theirs_opt.step()
        ours.step()
        theirs.step()
    assert ours.get_last_lr() == [ours_opt.lr]


def test_reduce_lr_on_plateau_equals_pytorch(torch):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9] * 9 + [0.5] * 1
    for options in ({"patience": 2}, {"mode": "max", "factor": 0.5, "patience": 1, "cooldown": 2, "min_lr": 0.002},
                    {"threshold_mode": "abs", "threshold": 0.02, "patience": 0}):  # fmt: skip
        ours_opt = optim.SGD([Tensor(np.ones(2), requires_grad=True)], lr=0.1)
        theirs_opt = torch.optim.SGD([torch.ones(2, requires_grad=True)], lr=0.1)
        ours = lr_scheduler.ReduceLROnPlateau(ours_opt, **options)
        theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **options)
        lrs = []
        for metric in metrics:
            theirs_opt.step()
            ours.step(metric)
            theirs.step(metric)
            np.testing.assert_allclose(ours_opt.lr, theirs_opt.param_groups[0]["lr"], rtol=1e-12)
            lrs.append(ours_opt.lr)
        assert len(set(lrs)) > 1  # the schedule did reduce


def test_scheduler_state_round_trips():
    opt = optim.SGD([Tensor(np.ones(2), requires_grad=True)], lr=0.1, momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=50)
    for _ in range(17):
        sched.step()
    opt2 = optim.SGD([Tensor(np.ones(2), requires_grad=True)], lr=0.1, momentum=0.9)
    sched2 = lr_scheduler.OneCycleLR(opt2, max_lr=1.0, total_steps=50)
    sched2.load_state_dict(sched.state_dict())
    assert (opt2.lr, opt2.momentum) == (opt.lr, opt.momentum)


def test_a_scheduler_on_a_foreign_optimizer_is_refused_clearly(torch):
    foreign = torch.optim.SGD([torch.ones(2, requires_grad=True)], lr=0.1)
    with pytest.raises(TypeError, match=r"StepLR: `optimizer` must be a tinygrad_np.optim optimizer .* got SGD"):
        lr_scheduler.StepLR(foreign, step_size=2)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda o: lr_scheduler.StepLR(o, 0), ValueError, r"StepLR: `step_size` must be >= 1"),
        (lambda o: lr_scheduler.ExponentialLR(o, -1), ValueError, r"ExponentialLR: `gamma` must be > 0"),
        (lambda o: lr_scheduler.MultiStepLR(o, 3), TypeError, r"MultiStepLR: `milestones` must be a non-empty list"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1), ValueError, r"OneCycleLR: give `total_steps`"),
        (lambda o: lr_scheduler.OneCycleLR(o, 0.1, 10), ValueError, r"cycle_momentum=True needs an optimizer with "
                                                                    r"momentum"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, r"`factor` must be < 1"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="lowest"), ValueError, r"ReduceLROnPlateau: `mode`"),
    ],
)  # fmt: skip
def test_bad_scheduler_arguments_get_clear_errors(make, error, message):
    with pytest.raises(error, match=message):
        make(optim.SGD([Tensor(np.ones(2), requires_grad=True)], lr=0.1))


def test_one_cycle_stepped_past_its_total_says_what_to_give():
    opt = optim.SGD([Tensor(np.ones(2), requires_grad=True)], lr=0.1)
    sched = lr_scheduler.OneCycleLR(opt, 0.1, total_steps=3, cycle_momentum=False)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match=r"OneCycleLR: stepped 4 times, but `total_steps` is 3"):
        sched.step()


def _data():
    g = np.random.default_rng(0)
    X = g.standard_normal((96, 6, 6, 1)).astype(np.float32)
    return X, (X[:, :3].sum(axis=(1, 2, 3)) > 0).astype(int) + (X[:, 3:].sum(axis=(1, 2, 3)) > 0)


def _model():
    nn.manual_seed(0)
    return nn.Sequential(nn.Conv2D(4, 3, 1, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Pooling(), nn.Flatten(),
                         nn.Dense(16, 36), nn.Dropout(0.3), nn.Dense(3, 16, "none"))  # fmt: skip


@pytest.mark.parametrize("schedule", ["onecycle", "step", "plateau"])
def test_fit_steps_the_scheduler_and_a_resumed_run_equals_an_uninterrupted_one(tmp_path, schedule):
    X, y = _data()

    def run(epochs, **kwargs):
        model = _model()
        opt = optim.SGD(model.named_parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
        sched = {
            "onecycle": lambda: lr_scheduler.OneCycleLR(opt, 0.2, epochs=4, steps_per_epoch=6),
            "step": lambda: lr_scheduler.StepLR(opt, 1, gamma=0.5),
            "plateau": lambda: lr_scheduler.ReduceLROnPlateau(opt, patience=0, threshold=0.5),
        }[schedule]()
        history = model.fit(X, y, epochs, batch_size=16, scheduler=sched, seed=0, verbose=0,
                            validation_data=(X[:32], y[:32]), **kwargs)  # fmt: skip
        return model, opt, history

    whole, whole_opt, whole_history = run(4)
    if schedule == "onecycle":
        probe = optim.SGD([Tensor(np.ones(1), requires_grad=True)], lr=0.1, momentum=0.9)
        expected = lr_scheduler.OneCycleLR(probe, 0.2, epochs=4, steps_per_epoch=6).lr_at(24)
        assert whole_opt.lr == pytest.approx(expected) != pytest.approx(0.2 / 25)  # once per batch: 4 epochs * 6
    elif schedule == "step":
        assert whole_opt.lr == pytest.approx(0.1 * 0.5**4)  # stepped once per epoch
    else:
        assert whole_opt.lr < 0.1
    path = tmp_path / "run.npz"
    run(2, checkpoint=path)
    resumed, resumed_opt, history = run(4, checkpoint=path, resume=True)
    assert history.loss == pytest.approx(whole_history.loss, rel=1e-6)
    assert resumed_opt.lr == pytest.approx(whole_opt.lr, rel=1e-9)
    for name, value in resumed.state_dict().items():  # parameters and BatchNorm buffers
        np.testing.assert_allclose(value, whole.state_dict()[name], rtol=1e-6, atol=1e-7, err_msg=name)


def test_fit_refuses_a_scheduler_of_another_optimizer_and_a_resume_without_the_schedule(tmp_path):
    X, y = _data()
    model = _model()
    other = optim.SGD(model.named_parameters(), lr=0.1)
    sched = lr_scheduler.StepLR(optim.SGD(model.named_parameters(), lr=0.1), 2)
    with pytest.raises(ValueError, match=r"fit: `scheduler` \(StepLR\) drives another optimizer than the one fit "
                                         r"trains with"):  # fmt: skip
        model.fit(X, y, 1, optimizer=other, scheduler=sched, verbose=0)
    with pytest.raises(TypeError, match=r"fit: `scheduler` must be a tinygrad_np.optim.lr_scheduler scheduler"):
        model.fit(X, y, 1, 0.1, scheduler="cosine", verbose=0)
    path = tmp_path / "ck.npz"
    model.fit(X, y, 1, optimizer=other, scheduler=lr_scheduler.StepLR(other, 2), checkpoint=path, verbose=0)
    with pytest.raises(CheckpointError, match=r"differs from the one it holds in .*scheduler \(checkpoint 'StepLR"):
        _model().fit(X, y, 2, 0.1, checkpoint=path, resume=True, verbose=0)
