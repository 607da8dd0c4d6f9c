"""`make bench`: the whole pipeline against a hand-written DuckDB-SQL baseline, on demo deliveries.

    python bench/run_bench.py [--scale 0.2] [--years 2567] [--skip-baseline] [--skip-delta] [--output F]

1. Generates demo deliveries at `--scale` with --error-rate 0 (reused when the same ones exist).
2. Measures, each as its own process: the whole pipeline as `edusandbox run` runs it (through
   bench/pipeline_probe.py, which times the ingest sub-steps); the baseline (bench/baseline.py); a
   one-province delta: one province re-delivers its student roster (1 % of rows withdrawn) and
   `edusandbox run --province P` runs on the same warehouse; optionally `make run`'s own command on a
   fresh home (--with-demo-run).
3. Checks that the pipeline's marts equal the baseline's (bench/compare.py), and writes the results as JSON
   (`--output`) and a Markdown table beside it (same name, .md), which it also prints.

Generated data and run homes live under `--workdir` (default .edusandbox/bench, git-ignored). Exit status 0
when every measured part succeeded and the marts agree (or the baseline was skipped).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # run as a script (`python bench/run_bench.py`): make `bench` importable
    sys.path.insert(0, str(REPO_ROOT))

import duckdb  # noqa: E402

from bench.compare import compare_warehouses  # noqa: E402
from bench.measure import Measured, machine, measure  # noqa: E402
from bench.report import evaluate_targets, markdown_report  # noqa: E402
from bench.stages import latest_run_stages  # noqa: E402
from pipelines.cli import parse_years  # noqa: E402
from pipelines.demo_defaults import DEMO_SEED  # noqa: E402

DEFAULT_SCALE = 0.2
DEFAULT_YEARS = "2567"
DEFAULT_OUTPUT = REPO_ROOT / "bench" / "results" / "latest.json"
DEFAULT_WORKDIR = REPO_ROOT / ".edusandbox" / "bench"
STUDENTS_AT_SCALE_1 = 300_000
"""Students a year over the four provinces at scale 1 (pipelines/demo_data/config.py profiles)."""
DELTA_FILES = {"satun": "students.csv", "sukhothai": "students.csv", "yala": "students_obec.jsonl"}
"""Province → the roster file its delta re-delivers (line-based formats, so a row is a line)."""
WITHDRAW_EVERY = 100


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench/run_bench.py", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE,
                        help=f"demo scale; 1.0 ≈ {STUDENTS_AT_SCALE_1:,} students a year, 30 ≈ 9 M")
    parser.add_argument("--years", type=parse_years, default=parse_years(DEFAULT_YEARS),
                        help="academic years BE, e.g. 2567 or 2566-2567")
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    parser.add_argument("--skip-baseline", action="store_true", help="no baseline, no comparison")
    parser.add_argument("--skip-delta", action="store_true", help="no one-province delta run")
    parser.add_argument("--delta-province", choices=sorted(DELTA_FILES), default="satun")
    parser.add_argument("--with-demo-run", action="store_true",
                        help="also time `make run`'s command (default demo, generated) on a fresh home")
    parser.add_argument("--fresh-landing", action="store_true",
                        help="regenerate the deliveries even if present")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="results JSON (a .md table beside it)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="generated data and run homes")
    return parser


OWN_LOCATIONS = ("DAGSTER_HOME", "EDUSANDBOX_HOME", "EDUSANDBOX_LANDING", "EDUSANDBOX_WAREHOUSE",
                 "EDUSANDBOX_PUBLISH_DIR", "EDUSANDBOX_ARCHIVE")
"""Settings the bench sets itself per part (a user's own values would send its runs elsewhere)."""


def bench_env() -> dict[str, str]:
    """The children's environment: a throwaway pseudonymisation key (never stored), no telemetry, and none
    of the user's storage locations."""
    env = {k: v for k, v in os.environ.items() if k not in OWN_LOCATIONS}
    env["EDUSANDBOX_PSEUDONYM_KEY"] = secrets.token_hex(32)
    env["DAGSTER_TELEMETRY_DISABLED"] = "1"
    return env


def _years_label(years: tuple[int, ...]) -> str:
    return f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])


# --- landing ---------------------------------------------------------------------------------------------


