"""The benchmark's results → targets met or missed, and the short Markdown table run_bench.py prints."""

from __future__ import annotations

from typing import Any

TARGET_STUDENTS = 9_000_000
MIB_PER_GB = 1024


def _pipeline(results: dict[str, Any], part: str = "pipeline") -> dict[str, Any] | None:
    return results.get("parts", {}).get(part)


def stage_rows(part: dict[str, Any]) -> list[tuple[str, float, int | None]]:
    """(stage, seconds, rows it handled) for one pipeline part; sub-steps of ingest are indented."""
    extra = part.get("extra", {})
    run = extra.get("run", {})
    stages = run.get("stages", {})
    probe = extra.get("probe", {}).get("seconds", {})
    counts = extra.get("counts", {})
    rows_read, loaded = counts.get("rows_read"), counts.get("rows_loaded")
    inside = sum(probe.get(k, 0.0) for k in ("adapter", "validation", "load", "reference"))
    return [
        ("process start-up and exit (imports, definitions)",
         part["wall_seconds"] - run.get("run_seconds", 0.0), None),
        ("orchestration (run planning, event writes)", stages.get("orchestration", 0.0), None),
        ("ingest (all ingest steps)", stages.get("ingest", 0.0), rows_read),
        ("  adapters (read, parse, pseudonymise, archive; waiting on read-ahead)", probe.get("adapter", 0.0),
         rows_read),
        ("  GX validation", probe.get("validation", 0.0), extra.get("probe", {}).get("rows_validated")),
        ("  warehouse load", probe.get("load", 0.0), loaded),
        ("  registry reference", probe.get("reference", 0.0), None),
        ("  rest of the ingest steps (Dagster events, reports)", max(stages.get("ingest", 0.0) - inside, 0.0),
         None),
        ("cross-delivery and freshness checks", stages.get("checks", 0.0), None),
        ("dbt build (models and tests)", stages.get("dbt", 0.0), counts.get("raw_rows")),
        ("publish (site and exports)", stages.get("publish", 0.0), counts.get("mart_rows")),
    ]


def _share(seconds: float, whole: float) -> float:
    return seconds / whole if whole else 0.0


def evaluate_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets against this run's figures. The first four apply at ≈ 9 M students a year."""
    pipeline, baseline = _pipeline(results), _pipeline(results, "baseline")
    delta, demo = _pipeline(results, "delta"), _pipeline(results, "demo_run")
    students = results.get("parameters", {}).get("expected_students_per_year", 0)
    at_target_size = students >= 0.9 * TARGET_STUDENTS
    validation = (pipeline or {}).get("extra", {}).get("probe", {}).get("seconds", {}).get("validation")

    def target(name: str, limit: float, measured: float | None, unit: str, sized: bool) -> dict[str, Any]:
        return {"target": name, "limit": limit, "measured": measured, "unit": unit,
                "met": None if measured is None else measured <= limit,
                "at_target_size": at_target_size if sized else True}

    return [
        target("full pipeline wall time", 300, pipeline and pipeline["wall_seconds"], "s", True),
        target("pipeline / baseline (wall)", 2.0,
               pipeline and baseline and pipeline["wall_seconds"] / baseline["wall_seconds"], "×", True),
        target("pipeline peak RSS (process tree)", 3 * MIB_PER_GB,
               pipeline and pipeline["peak_tree_rss_mib"], "MiB", True),
        target("one-province delta wall time", 20, delta and delta["wall_seconds"], "s", True),
        target("validation share of pipeline time", 0.25,
               pipeline and validation is not None and _share(validation, pipeline["wall_seconds"]), "",
               False),
        target("`make run` default demo", 60, demo and demo["wall_seconds"], "s", False),
    ]


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    if unit == "" and value <= 1:
        return f"{value:.0%}"
    return f"{value:,.1f}{(' ' + unit) if unit and unit != '×' else unit}"


