"""The op registry: every differentiable operation, by name.

    @register("cube")
    class Cube(Op):
        def forward(self, x):
            self.x = x
            return x ** 3

        def backward(self, grad):
            return 3 * self.x ** 2 * grad

After that, `call("cube", t)`, `t.cube()` and `tinygrad_np.functional.cube(t)` all work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import Op
from ..tensor import Tensor

REGISTRY: dict[str, type[Op]] = {}


def register(name: str, *, replace: bool = False) -> Callable[[type[Op]], type[Op]]:
    """Class decorator that registers an `Op` subclass under `name`."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"register: name must be a Python identifier, got {name!r}")

    def decorate(cls: type[Op]) -> type[Op]:
        if not (isinstance(cls, type) and issubclass(cls, Op)):
            raise TypeError(f"register({name!r}): expected a subclass of Op, got {cls!r}")
        missing = [method for method in ("forward", "backward") if getattr(cls, method) is getattr(Op, method)]
        if missing:
            raise TypeError(
                f"register({name!r}): {cls.__name__} does not define {' or '.join(missing)}: an op needs "
                "forward(self, *arrays, **params) returning the output array and backward(self, grad) "
                "returning one gradient per input (None where there is none)"
            )
        if name in REGISTRY and not replace:
            raise ValueError(f"register: an op named {name!r} exists already; pass replace=True to override it")
        cls.name = name
        REGISTRY[name] = cls
        return cls

    return decorate


def unregister(name: str) -> None:
    """Remove the op `name` from the registry."""
    if name not in REGISTRY:
        raise KeyError(f"unregister: no op named {name!r}")
    del REGISTRY[name]


def call(name: str, *inputs: Any, **params: Any) -> Tensor:
    """Run the registered op `name` on `inputs` (Tensors; arrays are wrapped) with `params`."""
    op = REGISTRY.get(name)
    if op is None:
        raise KeyError(f"no op named {name!r}; registered: {', '.join(sorted(REGISTRY))}")
    return op.apply(*[x if isinstance(x, Tensor) else Tensor(x) for x in inputs], **params)
