"""Define a new differentiable op, call it on Tensors, and gradient-check it: the whole recipe.

An op is an `Op` subclass (forward and backward on NumPy arrays) and, right under it, its public
function, registered with `@tg.register(OpClass)`: the function becomes `tg.functional.mish`,
the Tensor method `x.mish()` and `tg.ops.call("mish", x)`.
"""

import numpy as np

import tinygrad_np as tg


class Mish(tg.Op):
    def forward(self, x):
        self.x = x
        self.tanh_sp = np.tanh(np.logaddexp(0, x))  # tanh(softplus(x)), stable
        return x * self.tanh_sp

    def backward(self, grad):
        sigmoid = 1 / (1 + np.exp(-self.x))
        return grad * (self.tanh_sp + self.x * sigmoid * (1 - self.tanh_sp**2))


@tg.register(Mish)
def mish(x):
    """x * tanh(softplus(x)), elementwise."""
    return Mish.apply(tg.as_tensor(x))


x = tg.Tensor(np.linspace(-3, 3, 5), requires_grad=True)
y = x.mish().sum()
y.backward()
print("mish(x)   =", x.mish().numpy().round(4))
print("dy/dx     =", x.grad.round(4))
print("gradcheck =", tg.gradcheck(lambda t: t.mish(), np.random.default_rng(0).standard_normal((3, 4))))
