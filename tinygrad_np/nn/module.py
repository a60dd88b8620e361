"""`Module`: the base of layers and models. Subclasses define `forward`; parameters are found
by walking attributes (Tensors that require grad, Modules, and lists/tuples of them)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .. import checkpoint
from ..autograd import scope
from ..checks import describe
from ..tensor import Tensor


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

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(dotted name, tensor) for every parameter, in attribute order, each once."""
        seen: set[int] = set()
        for name, value in self._children(prefix):
            if id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def _children(self, prefix: str) -> Iterator[tuple[str, Tensor]]:
        for attr, value in vars(self).items():
            items = enumerate(value) if isinstance(value, (list, tuple)) else [(None, value)]
            for index, item in items:
                name = prefix + attr + ("" if index is None else f".{index}")
                if isinstance(item, Tensor) and item.requires_grad:
                    yield name, item
                elif isinstance(item, Module):
                    yield from item._children(name + ".")

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

    def save(self, path: str | os.PathLike, metadata: dict | None = None) -> str:
        """Write the parameters (and optional JSON-able `metadata`) to an `.npz` file atomically,
        without pickle; return the path written. `checkpoint.read_metadata(path)` reads it back."""
        arrays = {name: t.data for name, t in self.named_parameters()}
        if metadata is not None:
            arrays[checkpoint.META] = np.array(json.dumps(metadata))
        return checkpoint.save_arrays(path, arrays)

    def load(self, path: str | os.PathLike) -> Module:
        """Load parameters saved by `save` (or a training checkpoint); every name and shape must
        match, else nothing changes."""
        self.set_parameters(checkpoint.model_arrays(checkpoint.load_arrays(path)), source=path)
        return self

    def set_parameters(self, arrays: Mapping[str, np.ndarray | Tensor], source: str | os.PathLike = "arrays") -> None:
        """Set every parameter from `arrays` (name -> NumPy array or Tensor, e.g. another model's
        `dict(named_parameters())`), after checking all names and shapes; `source` names where they
        came from in errors."""
        if not isinstance(arrays, Mapping):
            raise TypeError(f"set_parameters: `arrays` must be a dict of name -> array, got {describe(arrays)}")
        for name, value in arrays.items():
            if not isinstance(value, (np.ndarray, Tensor)):
                raise TypeError(
                    f"set_parameters: `arrays[{name!r}]` must be a NumPy array or a Tensor, got {describe(value)}"
                )
        arrays = {name: value.data if isinstance(value, Tensor) else value for name, value in arrays.items()}
        params = dict(self.named_parameters())
        checkpoint.check_matches(source, arrays, {name: t.shape for name, t in params.items()})
        for name, t in params.items():
            t.data = arrays[name].astype(t.dtype)  # a copy: the model never shares memory with the caller
            t.grad = None

    def __repr__(self) -> str:
        return self.label()
