"""Handing memory a step has freed back to the system, so that an idle process does not hold its busiest
moment's worth.

CPython frees a large file's frames to the C allocator, and glibc keeps most of that in its heap for the
process's next allocations: a read-ahead worker that had adapted a 337 MB roster still held 645 MiB (343 MiB
after the trim) while it waited for its next file, next to the other worker and the run's process (the run's
peak is the sum of the three). `malloc_trim` returns the heap's free pages. On a C library without it this
does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    return getattr(ctypes.CDLL(library), "malloc_trim", None)


def release_free_memory() -> bool:
    """Returns the C heap's free pages to the system; whether the C library could (glibc)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
