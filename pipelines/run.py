"""`edusandbox run`: the whole asset graph, in process, against the local Dagster instance.

Two runs, recorded in the instance like any other: ingest of every academic year found in the landing zone
(one run over the partition range), then dbt build and publication. A blocking check or an error-severity dbt
test stops the pipeline before publication and the last good site stays as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dagster import AssetSelection, DagsterInstance, ExecuteInProcessResult, materialize
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets.contract.entities import NATIONAL
from assets.ingest_assets import ACADEMIC_YEARS
from pipelines.definitions import build_definitions
from pipelines.jobs import TRANSFORM_AND_PUBLISH, ingest_selection_for
from pipelines.settings import Settings

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@dataclass
class RunOutcome:
    success: bool
    message: str
    index_path: Path | None = None


def delivered_years(landing: Path, provinces: list[str]) -> list[int]:
    years = {int(p.name) for province in (*provinces, NATIONAL) if (landing / province).is_dir()
             for p in (landing / province).iterdir() if p.is_dir() and p.name.isdigit()}
    return sorted(years)


def _failures(result: ExecuteInProcessResult) -> list[str]:
    messages = [
        f"check {e.asset_key.to_user_string()}:{e.check_name} failed"
        + (f": {e.description}" if getattr(e, "description", None) else "")
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity.value == "ERROR"
    ]
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            first_line = event.step_failure_data.error.message.strip().splitlines()[0]
            messages.append(f"step {event.step_key} failed: {first_line}")
    return messages


def run_pipeline(settings: Settings, provinces: list[str], echo: Callable[[str], None] = print) -> RunOutcome:
    years = delivered_years(settings.landing, provinces)
    if not years:
        return RunOutcome(False, f"no deliveries under {settings.landing} for {', '.join(provinces)}")
    instance = DagsterInstance.get()
    keys = [str(y) for y in years]
    missing = [k for k in keys if not instance.has_dynamic_partition(ACADEMIC_YEARS.name, k)]
    if missing:
        instance.add_dynamic_partitions(ACADEMIC_YEARS.name, missing)
    defs = build_definitions(settings)
    assets = list(defs.assets or [])
    resources = dict(defs.resources or {})

    echo(f"[1/2] ingest + validate: {', '.join(provinces)} (+ national), academic years {years[0]}–{years[-1]}")
    started = time.perf_counter()
    ingest = materialize(
        assets, selection=ingest_selection_for(provinces), instance=instance, resources=resources,
        tags={ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]},
        run_config=QUIET_LOGS, raise_on_error=False)
    echo(f"      ingest run {ingest.run_id[:8]} {'ok' if ingest.success else 'FAILED'} "
         f"in {time.perf_counter() - started:.1f} s")
    if not ingest.success:
        return RunOutcome(False, "blocking validation failed; nothing downstream ran, last publication kept:\n  "
                          + "\n  ".join(_failures(ingest)))

    echo("[2/2] dbt build (models + tests) and publish monitors")
    started = time.perf_counter()
    build = materialize(assets, selection=AssetSelection.all() & TRANSFORM_AND_PUBLISH, instance=instance,
                        resources=resources, run_config=QUIET_LOGS, raise_on_error=False)
    echo(f"      build run {build.run_id[:8]} {'ok' if build.success else 'FAILED'} "
         f"in {time.perf_counter() - started:.1f} s")
    if not build.success:
        return RunOutcome(False, "dbt build or publication failed; the last good publication in "
                          f"{settings.publish_dir} is untouched:\n  " + "\n  ".join(_failures(build)))
    return RunOutcome(True, "ok", settings.publish_dir / "index.html")
