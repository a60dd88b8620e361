"""tinygrad_np: a small, fast, honest deep-learning framework in pure Python + NumPy."""

from . import autograd, functional, nn, optim, training, viz
from .anomaly import AnomalyError, detect_anomaly
from .autograd import Op, enable_grad, grad, is_grad_enabled, no_grad
from .autograd import functional as _autograd_functional  # noqa: F401 (makes tg.autograd.functional)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .nn import CNN, manual_seed
from .ops import FUNCTIONS, REGISTRY, register, tensor_method, unregister
from .ops.arguments import as_tensor
from .profiler import profile
from .tensor import Tensor

__all__ = [
    "AnomalyError",
    "CNN",
    "FUNCTIONS",
    "REGISTRY",
    "as_tensor",
    "autograd",
    "GradcheckError",
    "Op",
    "Tensor",
    "detect_anomaly",
    "enable_grad",
    "functional",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "is_grad_enabled",
    "manual_seed",
    "nn",
    "optim",
    "profile",
    "training",
    "viz",
    "no_grad",
    "register",
    "tensor_method",
    "unregister",
]
__version__ = "0.1.0"