def prepare_landing(args: argparse.Namespace, work: Path,
                    env: dict[str, str]) -> tuple[Path, dict[str, object]]:
    """Demo deliveries for the run's parameters, generated unless the same ones are already there."""
    landing = work / f"landing-s{args.scale:g}-y{_years_label(args.years)}-seed{args.seed}"
    wanted = {"scale": args.scale, "years": list(args.years), "seed": args.seed, "error_rate": 0.0}
    marker = landing / ".bench-landing.json"
    info: dict[str, object] = {"path": str(landing), **wanted}
    if not args.fresh_landing and marker.exists() and json.loads(marker.read_text()) == wanted:
        info["generated"] = "reused"
    else:
        shutil.rmtree(landing, ignore_errors=True)
        command = [sys.executable, "-m", "pipelines.cli", "demo-data", "--out", str(landing), "--scale",
                   f"{args.scale:g}", "--years", _years_label(args.years), "--seed", str(args.seed),
                   "--error-rate", "0"]
        generated = measure("generate", command, env, work / "logs" / "generate.log", REPO_ROOT)
        if generated.returncode != 0:
            raise SystemExit(f"demo-data failed, see {generated.log}")
        marker.write_text(json.dumps(wanted), encoding="utf-8")
        info["generated"] = generated.as_dict()
    files = [p for p in landing.rglob("*") if p.is_file() and p.name != marker.name]
    info["files"] = len(files)
    info["bytes"] = sum(p.stat().st_size for p in files)
    return landing, info


# --- pipeline --------------------------------------------------------------------------------------------


def pipeline_command(home: Path, landing: Path, probe_file: Path,
                     provinces: tuple[str, ...] = ()) -> list[str]:
    command = [sys.executable, "-m", "bench.pipeline_probe", "--timings", str(probe_file), "--", "run",
               "--landing", str(landing), "--warehouse", f"duckdb:///{home / 'warehouse.duckdb'}",
               "--publish-dir", str(home / "publish")]
    for province in provinces:
        command += ["--province", province]
    return command


