"""Keep large temporaries cheap: tell glibc's malloc to recycle them instead of unmapping them.

A training step allocates and frees a few megabytes of arrays (im2col patches, conv outputs,
weight gradients). By default glibc serves blocks over ~128 KiB-1 MiB with fresh `mmap`s and
returns freed heap tops to the kernel, so every step page-faults those megabytes in again: on
the MNIST CNN that doubled the conv op's forward time. Raising the mmap and trim thresholds makes
freed blocks reusable. Resident memory then stays at its peak instead of shrinking between steps.

Applied once on import (Linux with glibc only); set TINYGRAD_NP_KEEP_MALLOC=1 to leave malloc alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # the largest glibc accepts on 64-bit: arrays above it still get their own mmap
TRIM_THRESHOLD = 256 * 2**20


def tune_malloc() -> bool:
    """Raise glibc's mmap and trim thresholds; True when applied."""
    if not sys.platform.startswith("linux") or os.environ.get("TINYGRAD_NP_KEEP_MALLOC", "") not in ("", "0"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
