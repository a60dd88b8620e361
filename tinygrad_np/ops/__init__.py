"""Op families. Importing this package registers every built-in op in `REGISTRY`."""

from . import conv, elementwise, linalg, loss, pool, reduce, shape  # noqa: F401
from .registry import REGISTRY, call, register, unregister

__all__ = ["REGISTRY", "call", "register", "unregister"]
