"""`Module`: the base of layers and models. Subclasses define `forward`; parameters, buffers and
sub-modules are found by walking attributes (Tensors that require grad, registered buffers, Modules,
and lists, tuples and dicts of them at any depth); `state_dict` / `load_state_dict` and `save` / `load`
move them; `train()` / `eval()` set the mode; `fit`, `evaluate`, `predict`, `predict_proba` and
`summary` work on every model that returns class scores."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import checkpoint, training
from ..autograd import no_grad, scope
from ..checks import describe
from ..tensor import Tensor


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` did not match: names the model has that the state lacked,
    and names the state had that the model lacks."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class _Calls(threading.local):
    """The sub-module calls `summary` records: (label, output shape, parameters), one level deep."""

    rows: list[tuple[str, str, str]] | None = None
    depth = 0


_calls = _Calls()


def _expand(name: str, value: Any, is_buffer: bool, owner: str = "") -> Iterator[tuple[str, Any, bool]]:
    """(dotted name, Tensor or Module, is_buffer) for what an attribute holds: lists, tuples and dicts
    are walked at any depth; layers or parameters in any other container are refused (they would be
    silently neither trained nor saved)."""
    if isinstance(value, Tensor):
        if value.requires_grad or is_buffer:
            yield name, value, is_buffer
    elif isinstance(value, Module):
        yield name, value, False
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _expand(f"{name}.{index}", item, False, owner)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _expand(f"{name}.{key}", item, False, owner)
    elif (
        isinstance(value, Collection)
        and not isinstance(value, (str, bytes, np.ndarray))
        and any(isinstance(item, (Module, Tensor)) for item in value)
    ):
        raise TypeError(
            f"{owner}: attribute `{name}` holds layers or tensors in a {type(value).__name__}, which the model "
            "cannot walk (no order, no names): they would be neither trained nor saved. Hold them in a list, tuple or "
            "dict, or in ModuleList / ModuleDict"
        )


def recording() -> bool:
    """True while `summary` records layer calls (models then run their layers one by one)."""
    return _calls.rows is not None


class Module:
    """Base class: define `forward`; call the module to run it (inside a scope named after it).

    `training` (True by default) is the mode: `train()` and `eval()` set it on every sub-module;
    layers such as BatchNorm and Dropout behave differently in each.

    `replayable` (False by default) says that `forward`, for inputs of one shape and dtype, always
    makes the same op calls with the same arguments and changes nothing outside them (no random
    draws, no counters): then `fit` records the model's op calls once and replays them (see
    `tinygrad_np.capture`). The built-in layers without randomness or state set it.
    """

    training = True
    replayable = False

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output. Subclasses override this (and only this)."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _calls.rows is not None:
            return self._recorded_call(args, kwargs)
        return self._run(args, kwargs)

    def _run(self, args: tuple, kwargs: dict) -> Any:
        with scope(self.label()):
            out = self.forward(*args, **kwargs)
        if isinstance(out, Module):
            raise TypeError(
                f"{self.label()}.forward returned the layer {out.label()} itself, not a Tensor: call it on "
                "the input (e.g. `return self.layer(x)`, not `return self.layer`)"
            )
        return out

    def _recorded_call(self, args: tuple, kwargs: dict) -> Any:
        """A call during `summary`: the model's direct sub-modules add a row each; the first to fail
        names itself and the input it got."""
        _calls.depth += 1
        try:
            out = self._run(args, kwargs)
        except (ValueError, TypeError) as err:
            if _calls.depth != 2:
                raise
            shape = getattr(args[0], "shape", None) if args else None
            rows = [*_calls.rows, (self.label(), "error", f"{self.num_parameters():,}")]
            raise type(err)(
                f"summary: layer {len(_calls.rows) - 1}, {self.label()}, cannot take its input of shape "
                f"{(None, *shape[1:]) if shape else shape}:\n{_table(rows)}\n{err}"
            ) from None
        finally:
            _calls.depth -= 1
        if _calls.depth == 1 and isinstance(out, Tensor):
            _calls.rows.append((self.label(), str((None, *out.shape[1:])), f"{self.num_parameters():,}"))
        return out

    def label(self) -> str:
        """A short name for graph drawings and summaries, e.g. `Dense(128, relu)`."""
        return type(self).__name__

    def train(self, mode: bool = True) -> Module:
        """Set training mode (`mode=True`) or evaluation mode on this module and every sub-module."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: `mode` must be True or False, got {describe(mode)}")
        for _, module in self.named_modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode for this module and every sub-module (`train(False)`)."""
        return self.train(False)

    def modes(self) -> list[tuple[Module, bool]]:
        """(module, training) for this module and every sub-module: what `restore_modes` puts back."""
        return [(module, module.training) for _, module in self.named_modules()]

    def register_buffer(self, name: str, value: Any) -> None:
        """Keep `value` (an array) as the attribute `name`: a Tensor that is saved and loaded with the
        parameters (in `state_dict`) but not trained, like BatchNorm's running statistics."""
        self.__dict__.setdefault("_buffer_names", set()).add(name)
        setattr(self, name, Tensor(value.data if isinstance(value, Tensor) else value))

    def _members(self) -> Iterator[tuple[str, Any, bool]]:
        """(name, Tensor or Module, is_buffer) for what this module holds itself, in attribute order."""
        buffers = self.__dict__.get("_buffer_names", ())
        for attr, value in vars(self).items():
            yield from _expand(attr, value, attr in buffers, type(self).__name__)

    def _walk(self, prefix: str, seen: set[int]) -> Iterator[tuple[str, Any, bool]]:
        """Every sub-module, parameter and buffer, depth first in attribute order, each once: the one
        walk behind `named_modules`, `named_parameters`, `named_buffers` and `state_dict`."""
        for name, item, is_buffer in self._members():
            if id(item) not in seen:
                seen.add(id(item))
                yield prefix + name, item, is_buffer
                if isinstance(item, Module):
                    yield from item._walk(f"{prefix}{name}.", seen)

    def _named_tensors(self, prefix: str = "") -> Iterator[tuple[str, Tensor, bool]]:
        """(dotted name, tensor, is_buffer) for every parameter and buffer."""
        return ((n, t, b) for n, t, b in self._walk(prefix, {id(self)}) if isinstance(t, Tensor))

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module (named `prefix`, "" by default) and every sub-module,
        each once, in attribute order."""
        yield prefix.rstrip("."), self
        yield from ((n, m) for n, m, _ in self._walk(prefix, {id(self)}) if isinstance(m, Module))

    def modules(self) -> list[Module]:
        """This module and every sub-module (see `named_modules`)."""
        return [m for _, m in self.named_modules()]

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(dotted name, tensor) for every parameter (a Tensor that requires grad), in attribute order."""
        return ((name, t) for name, t, is_buffer in self._named_tensors(prefix) if not is_buffer)

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(dotted name, tensor) for every buffer (see `register_buffer`), in attribute order."""
        return ((name, t) for name, t, is_buffer in self._named_tensors(prefix) if is_buffer)

    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Every parameter and buffer by dotted name, as NumPy arrays, in attribute order.

        Copies (unlike PyTorch's references): a state taken before training stays as it was.
        """
        return OrderedDict((name, t.data.copy()) for name, t, _ in self._named_tensors())

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Set parameters and buffers from `state` (name -> array), with PyTorch's semantics.

        Every shape must match; with `strict` (the default) the names must match exactly too.
        Otherwise one error names every missing, unexpected and mis-shaped key, and nothing changes.
        With `strict=False` the keys present are loaded; returns (missing_keys, unexpected_keys).
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: `state` must be a mapping name -> array, got {type(state).__name__}")
        return self._assign(state, strict, "load_state_dict", "the state")

    def _assign(self, state: Mapping[str, Any], strict: bool, fn: str, source: str) -> IncompatibleKeys:
        tensors = {name: (t, is_buffer) for name, t, is_buffer in self._named_tensors()}
        arrays = {}
        for name, value in state.items():
            try:
                arrays[name] = np.asarray(value.data if isinstance(value, Tensor) else value)
            except (TypeError, ValueError) as err:
                raise TypeError(f"{fn}: {source}: {name!r} is not an array: {err}") from None
        buffers = {name for name, (_, is_buffer) in tensors.items() if is_buffer}
        shapes = {name: t.shape for name, (t, _) in tensors.items()}
        missing, unexpected = checkpoint.check_state(fn, source, arrays, shapes, strict, buffers)
        for name, (t, _) in tensors.items():
            if name in arrays:
                t.data = arrays[name].astype(t.dtype)  # a copy: the model never shares memory with the caller
                t.zero_grad()
        return IncompatibleKeys(missing, unexpected)

    def parameters(self) -> list[Tensor]:
        """Every parameter tensor (see `named_parameters`)."""
        return [t for _, t in self.named_parameters()]

    def num_parameters(self) -> int:
        """The number of trainable scalars."""
        return sum(t.size for t in self.parameters())

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (and its Tensor, after `backward(create_graph=True)`)."""
        for t in self.parameters():
            t.zero_grad()

    def architecture(self) -> str:
        """A one-line description of the model, e.g. for saved files' metadata."""
        return self.label()

    def save(self, path: str | os.PathLike, metadata: dict | None = None) -> str:
        """Write `state_dict()` and optional JSON-able `metadata` (e.g. the `architecture()`, the data
        split, the epoch) atomically, without pickle: `.safetensors` when `path` ends so (metadata in its
        header), else `.npz`. Returns the path written; `checkpoint.read_metadata(path)` reads the
        metadata back."""
        return checkpoint.save_arrays(path, self.state_dict(), metadata)

    def load(self, path: str | os.PathLike, strict: bool = True) -> Module:
        """Load a file written by `save` (or a training checkpoint), `.safetensors` or `.npz`; as
        `load_state_dict`, every name and shape must match, else nothing changes."""
        self._assign(checkpoint.model_arrays(checkpoint.load_file(path)[0]), strict, "load", repr(os.fspath(path)))
        return self

    def set_parameters(self, arrays: Mapping[str, np.ndarray | Tensor], source: str | os.PathLike = "arrays") -> None:
        """Set every parameter and buffer from `arrays` (name -> NumPy array or Tensor, e.g. another
        model's `dict(named_parameters())`), after checking all names and shapes; `source` names where
        they came from in errors. The values are copied: the model never shares memory with the caller."""
        if not isinstance(arrays, Mapping):
            raise TypeError(f"set_parameters: `arrays` must be a dict of name -> array, got {describe(arrays)}")
        for name, value in arrays.items():
            if not isinstance(value, (np.ndarray, Tensor)):
                raise TypeError(
                    f"set_parameters: `arrays[{name!r}]` must be a NumPy array or a Tensor, got {describe(value)}"
                )
        self._assign(arrays, True, "load", repr(os.fspath(source)))

    def fit(self, X: Any, y: Any, epochs: int, lr: float | None = None, **options: Any) -> training.History:
        """Train the model (in training mode); see `tinygrad_np.training.fit` for the options."""
        return training.fit(self, X, y, epochs, lr, **options)

    def evaluate(self, X: Any, y: Any, loss: str = "cross_entropy", batch_size: int = 500) -> training.Evaluation:
        """(accuracy, mean loss) on (X, y), in evaluation mode (the mode found is restored)."""
        return training.evaluate(self, X, y, loss, batch_size)

    def predict_proba(self, X: Any, batch_size: int = 500) -> np.ndarray:
        """Class probabilities (N, K): the softmax of the scores, in evaluation mode."""
        scores = training.predict_scores(self, X, batch_size)
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: Any, batch_size: int = 500) -> np.ndarray:
        """Class ids (N,), in evaluation mode."""
        return training.predict_scores(self, X, batch_size).argmax(axis=1)

    def summary(self, input_shape: tuple[int, ...]) -> str:
        """A table of the layers the model calls (its direct sub-modules, in call order), their output
        shapes and parameter counts, for one input of `input_shape`, run in evaluation mode.

        A layer that cannot take its input raises the error of that layer (ValueError/TypeError)
        with the table up to it, then its name and the input shape it got.
        """
        _calls.rows, _calls.depth = [("Layer", "Output shape", "Params")], 0
        try:
            with no_grad(), training.mode(self, False):
                self(Tensor(np.zeros((1, *input_shape), np.float32)))
            rows = _calls.rows
        finally:
            _calls.rows = None
        return _table(rows, ("Total", "", f"{self.num_parameters():,}"))

    def __repr__(self) -> str:
        return self.label()


def _table(rows: list[tuple[str, str, str]], total: tuple[str, str, str] | None = None) -> str:
    """(layer, output shape, params) rows as aligned columns under a ruled header, then the total if given."""
    cells = rows if total is None else [*rows, total]
    widths = [max(len(r[i]) for r in cells) for i in range(3)]
    header, *body = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}" for a, b, c in cells]
    rule = "-" * len(header)
    if total is not None:
        body.insert(len(body) - 1, rule)
    return "\n".join([header, rule, *body])
