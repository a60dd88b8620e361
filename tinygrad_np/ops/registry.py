"""The op registry: every differentiable operation, by name, with its public function.

An op is one definition in one place, in its family module: an `Op` subclass (forward and
backward on NumPy arrays) and, right under it, its public function (signature, argument checks,
docstring), which `register` files under the function's name:

    class Cube(Op):
        def forward(self, x):
            self.x = x
            return x ** 3

        def backward(self, grad):
            return 3 * self.x ** 2 * grad

    @register(Cube)
    def cube(x):
        \"\"\"x ** 3, elementwise.\"\"\"
        return Cube.apply(as_tensor(x))

After that `cube(t)`, `t.cube()`, `tinygrad_np.functional.cube(t)` and `call("cube", t)` all run
the same checked function. Functions built from other ops (no `Op` of their own, e.g. `stack`)
become Tensor methods through `tensor_method`, the one mechanism that attaches methods.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..autograd import Op
from ..tensor import Tensor

REGISTRY: dict[str, type[Op]] = {}  # op name -> Op class
FUNCTIONS: dict[str, Callable[..., Any]] = {}  # public functions that are Tensor methods, by name

Fn = TypeVar("Fn", bound=Callable[..., Any])


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"register: an op's name must be a Python identifier, got {name!r}")
    return name


def tensor_method(fn: Fn, *, name: str | None = None, replace: bool = False) -> Fn:
    """Make `fn` (whose first argument is a tensor) the Tensor method of its name, or of `name` (an
    alias, e.g. PyTorch's `clamp` for `clip`); also reachable as `tinygrad_np.functional.<name>`."""
    name = _check_name(fn.__name__ if name is None else name)
    if name in FUNCTIONS and not replace:
        raise ValueError(f"register: a function named {name!r} exists already; pass replace=True to override it")
    if name not in FUNCTIONS and (hasattr(Tensor, name) or name.startswith("_")):
        raise ValueError(f"register: {name!r} would replace Tensor's own `{name}`; give the function another name")
    FUNCTIONS[name] = fn
    setattr(Tensor, name, fn)
    return fn


def register(op: type[Op], *, replace: bool = False) -> Callable[[Fn], Fn]:
    """Decorator for an op's public function: files `op` in `REGISTRY` under the function's name,
    and makes the function a Tensor method (`x.name(...)`)."""
    if not (isinstance(op, type) and issubclass(op, Op)):
        raise TypeError(f"register: expected a subclass of Op, got {op!r}")
    for method in ("forward", "backward") if op.differentiable else ("forward",):
        if getattr(op, method) is getattr(Op, method):
            raise TypeError(
                f"register: {op.__name__} does not define {method}(); an op needs forward(self, *arrays, **params) "
                "returning its output and backward(self, grad) returning one gradient per input (None for none)"
            )

    def decorate(fn: Fn) -> Fn:
        if not callable(fn):
            raise TypeError(f"register({op.__name__}): decorate the op's public function, got {fn!r}")
        name = _check_name(fn.__name__)
        if name in REGISTRY and not replace:
            raise ValueError(f"register: an op named {name!r} exists already; pass replace=True to override it")
        tensor_method(fn, replace=replace)
        op.name = name
        REGISTRY[name] = op
        return fn

    return decorate


def unregister(name: str) -> None:
    """Remove the op (or function) `name`, and its Tensor method."""
    if name not in FUNCTIONS:
        raise KeyError(f"unregister: no op named {name!r}")
    REGISTRY.pop(name, None)
    del FUNCTIONS[name]
    delattr(Tensor, name)


def call(name: str, *args: Any, **params: Any) -> Any:
    """Run the public (checked) function of op `name`: the same as `tinygrad_np.functional.<name>(...)`."""
    fn = FUNCTIONS.get(name)
    if fn is None:
        raise KeyError(f"no op named {name!r}; registered: {', '.join(sorted(FUNCTIONS))}")
    return fn(*args, **params)
