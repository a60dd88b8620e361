"""Capture and replay of a training step's op calls, what `fit` runs its steps through.

In eager mode every op call builds a Tensor, an op context and, on the way in, checks its
arguments; layers add their own Python around it. With per-sample SGD that bookkeeping is a third
of a step. A function of tensors whose op calls are fixed for given input shapes (a model built from
`replayable` layers, then its loss: no randomness, no state changed outside the ops) can instead be
run once eagerly while its op calls are written down (the tape), then replayed on new inputs of
the same shapes and dtypes: each op's own `forward` on arrays, in the recorded order, with the
recorded parameters. The whole replayed function is one op, `Replay`, whose backward runs the
recorded ops' backwards in reverse, summing gradients exactly as the engine does, so a replayed
training step gives bitwise the same numbers as an eager one (tested over whole epochs).

Guards: inputs of other shapes or dtypes are recorded anew (each keeps its tape); a tape whose ops
take array arguments or tensors made during the call (they could depend on the data) is not
replayed; a model with any other layer (dropout, batch norm, your own modules) is not captured by
`fit`; a call under the profiler, anomaly mode, no_grad or another capture's recording runs eagerly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .autograd.engine import Op, _as_saved_array, _grad_mode, sum_to_shape
from .tensor import Tensor

Tape = tuple[list, list[Tensor], tuple[int, ...], bool]  # (entries, leaves, output slots, one output)


def capturable(model: Any) -> bool:
    """Whether `model`'s forward can be captured: every module in it is `replayable`."""
    return all(getattr(module, "replayable", False) for module in model.modules())


class Replay(Op):
    """A captured call as one op: inputs (*inputs, *leaves), output the call's (first) output.

    `entries` are the recorded calls (op class, input slots, params, needs_input_grad, output
    slot); the first slots are the inputs, then the leaves (the parameters, read at each call: the
    optimizers update them in place), then the ops' outputs in order, kept in `values`."""

    name = "replay"

    def forward(self, *arrays, entries=(), output=0):
        values: list[Any] = [*arrays, *[None] * len(entries)]
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
    """`Capture(fn)(*inputs)`: `fn`'s result for these Tensors (a Tensor, or a tuple of them), eager the
    first time their shapes and dtypes are seen (recording the tape), replayed after that. A replayed
    call returns the first output as the differentiable `Replay` op, and any others as constants (their
    values). Use it for a function whose parameters and modes do not change between calls except in
    place, such as a model that `capturable` accepts, followed by its loss."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.tapes: dict[tuple, Tape | None] = {}  # by the inputs' (shape, dtype); None: eager for those

    def __call__(self, *inputs: Tensor) -> Any:
        mode = _grad_mode
        if not mode.enabled or mode.profile is not None or mode.anomaly is not None or mode.tape is not None:
            return self.fn(*inputs)  # (under another capture's recording: eager, so that it sees the ops)
        if any(t.requires_grad for t in inputs):
            return self.fn(*inputs)
        key = tuple((t.shape, t.dtype) for t in inputs)
        if key not in self.tapes:
            return self.record(inputs, key)
        tape = self.tapes[key]
        if tape is None:
            return self.fn(*inputs)
        entries, leaves, outputs, single = tape
        first = Replay.apply(*inputs, *leaves, entries=entries, output=outputs[0])
        if single:
            return first
        values = first._ctx.values
        return (first, *[Tensor(values[slot]) for slot in outputs[1:]])

    def record(self, inputs: tuple[Tensor, ...], key: tuple) -> Any:
        """Run `fn` eagerly, writing down its op calls; keep them as these shapes' tape when they
        can be replayed (see `_tape`)."""
        calls: list = []
        _grad_mode.tape = calls
        try:
            result = self.fn(*inputs)
        finally:
            _grad_mode.tape = None
        self.tapes[key] = _tape(calls, inputs, result)
        return result


def _tape(calls: list, inputs: tuple[Tensor, ...], result: Any) -> Tape | None:
    """The recorded calls as slots: the inputs first, then every other tensor an op did not make
    (a leaf), then the ops' outputs.

    None (run eagerly) unless every output came from the calls, there is a leaf and every leaf is a
    parameter (a tensor that requires grad, read anew at each replay), and no call took an array
    argument: a constant tensor or array made during the call could depend on the data, and a
    replay would reuse it."""
    outputs = result if isinstance(result, tuple) else (result,)
    if not calls or not all(isinstance(out, Tensor) for out in outputs):
        return None
    slot_of = {id(t): i for i, t in enumerate(inputs)}
    leaves: list[Tensor] = []
    for _, args, params, _, made in calls:
        if any(isinstance(value, np.ndarray) for value in params.values()):
            return None
        for t in args:
            if id(t) not in slot_of:
                if not t.requires_grad:
                    return None
                slot_of[id(t)] = len(inputs) + len(leaves)
                leaves.append(t)
        slot_of[id(made)] = -1  # numbered below, once every leaf has its slot
    first = len(inputs) + len(leaves)
    entries = []
    for index, (cls, args, params, needs, made) in enumerate(calls):
        slot_of[id(made)] = first + index
        entries.append((cls, tuple(slot_of[id(t)] for t in args), params, needs, first + index))
    slots = tuple(slot_of.get(id(out), -1) for out in outputs)
    if not leaves or min(slots) < first:
        return None
    return entries, leaves, slots, not isinstance(result, tuple)
