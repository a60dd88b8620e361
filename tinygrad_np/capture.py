"""Capture and replay of a model's forward pass, what `fit` runs its training steps through.

In eager mode every op call builds a Tensor, an op context and, on the way in, checks its
arguments; layers add their own Python around it. With per-sample SGD that bookkeeping is a third
of a step. A model whose forward is a fixed sequence of ops for a given input shape (every layer
built in and `replayable`: no randomness, no state changed outside the ops) can instead be run
once eagerly while its op calls are written down (the tape), then replayed on new batches of the
same shape and dtype: each op's own `forward` on arrays, in the recorded order, with the recorded
parameters. The whole replayed model is one op, `Replay`, whose backward runs the recorded ops'
backwards in reverse, summing gradients exactly as the engine does, so a replayed training step
gives bitwise the same numbers as an eager one (tested over a whole epoch).

Guards: a batch of another shape or dtype is recorded anew (each shape keeps its tape); a model
with any other layer (dropout, batch norm, your own modules), or a step under the profiler,
anomaly mode or no_grad, runs eagerly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .autograd.engine import Op, _as_saved_array, _grad_mode, sum_to_shape
from .tensor import Tensor

Tape = tuple[list, list[Tensor], int]  # (entries, leaves, output slot)


def capturable(model: Any) -> bool:
    """Whether `model`'s forward can be captured: every module in it is `replayable`."""
    return all(getattr(module, "replayable", False) for module in model.modules())


class Replay(Op):
    """A captured forward pass as one op: inputs (x, *leaves), output the model's.

    `entries` are the recorded calls (op class, input slots, params, needs_input_grad, output
    slot); slot 0 is x, slots 1..len(leaves) the leaves (the parameters, read at each call: the
    optimizers update them in place), the rest the ops' outputs in order."""

    name = "replay"

    def forward(self, x, *leaves, entries=(), output=0):
        values: list[Any] = [x, *leaves]
        values.extend([None] * len(entries))
        self.contexts, self.entries, self.values = [], entries, values
        for cls, slots, params, needs, out_slot in entries:
            ctx = cls()
            ctx.needs_input_grad = needs
            data = ctx.forward(*[values[s] for s in slots], **params)
            values[out_slot] = data if type(data) is np.ndarray else _as_saved_array(ctx, data)
            self.contexts.append(ctx)
        return values[output]

    def backward(self, grad):
        """The recorded ops' backwards, latest first, summing each input's gradients in the order
        the engine does (and, as it does, back to the input's shape and dtype)."""
        values, grads = self.values, {self.params["output"]: grad}
        for ctx, (_, slots, _, needs, out_slot) in zip(reversed(self.contexts), reversed(self.entries)):
            g = grads.pop(out_slot, None)
            if g is None or True not in needs:
                continue
            input_grads = ctx.backward(g)
            if not isinstance(input_grads, tuple):
                input_grads = (input_grads,)
            for slot, needed, gi in zip(slots, needs, input_grads):
                if gi is None or not needed:
                    continue
                target = values[slot]
                if gi.shape != target.shape:
                    gi = sum_to_shape(gi, target.shape)
                if gi.dtype != target.dtype:
                    gi = gi.astype(target.dtype)
                grads[slot] = grads[slot] + gi if slot in grads else gi
        return tuple(grads.get(slot) for slot in range(len(self.needs_input_grad)))

    def vjp(self, grad, out):
        raise NotImplementedError("a replayed forward pass has no differentiable backward: capture runs in fit only")


class Capture:
    """`Capture(model)(x)`: the model's output for the Tensor `x`, eager the first time a shape and
    dtype is seen (recording the tape), replayed after that. Use it for a model that `capturable`
    accepts, and whose parameters and modes do not change between calls except in place."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.tapes: dict[tuple, Tape | None] = {}  # by (shape, dtype); None: this shape runs eagerly

    def __call__(self, x: Tensor) -> Tensor:
        mode = _grad_mode
        if not mode.enabled or mode.profile is not None or mode.anomaly is not None or x.requires_grad:
            return self.model(x)
        key = (x.shape, x.dtype)
        if key not in self.tapes:
            return self.record(x, key)
        tape = self.tapes[key]
        if tape is None:
            return self.model(x)
        entries, leaves, output = tape
        return Replay.apply(x, *leaves, entries=entries, output=output)

    def record(self, x: Tensor, key: tuple) -> Tensor:
        """Run the model eagerly, writing down its op calls; keep them as this shape's tape when
        the output comes from them."""
        calls: list = []
        _grad_mode.tape = calls
        try:
            out = self.model(x)
        finally:
            _grad_mode.tape = None
        self.tapes[key] = _tape(calls, x, out)
        return out


def _tape(calls: list, x: Tensor, out: Any) -> Tape | None:
    """The recorded calls as slots: x is slot 0, every other tensor an op did not make is a leaf.

    None (run eagerly) unless the output came from the calls, every leaf is a parameter (a tensor
    that requires grad, read anew at each replay) and no call took an array argument: a constant
    tensor or array made during the forward could depend on the batch, and a replay would reuse it."""
    if not isinstance(out, Tensor) or out is x or not calls:
        return None
    slot_of: dict[int, int] = {id(x): 0}
    leaves: list[Tensor] = []
    for _, inputs, params, _, made in calls:
        if any(isinstance(value, np.ndarray) for value in params.values()):
            return None
        for t in inputs:
            if id(t) not in slot_of:
                if not t.requires_grad:
                    return None
                leaves.append(t)
                slot_of[id(t)] = len(leaves)
        slot_of[id(made)] = -1  # numbered below, once every leaf has its slot
    first = len(leaves) + 1
    entries = []
    for index, (cls, inputs, params, needs, made) in enumerate(calls):
        slot_of[id(made)] = first + index
        entries.append((cls, tuple(slot_of[id(t)] for t in inputs), params, needs, first + index))
    if slot_of.get(id(out), -1) < first:
        return None
    return entries, leaves, slot_of[id(out)]
