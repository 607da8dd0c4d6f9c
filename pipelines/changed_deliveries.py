"""Which ingest steps a run takes. A run of every province takes them all (the schedules, `make run`: a full
refresh). A run of some provinces takes only the steps whose delivered files differ from what the warehouse
last loaded for them: a file new, changed (by SHA-256) or no longer delivered beside others of its year, or a
year never loaded whole. The others keep the partitions they loaded, which are those same files' rows, so
re-reading them would only cost time (at 9 M students a province's unchanged files are most of its run).

What the comparison cannot see: rows loaded with another pseudonymisation key or by older adapter code. After
either changes, run every province (or `edusandbox run --province P --all-files`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assets.content_address import sha256_of
from assets.contract.entities import NATIONAL, PROVINCES
from assets.ingest_order import steps_of
from assets.sources import discover_deliveries
from assets.sources.base import DeliveryError

Step = tuple[str, str]
"""(landing folder, entity): one ingest asset."""

FileRecord = tuple[int, str, str]
"""(academic year, file name, SHA-256) of one delivered file."""


@dataclass(frozen=True)
class IngestPlan:
    steps: list[Step]
    """The steps the run takes, in contract order."""
    unchanged: list[Step]
    """Steps with deliveries in the run's years that are all loaded as they are now."""

    @property
    def folders(self) -> list[str]:
        return list(dict.fromkeys(folder for folder, _ in self.steps))

    def describe(self) -> str:
        if not self.unchanged:
            return "every delivery ingested"
        kept = ", ".join(f"{p}/{e}" for p, e in self.unchanged)
        taken = ", ".join(f"{p}/{e}" for p, e in self.steps) or "none"
        return f"new or changed deliveries: {taken}; unchanged since loaded, not re-ingested: {kept}"


def plan_ingest(landing: Path, warehouse_url: str, provinces: Iterable[str], years: Iterable[int],
                all_files: bool = False) -> IngestPlan:
    """The steps a run of `provinces` over `years` takes (see the module's docstring). National files are
    compared like a province's and taken when they changed: they are the same for every province."""
    provinces = list(provinces)
    candidates = steps_of([*provinces, NATIONAL])
    if all_files or set(provinces) == set(PROVINCES):
        return IngestPlan(candidates, [])
    years = list(years)
    loaded = loaded_files(warehouse_url, [*provinces, NATIONAL], years)
    steps: list[Step] = []
    unchanged: list[Step] = []
    for folder in dict.fromkeys(f for f, _ in candidates):
        delivered = delivered_files(landing, folder, years)
        for step in (s for s in candidates if s[0] == folder):
            if delivered is None:  # the folder cannot be listed: its steps say why
                steps.append(step)
                continue
            files = delivered.get(step[1], set())
            if not files:  # nothing delivered: the step would leave its partitions as they are
                continue
            # the years with deliveries must hold exactly the files loaded for them
            years_delivered = {year for year, _, _ in files}
            if files == {f for f in loaded.get(step, set()) if f[0] in years_delivered}:
                unchanged.append(step)
            else:
                steps.append(step)
    return IngestPlan(steps, unchanged)


def delivered_files(landing: Path, folder: str, years: Iterable[int]) -> dict[str, set[FileRecord]] | None:
    """Entity → the files delivered for it in `years`, hashed; None when the folder cannot be listed."""
    found: dict[str, set[FileRecord]] = {}
    try:
        for year in years:
            for source, path, _ in discover_deliveries(landing, folder, year):
                found.setdefault(source.entity, set()).add((year, path.name, sha256_of(path)))
    except (DeliveryError, OSError):
        return None
    return found


def loaded_files(warehouse_url: str, folders: list[str], years: list[int]) -> dict[Step, set[FileRecord]]:
    """(folder, entity) → the files whose rows the warehouse holds for `years` (raw.deliveries)."""
    # Imported here: a run of every province decides without the warehouse, and Dagster (which the warehouse
    # module imports for its resource) would hold up the read-ahead by a second.
    from pipelines.resources.warehouse import DELIVERIES_TABLE, Warehouse

    warehouse = Warehouse.from_url(warehouse_url)
    with warehouse.session():
        if not warehouse.table_exists(DELIVERIES_TABLE):
            return {}
        frame = warehouse.read_frame(
            f"select province, entity, academic_year, source_file, source_sha256 from {DELIVERIES_TABLE} "
            f"where province in ({', '.join('?' for _ in folders)})", tuple(folders))
    wanted = set(years)
    loaded: dict[Step, set[FileRecord]] = {}
    for province, entity, year, name, sha in frame.itertuples(index=False):
        if int(year) in wanted:
            loaded.setdefault((province, entity), set()).add((int(year), name, sha))
    return loaded