def pipeline_env(env: dict[str, str], home: Path) -> dict[str, str]:
    return {**env, "EDUSANDBOX_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}


def warehouse_counts(warehouse: Path, since: str | None = None) -> dict[str, object]:
    """Rows read / loaded / quarantined per entity (raw.deliveries; only files ingested at or after `since`,
    an ISO time, when given), all rows in the raw tables (what dbt reads), students per year, rows in the
    marts."""
    only = f"where ingested_at >= '{since}'" if since else ""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        deliveries = con.execute(
            "select entity, sum(rows_read), sum(rows_loaded), sum(rows_quarantined) "
            f"from raw.deliveries {only} group by entity order by entity").fetchall()
        raw_rows = con.execute("select sum(rows_loaded) from raw.deliveries").fetchone()[0]
        students = dict(con.execute(
            "select academic_year, count(*) from raw.students group by academic_year order by 1").fetchall())
        marts = con.execute("select table_name from information_schema.tables where table_schema = 'marts'"
                            ).fetchall()
        mart_rows = sum(con.execute(f"select count(*) from marts.{name}").fetchone()[0] for (name,) in marts)
    per_entity = {e: {"read": int(r), "loaded": int(lo), "quarantined": int(q)} for e, r, lo, q in deliveries}
    return {
        "rows_read": sum(v["read"] for v in per_entity.values()),
        "rows_loaded": sum(v["loaded"] for v in per_entity.values()),
        "rows_quarantined": sum(v["quarantined"] for v in per_entity.values()),
        "per_entity": per_entity,
        "raw_rows": int(raw_rows or 0),
        "students_per_year": {str(k): int(v) for k, v in students.items()},
        "mart_rows": int(mart_rows),
    }


def run_pipeline_part(label: str, home: Path, landing: Path, env: dict[str, str], work: Path,
                      provinces: tuple[str, ...] = ()) -> Measured:
    probe_file = home / f"probe-{label}.json"
    started = datetime.now(UTC).replace(microsecond=0).isoformat()
    measured = measure(label, pipeline_command(home, landing, probe_file, provinces), pipeline_env(env, home),
                       work / "logs" / f"{label}.log", REPO_ROOT)
    if probe_file.exists():
        measured.extra["probe"] = json.loads(probe_file.read_text())
    if (home / "dagster").exists():
        measured.extra["run"] = latest_run_stages(home / "dagster").as_dict()
    if measured.returncode == 0:
        # a run of some provinces ingests only the files new or changed since loaded: the rows it read are
        # those of the files it ingested (raw.deliveries.ingested_at, the ingest's UTC time in seconds)
        measured.extra["counts"] = warehouse_counts(home / "warehouse.duckdb",
                                                    since=started if provinces else None)
    return measured


# --- baseline ----------------------------------------------------------------------------------------------


def run_baseline_part(landing: Path, years: tuple[int, ...], env: dict[str, str], work: Path) -> Measured:
    folder = work / "baseline"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    timings = folder / "timings.json"
    command = [sys.executable, "-m", "bench.baseline", "--landing", str(landing), "--years",
               *map(str, years), "--out", str(folder / "result.duckdb"), "--workdir", str(folder / "work"),
               "--timings", str(timings)]
    measured = measure("baseline", command, env, work / "logs" / "baseline.log", REPO_ROOT)
    if timings.exists():
        measured.extra["timings"] = json.loads(timings.read_text())
    shutil.rmtree(folder / "work", ignore_errors=True)  # converted copies of the deliveries
    return measured


# --- delta ------------------------------------------------------------------------------------------------


def withdraw_rows(path: Path, every: int) -> int:
    """Rewrite a line-based delivery without every `every`-th record (the header line stays); returns how
    many records were withdrawn. Lines are split on LF bytes, which is safe in UTF-8 and cp874 alike."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    header_lines = 0 if path.suffix == ".jsonl" else 1
    keep = lines[:header_lines] + [line for i, line in enumerate(lines[header_lines:], start=1)
                                   if i % every or not line.strip()]
    path.write_bytes(b"\n".join(keep))
    return len(lines) - len(keep)


def run_delta_part(province: str, home: Path, landing: Path, years: tuple[int, ...], env: dict[str, str],
                   work: Path) -> Measured:
    """One province re-delivers its roster for the last year (1 % withdrawn); only it is re-run."""
    delivered = landing / province / str(years[-1]) / DELTA_FILES[province]
    backup = work / "delta-backup" / delivered.name
    backup.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(delivered, backup)
    try:
        withdrawn = withdraw_rows(delivered, WITHDRAW_EVERY)
        measured = run_pipeline_part("delta", home, landing, env, work, provinces=(province,))
    finally:
        shutil.copy2(backup, delivered)
    measured.extra["delta"] = {"province": province, "file": str(delivered.relative_to(landing)),
                               "rows_withdrawn": withdrawn}
    return measured


def run_demo_part(env: dict[str, str], work: Path) -> Measured:
    """`make run` after set-up: `edusandbox run --demo-if-empty` on an empty home (it generates the default
    demo deliveries, then runs)."""
    home = work / "demo-run"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    command = [sys.executable, "-m", "pipelines.cli", "run", "--demo-if-empty"]
    return measure("demo_run", command, {**env, "EDUSANDBOX_HOME": str(home)}, work / "logs" / "demo_run.log",
                   REPO_ROOT)


# --- main --------------------------------------------------------------------------------------------------


def write_results(results: dict[str, object], output: Path) -> str:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    table = markdown_report(results)
    output.with_suffix(".md").write_text(table, encoding="utf-8")
    return table


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = bench_env()
    started = time.perf_counter()
    results: dict[str, object] = {
        "started_at": datetime.now(UTC).replace(microsecond=0).isoformat(), "machine": machine(),
        "parameters": {"scale": args.scale, "years": list(args.years), "seed": args.seed, "error_rate": 0.0,
                       "expected_students_per_year": round(args.scale * STUDENTS_AT_SCALE_1)},
    }
    landing, results["landing"] = prepare_landing(args, work, env)
    home = work / f"run-s{args.scale:g}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    parts: dict[str, Measured] = {"pipeline": run_pipeline_part("pipeline", home, landing, env, work)}
    ok = parts["pipeline"].returncode == 0
    if not args.skip_baseline:
        parts["baseline"] = run_baseline_part(landing, args.years, env, work)
        ok = ok and parts["baseline"].returncode == 0
        if ok:
            comparison = compare_warehouses(home / "warehouse.duckdb", work / "baseline" / "result.duckdb")
            results["comparison"] = [c.as_dict() for c in comparison]
            ok = all(c.equal for c in comparison)
    if not args.skip_delta and parts["pipeline"].returncode == 0:
        parts["delta"] = run_delta_part(args.delta_province, home, landing, args.years, env, work)
        ok = ok and parts["delta"].returncode == 0
    if args.with_demo_run:
        parts["demo_run"] = run_demo_part(env, work)
        ok = ok and parts["demo_run"].returncode == 0
    results["parts"] = {name: part.as_dict() for name, part in parts.items()}
    results["targets"] = evaluate_targets(results)
    results["bench_seconds"] = time.perf_counter() - started
    print(write_results(results, args.output))
    print(f"results: {args.output} and {args.output.with_suffix('.md')}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
