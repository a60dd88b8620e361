"""Op families. Importing this package registers every built-in op in `REGISTRY`."""

from . import conv, elementwise, linalg, loss, norm, pool, reduce, shape  # noqa: F401
from .registry import FUNCTIONS, REGISTRY, call, register, tensor_method, unregister

__all__ = ["FUNCTIONS", "REGISTRY", "call", "register", "tensor_method", "unregister"]
