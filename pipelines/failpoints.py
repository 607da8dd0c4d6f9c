"""Fault injection for tests: crash the pipeline for real at a named point, to prove a re-run repairs it.

A test hook, inert in production. `failpoint(name)` returns at once unless the environment variable
EDUSANDBOX_FAILPOINT names that point; then it SIGKILLs its own process: no `finally`, no rollback, no
atexit, no flush, exactly what the OOM killer or a power cut does to a run.

    EDUSANDBOX_FAILPOINT=warehouse.replace_partition.before_commit edusandbox run ...   # dies with -9
    EDUSANDBOX_FAILPOINT=ingest.after_partition_write@5 ...    # the fifth time the point is reached
    EDUSANDBOX_FAILPOINT=dbt.before_build,publish.after_swap ...   # a comma list arms several points

Points that run while a child process works for us (dbt) kill the whole process group instead, or the
child would go on writing to the warehouse after its parent died; run the pipeline in its own session
(`start_new_session=True`) so that the group is the run and nothing else. tests/test_faults.py kills the
pipeline at each point in FAILPOINTS and re-runs it; docs/reliability.md lists what that proves.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

FAILPOINT_ENV = "EDUSANDBOX_FAILPOINT"

FAILPOINTS: dict[str, str] = {
    "ingest.after_partition_write": "an ingest step committed a (province, year) partition, others not yet",
    "warehouse.replace_partition.after_delete": "inside a partition's transaction: the old rows deleted, "
                                                "the new ones not yet inserted",
    "warehouse.replace_partition.before_commit": "inside a partition's transaction: every row inserted, "
                                                 "nothing committed",
    "dbt.before_build": "every partition loaded, dbt not started",
    "dbt.during_build": "dbt has built its first node (the whole process group dies, dbt with it)",
    "dbt.before_promote": "dbt built and tested everything in the build schema, marts not yet promoted",
    "publish.before_swap": "marts promoted, the new site not built",
    "publish.after_swap": "the new site swapped in, the run not yet recorded as done",
}
"""Every point the pipeline calls, with the state a crash there leaves behind."""

_hits: Counter[str] = Counter()


def armed_points(value: str | None = None) -> dict[str, int]:
    """The points named in EDUSANDBOX_FAILPOINT (or `value`), each with the hit that fires it (1 = first)."""
    text = os.environ.get(FAILPOINT_ENV, "") if value is None else value
    armed: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, nth = item.partition("@")
        if name not in FAILPOINTS:
            known = ", ".join(FAILPOINTS)
            raise ValueError(f"{FAILPOINT_ENV} names an unknown failpoint {name!r}; known: {known}")
        armed[name] = int(nth) if nth else 1
    return armed


def failpoint(name: str, *, whole_group: bool = False) -> None:
    """Crash here with SIGKILL if EDUSANDBOX_FAILPOINT arms `name`; otherwise return (one environment lookup).

    `whole_group` kills the process group (children included) instead of this process alone."""
    if not os.environ.get(FAILPOINT_ENV):
        return
    fire_on = armed_points().get(name)
    if fire_on is None:
        return
    _hits[name] += 1
    if _hits[name] < fire_on:
        return
    if whole_group:
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
