"""Samples for the normalization ops (channels-last: PyTorch gets channels-first views)."""

from __future__ import annotations

from tinygrad_np import functional as F

from . import common
from .common import Sample, _tf, _torch, normal, positive


def batch_norm(desc: str, shape: tuple[int, ...], affine: bool = True, eps: float = 1e-5, running: bool = False):
    """batch_norm in training (batch statistics) or, with `running`, in evaluation (constant statistics)."""
    c = shape[-1]
    mean, var = (normal(c), positive(c)) if running else (None, None)

    def ref(x, *wb):
        stats = [None if a is None else _torch().as_tensor(a).to(x.dtype) for a in (mean, var)]
        return _tf().batch_norm(x.movedim(-1, 1), *stats, *wb, training=not running, eps=eps).movedim(1, -1)

    kwargs = {"training": not running, "eps": eps}
    args = (normal(*shape), positive(c), normal(c)) if affine else (normal(*shape),)
    return Sample(desc, args, kwargs, ref, call=lambda x, *wb: F.batch_norm(x, mean, var, *wb, **kwargs))


def layer_norm(desc: str, shape: tuple[int, ...], normalized: tuple[int, ...], affine: bool = True) -> Sample:
    args = (normal(*shape), positive(*normalized), normal(*normalized)) if affine else (normal(*shape),)
    return Sample(
        desc,
        args,
        {"normalized_shape": normalized},
        lambda x, *wb: _tf().layer_norm(x, normalized, *wb),
        call=lambda x, *wb: F.layer_norm(x, normalized, *wb),
    )


def dropout(desc: str, shape: tuple[int, ...], p: float) -> Sample:
    keep = common.rng.random(shape) >= p
    return Sample(
        desc,
        (normal(*shape),),
        {"p": p, "mask": keep},
        lambda x: x * _torch().as_tensor(keep).to(x.dtype) / (1 - p),
    )


BUILDERS = {
    "batch_norm": lambda: [
        batch_norm("(N, C) affine", (6, 3)),
        batch_norm("(N, H, W, C) affine", (3, 4, 4, 2)),
        batch_norm("(N, H, W, C) no affine, eps 1e-3", (2, 3, 3, 3), affine=False, eps=1e-3),
        batch_norm("(N, H, W, C) running statistics", (2, 3, 3, 2), running=True),
        batch_norm("(N, C) running statistics, no affine", (5, 4), affine=False, running=True),
    ],
    "layer_norm": lambda: [
        layer_norm("last axis", (4, 5), (5,)),
        layer_norm("last two axes, no affine", (2, 3, 4), (3, 4), affine=False),
        layer_norm("(N, H, W, C) over (H, W, C)", (2, 3, 3, 2), (3, 3, 2)),
    ],
    "dropout": lambda: [
        dropout("p 0.5", (4, 6), 0.5),
        dropout("p 0.2 images", (2, 3, 3, 2), 0.2),
    ],
}
