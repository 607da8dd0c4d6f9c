"""`edusandbox run`: the whole asset graph in one run, in process, recorded in the local Dagster instance.

The run covers every academic year found in the landing zone (or the years asked for): ingest and GX
validation of each year's deliveries, then dbt build (models and tests), then publication. A blocking check or
an error-severity dbt test stops everything downstream of it: publication does not run and the last good site
stays as it was, which the outcome says.
"""

import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    ExecuteInProcessResult,
    RunsFilter,
    define_asset_job,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets.contract.entities import NATIONAL, PROVINCES
from assets.free_memory import long_lived_objects_set_aside
from assets.ingest_assets import ACADEMIC_YEARS
from assets.ingest_order import delivered_years
from pipelines.changed_deliveries import IngestPlan, plan_ingest
from pipelines.definitions import build_definitions
from pipelines.file_lock import exclusive_lock
from pipelines.jobs import FULL_REFRESH, selection_for
from pipelines.settings import Settings

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
ADHOC_JOB = "refresh_selected_provinces"
HOST_TAG = "edusandbox/host"
PROCESS_TAG = "edusandbox/process"


@dataclass
class RunOutcome:
    success: bool
    message: str
    index_path: Path | None = None
    run_id: str | None = None


def failures(result: ExecuteInProcessResult) -> list[str]:
    """Failed error-severity checks (naming the file and the expectation) and failed steps, one line each."""
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


def process_identity(pid: int) -> str | None:
    """`<pid>@<start time>` of a live process (the start time tells a recycled pid apart); None when gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except OSError:  # no /proc (not Linux): the pid alone
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return str(pid)
    return f"{pid}@{stat.rsplit(')', 1)[1].split()[19]}"


def release_crashed_runs(instance: DagsterInstance) -> list[str]:
    """Marks failed the runs this host started whose process died mid-run (SIGKILL, OOM, power cut), and frees
    their concurrency slots. Without a Dagster daemon nothing else does: a dead run would hold the `warehouse`
    pool's one slot for ever and every later run would wait on it."""
    released = []
    unfinished = RunsFilter(statuses=[DagsterRunStatus.STARTING, DagsterRunStatus.STARTED],
                            tags={HOST_TAG: socket.gethostname()})
    for record in instance.get_run_records(filters=unfinished):
        run = record.dagster_run
        recorded = run.tags.get(PROCESS_TAG, "")
        if not recorded or process_identity(int(recorded.split("@")[0])) == recorded:
            continue
        instance.report_run_failed(run, f"the process that ran it ({recorded}) died before the run ended; "
                                        "marked failed by the next run")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released


@contextmanager
def _instance_setup_lock(instance: DagsterInstance | None) -> Iterator[None]:
    """Dagster's SQLite storage creates its tables when the instance is opened, without a lock: two runs
    starting together on a new DAGSTER_HOME can fail with 'table ... already exists'. A run opens and sets up
    the instance holding this lock (a file in the instance's folder)."""
    home = os.environ.get("DAGSTER_HOME", "")
    folder = Path(instance.root_directory) if instance else Path(home) if home else None
    if folder is None or not folder.is_dir():  # Dagster will say what is missing; nothing to lock
        yield
        return
    with exclusive_lock(folder / ".edusandbox-setup.lock"):
        yield


def run_pipeline(settings: Settings, provinces: list[str], echo: Callable[[str], None] = print,
                 years: list[int] | None = None, instance: DagsterInstance | None = None,
                 plan: IngestPlan | None = None, all_files: bool = False) -> RunOutcome:
    """Materialises the provinces' deliveries (all years found, or `years`) and everything downstream, in one
    run recorded in `instance` (default: the one DAGSTER_HOME points at). A run of some provinces ingests only
    their new or changed deliveries (and the national files' when they changed; `plan`, computed here unless
    given), or all of them with `all_files`."""
    found = delivered_years(settings.landing, [*provinces, NATIONAL])
    years = [y for y in found if years is None or y in years]
    if not years:
        return RunOutcome(False, f"no deliveries under {settings.landing} for {', '.join(provinces)}"
                                 + (" in the academic years asked for" if found else ""))
    plan = plan or plan_ingest(settings.landing, settings.warehouse_url, provinces, years, all_files)
    if instance is not None:
        return _run(settings, provinces, echo, years, instance, plan)
    with _instance_setup_lock(None):
        owned = DagsterInstance.get()
    # Closed when the run ends, so that its SQLite files are checkpointed then, not left to the process's exit
    # (which the `edusandbox` command makes without the interpreter's teardown).
    with owned:
        return _run(settings, provinces, echo, years, owned, plan)


def _run(settings: Settings, provinces: list[str], echo: Callable[[str], None], years: list[int],
         instance: DagsterInstance, plan: IngestPlan) -> RunOutcome:
    keys = [str(y) for y in years]
    whole = set(provinces) == set(PROVINCES)
    with _instance_setup_lock(instance):
        for run_id in release_crashed_runs(instance):
            echo(f"run {run_id} had died mid-run (its process is gone): marked failed, its slot freed")
        missing = [k for k in keys if not instance.has_dynamic_partition(ACADEMIC_YEARS.name, k)]
        if missing:
            instance.add_dynamic_partitions(ACADEMIC_YEARS.name, missing)
    defs = build_definitions(settings)
    job_name = FULL_REFRESH if whole else ADHOC_JOB
    if job_name == ADHOC_JOB:
        folders = list(dict.fromkeys([*provinces, *plan.folders]))
        adhoc = define_asset_job(ADHOC_JOB, selection=selection_for(folders, plan.steps))
        defs = Definitions.merge(defs, Definitions(jobs=[adhoc]))
    job = defs.resolve_job_def(job_name)

    echo(f"edusandbox run: {', '.join(provinces)} ({'+ national' if whole else plan.describe()}), academic "
         f"years {keys[0]}–{keys[-1]}, warehouse {settings.warehouse_url.split('://')[0]}, job {job_name}")
    if plan.steps:  # GX: imported here, not by the first ingest step, so that its objects are set aside too
        import assets.checks.validation  # noqa: F401
    started = time.perf_counter()
    # Each large ingest step ends with a full pass of the cycle collector (assets/free_memory.py): over the
    # objects made during the run only, a few ms instead of ~0.3 s.
    with long_lived_objects_set_aside():
        result = job.execute_in_process(
            instance=instance, run_config=QUIET_LOGS, raise_on_error=False,
            tags={ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1],
                  "edusandbox/trigger": "cli", HOST_TAG: socket.gethostname(),
                  PROCESS_TAG: process_identity(os.getpid()) or str(os.getpid())})
    elapsed = time.perf_counter() - started
    echo(f"run {result.run_id} {'succeeded' if result.success else 'FAILED'} in {elapsed:.1f} s")
    if not result.success:
        return RunOutcome(False, "a blocking check, a dbt test or a step failed; nothing downstream of it "
                          f"ran and the last good publication in {settings.publish_dir} is untouched:\n  "
                          + "\n  ".join(failures(result) or ["(see the run's log in the Dagster UI)"]),
                          run_id=result.run_id)
    return RunOutcome(True, "ok", settings.publish_dir / "index.html", run_id=result.run_id)
