"""One sensor per landing folder: a new or changed delivery launches a run of that folder's partitions.

Change is decided by content (SHA-256), not by modification time: touching a file or copying the same bytes
again launches nothing. A file is considered only once it has settled (not modified for SETTLE_SECONDS, so a
file still being written is left for a later tick) and when its name is a contract file name (temporary
names such as `students.csv.part`, `~$schools.xlsx` or `.students.csv.swp` are never contract names).
The cursor keeps (size, mtime, sha) per file so an unchanged file is not re-hashed on every tick.
"""

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets.content_address import sha256_of
from assets.ingest_assets import ACADEMIC_YEARS
from assets.sources import DeliveryError, discover_deliveries
from pipelines.jobs import LANDING_FOLDERS, province_jobs
from pipelines.resources.paths import ProjectPaths

SETTLE_SECONDS = float(os.environ.get("EDUSANDBOX_SENSOR_SETTLE_SECONDS", "30"))
INTERVAL_SECONDS = 30
AUTOMATION_ENV = "EDUSANDBOX_AUTOMATION"


def default_automation_status() -> DefaultSensorStatus:
    """Sensors (and schedules) run as soon as the daemon starts, unless EDUSANDBOX_AUTOMATION=paused (a new
    instance that should wait for an operator to switch them on in the UI)."""
    paused = os.environ.get(AUTOMATION_ENV, "running").strip().lower() == "paused"
    return DefaultSensorStatus.STOPPED if paused else DefaultSensorStatus.RUNNING


@dataclass(frozen=True)
class FileState:
    size: int
    mtime_ns: int
    sha256: str


@dataclass
class Scan:
    """What one look at a landing folder found."""

    settled: dict[str, FileState]
    """Relative path → state of every settled contract file."""
    changed_years: set[int]
    waiting: list[str]
    """Files still being written (modified less than SETTLE_SECONDS ago)."""
    refused: list[str]
    """Problems that stop a year folder from being read at all (e.g. a symlink out of the landing zone)."""


def scan_folder(landing: Path, folder: str, known: dict[str, FileState], now: float | None = None) -> Scan:
    now = time.time() if now is None else now
    scan = Scan(settled={}, changed_years=set(), waiting=[], refused=[])
    root = landing / folder
    if not root.is_dir():
        return scan
    for year_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name.isdigit()):
        try:
            found = discover_deliveries(landing, folder, int(year_dir.name))
        except DeliveryError as err:
            scan.refused.append(str(err))
            continue
        for _, path, _ in found:
            relative = path.relative_to(landing).as_posix()
            stat = path.stat()
            if now - stat.st_mtime < SETTLE_SECONDS:
                scan.waiting.append(relative)
                if relative in known:  # keep the last launched state until the new one settles
                    scan.settled[relative] = known[relative]
                continue
            previous = known.get(relative)
            if previous and (previous.size, previous.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                state = previous
            else:
                state = FileState(stat.st_size, stat.st_mtime_ns, sha256_of(path))
            scan.settled[relative] = state
            if previous is None or previous.sha256 != state.sha256:
                scan.changed_years.add(int(year_dir.name))
    return scan


def _load_cursor(cursor: str | None) -> dict[str, FileState]:
    if not cursor:
        return {}
    return {path: FileState(*state) for path, state in json.loads(cursor).items()}


def _dump_cursor(states: dict[str, FileState]) -> str:
    return json.dumps({p: [s.size, s.mtime_ns, s.sha256] for p, s in sorted(states.items())})


def build_delivery_sensor(folder: str) -> SensorDefinition:
    job = province_jobs[folder]

    @sensor(name=f"{folder}_deliveries", job=job, minimum_interval_seconds=INTERVAL_SECONDS,
            default_status=default_automation_status(),
            description=f"Watches <landing>/{folder}/<academic year>/ and launches {job.name} for the "
                        "academic years whose delivered files changed (by content hash).")
    def _sensor(context: SensorEvaluationContext, paths: ProjectPaths) -> SensorResult | SkipReason:
        known = _load_cursor(context.cursor)
        scan = scan_folder(paths.landing_path, folder, known)
        for problem in scan.refused:
            context.log.error(f"refused: {problem}")
        if not scan.changed_years:
            waiting = f"; waiting for {len(scan.waiting)} file(s) still being written" if scan.waiting else ""
            context.update_cursor(_dump_cursor(scan.settled))
            return SkipReason(f"no new or changed delivery in {folder}{waiting}")
        years = sorted(scan.changed_years)
        keys = [str(y) for y in years]
        new_keys = [k for k in keys if not context.instance.has_dynamic_partition(ACADEMIC_YEARS.name, k)]
        changed = sorted((p, s.sha256) for p, s in scan.settled.items() if int(p.split("/")[1]) in years)
        run_key = hashlib.sha256(json.dumps(changed).encode()).hexdigest()[:24]
        request = RunRequest(run_key=run_key, tags={
            ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1],
            "edusandbox/trigger": f"delivery:{folder}", "edusandbox/years": ",".join(keys)})
        return SensorResult(run_requests=[request], cursor=_dump_cursor(scan.settled),
                            dynamic_partitions_requests=[ACADEMIC_YEARS.build_add_request(new_keys)]
                            if new_keys else [])

    return _sensor


SENSORS = [build_delivery_sensor(folder) for folder in LANDING_FOLDERS]
