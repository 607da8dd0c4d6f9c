"""Handing memory a step has freed back to the system, so that an idle process does not hold its busiest
moment's worth.

CPython frees a large file's frames to the C allocator, and glibc keeps most of that in its heap for the
process's next allocations: a read-ahead worker that had adapted a 337 MB roster still held 645 MiB (343 MiB
after the trim) while it waited for its next file, next to the other worker and the run's process (the run's
peak is the sum of the three). `malloc_trim` returns the heap's free pages. On a C library without it this
does nothing.

Frames can also outlive their step without being in use. GX builds its expectations through pydantic, whose
caught validation errors form reference cycles with the Python frames they were raised in; a frame kept by
such a cycle keeps its callers' frames (CPython links them when they return), and so the validation's
DataFrames. Only the cycle collector's full pass frees them, and with the ~0.5 M objects a run holds it
makes that pass seldom: at 9 M students the NT/O-NET or literacy step's frames (0.4-0.7 GB) stayed in the
run's process into later steps or through dbt's build in 2 runs of 10 sampled, the run's tree then peaking
at 3,221 and 3,250 MiB against 2,841-2,957 MiB in the other eight.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

CYCLE_COLLECTION_MIN_ROWS = 100_000
"""A step that read this many rows collects reference cycles when it ends (`collect_reference_cycles`). Below
it the frames a cycle keeps are tens of MB, freed by the next large step's pass."""


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


def collect_reference_cycles() -> int:
    """Frees what only reference cycles keep alive (see the module's docstring); the number of objects found
    unreachable. A full pass over a run's objects takes ~0.3 s; a few ms in `long_lived_objects_set_aside`."""
    return gc.collect()


@contextmanager
def long_lived_objects_set_aside() -> Iterator[None]:
    """Within the block the cycle collector skips the objects alive when it began (modules, Dagster's
    definitions, GX's context: `gc.freeze`), so each of its full passes, its own and
    `collect_reference_cycles`, looks only at what was made since. They are handed back to it at the end."""
    gc.collect()  # what is garbage already is freed, not set aside
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
