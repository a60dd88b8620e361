"""Define a new differentiable op, call it on Tensors, and gradient-check it, in a dozen lines."""

import numpy as np

import tinygrad_np as tg


@tg.register("softplus")
class Softplus(tg.Op):
    def forward(self, x):
        self.x = x
        return np.logaddexp(0, x)  # log(1 + e^x), stable

    def backward(self, grad):
        return grad / (1 + np.exp(-self.x))  # d/dx = sigmoid(x)


x = tg.Tensor(np.linspace(-3, 3, 5), requires_grad=True)
y = x.softplus().sum()  # also: tg.functional.softplus(x), tg.ops.call("softplus", x)
y.backward()
print("softplus(x) =", x.softplus().numpy().round(4))
print("dy/dx       =", x.grad.round(4))
print("gradcheck   =", tg.gradcheck(lambda t: t.softplus(), np.random.default_rng(0).standard_normal((3, 4))))
