"""`edusandbox` command line: demo-data, run, ui, prepare."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from assets.contract.entities import PROVINCES
from pipelines.demo_defaults import DEFAULT_ERROR_RATE, DEFAULT_SCALE, DEFAULT_YEARS, DEMO_SEED

if TYPE_CHECKING:
    from pipelines.changed_deliveries import IngestPlan
    from pipelines.settings import Settings


def parse_years(text: str) -> tuple[int, ...]:
    start, _, end = text.partition("-")
    first, last = int(start), int(end or start)
    if first < 2400 or last < first:
        raise argparse.ArgumentTypeError(f"years must be Buddhist Era, e.g. 2564-2567; got {text!r}")
    return tuple(range(first, last + 1))


def _province(text: str) -> str:
    slug = text.strip().lower().replace(" ", "_").replace("-", "_")
    if slug not in PROVINCES:
        raise argparse.ArgumentTypeError(f"unknown province {text!r}; choose from {', '.join(PROVINCES)}")
    return slug


def _use_dagster_home(home: Path) -> None:
    """Dagster's default local storage under the project's git-ignored folder, unless DAGSTER_HOME is set."""
    from pipelines.settings import prepare_dagster_home

    os.environ.setdefault("DAGSTER_HOME", str(home))
    prepare_dagster_home(Path(os.environ["DAGSTER_HOME"]))


def cmd_demo_data(args: argparse.Namespace) -> int:
    from assets.read_ahead import read_ahead
    from pipelines.demo_data import generate_landing
    from pipelines.settings import Settings

    out = Path(args.out) if args.out else Settings.from_env().landing
    started = time.perf_counter()
    summary = generate_landing(out, seed=args.seed, scale=args.scale, years=args.years,
                               error_rate=args.error_rate, run_all=read_ahead().run_all)
    print(f"wrote {len(summary.files_written)} files to {out} in {time.perf_counter() - started:.1f} s")
    return 0


def _landing_is_empty(landing: Path) -> bool:
    return not any((landing / p).is_dir() for p in PROVINCES)


def _read_before_the_run(settings: Settings, provinces: list[str], years: tuple[int, ...] | None,
                         all_files: bool) -> IngestPlan | None:
    """Decides which deliveries the run ingests (all of them, or a province's new or changed ones) and hands
    them to the read-ahead workers now, so they read while this process imports Dagster and GX; the run's
    first ingest step keeps what they read (ReadAhead.plan). An optimisation: a problem here is left for the
    run to report (it decides again when given no plan)."""
    from assets.contract.entities import NATIONAL
    from assets.file_reading import read_task
    from assets.ingest_order import delivered_years, read_first, run_tasks
    from assets.parsing.pseudonym import PseudonymKeyError, load_pseudonym_key
    from assets.read_ahead import read_ahead
    from pipelines.changed_deliveries import plan_ingest

    try:
        found = delivered_years(settings.landing, [*provinces, NATIONAL])
        wanted = [y for y in found if not years or y in years]
        plan = plan_ingest(settings.landing, settings.warehouse_url, provinces, wanted, all_files)
    except Exception:  # noqa: BLE001 - e.g. the warehouse unreachable: the run decides, and reports it
        return None
    workers = read_ahead()
    if not workers.workers or not plan.steps:
        return plan
    try:
        tasks = run_tasks(settings.landing, plan.steps, wanted)
        key = load_pseudonym_key()
    except (OSError, PseudonymKeyError):
        return plan
    workers.plan(None, tasks, read_task, settings.archive_dir, key, first=read_first(tasks),
                 spill_to=settings.home)
    return plan


def cmd_run(args: argparse.Namespace) -> int:
    from assets.read_ahead import read_ahead
    from pipelines.settings import Settings

    # The workers import the reading code (and generate the demo deliveries, when there are none: a province
    # each, ~3.5 s) while this process imports Dagster and the definitions (~4 s).
    workers = read_ahead()
    workers.warm_up("assets.file_reading")
    settings = Settings.from_env(landing=args.landing, warehouse_url=args.warehouse,
                                 publish_dir=args.publish_dir)
    provinces = args.province or list(PROVINCES)
    pending_demo = None
    if args.demo_if_empty and _landing_is_empty(settings.landing):
        from pipelines.demo_data import generate as demo

        print(f"[demo] no deliveries in {settings.landing}: generating the demo landing zone", flush=True)
        started = time.perf_counter()
        request = demo.DemoRequest(settings.landing)
        pending_demo = {p: workers.submit(demo.generate_province, request, p) for p in demo.GENERATION_ORDER}
    else:
        plan = _read_before_the_run(settings, provinces, args.years, args.all_files)
    from pipelines.run import run_pipeline

    if pending_demo is not None:
        # GX now, while the demo is generated, rather than in the first ingest step. Without a demo to wait
        # for, that step imports it while the workers read the first deliveries.
        from assets.checks import validation  # noqa: F401

        summary = demo.join_provinces(request, {
            province: workers.result(future, demo.generate_province, request, province)
            for province, future in pending_demo.items()})
        seconds = time.perf_counter() - started
        print(f"[demo] {len(summary.files_written)} files generated in {seconds:.1f} s", flush=True)
        plan = _read_before_the_run(settings, provinces, args.years, args.all_files)
    _use_dagster_home(settings.dagster_home)
    console = sys.stdout
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=console)
    progress = logging.getLogger("edusandbox.progress")
    progress.setLevel(logging.INFO)
    log_path = settings.home / "logs" / f"run-{time.strftime('%Y%m%dT%H%M%S')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    print(f"detailed log (dbt output): {log_path}", flush=True)
    # dbt's own event stream goes to the log file; progress lines and the outcome go to the console.
    with log_path.open("w", encoding="utf-8") as detail, contextlib.redirect_stdout(detail):
        outcome = run_pipeline(settings, provinces=provinces,
                               echo=lambda line: print(line, file=console, flush=True),
                               years=list(args.years) if args.years else None, plan=plan,
                               all_files=args.all_files)
    if not outcome.success:
        print(f"FAILED: {outcome.message}", file=sys.stderr)
        return 1
    print(outcome.index_path)
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    from pipelines.settings import REPO_ROOT, Settings

    settings = Settings.from_env()
    _use_dagster_home(settings.dagster_home)
    command = [str(Path(sys.executable).with_name("dagster")), "dev", "-w", str(REPO_ROOT / "workspace.yaml"),
               "-h", "127.0.0.1", "-p", str(args.port)]
    print(" ".join(command), flush=True)
    # Replaced by dagster dev rather than waiting on it: Ctrl-C and SIGTERM reach it directly and it shuts its
    # webserver, daemon and code server down itself (a waiting parent would kill it on KeyboardInterrupt).
    from pipelines.interrupts import restore_default_signals

    os.chdir(REPO_ROOT)
    restore_default_signals()
    os.execv(command[0], command)


def cmd_pg_access(args: argparse.Namespace) -> int:
    from pipelines.access import ensure_reader_roles, password_variable
    from pipelines.resources.warehouse import Warehouse, WarehouseError
    from pipelines.settings import Settings

    settings = Settings.from_env(warehouse_url=args.warehouse)
    try:
        outcomes = ensure_reader_roles(Warehouse.from_url(settings.warehouse_url))
    except WarehouseError as err:
        print(f"pg-access: {err}", file=sys.stderr)
        return 2
    for o in outcomes:
        login = "can log in" if o.can_login else f"no login (set {password_variable(o.role)} to allow it)"
        print(f"{o.role}: {'created' if o.created else 'exists'}, {login}")
    print("grants and row-level security are applied to every mart table by the next dbt build")
    return 0


def cmd_prepare(_: argparse.Namespace) -> int:
    from pipelines.dbt_project import ensure_manifest

    print(f"dbt manifest ready: {ensure_manifest()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edusandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo-data", help="write deterministic demo deliveries for the four provinces")
    demo.add_argument("--out", help="landing folder (default: EDUSANDBOX_LANDING or .edusandbox/landing)")
    demo.add_argument("--seed", type=int, default=DEMO_SEED)
    demo.add_argument("--scale", type=float, default=DEFAULT_SCALE,
                      help=f"student population multiplier (1.0 ≈ real size; default {DEFAULT_SCALE})")
    demo.add_argument("--years", type=parse_years, default=DEFAULT_YEARS,
                      help=f"academic years BE, e.g. {DEFAULT_YEARS[0]}-{DEFAULT_YEARS[-1]}")
    demo.add_argument("--error-rate", type=float, default=DEFAULT_ERROR_RATE,
                      help=f"share of rows with injected real-world mess (default {DEFAULT_ERROR_RATE})")
    demo.set_defaults(func=cmd_demo_data)

    run = sub.add_parser("run", help="materialise the whole asset graph in process")
    run.add_argument("--landing", help="landing folder (EDUSANDBOX_LANDING)")
    run.add_argument("--warehouse", help="SQLAlchemy URL of the warehouse (EDUSANDBOX_WAREHOUSE)")
    run.add_argument("--publish-dir", help="where the monitors are published (EDUSANDBOX_PUBLISH_DIR)")
    run.add_argument("--province", type=_province, action="append",
                     help="limit ingest to a province (repeat): its new or changed deliveries, and the "
                          "national files when they changed")
    run.add_argument("--all-files", action="store_true",
                     help="with --province: ingest every delivery, changed or not (after a new "
                          "pseudonymisation key or adapter code)")
    run.add_argument("--years", type=parse_years,
                     help="only these academic years BE, e.g. 2566-2567 (a backfill)")
    run.add_argument("--demo-if-empty", action="store_true",
                     help="generate demo deliveries when landing is empty")
    run.set_defaults(func=cmd_run)

    ui = sub.add_parser("ui", help="the Dagster webserver on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)

    access = sub.add_parser("pg-access",
                            help="create the per-province and analyst roles on a PostgreSQL warehouse")
    access.add_argument("--warehouse",
                        help="SQLAlchemy URL of the PostgreSQL warehouse (EDUSANDBOX_WAREHOUSE)")
    access.set_defaults(func=cmd_pg_access)

    prepare = sub.add_parser("prepare", help="parse the dbt project once (manifest for Dagster)")
    prepare.set_defaults(func=cmd_prepare)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


_returned: list[int] = []


def entry() -> None:
    """The `edusandbox` command (pyproject's script): main(), then an exit without the interpreter's teardown.

    After a run the process holds the objects of Dagster, GX and pandas by the million, and Python's teardown
    frees them one by one (1.8 s after a demo run) with no effect outside the process. Everything that has
    one still happens: other threads are waited for and every exit handler runs (workers stopped, temporary
    folders removed), then the logs and standard streams are flushed. An exception leaves the usual way.
    """
    atexit.register(_exit_without_teardown)  # the first registered runs last, after every later one
    _returned.append(main())
    sys.exit(_returned[0])


def _exit_without_teardown() -> None:
    if not _returned:  # main raised: the usual exit, with its traceback and status
        return
    logging.shutdown()  # its own exit handler was registered before this one, so it would not run
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(_returned[0])


if __name__ == "__main__":
    entry()
