"""Download MNIST from Kaggle with kagglehub, under a deadline (kagglehub has none on a stalled network)."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable

from .errors import DatasetUnavailableError

# Pinned so that a populated kagglehub cache is used offline (an unpinned handle asks Kaggle for the
# latest version first). Version 2 is the version kagglehub has been caching for this dataset: users'
# caches after downloading the unpinned handle are at .../datasets/oddrationale/mnist-in-csv/versions/2.
KAGGLE_DATASET = "oddrationale/mnist-in-csv"
KAGGLE_VERSION = 2
KAGGLE_HANDLE = f"{KAGGLE_DATASET}/versions/{KAGGLE_VERSION}"

POLL_SECONDS = 0.1


class DeadlineExceeded(TimeoutError):
    """A task run by `run_with_deadline` made no progress for its timeout."""


def one_line(text: str, limit: int = 160) -> str:
    """`text` on one line, cut to `limit` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(err: BaseException) -> str:
    """'Type: message' for `err`, looking through requests' wrapper to urllib3's reason (refused, not resolved...)."""
    reason = getattr(err.args[0], "reason", None) if err.args else None  # urllib3's MaxRetryError.reason
    if not isinstance(reason, BaseException):
        return f"{type(err).__name__}: {err}"
    texts = [str(arg) for arg in reason.args if not isinstance(arg, BaseException)]
    texts += [str(arg) for arg in reason.args if isinstance(arg, BaseException)]
    return f"{type(reason).__name__}: {': '.join(texts)}"


def _import_kagglehub():
    """kagglehub, imported on first use, with its INFO lines to stdout quieted unless the user chose a verbosity."""
    import kagglehub

    if "KAGGLEHUB_VERBOSITY" not in os.environ:
        logging.getLogger("kagglehub").setLevel(logging.WARNING)
    return kagglehub


def _folder_size(folder: str) -> int:
    """Bytes under `folder` (0 if absent): how far a download into it has got."""
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):  # a file renamed or removed mid-walk
                total += os.path.getsize(os.path.join(root, name))
    return total


def run_with_deadline(task: Callable[[], str], timeout: float, progress: Callable[[], object]) -> str:
    """Run `task` in a daemon thread and return its result, giving up after `timeout` seconds without progress.

    `progress()` is polled; while its value keeps changing (bytes arriving) the deadline moves on, so a
    slow but live download is not cut off. On giving up the thread is left behind: being a daemon it
    does not keep the interpreter from exiting. Exceptions of `task` are re-raised here.
    """
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["result"] = task()
        except BaseException as err:  # handed to the caller's thread
            outcome["error"] = err

    thread = threading.Thread(target=work, name="tinygrad_np-kaggle-download", daemon=True)
    thread.start()
    last, deadline = progress(), time.monotonic() + timeout
    while True:
        thread.join(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        if not thread.is_alive():
            break
        now = progress()
        if now != last:
            last, deadline = now, time.monotonic() + timeout
        elif time.monotonic() >= deadline:
            raise DeadlineExceeded(f"no progress for {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def download_mnist(timeout: float) -> str:
    """The local folder of Kaggle's MNIST CSV files (pinned version), from kagglehub's cache or downloaded.

    Raises DatasetUnavailableError, its message one line saying what failed, when kagglehub is
    missing, Kaggle is unreachable or refuses, or nothing arrives for `timeout` seconds.
    """
    try:
        kagglehub = _import_kagglehub()
    except ImportError as err:
        raise DatasetUnavailableError(f"kagglehub is not installed ({one_line(err, 120)})") from err
    import requests  # a dependency of kagglehub

    try:
        from kagglehub.config import get_cache_folder
    except ImportError:  # an older kagglehub (Python 3.10): its documented default
        cache = os.environ.get("KAGGLEHUB_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "kagglehub"))
    else:
        cache = get_cache_folder()
    folder = os.path.join(cache, "datasets", KAGGLE_DATASET)
    try:
        return run_with_deadline(
            lambda: kagglehub.dataset_download(KAGGLE_HANDLE), timeout, lambda: _folder_size(folder)
        )
    except DeadlineExceeded as err:
        raise DatasetUnavailableError(f"Kaggle did not answer within {timeout:g} s") from err
    except Exception as err:  # requests' ConnectionError, kagglehub's HTTP and backend errors, ...
        offline = isinstance(err, (requests.ConnectionError, requests.Timeout))
        what = "Kaggle unreachable" if offline else f"Kaggle download of {KAGGLE_HANDLE} failed"
        raise DatasetUnavailableError(f"{what} ({one_line(describe(err), 200)})") from err
