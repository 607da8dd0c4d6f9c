"""Checks across deliveries, as Dagster asset checks on the ingest assets, with the rules in GX suites.

- `emis_vs_roster` on `raw/<province>/enrolment_counts`: OBEC EMIS counts per school and grade against the
  number of students the province's roster lists for that school and grade, within a tolerance.
- `enrolment_year_over_year` on `raw/<province>/students`: roster enrolment per grade (and in total) against
  the previous academic year; a fall or rise beyond 30 % is flagged (WARN).

Each check reads the warehouse (`warehouse` resource, DuckDB or PostgreSQL) into a small comparison frame and
validates that frame with the expectations of `expectations/cross/<check>.json` through the same in-memory
GX context as the deliveries (assets.checks.gx_runner). Checks cover every academic year in the warehouse
for the province (Dagster checks are per asset, not per partition), are never blocking (the deliveries are
already loaded; either side may be the wrong one) and list the flagged rows in their metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from dagster import AssetCheckResult, AssetChecksDefinition, AssetCheckSeverity, MetadataValue, asset_check

from assets.checks import CROSS_DIR_NAME
from assets.contract.entities import ENTITIES, PROVINCES
from assets.ingest_assets import ingest_key
from pipelines.resources.warehouse import Warehouse, WarehouseResource

EMIS_VS_ROSTER = "emis_vs_roster"
YEAR_OVER_YEAR = "enrolment_year_over_year"
TOTAL_GRADE = "ALL"
"""Grade label of the all-grades total in the year-over-year frame."""
OBEC_AFFILIATION = "10"
FLAGGED_SHOWN = 25
"""Flagged rows listed in the check's metadata (the count covers all of them)."""

EMIS_COLUMNS = ["academic_year", "school_id", "grade", "emis_total"]
ROSTER_COLUMNS = ["academic_year", "school_id", "grade", "roster_total"]
GRADE_COUNT_COLUMNS = ["academic_year", "grade", "enrolment"]


@dataclass
class CrossOutcome:
    """A cross-delivery suite run on a comparison frame."""

    suite_name: str
    severity: AssetCheckSeverity
    frame: pd.DataFrame
    """The comparison frame that was validated."""
    flagged: pd.DataFrame
    """Rows of `frame` failing an expectation, with a `reason` column (the failed expectations' labels)."""
    results: list[dict[str, Any]]

    @property
    def passed(self) -> bool:
        return all(r["success"] for r in self.results)


# -- reading the warehouse ---------------------------------------------------------------------------------

def _read_or_empty(warehouse: Warehouse, table: str, sql: str, params: tuple[Any, ...],
                   columns: list[str]) -> pd.DataFrame:
    """The query's rows, or an empty frame with `columns` while the table does not exist (first run)."""
    if not warehouse.table_exists(table):
        return pd.DataFrame({c: [] for c in columns})
    return warehouse.read_frame(sql, params)[columns]


def _typed_counts(frame: pd.DataFrame, count_column: str) -> pd.DataFrame:
    """Same dtypes whichever engine answered (PostgreSQL rows come back as Python objects)."""
    types = {"academic_year": "int64", count_column: "int64", "grade": "str"}
    if "school_id" in frame.columns:
        types["school_id"] = "str"
    return frame.astype(types)


def emis_counts(warehouse: Warehouse, province: str) -> pd.DataFrame:
    """EMIS enrolment per academic year, school and grade."""
    table = ENTITIES["enrolment_counts"].table
    sql = (f"select academic_year, school_id, grade, cast(sum(total) as bigint) as emis_total from {table} "
           "where province = ? group by academic_year, school_id, grade")
    return _typed_counts(_read_or_empty(warehouse, table, sql, (province,), EMIS_COLUMNS), "emis_total")


def roster_counts(warehouse: Warehouse, province: str) -> pd.DataFrame:
    """Roster rows (students) per academic year, school and grade."""
    table = ENTITIES["students"].table
    sql = (f"select academic_year, school_id, grade, cast(count(*) as bigint) as roster_total from {table} "
           "where province = ? group by academic_year, school_id, grade")
    return _typed_counts(_read_or_empty(warehouse, table, sql, (province,), ROSTER_COLUMNS), "roster_total")


def enrolment_by_grade(warehouse: Warehouse, province: str) -> pd.DataFrame:
    """Roster enrolment per academic year and grade."""
    table = ENTITIES["students"].table
    sql = (f"select academic_year, grade, cast(count(*) as bigint) as enrolment from {table} "
           "where province = ? group by academic_year, grade")
    return _typed_counts(_read_or_empty(warehouse, table, sql, (province,), GRADE_COUNT_COLUMNS), "enrolment")


# -- comparison frames -------------------------------------------------------------------------------------

