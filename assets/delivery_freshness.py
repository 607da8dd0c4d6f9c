"""Is each province still delivering? A warning check per landing folder, shown on its students asset.

OBEC counts students three times a year (10 June, 10 November, 31 March); the longest gap between two census
dates is 153 days. A province whose newest delivered file is older than that plus a grace period has missed a
census delivery: its ingest assets carry a failed (warning) `delivery_is_recent` check, so the asset graph
shows the province as stale. The check runs with every ingest of the province and on its own every day
(schedule `daily_delivery_freshness`).
"""

import os
import time
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)

from assets.contract.entities import NATIONAL, PROVINCES
from assets.ingest_assets import ingest_key
from assets.sources import discover_deliveries
from pipelines.resources.paths import ProjectPaths

FRESHNESS_CHECK = "delivery_is_recent"
MAX_DELIVERY_AGE_DAYS = int(os.environ.get("EDUSANDBOX_MAX_DELIVERY_AGE_DAYS", "183"))
"""153 days between the November and March census dates, plus a month for the office to deliver."""


def newest_delivery(landing: Path, province: str) -> tuple[Path, float] | None:
    """The most recently modified contract file of a province (any academic year), with its mtime."""
    folder = landing / province
    if not folder.is_dir():
        return None
    newest: tuple[Path, float] | None = None
    for year in sorted(p for p in folder.iterdir() if p.is_dir() and p.name.isdigit()):
        for _, path, _ in discover_deliveries(landing, province, int(year.name)):
            mtime = path.stat().st_mtime
            if newest is None or mtime > newest[1]:
                newest = (path, mtime)
    return newest


def delivery_age_result(landing: Path, province: str, now: float | None = None) -> AssetCheckResult:
    now = time.time() if now is None else now
    found = newest_delivery(landing, province)
    if found is None:
        return AssetCheckResult(passed=False, severity=AssetCheckSeverity.WARN,
                                description=f"no delivery at all under {landing / province}")
    path, mtime = found
    age_days = (now - mtime) / 86_400
    passed = age_days <= MAX_DELIVERY_AGE_DAYS
    return AssetCheckResult(
        passed=passed, severity=AssetCheckSeverity.WARN,
        description=(f"newest delivery {path.relative_to(landing)} is {age_days:.0f} days old"
                     + ("" if passed else f", older than the {MAX_DELIVERY_AGE_DAYS} days expected: stale")),
        metadata={"newest_file": MetadataValue.path(str(path)), "age_days": round(age_days, 1),
                  "max_age_days": MAX_DELIVERY_AGE_DAYS})


def build_freshness_check(province: str) -> AssetChecksDefinition:
    @asset_check(asset=ingest_key(province, "students" if province != NATIONAL else "population"),
                 name=FRESHNESS_CHECK, blocking=False,
                 description=f"Warns when the newest file delivered by {province} is older than "
                             f"{MAX_DELIVERY_AGE_DAYS} days (a census delivery was missed).")
    def _check(context: AssetCheckExecutionContext, paths: ProjectPaths) -> AssetCheckResult:
        return delivery_age_result(paths.landing_path, province)

    return _check


FRESHNESS_CHECKS: list[AssetChecksDefinition] = [build_freshness_check(p) for p in (*PROVINCES, NATIONAL)]
