"""Stage times of one pipeline run, from Dagster's event log (step start and end events).

Stages: `ingest` (the raw__<province>__<entity> steps: adapter, GX validation, load), `checks` (the other
raw__ steps: cross-delivery and freshness checks), `dbt` (the dbt build step), `publish`. What the steps do
not cover is `orchestration`: from the run's first event to its first step (Dagster plans the run and writes
one event per planned asset and asset check) and the gaps between steps (event writes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assets.contract.landing import SOURCE_FILES

DBT_STEP = "edusandbox_dbt_models"
PUBLISH_STEP = "publish_monitors"
INGEST_STEPS = frozenset(f"raw__{s.province}__{s.entity}" for s in SOURCE_FILES)
STAGES = ("ingest", "checks", "dbt", "publish", "orchestration")


def stage_of(step_key: str) -> str:
    if step_key == DBT_STEP:
        return "dbt"
    if step_key == PUBLISH_STEP:
        return "publish"
    return "ingest" if step_key in INGEST_STEPS else "checks"


@dataclass
class RunStages:
    run_id: str
    status: str
    run_seconds: float
    """First to last event of the run."""
    before_first_step_seconds: float
    steps: dict[str, float] = field(default_factory=dict)
    """Step key → seconds from its start to its success or failure."""
    events: int = 0

    def stage_seconds(self) -> dict[str, float]:
        totals = dict.fromkeys(STAGES, 0.0)
        for step, seconds in self.steps.items():
            totals[stage_of(step)] += seconds
        totals["orchestration"] = max(self.run_seconds - sum(self.steps.values()), 0.0)
        return totals

    def as_dict(self) -> dict[str, object]:
        return {"run_id": self.run_id, "status": self.status, "run_seconds": self.run_seconds,
                "before_first_step_seconds": self.before_first_step_seconds, "events": self.events,
                "stages": self.stage_seconds(),
                "steps": dict(sorted(self.steps.items(), key=lambda kv: -kv[1]))}


def latest_run_stages(dagster_home: Path) -> RunStages:
    """Stage times of the newest run recorded under `dagster_home`."""
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            raise RuntimeError(f"no run recorded under {dagster_home}")
        run = runs[0]
        logs = instance.all_logs(run.run_id)
    started: dict[str, float] = {}
    steps: dict[str, float] = {}
    first_step = None
    for entry in logs:
        if not entry.is_dagster_event or entry.step_key is None:
            continue
        kind = entry.dagster_event.event_type  # type: ignore[union-attr]
        if kind == DagsterEventType.STEP_START:
            started[entry.step_key] = entry.timestamp
            first_step = entry.timestamp if first_step is None else min(first_step, entry.timestamp)
        ended = kind in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE)
        if ended and entry.step_key in started:
            steps[entry.step_key] = entry.timestamp - started[entry.step_key]
    begin, end = logs[0].timestamp, logs[-1].timestamp
    return RunStages(run_id=run.run_id, status=run.status.value, run_seconds=end - begin,
                     before_first_step_seconds=(first_step - begin) if first_step else 0.0, steps=steps,
                     events=len(logs))
