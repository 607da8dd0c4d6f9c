"""Which files a run's ingest steps read, in the order the steps run, without importing Dagster.

`edusandbox run` hands these files to the read-ahead workers as soon as it starts, so they read while the
command imports Dagster, GX and the definitions (~10 s) instead of idling until the first ingest step; that
step plans again with the run's exact steps and keeps what was read already (ReadAhead.plan). The ingest
assets (assets/ingest_assets.py) use the same functions for their own plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from assets.checks.reference import provinces_of
from assets.contract.landing import SOURCE_FILES
from assets.read_ahead import ReadTask
from assets.sources import discover_deliveries
from assets.sources.base import DeliveryError


def delivered_years(landing: Path, folders: Iterable[str]) -> list[int]:
    """The academic years (BE) with a folder under any of the landing folders."""
    years = {int(p.name) for folder in folders if (landing / folder).is_dir()
             for p in (landing / folder).iterdir() if p.is_dir() and p.name.isdigit()}
    return sorted(years)


def province_entities() -> list[tuple[str, str]]:
    """(landing folder, entity) of every ingest asset, in contract order."""
    seen: dict[tuple[str, str], None] = {}
    for source in SOURCE_FILES:
        seen.setdefault((source.province, source.entity), None)
    return list(seen)


def step_key(province: str, entity: str) -> str:
    """The ingest asset's step key: its asset key ["raw", province, entity] as a Python identifier."""
    return f"raw__{province}__{entity}"


def registry_folders(province: str, entity: str) -> list[str]:
    """The landing folders whose school registry a delivery is validated against: none for the registries
    themselves, the province's own, or all four provinces' for national files."""
    if entity == "schools":
        return []
    return [f for f in provinces_of(province) if (f, "schools") in province_entities()]


SLOW_FORMATS = frozenset({"xlsx"})
"""Delivery formats slow to read: a workbook is zipped XML parsed cell by cell (at 9 M students Mae Hong Son's
88 MB roster takes a worker about 80 s)."""
LAST_PRIORITY = -1
"""Dagster step priority (tag dagster/priority, default 0) of the steps that read slowly: ready steps run
highest priority first."""


def reads_slowly(province: str, entity: str) -> bool:
    """Whether a step's deliveries are slow to read (SLOW_FORMATS). Such a step runs after the others, and its
    files are read early: the run's process validates and loads the other deliveries while a worker reads
    them, instead of waiting for them with the other worker's read-ahead budget full. Not the school
    registries: every other step waits for them."""
    return entity != "schools" and any(
        s.format in SLOW_FORMATS for s in SOURCE_FILES if (s.province, s.entity) == (province, entity))


def in_run_order(steps: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """`steps` in the order the in-process executor runs them: the school registries (no upstream) by step
    key; then each step once the last registry it is validated against is loaded, ties by step key; the steps
    that read slowly (lower priority) after all of those, in the same order. A wrong guess costs time, not
    correctness: a step whose file was not read ahead reads it itself."""
    registries = sorted(step_key(p, e) for p, e in province_entities() if e == "schools")

    def rank(step: tuple[str, str]) -> tuple[bool, int, str]:
        ready_after = [registries.index(step_key(f, "schools")) for f in registry_folders(*step)]
        return (reads_slowly(*step), 1 + max(ready_after, default=-1), step_key(*step))

    return sorted(steps, key=rank)


def read_first(tasks: Iterable[ReadTask]) -> list[ReadTask]:
    """The files of the steps that read slowly: the read-ahead starts them early, alternately with the others
    (ReadAhead.plan, read_order), so that they are read by the time their steps, the last ones, take them."""
    return [t for t in tasks if reads_slowly(t.province, t.entity)]


def ingest_tasks(landing: Path, province: str, entity: str, years: Iterable[int]) -> list[ReadTask]:
    """The delivered files of one ingest step, one per year and agency file."""
    return [ReadTask.of(province, entity, year, path, agency) for year in years
            for source, path, agency in discover_deliveries(landing, province, year)
            if source.entity == entity]


def run_tasks(landing: Path, steps: Iterable[tuple[str, str]], years: Iterable[int]) -> list[ReadTask]:
    """Every file the steps will ask for, in run order. A step whose delivery cannot be listed is left out:
    that step finds and reports the problem itself."""
    years = list(years)
    tasks: list[ReadTask] = []
    for province, entity in in_run_order(steps):
        try:
            tasks += ingest_tasks(landing, province, entity, years)
        except (DeliveryError, OSError):
            continue
    return tasks


def steps_of(folders: Iterable[str]) -> list[tuple[str, str]]:
    """The ingest steps of some landing folders (provinces, `national`)."""
    wanted = set(folders)
    return [step for step in province_entities() if step[0] in wanted]
