"""`Module`: the base of layers and models. Subclasses define `forward`; parameters and buffers
are found by walking attributes (Tensors that require grad, registered buffers, Modules, and
lists/tuples of them); `state_dict` / `load_state_dict` and `save` / `load` move them."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import checkpoint
from ..autograd import scope
from ..checks import describe
from ..tensor import Tensor


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` did not match: names the model has that the state lacked,
    and names the state had that the model lacks."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class: define `forward`; call the module to run it (inside a scope named after it)."""

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the module's output. Subclasses override this (and only this)."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with scope(self.label()):
            out = self.forward(*args, **kwargs)
        if isinstance(out, Module):
            raise TypeError(
                f"{self.label()}.forward returned the layer {out.label()} itself, not a Tensor: call it on "
                "the input (e.g. `return self.layer(x)`, not `return self.layer`)"
            )
        return out

    def label(self) -> str:
        """A short name for graph drawings and summaries, e.g. `Dense(128, relu)`."""
        return type(self).__name__

    def register_buffer(self, name: str, value: Any) -> None:
        """Keep `value` (an array) as the attribute `name`: a Tensor that is saved and loaded with the
        parameters (in `state_dict`) but not trained, like BatchNorm's running statistics."""
        self.__dict__.setdefault("_buffer_names", set()).add(name)
        setattr(self, name, Tensor(value.data if isinstance(value, Tensor) else value))

    def _named_tensors(self, prefix: str = "") -> Iterator[tuple[str, Tensor, bool]]:
        """(dotted name, tensor, is_buffer) for every parameter and buffer, in attribute order, each
        once: the one walk behind `named_parameters`, `named_buffers` and `state_dict`."""
        seen: set[int] = set()
        for name, value, is_buffer in self._children(prefix):
            if id(value) not in seen:
                seen.add(id(value))
                yield name, value, is_buffer

    def _children(self, prefix: str) -> Iterator[tuple[str, Tensor, bool]]:
        buffers = self.__dict__.get("_buffer_names", ())
        for attr, value in vars(self).items():
            items = enumerate(value) if isinstance(value, (list, tuple)) else [(None, value)]
            for index, item in items:
                name = prefix + attr + ("" if index is None else f".{index}")
                if isinstance(item, Tensor) and (item.requires_grad or attr in buffers):
                    yield name, item, attr in buffers
                elif isinstance(item, Module):
                    yield from item._children(name + ".")

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
                t.grad = None
        return IncompatibleKeys(missing, unexpected)

    def parameters(self) -> list[Tensor]:
        """Every parameter tensor (see `named_parameters`)."""
        return [t for _, t in self.named_parameters()]

    def num_parameters(self) -> int:
        """The number of trainable scalars."""
        return sum(t.size for t in self.parameters())

    def zero_grad(self) -> None:
        """Forget every parameter's gradient."""
        for t in self.parameters():
            t.grad = None

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

    def __repr__(self) -> str:
        return self.label()
