"""Peak resident memory of this process (Linux /proc), for the benchmarks. Standard library only:
the PyTorch worker imports it too, and must not import tinygrad_np."""

from __future__ import annotations

import threading
import time


def reset_peak_rss() -> float:
    """Reset the kernel's peak-RSS mark (Linux: clear_refs 5); return the current RSS in MiB."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return peak_rss_mib()


def peak_rss_mib() -> float:
    """Peak resident memory of this process since start or the last reset (VmHWM)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


class PeakSampler:
    """Records the peak-RSS mark every `interval` seconds on a background thread while the block runs.

    The mark only grows, so `peak_at(t)` (the first sample taken at or after perf_counter time t)
    is the peak of everything up to t: the peak at the end of each epoch, for code (like `fit`)
    that runs all its epochs in one call. Sampling 20 times a second costs well under 0.1%.
    """

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.samples.append((time.perf_counter(), peak_rss_mib()))

    def __enter__(self) -> PeakSampler:
        self.start_mib = reset_peak_rss()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.perf_counter(), peak_rss_mib()))

    def peak_at(self, t: float) -> float:
        """The peak-RSS mark (MiB) at perf_counter time `t` (the last sample if `t` is later)."""
        return next((mib for when, mib in self.samples if when >= t), self.samples[-1][1])