def emis_vs_roster_frame(emis: pd.DataFrame, roster: pd.DataFrame, province: str) -> pd.DataFrame:
    """One row per academic_year x school_id x grade, for the years both sources cover, over the schools
    EMIS reports plus the roster's OBEC schools (an OBEC school missing from EMIS is a gap; other
    affiliations are outside EMIS). Columns: province, academic_year, school_id, grade, emis_total,
    roster_total, abs_gap, relative_gap (abs_gap / the larger count)."""
    years = sorted(set(emis["academic_year"]) & set(roster["academic_year"]))
    keys = ["academic_year", "school_id", "grade"]
    merged = emis[emis["academic_year"].isin(years)].merge(
        roster[roster["academic_year"].isin(years)], on=keys, how="outer")
    emis_schools = set(zip(emis["academic_year"], emis["school_id"], strict=True))
    in_emis = pd.Series([k in emis_schools for k in zip(merged["academic_year"], merged["school_id"],
                                                        strict=True)], index=merged.index, dtype=bool)
    merged = merged[in_emis | merged["school_id"].str.startswith(OBEC_AFFILIATION)]
    emis_total = merged["emis_total"].fillna(0).to_numpy(dtype=np.int64)
    roster_total = merged["roster_total"].fillna(0).to_numpy(dtype=np.int64)
    gap = np.abs(emis_total - roster_total)
    frame = pd.DataFrame({
        "province": province,
        "academic_year": merged["academic_year"].to_numpy(dtype=np.int64),
        "school_id": merged["school_id"].to_numpy(dtype=object),
        "grade": merged["grade"].to_numpy(dtype=object),
        "emis_total": emis_total,
        "roster_total": roster_total,
        "abs_gap": gap,
        # rounded so that a gap of exactly the tolerance is not flagged by floating-point noise
        "relative_gap": np.round(gap / np.maximum(np.maximum(emis_total, roster_total), 1), 6),
    })
    return frame.sort_values(keys, ignore_index=True).astype({"school_id": "str", "grade": "str"})


