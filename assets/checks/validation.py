"""Validating one delivered file's contract rows with Great Expectations before they are written.

    outcome = validate_delivery("students", "yala", adapter_result.rows)
    if outcome.passed: write(outcome.valid_rows); write_quarantine(outcome.quarantined)

How it runs (each step timed on 1M synthetic students, see expectations/README.md):
1. The blocking (structural) expectations run on the rows as delivered: row count, column list, dtypes. A
   failure rejects the file: every row goes to quarantine with the failures as reason, so
   rows_read == valid + quarantined holds even then. Row checks are skipped (they would only error).
2. The row and warning expectations run on the rows plus the helper columns of assets.checks.derived, with
   a cheap result format (counts only).
3. Only the row expectations that failed run again with result_format COMPLETE, which makes GX list the
   failing rows' index. Asking COMPLETE of every expectation costs time for expectations that passed.
Rows are identified by position (the frame is re-indexed 0..n-1), not by `source_row`: a Mae Hong Son
workbook repeats sheet row numbers across its agency sheets, so `source_row` is not unique in a file.
A row expectation GX cannot evaluate (it raised) counts as blocking: which rows fail is then unknown.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine import pandas_execution_engine
from great_expectations.expectations.expectation import Expectation

from assets.checks.derived import with_derived_columns
from assets.checks.report import render_report
from assets.checks.suites import (
    BLOCKING,
    ROW,
    WARNING,
    columns_of,
    describe_condition,
    label_of,
    load_suite,
    severity_of,
)

__all__ = ["QUARANTINE_COLUMNS", "ValidationOutcome", "load_suite", "validate_delivery"]

QUARANTINE_COLUMNS = ("source_row", "reason", "record")
"""Same shape as the adapters' rejects (assets.sources.base.AdapterResult.rejects), so both can be stored
together."""
EXAMPLES_PER_EXPECTATION = 5
_POSITION = "_position_in_run"

_FIRST_PASS = {"result_format": "BASIC", "partial_unexpected_count": EXAMPLES_PER_EXPECTATION,
               "return_unexpected_index_query": False}
_INDEX_PASS = {"result_format": "COMPLETE", "return_unexpected_index_query": False}


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

    @property
    def passed(self) -> bool:
        """No blocking failure: the valid rows may be written."""
        return not self.blocking_failures

    @property
    def warnings(self) -> list[str]:
        return [r["label"] for r in self.expectation_results if r["severity"] == WARNING and not r["success"]]


# GX's in-memory context: one per process, guarded because Dagster may validate in several threads.
_GX_LOCK = threading.Lock()
_batch_definition: BatchDefinition | None = None


def _dataframe_batch_definition() -> BatchDefinition:
    global _batch_definition
    if _batch_definition is None:
        # GX fingerprints every DataFrame batch it loads (an MD5 over pandas' hash of every cell, twice per
        # validate call) only to label results; on 1M students that was 40 % of the validation time. GX skips
        # it above this size threshold, so setting the threshold to 0 skips it always.
        pandas_execution_engine.HASH_THRESHOLD = 0
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)  # no tqdm noise in run logs
        asset = context.data_sources.add_pandas("deliveries").add_dataframe_asset("delivery")
        _batch_definition = asset.add_batch_definition_whole_dataframe("whole_file")
    return _batch_definition


def _run(frame: pd.DataFrame, expectations: list[Expectation], result_format: dict[str, Any]) -> list[Any]:
    """GX results, one per expectation, in order."""
    if not expectations:
        return []
    # GX does not return results in suite order, so each copy is tagged with its position.
    tagged = [e.copy(update={"id": None, "meta": {**(e.meta or {}), _POSITION: i}}) for i, e in enumerate(expectations)]
    suite = gx.ExpectationSuite(name="run", expectations=tagged)
    with _GX_LOCK:
        batch = _dataframe_batch_definition().get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format=result_format)
    ordered: list[Any] = [None] * len(expectations)
    for r in result.results:
        ordered[r.expectation_config.meta[_POSITION]] = r
    return ordered


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


def _error_of(result: Any) -> str | None:
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():  # keyed by metric id when a metric failed
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def _summary(expectation: Expectation, result: Any) -> dict[str, Any]:
    details = result.result or {}
    return {
        "type": expectation.expectation_type,
        "columns": columns_of(expectation),
        "condition": describe_condition(getattr(expectation, "row_condition", None)),
        "label": label_of(expectation),
        "severity": severity_of(expectation),
        "rule": (expectation.meta or {}).get("rule", ""),
        "success": bool(result.success),
        "unexpected_count": details.get("unexpected_count"),
        "examples": [str(v) for v in (details.get("partial_unexpected_list") or [])[:EXAMPLES_PER_EXPECTATION]],
        "observed": details.get("observed_value"),
        "error": _error_of(result),
    }


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
        return f"{label}: dtype {frame[column].dtype} where {' or '.join(kwargs['type_list'])} expected"
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
    return pd.DataFrame({
        "source_row": pd.array(pd.to_numeric(source_row, errors="coerce"), dtype="Int64"),
        "reason": pd.array(reasons, dtype="string"),
        "record": pd.array(_records_json(rows), dtype="string"),
    }, columns=list(QUARANTINE_COLUMNS))


def _add_reason(reasons: np.ndarray, positions: np.ndarray, label: str) -> None:
    """Appends `label` to the reasons of the rows at `positions` (in place; None = no reason yet)."""
    current = reasons[positions]
    empty = np.equal(current, None)
    current[empty] = label
    current[~empty] = current[~empty] + ("; " + label)
    reasons[positions] = current


def _failing_positions(result: Any) -> np.ndarray:
    indices = (result.result or {}).get("unexpected_index_list") or []
    return np.unique(np.asarray(indices, dtype=np.int64))


def validate_delivery(entity: str, province: str, rows: pd.DataFrame) -> ValidationOutcome:
    """Validates one delivered file's typed contract rows (as an adapter returned them) with the entity's
    suite merged with the province's additions."""
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[step] = round(now - clock, 3)
        clock = now

    suite = load_suite(entity, province)
    frame = rows.reset_index(drop=True)
    by_severity: dict[str, list[Expectation]] = {BLOCKING: [], ROW: [], WARNING: []}
    for expectation in suite.expectations:
        by_severity[severity_of(expectation)].append(expectation)

    summaries: list[dict[str, Any]] = []
    blocking: list[str] = []
    structural = by_severity[BLOCKING]
    for expectation, result in zip(structural, _run(frame, structural, _FIRST_PASS), strict=True):
        summary = _summary(expectation, result)
        summaries.append(summary)
        if not summary["success"]:
            blocking.append(_structural_message(summary, expectation, frame))
    lap("structural")

    reasons = np.full(len(frame), None, dtype=object)
    if blocking:
        reasons[:] = "file rejected: " + "; ".join(blocking)
    else:
        checked = _numpy_numbers(with_derived_columns(entity, frame))
        row_level = by_severity[ROW] + by_severity[WARNING]
        failed: list[tuple[Expectation, dict[str, Any]]] = []
        for expectation, result in zip(row_level, _run(checked, row_level, _FIRST_PASS), strict=True):
            summary = _summary(expectation, result)
            summaries.append(summary)
            if summary["error"]:
                blocking.append(_structural_message(summary, expectation, frame))
            elif not summary["success"] and summary["severity"] == ROW:
                failed.append((expectation, summary))
        lap("rows")
        if blocking:
            reasons[:] = "file rejected: " + "; ".join(blocking)
        else:
            expectations = [e for e, _ in failed]
            for (_, summary), result in zip(failed, _run(checked, expectations, _INDEX_PASS), strict=True):
                _add_reason(reasons, _failing_positions(result), summary["label"])
        lap("indices")

    bad = ~np.equal(reasons, None)
    bad_positions = np.flatnonzero(bad)
    quarantined = _quarantine(frame, bad_positions, reasons[bad_positions])
    valid_rows = frame.iloc[np.flatnonzero(~bad)].reset_index(drop=True)
    lap("quarantine")
    outcome = ValidationOutcome(
        entity=entity, province=province, blocking_failures=blocking, valid_rows=valid_rows,
        quarantined=quarantined, expectation_results=summaries, report_html="", rows_read=len(frame),
        seconds=seconds,
    )
    outcome.report_html = render_report(outcome, suite_name=suite.name)
    lap("report")
    return outcome
