"""Validating one delivered file's contract rows with Great Expectations before they are written.

    reference = reference_from_warehouse(warehouse, "yala", 2566)   # once per province and year
    outcome = validate_delivery("students", "yala", adapter_result.rows, reference=reference)
    if outcome.passed: write(outcome.valid_rows); write_quarantine(outcome.quarantined)

Reference rules (school in the registry, DOPA district and subdistrict codes) take their value sets from the
reference (assets.checks.reference); a rule whose set is unknown (no registry yet) is listed in
`outcome.skipped` and in the report instead of failing every row. Without `reference`, geography comes from
geothai and the registry rules are skipped.

How it runs (each step timed on 1M synthetic students, see expectations/README.md):
1. The blocking (structural) expectations run on the rows as delivered: row count, column list, dtypes. A
   failure rejects the file: every row goes to quarantine with the failures as reason, so
   rows_read == valid + quarantined holds even then. Row checks are skipped (they would only error).
2. The row and warning expectations run on the rows plus the helper columns of assets.checks.derived. In
   large files, per-value rules run on the distinct values of the columns they read, asking GX for the
   failing ones, which are mapped back to rows (assets.checks.distinct_values); a compound key's uniqueness
   is found by hashing the key there (`key_surely_unique`), else checked part by part (`uniqueness_parts`);
   the others run on every row with a cheap result format (counts only).
3. Of the row expectations checked on every row, only those that failed run again with result_format
   COMPLETE, which makes GX list the failing rows' index (asking it of all costs time for those that passed).
Rows are identified by position (the frame is re-indexed 0..n-1), not by `source_row`: a Mae Hong Son
workbook repeats sheet row numbers across its agency sheets, so `source_row` is not unique in a file.
A row expectation GX cannot evaluate (it raised) counts as blocking: which rows fail is then unknown.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

import numpy as np
import pandas as pd
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.row_conditions import ComparisonCondition

from assets.checks.derived import with_derived_columns
from assets.checks.distinct_values import group_by_distinct_values, key_surely_unique, uniqueness_parts
from assets.checks.gx_runner import (
    COUNTS_ONLY,
    EXAMPLES_PER_EXPECTATION,
    WITH_INDICES,
    add_reason,
    failing_positions,
    met_summary,
    run_expectations,
    summarise,
)
from assets.checks.reference import Reference, geography_reference
from assets.checks.report import render_report
from assets.checks.suites import BLOCKING, ROW, WARNING, label_of, load_suite, parameters_of, severity_of

__all__ = ["QUARANTINE_COLUMNS", "Reference", "ValidationOutcome", "load_suite", "validate_delivery"]

TYPE_CHECK = "expect_column_values_to_be_in_type_list"
QUARANTINE_COLUMNS = ("source_row", "agency", "reason", "record")
"""Same shape as the adapters' rejects (assets.sources.base.AdapterResult.rejects), so both can be stored
together."""


@dataclass
class ValidationOutcome:
    entity: str
    province: str
    blocking_failures: list[str]
    """Human-readable: expectation, column and what failed."""
    valid_rows: pd.DataFrame
    """Rows passing every row-level expectation (contract columns only)."""
    quarantined: pd.DataFrame
    """source_row, reason (the failed expectations, '; '-joined), record (the row's values as JSON)."""
    expectation_results: list[dict[str, Any]]
    """Per expectation: type, columns, condition, label, severity, rule, success, unexpected_count,
    examples (a few failing values), observed (table-level result), error (if GX raised)."""
    report_html: str
    rows_read: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall time per step (structural, rows, indices, quarantine, report), for the benchmarks."""
    skipped: list[str] = field(default_factory=list)
    """Expectations not evaluated, with why (a reference set that is not known, e.g. no school registry)."""
    notes: list[str] = field(default_factory=list)
    """Facts about the reference used (e.g. an earlier year's registry)."""
    quarantined_positions: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    """Positions (0-based, in the rows validated) of the quarantined rows, in the order of `quarantined`, so a
    caller that validated several files at once can give each file its own rows back."""

    @property
    def passed(self) -> bool:
        """No blocking failure: the valid rows may be written."""
        return not self.blocking_failures

    @property
    def warnings(self) -> list[str]:
        return [r["label"] for r in self.expectation_results if r["severity"] == WARNING and not r["success"]]

    @property
    def rows_accounted_for(self) -> bool:
        """Nothing lost: every row read is either valid or quarantined, exactly once."""
        return self.rows_read == len(self.valid_rows) + len(self.quarantined)


def _numpy_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable Int64/Float64 columns as float64 with NaN for missing, for the row checks only.

    GX's range check is vectorised for numpy numbers but calls a Python function per value for pandas'
    nullable dtypes (a second per column per million rows). Missing stays missing (NaN is null to GX) and
    counts, years and scores are exact in float64. Dtypes were already checked on the original rows.
    """
    nullable = [c for c, t in frame.dtypes.items() if isinstance(t, pd.Int64Dtype | pd.Float64Dtype)]
    if not nullable:
        return frame
    return frame.assign(**{c: frame[c].to_numpy(dtype="float64", na_value=np.nan) for c in nullable})


def _structural_message(summary: dict[str, Any], expectation: Expectation, frame: pd.DataFrame) -> str:
    """Why a blocking expectation failed, in words (GX's own result is terse for these)."""
    label = summary["label"]
    kwargs = expectation.configuration.kwargs
    kind = summary["type"]
    if kind == "expect_table_row_count_to_be_between":
        return f"{label}: the file has {len(frame)} rows (at least {kwargs.get('min_value')} expected)"
    if kind == "expect_table_columns_to_match_ordered_list":
        expected, found = list(kwargs["column_list"]), list(frame.columns)
        missing = [c for c in expected if c not in found]
        extra = [c for c in found if c not in expected]
        if missing or extra:
            return f"{label}: missing columns {missing}, unexpected columns {extra}"
        return f"{label}: columns out of order: expected {expected}, found {found}"
    column = summary["columns"][0] if summary["columns"] else None
    if kind == "expect_column_values_to_be_in_type_list" and column is not None:
        if column not in frame.columns:
            return f"{label}: column missing"
        expected = " or ".join(kwargs["type_list"])
        return f"{label}: dtype {_as_typed(frame)[column].dtype} where {expected} expected"
    if summary["error"]:
        return f"{label}: could not be evaluated ({summary['error']})"
    return f"{label}: failed (observed {summary['observed']!r}, {summary['unexpected_count']} unexpected)"


def _records_json(frame: pd.DataFrame) -> np.ndarray:
    """Each row's values as one JSON object (pandas' C writer: fast enough for a whole rejected file)."""
    if frame.empty:
        return np.array([], dtype=object)
    text = frame.to_json(orient="records", lines=True, date_format="iso", force_ascii=False)
    return np.array(text.rstrip("\n").split("\n"), dtype=object)


def _quarantine(frame: pd.DataFrame, positions: np.ndarray, reasons: np.ndarray) -> pd.DataFrame:
    rows = frame.iloc[positions]
    source_row = rows["source_row"] if "source_row" in rows.columns else pd.Series([None] * len(rows))
    agency = rows["agency"] if "agency" in rows.columns else pd.Series([None] * len(rows))
    return pd.DataFrame({
        "source_row": pd.array(pd.to_numeric(source_row, errors="coerce"), dtype="Int64"),
        "agency": pd.array(agency.to_numpy(dtype=object), dtype="string"),
        "reason": pd.array(reasons, dtype="string"),
        "record": pd.array(_records_json(rows), dtype="string"),
    }, columns=list(QUARANTINE_COLUMNS))


def _evaluable(expectations: list[Expectation], reference: Reference) -> tuple[list[Expectation], list[str]]:
    """The expectations whose reference sets are known, and a note for each one skipped."""
    known = reference.parameters()
    kept: list[Expectation] = []
    skipped: list[str] = []
    for expectation in expectations:
        missing = [p for p in parameters_of(expectation) if p not in known]
        if missing:
            skipped.append(f"{label_of(expectation)}: not evaluated ({reference.missing_reason(missing[0])})")
        else:
            kept.append(expectation)
    return kept, skipped


def _applicable(expectations: list[Expectation], frame: pd.DataFrame) -> tuple[list[Expectation], list[str]]:
    """The expectations some row of `frame` is subject to, and a note for each one no row is.

    A rule conditioned on `column == 'value'` (the per-province school-ID rules) meets no row in a file of
    another province; GX would still filter the whole frame once per metric to find that out (8-20 % of a
    file's validation time, with four such rules per suite).
    """
    kept: list[Expectation] = []
    skipped: list[str] = []
    for expectation in expectations:
        condition = getattr(expectation, "row_condition", None)
        if _selects_no_row(condition, frame):
            skipped.append(f"{label_of(expectation)}: not evaluated (no row meets its condition)")
        else:
            kept.append(expectation)
    return kept, skipped


def _selects_no_row(condition: object, frame: pd.DataFrame) -> bool:
    """True only for a text equality that no row meets; any other condition is left to GX."""
    if not isinstance(condition, ComparisonCondition) or not isinstance(condition.parameter, str):
        return False
    column = condition.column.name
    if getattr(condition.operator, "value", condition.operator) != "==" or column not in frame.columns:
        return False
    if not pd.api.types.is_string_dtype(frame[column].dtype):
        return False
    return not bool((frame[column] == condition.parameter).fillna(False).any())


class _Timer:
    """Wall time per step, in seconds (ValidationOutcome.seconds)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = round(now - self._last, 3)
        self._last = now


def _reference_for(province: str, reference: Reference | None) -> Reference:
    if reference is None:
        return geography_reference(province, notes=(
            "no school registry given: school-in-registry rules not evaluated",))
    if reference.province != province:
        raise ValueError(f"reference built for {reference.province!r} used to validate a {province!r} "
                         "delivery")
    return reference


def _by_severity(expectations: list[Expectation]) -> dict[str, list[Expectation]]:
    groups: dict[str, list[Expectation]] = {BLOCKING: [], ROW: [], WARNING: []}
    for expectation in expectations:
        groups[severity_of(expectation)].append(expectation)
    return groups


Summaries = list[dict[str, Any]]


def _structural(frame: pd.DataFrame, expectations: list[Expectation]) -> tuple[Summaries, list[str]]:
    """(summaries, blocking failure messages) of the structural expectations."""
    summaries: Summaries = []
    blocking: list[str] = []
    # the type checks see the dtypes of the values, without rows; the others the rows
    typed = [e.expectation_type == TYPE_CHECK for e in expectations]
    untyped = [not t for t in typed]
    type_results = iter(run_expectations(_as_typed(frame), list(compress(expectations, typed)), COUNTS_ONLY))
    other_results = iter(run_expectations(frame, list(compress(expectations, untyped)), COUNTS_ONLY))
    for expectation, is_type_check in zip(expectations, typed, strict=True):
        result = next(type_results if is_type_check else other_results)
        summary = summarise(expectation, result)
        summaries.append(summary)
        if not summary["success"]:
            blocking.append(_structural_message(summary, expectation, frame))
    return summaries, blocking


def _as_typed(frame: pd.DataFrame) -> pd.DataFrame:
    """No rows, each column in the dtype of its values: a categorical's is that of its categories. Adapters
    give text as a categorical over "string" values (assets/sources/common.py `text_rows`); GX's type check
    takes the dtype's class only, and would pass a categorical of anything."""
    empty = frame.iloc[:0]
    return empty.astype({column: dtype.categories.dtype for column, dtype in empty.dtypes.items()
                         if isinstance(dtype, pd.CategoricalDtype)})


def _row_checks(checked: pd.DataFrame, frame: pd.DataFrame, expectations: list[Expectation],
                parameters: dict[str, list[str]]) -> tuple[Summaries, list[str], list[np.ndarray | None]]:
    """(summaries, blocking messages, per expectation: the failing rows' positions) of the row and warning
    expectations, in the order given. Failing positions are known for those checked on distinct values and
    None for the others (`_failing_rows` asks GX for them, only where needed).

    A row expectation GX could not evaluate is blocking: which rows fail is then unknown.
    """
    position_of = {id(e): i for i, e in enumerate(expectations)}
    summaries: list[dict[str, Any]] = [{} for _ in expectations]
    failing: list[np.ndarray | None] = [None] * len(expectations)
    projected, whole = group_by_distinct_values(checked, expectations)
    for distinct, members in projected:
        for expectation, result in zip(members, run_expectations(distinct.frame, members, WITH_INDICES,
                                                                  parameters), strict=True):
            i = position_of[id(expectation)]
            summaries[i] = summarise(expectation, result)
            if not summaries[i]["error"]:
                failing[i] = distinct.rows_with(failing_positions(result))
                summaries[i].update(unexpected_count=len(failing[i]),
                                    examples=_examples(checked, summaries[i]["columns"][0], failing[i]))
    whole = [e for e in whole
             if not _unique_without_whole_check(checked, e, parameters, summaries, position_of)]
    for expectation, result in zip(whole, run_expectations(checked, whole, COUNTS_ONLY, parameters),
                                   strict=True):
        summaries[position_of[id(expectation)]] = summarise(expectation, result)
    blocking = [_structural_message(summary, expectation, frame)
                for expectation, summary in zip(expectations, summaries, strict=True) if summary["error"]]
    return summaries, blocking, failing


def _unique_without_whole_check(checked: pd.DataFrame, expectation: Expectation,
                                parameters: dict[str, list[str]], summaries: Summaries,
                                position_of: dict[int, int]) -> bool:
    """Whether a key's uniqueness was found to hold by hashing the key (`key_surely_unique`) or checking the
    frame part by part (`uniqueness_parts`), its summary then recorded. False when it is not checked so, or
    a part has duplicates: the whole frame is then checked as usual, for GX's own counts and examples (rare:
    the adapters reject repeated keys)."""
    if key_surely_unique(checked, expectation):
        summaries[position_of[id(expectation)]] = met_summary(expectation)
        return True
    parts = uniqueness_parts(checked, expectation)
    if parts is None:
        return False
    first: Any = None
    for part in parts:
        (result,) = run_expectations(part, [expectation], COUNTS_ONLY, parameters)
        summary = summarise(expectation, result)
        if not summary["success"] or summary["error"]:
            return False
        if first is None:
            first = result
    summaries[position_of[id(expectation)]] = summarise(expectation, first)
    return True


def _examples(checked: pd.DataFrame, column: str, positions: np.ndarray) -> list[str]:
    """A few failing values, as GX lists them when it checks every row: the first ones in row order."""
    return [str(v) for v in checked[column].iloc[positions[:EXAMPLES_PER_EXPECTATION]].tolist()]


def _failing_rows(reasons: np.ndarray, checked: pd.DataFrame, expectations: list[Expectation],
                  summaries: Summaries, failing: list[np.ndarray | None],
                  parameters: dict[str, list[str]]) -> None:
    """Labels the rows failing each failed row expectation, in suite order. Those checked on the whole frame
    run again asking GX for the failing rows' index (costly, so only for the ones that failed)."""
    failed = [i for i, (e, s) in enumerate(zip(expectations, summaries, strict=True))
              if severity_of(e) == ROW and not s["success"]]
    unknown = [i for i in failed if failing[i] is None]
    again = run_expectations(checked, [expectations[i] for i in unknown], WITH_INDICES, parameters)
    for i, result in zip(unknown, again, strict=True):
        failing[i] = failing_positions(result)
    for i in failed:
        add_reason(reasons, failing[i], label_of(expectations[i]))


def validate_delivery(entity: str, province: str, rows: pd.DataFrame,
                      reference: Reference | None = None) -> ValidationOutcome:
    """Validates one delivered file's typed contract rows (as an adapter returned them) with the entity's
    suite merged with the province's additions.

    `reference` (assets.checks.reference.reference_from_warehouse) supplies the school registry and DOPA
    codes the reference rules compare with; without it the DOPA codes come from geothai and the
    school-in-registry rules are listed as not evaluated.
    """
    timer = _Timer()
    reference = _reference_for(province, reference)
    parameters = reference.parameters()
    suite = load_suite(entity, province)
    frame = rows.reset_index(drop=True)
    groups = _by_severity(suite.expectations)
    row_level, skipped = _evaluable(groups[ROW] + groups[WARNING], reference)
    row_level, no_rows = _applicable(row_level, frame)
    skipped += no_rows

    summaries, blocking = _structural(frame, groups[BLOCKING])
    timer.lap("structural")
    reasons = np.full(len(frame), None, dtype=object)
    if not blocking:
        checked = _numpy_numbers(with_derived_columns(entity, frame))
        row_summaries, blocking, failing = _row_checks(checked, frame, row_level, parameters)
        summaries += row_summaries
        timer.lap("rows")
        if not blocking:
            _failing_rows(reasons, checked, row_level, row_summaries, failing, parameters)
        timer.lap("indices")
    if blocking:
        reasons[:] = "file rejected: " + "; ".join(blocking)

    bad = ~np.equal(reasons, None)
    bad_positions = np.flatnonzero(bad)
    quarantined = _quarantine(frame, bad_positions, reasons[bad_positions])
    valid_rows = frame.iloc[np.flatnonzero(~bad)].reset_index(drop=True)
    timer.lap("quarantine")
    outcome = ValidationOutcome(
        entity=entity, province=province, blocking_failures=blocking, valid_rows=valid_rows,
        quarantined=quarantined, expectation_results=summaries, report_html="", rows_read=len(frame),
        seconds=timer.seconds, skipped=skipped, notes=list(reference.notes),
        quarantined_positions=bad_positions,
    )
    outcome.report_html = render_report(outcome, suite_name=suite.name)
    timer.lap("report")
    return outcome
