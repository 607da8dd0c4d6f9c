"""Reading one delivered file: archive it as received, then adapt it into the contract (no validation yet).

Kept apart from the Dagster assets (assets.ingest_assets) so that a read-ahead worker (assets.read_ahead)
imports only this, the adapters and pandas: about a second, where the assets module with Dagster takes three.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from assets.content_address import sha256_of
from assets.contract.landing import SourceFile, source_files
from assets.free_memory import release_free_memory
from assets.parsing.pseudonym import Pseudonymiser
from assets.read_ahead import ReadTask
from assets.sources import read_delivery
from assets.sources.base import AdapterResult, DeliveryError


@dataclass
class FileOutcome:
    """What happened to one delivered file."""

    source: SourceFile
    path: Path
    agency: str | None
    year: int
    sha256: str
    rows_read: int = 0
    adapted: AdapterResult | None = None
    rows: pd.DataFrame | None = None
    quarantine: pd.DataFrame | None = None
    blocking: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.year}/{self.path.name}"


def archive_delivery(path: Path, archive_dir: Path) -> tuple[str, Path]:
    """Copy the file as received to `<archive>/<sha[:2]>/<sha><suffix>` (content-addressed, idempotent)."""
    sha = sha256_of(path)
    target = archive_dir / sha[:2] / f"{sha}{path.suffix}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        shutil.copyfile(path, tmp)
        tmp.replace(target)
    return sha, target


def read_file(source: SourceFile, path: Path, agency: str | None, *, province: str, year: int,
              archive_dir: Path, pseudonymiser: Pseudonymiser) -> FileOutcome:
    """Archive one delivered file as received and read it into the contract (no validation yet)."""
    sha, _ = archive_delivery(path, archive_dir)
    outcome = FileOutcome(source, path, agency, year, sha)
    try:
        outcome.adapted = read_delivery(source, path, province=province, academic_year=year,
                                        pseudonymiser=pseudonymiser, agency=agency)
    except DeliveryError as err:
        outcome.blocking = [str(err)]
        return outcome
    outcome.rows_read = outcome.adapted.rows_read
    if outcome.rows_read == 0:  # a header and nothing else: not a delivery
        outcome.blocking = [f"{path}: no data rows (an empty file is not a delivery)"]
    return outcome


def read_task(task: ReadTask, archive_dir: Path, pseudonym_key: bytes) -> FileOutcome:
    """`read_file` for one planned file; module-level so a read-ahead worker process can run it."""
    source = next(s for s in source_files(task.province)
                  if s.entity == task.entity and task.path.name in s.file_names())
    outcome = read_file(source, task.path, task.agency, province=task.province, year=task.year,
                        archive_dir=archive_dir, pseudonymiser=_pseudonymiser(pseudonym_key))
    release_free_memory()  # the adapter's intermediate frames, before this worker waits for its next file
    return outcome


@cache
def _pseudonymiser(key: bytes) -> Pseudonymiser:
    return Pseudonymiser(key)