def year_over_year_frame(counts: pd.DataFrame, province: str) -> pd.DataFrame:
    """One row per academic_year x grade (and grade ALL, the total) whose previous academic year is also
    in `counts`; a grade present in only one of the two years counts 0 in the other. Columns: province,
    academic_year, grade, enrolment, previous_enrolment, change (enrolment / previous - 1; missing when the
    previous year had none)."""
    totals = counts.groupby("academic_year", as_index=False)["enrolment"].sum().assign(grade=TOTAL_GRADE)
    by_grade = pd.concat([counts, totals[GRADE_COUNT_COLUMNS]], ignore_index=True)
    years = set(by_grade["academic_year"])
    parts = []
    for year in sorted(y for y in years if y - 1 in years):
        current = by_grade[by_grade["academic_year"] == year][["grade", "enrolment"]]
        previous = by_grade[by_grade["academic_year"] == year - 1][["grade", "enrolment"]]
        pair = current.merge(previous.rename(columns={"enrolment": "previous_enrolment"}), on="grade",
                             how="outer").fillna(0)
        parts.append(pair.assign(academic_year=year))
    if not parts:
        return pd.DataFrame({c: [] for c in ["province", "academic_year", "grade", "enrolment",
                                             "previous_enrolment", "change"]})
    frame = pd.concat(parts, ignore_index=True)
    enrolment = frame["enrolment"].to_numpy(dtype=np.int64)
    previous = frame["previous_enrolment"].to_numpy(dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(previous > 0, np.round(enrolment / previous - 1, 6), np.nan)
    return pd.DataFrame({
        "province": province, "academic_year": frame["academic_year"].to_numpy(dtype=np.int64),
        "grade": frame["grade"].astype("str").to_numpy(), "enrolment": enrolment,
        "previous_enrolment": previous, "change": change,
    }).sort_values(["academic_year", "grade"], ignore_index=True)


# -- running the suites ------------------------------------------------------------------------------------

def run_cross_suite(name: str, frame: pd.DataFrame) -> CrossOutcome:
    """Validates a comparison frame with `expectations/cross/<name>.json`; flags the failing rows."""
    # Great Expectations takes seconds to import: only runs pay for it, not every load of the code location.
    from assets.checks.gx_runner import (
        WITH_INDICES,
        add_reason,
        failing_positions,
        run_expectations,
        summarise,
    )
    from assets.checks.suites import label_of, load_cross_suite

    suite = load_cross_suite(name)
    severity = AssetCheckSeverity[str((suite.meta or {}).get("check_severity", "WARN"))]
    frame = frame.reset_index(drop=True)
    expectations = list(suite.expectations)
    if frame.empty:
        return CrossOutcome(suite.name, severity, frame, frame.assign(reason=pd.Series(dtype="str")), [])
    reasons = np.full(len(frame), None, dtype=object)
    results = []
    for expectation, result in zip(expectations, run_expectations(frame, expectations, WITH_INDICES),
                                   strict=True):
        results.append(summarise(expectation, result))
        add_reason(reasons, failing_positions(result), label_of(expectation))
    bad = ~np.equal(reasons, None)
    flagged = frame[bad].assign(reason=reasons[bad].astype(str))
    return CrossOutcome(suite.name, severity, frame, flagged, results)


def _markdown(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_none_"
    shown = frame.head(FLAGGED_SHOWN).astype(str)
    header = "| " + " | ".join(shown.columns) + " |\n|" + "---|" * len(shown.columns) + "\n"
    body = "\n".join("| " + " | ".join(row) + " |" for row in shown.itertuples(index=False))
    more = f"\n\n… and {len(frame) - FLAGGED_SHOWN} more" if len(frame) > FLAGGED_SHOWN else ""
    return header + body + more


def check_result(outcome: CrossOutcome, what: str, nothing_to_compare: str) -> AssetCheckResult:
    """The Dagster result: passed, severity from the suite, counts per year, flagged rows, GX results."""
    per_year = outcome.flagged.groupby("academic_year").size().to_dict() if len(outcome.flagged) else {}
    if outcome.frame.empty:
        description = nothing_to_compare
    else:
        years = ", ".join(f"{year}: {count}" for year, count in sorted(per_year.items())) or "none"
        description = f"{len(outcome.flagged)} of {len(outcome.frame)} {what} flagged (per year: {years})"
    return AssetCheckResult(
        passed=outcome.passed,
        severity=outcome.severity,
        description=description,
        metadata={
            "suite": f"expectations/{CROSS_DIR_NAME}/{outcome.suite_name.split('/', 1)[-1]}.json",
            "academic_years_compared": MetadataValue.json(
                sorted(int(y) for y in set(outcome.frame.get("academic_year", pd.Series(dtype="int64"))))),
            "rows_compared": len(outcome.frame),
            "rows_flagged": len(outcome.flagged),
            "flagged_per_year": MetadataValue.json({str(k): int(v) for k, v in per_year.items()}),
            "flagged": MetadataValue.md(_markdown(outcome.flagged)),
            "expectations": MetadataValue.json(outcome.results),
        },
    )


def emis_vs_roster_outcome(warehouse: Warehouse, province: str) -> CrossOutcome:
    emis, roster = emis_counts(warehouse, province), roster_counts(warehouse, province)
    return run_cross_suite(EMIS_VS_ROSTER, emis_vs_roster_frame(emis, roster, province))


def year_over_year_outcome(warehouse: Warehouse, province: str) -> CrossOutcome:
    return run_cross_suite(YEAR_OVER_YEAR, year_over_year_frame(enrolment_by_grade(warehouse, province),
                                                                province))


def emis_vs_roster_result(warehouse: Warehouse, province: str) -> AssetCheckResult:
    return check_result(emis_vs_roster_outcome(warehouse, province), "school x grade cells",
                        "nothing to compare: no academic year with both EMIS counts and a roster for "
                        f"{province}")


def year_over_year_result(warehouse: Warehouse, province: str) -> AssetCheckResult:
    return check_result(year_over_year_outcome(warehouse, province), "grade x year figures",
                        f"nothing to compare: no two consecutive academic years of roster for {province}")


# -- Dagster asset checks ----------------------------------------------------------------------------------

CheckBody = Callable[[Warehouse, str], AssetCheckResult]


def build_check(province: str, *, entity: str, other: str, name: str, body: CheckBody,
                description: str) -> AssetChecksDefinition:
    """An asset check on `raw/<province>/<entity>` that also reads `raw/<province>/<other>`."""

    @asset_check(asset=ingest_key(province, entity), name=name, description=description, blocking=False,
                 additional_deps=[ingest_key(province, other)] if other != entity else [])
    def _check(warehouse: WarehouseResource) -> AssetCheckResult:
        wh = warehouse.get_warehouse()
        with wh.session():
            return body(wh, province)

    return _check


def build_emis_vs_roster_check(province: str) -> AssetChecksDefinition:
    return build_check(
        province, entity="enrolment_counts", other="students", name=EMIS_VS_ROSTER,
        body=emis_vs_roster_result,
        description="EMIS counts per school and grade agree with the roster's students within the tolerance "
                    f"of expectations/{CROSS_DIR_NAME}/{EMIS_VS_ROSTER}.json (GX), every academic year.")


def build_year_over_year_check(province: str) -> AssetChecksDefinition:
    return build_check(
        province, entity="students", other="students", name=YEAR_OVER_YEAR, body=year_over_year_result,
        description="Roster enrolment per grade and in total changes by at most 30 % from the previous "
                    f"academic year (expectations/{CROSS_DIR_NAME}/{YEAR_OVER_YEAR}.json, GX); WARN.")


CROSS_DELIVERY_CHECKS: list[AssetChecksDefinition] = [
    build(province)
    for province in PROVINCES
    for build in (build_emis_vs_roster_check, build_year_over_year_check)
]
