"""The original design's MNIST CNN, exactly:

Conv 8 filters 3x3, stride 1, padding 1, He init, ReLU -> MaxPool 2x2 stride 2 -> Flatten ->
Dense 128 ReLU -> Dense 10 softmax. Input (N, 28, 28, 1), channels-last.
"""

from __future__ import annotations

from tinygrad_np.nn import CNN, Conv2D, Dense, Flatten, Pooling, manual_seed

INPUT_SHAPE = (28, 28, 1)


def build_mnist_cnn(seed: int = 0) -> CNN:
    """The MNIST CNN with weights drawn from `seed` (same seed, same weights)."""
    manual_seed(seed)
    return CNN(
        Conv2D(n_filters=8, filter_size=3, n_channels=1, stride=1, padding=1, init="he", activation="relu"),
        Pooling(mode="max", size=2, stride=2),
        Flatten(),
        Dense(n_neurons=128, n_inputs=14 * 14 * 8, activation="relu"),
        Dense(n_neurons=10, n_inputs=128, activation="softmax"),
    )
