"""The two error types of the data loaders."""

from __future__ import annotations


class DatasetError(ValueError):
    """A data file (or folder) that is not usable MNIST data. The message names the file."""


class DatasetUnavailableError(OSError):
    """A data source that could not deliver: Kaggle unreachable, stalled, or refusing the download."""
