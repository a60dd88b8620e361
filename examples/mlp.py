"""A model written straight from Tensor ops (no layer classes), trained on the same MNIST data.

    python examples/mlp.py [--epochs 5]
"""

import argparse

import numpy as np

import tinygrad_np as tg
from tinygrad_np import Tensor
from tinygrad_np.datasets import load_mnist


class MLP(tg.nn.Module):
    """784 -> 128 ReLU -> 10; every attribute Tensor with requires_grad is a parameter."""

    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.w1 = Tensor(rng.normal(0, np.sqrt(2 / 784), (784, 128)).astype(np.float32), requires_grad=True)
        self.b1 = Tensor(np.zeros(128, np.float32), requires_grad=True)
        self.w2 = Tensor(rng.normal(0, np.sqrt(1 / 128), (128, 10)).astype(np.float32), requires_grad=True)
        self.b2 = Tensor(np.zeros(10, np.float32), requires_grad=True)

    def forward(self, x: Tensor) -> Tensor:
        hidden = (x.flatten(1) @ self.w1 + self.b1).relu()
        return hidden @ self.w2 + self.b2  # logits


parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--data", default="auto", help="auto, kaggle, bundled, or a folder of IDX/CSV files")
args = parser.parse_args()

data = load_mnist(args.data, seed=0)
model = MLP()
optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
rng = np.random.default_rng(0)
for epoch in range(1, args.epochs + 1):
    order = rng.permutation(len(data.X_train))
    for batch in np.array_split(order, len(order) // 32):
        loss = model(Tensor(data.X_train[batch])).cross_entropy(data.y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    accuracy = tg.training.evaluate(model, data.X_test, data.y_test).accuracy
    print(f"epoch {epoch}: last batch loss {loss.item():.4f}, test accuracy {100 * accuracy:.2f}%")
