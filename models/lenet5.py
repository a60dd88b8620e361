"""LeNet-5 in its modern form, for 28x28 channels-last inputs:

Conv 6 5x5 pad 2 -> BatchNorm -> ReLU -> MaxPool 2 -> Conv 16 5x5 -> BatchNorm -> ReLU -> MaxPool 2
-> Flatten -> Dense 120 ReLU -> Dropout -> Dense 84 ReLU -> Dense 10 (logits).
"""

from __future__ import annotations

from tinygrad_np.nn import BatchNorm2d, Conv2D, Dense, Dropout, Flatten, Pooling, ReLU, Sequential, manual_seed

INPUT_SHAPE = (28, 28, 1)


def build_lenet5(seed: int = 0, dropout: float = 0.5) -> Sequential:
    """LeNet-5 with weights (and, from the same generator, dropout masks) drawn from `seed`."""
    manual_seed(seed)
    return Sequential(
        Conv2D(n_filters=6, filter_size=5, n_channels=1, padding=2, init="he"),
        BatchNorm2d(6),
        ReLU(),
        Pooling(mode="max", size=2, stride=2),
        Conv2D(n_filters=16, filter_size=5, n_channels=6, init="he"),
        BatchNorm2d(16),
        ReLU(),
        Pooling(mode="max", size=2, stride=2),
        Flatten(),
        Dense(n_neurons=120, n_inputs=5 * 5 * 16, activation="relu"),
        Dropout(dropout),
        Dense(n_neurons=84, n_inputs=120, activation="relu"),
        Dense(n_neurons=10, n_inputs=84, activation="none"),
    )