def _parts_table(results: dict[str, Any]) -> list[str]:
    lines = ["| part | wall s | CPU s (user+sys) | peak RSS, tree (MiB) | max RSS, one process (MiB) "
             "| load avg before → after | exit |",
             "|---|---:|---:|---:|---:|---|---:|"]
    for name, part in results.get("parts", {}).items():
        load = f"{part['load_before'][0]:.1f} → {part['load_after'][0]:.1f}"
        lines.append(f"| {name} | {part['wall_seconds']:,.1f} | {part['cpu_seconds']:,.1f} | "
                     f"{part['peak_tree_rss_mib']:,.0f} | {part['max_rss_mib']:,.0f} | {load} | "
                     f"{part['returncode']} |")
    return lines


def _stage_table(part: dict[str, Any]) -> list[str]:
    lines = ["| stage | s | share of wall | rows | rows/s |", "|---|---:|---:|---:|---:|"]
    for stage, seconds, rows in stage_rows(part):
        # under a tenth of a second (a step that found its files read already) a rate says nothing
        rate = f"{rows / seconds:,.0f}" if rows and seconds >= 0.1 else "–"
        lines.append(f"| {stage} | {seconds:,.1f} | {_share(seconds, part['wall_seconds']):.0%} | "
                     f"{'–' if rows is None else f'{rows:,}'} | {rate} |")
    return lines


def markdown_report(results: dict[str, Any]) -> str:
    m, p = results["machine"], results["parameters"]
    lines = [
        f"## edusandbox benchmark, {results['started_at']}",
        "",
        f"Machine: {m['cpu']}, {m['cores_usable']} cores usable, {m['memory_gib']} GiB RAM, "
        f"Python {m['python']}, DuckDB {m['versions']['duckdb']}, dagster {m['versions']['dagster']}, "
        f"dbt-core {m['versions']['dbt-core']}; load average at start {m['load_average_at_start'][0]:.1f}.",
        f"Deliveries: scale {p['scale']:g} (≈ {p['expected_students_per_year']:,} students a year), "
        f"academic years {', '.join(map(str, p['years']))}, seed {p['seed']}, error rate 0; "
        f"{results['landing']['files']} files, {results['landing']['bytes'] / 2**20:,.0f} MiB.",
        "",
        *_parts_table(results),
    ]
    parts = results.get("parts", {})
    if "pipeline" in parts and "baseline" in parts:
        pipe, base = parts["pipeline"], parts["baseline"]
        lines += ["", f"Pipeline / baseline: {pipe['wall_seconds'] / base['wall_seconds']:.1f}× wall time, "
                      f"{pipe['cpu_seconds'] / max(base['cpu_seconds'], 1e-9):.1f}× CPU time."]
    for comparison in results.get("comparison", []):
        verdict = "equal" if comparison["equal"] else "DIFFERENT"
        lines.append(f"Marts, {comparison['mart']}: {verdict} ({comparison['pipeline_rows']:,} pipeline "
                     f"rows, {comparison['baseline_rows']:,} baseline rows, {comparison['indicators']} "
                     f"indicators; {comparison['only_in_pipeline']} only in the pipeline, "
                     f"{comparison['only_in_baseline']} only in the baseline, "
                     f"{comparison['value_mismatches']} with other numbers).")
    for name in ("pipeline", "delta"):
        if name in parts and parts[name].get("extra", {}).get("run"):
            lines += ["", f"Stages of the {name} run:", "", *_stage_table(parts[name])]
    lines += ["", "| target | limit | measured | met | at the target's size |", "|---|---:|---:|---|---|"]
    for t in results.get("targets", []):
        met = "–" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['target']} | {_fmt(t['limit'], t['unit'])} | {_fmt(t['measured'], t['unit'])} "
                     f"| {met} | {'yes' if t['at_target_size'] else 'no (smaller run)'} |")
    return "\n".join(lines) + "\n"
