"""Datasets: MNIST from Kaggle, the bundled original test set, or your own IDX / CSV files.

Typical use:

    from tinygrad_np.datasets import load_mnist, one_hot
    data = load_mnist()            # Kaggle if reachable, else the bundled 10,000 images
    Y = one_hot(data.y_train)      # float32 (N, 10)
"""

from .csvfile import read_csv
from .errors import DatasetError, DatasetUnavailableError
from .idx import read_idx
from .kaggle import KAGGLE_HANDLE
from .mnist import MNIST, load_mnist
from .split import one_hot

__all__ = [
    "KAGGLE_HANDLE",
    "MNIST",
    "DatasetError",
    "DatasetUnavailableError",
    "load_mnist",
    "one_hot",
    "read_csv",
    "read_idx",
]
