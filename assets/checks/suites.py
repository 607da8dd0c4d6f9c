"""Loading the versioned suites: `expectations/<entity>.json` merged with `<entity>.<province>.json`.

Severity lives in each expectation's `meta.severity`:
- "blocking": structural (empty file, columns, dtypes); a failure rejects the whole file;
- "row": a row-level rule; failing rows are quarantined, the others load. Only map expectations (those GX
  can report failing rows for) may be "row";
- "warning": a plausibility check over the whole file (e.g. both ID kinds present); reported, loads anyway.

An expectation may compare with a reference set known only at validation time: its value set is
`{"$PARAMETER": "<name>"}` (GX suite parameters; names in assets.checks.reference) and its label says so:
'expect_column_values_to_be_in_set(school_id, $registry_school_ids)'.

The cross-delivery checks' suites live in `expectations/cross/` (`load_cross_suite`); their
`meta.check_severity` is the Dagster severity of a failed check (WARN or ERROR).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    Expectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.row_conditions import (
    AndCondition,
    ComparisonCondition,
    NullityCondition,
    OrCondition,
    PassThroughCondition,
)

from assets.checks import CROSS_DIR_NAME
from assets.contract.entities import ENTITIES
from pipelines.settings import EXPECTATIONS_DIR

BLOCKING = "blocking"
ROW = "row"
WARNING = "warning"
SEVERITIES = (BLOCKING, ROW, WARNING)
ROW_LEVEL_KINDS = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)


class SuiteError(ValueError):
    """A suite file GX cannot read completely, or one whose severities make no sense."""




def suite_path(entity: str, province: str | None = None, directory: Path = EXPECTATIONS_DIR) -> Path:
    return directory / (f"{entity}.{province}.json" if province else f"{entity}.json")


def province_additions(directory: Path = EXPECTATIONS_DIR) -> dict[tuple[str, str], Path]:
    """(entity, province) → addition file, for every `<entity>.<province>.json` present."""
    found: dict[tuple[str, str], Path] = {}
    for path in sorted(directory.glob("*.*.json")):
        entity, province = path.name.removesuffix(".json").split(".", 1)
        found[(entity, province)] = path
    return found


def load_suite(entity: str, province: str | None = None,
               directory: Path = EXPECTATIONS_DIR) -> gx.ExpectationSuite:
    """The entity's baseline suite with the province's additions (if that file exists) appended.

    Additions only add expectations: a province rule narrower than the baseline (grades P1–P6 where the
    contract allows K1–V3) is checked besides it, and the narrower one is what fails.
    """
    if entity not in ENTITIES:
        raise SuiteError(f"no contract entity {entity!r}")
    base = _read(suite_path(entity, None, directory))
    name = entity
    expectations = list(base["expectations"])
    notes = [base.get("notes") or ""]
    addition_path = suite_path(entity, province, directory) if province else None
    if addition_path is not None and addition_path.is_file():
        addition = _read(addition_path)
        name = f"{entity}.{province}"
        expectations += addition["expectations"]
        notes.append(addition.get("notes") or "")
    return _built_suite(name, expectations, {"entity": entity, "province": province},
                        [n for n in notes if n])


def load_cross_suite(name: str, directory: Path = EXPECTATIONS_DIR) -> gx.ExpectationSuite:
    """A cross-delivery suite, `expectations/cross/<name>.json` (rules over a comparison frame)."""
    data = _read(directory / CROSS_DIR_NAME / f"{name}.json")
    return _built_suite(f"cross/{name}", list(data["expectations"]), data.get("meta") or {},
                        data.get("notes"))


def _built_suite(name: str, expectations: list[dict[str, Any]], meta: dict[str, Any],
                 notes: Any) -> gx.ExpectationSuite:
    """The GX suite of these expectation configurations, each with a known severity."""
    suite = gx.ExpectationSuite(name=name, expectations=expectations, meta=meta, notes=notes)
    # GX logs and drops an expectation it cannot build instead of raising: a typo must not pass unnoticed.
    if len(suite.expectations) != len(expectations):
        raise SuiteError(f"suite {name}: GX accepted {len(suite.expectations)} of {len(expectations)} "
                         "expectations; see the log for the one it could not build")
    for expectation in suite.expectations:
        check_severity(expectation, name)
    return suite


@cache
def _read_cached(path: Path, mtime_ns: int) -> str:
    return path.read_text(encoding="utf-8")


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise SuiteError(f"missing suite file {path}")
    try:
        data = json.loads(_read_cached(path, path.stat().st_mtime_ns))
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path}: not JSON ({exc})") from exc
    if not isinstance(data.get("expectations"), list):
        raise SuiteError(f"{path}: no 'expectations' list")
    return data


def severity_of(expectation: Expectation) -> str:
    return str((expectation.meta or {}).get("severity", ""))


def check_severity(expectation: Expectation, suite_name: str) -> None:
    severity = severity_of(expectation)
    if severity not in SEVERITIES:
        raise SuiteError(f"suite {suite_name}: {expectation.expectation_type} has meta.severity "
                         f"{severity!r}; expected one of {', '.join(SEVERITIES)}")
    if severity == ROW and not isinstance(expectation, ROW_LEVEL_KINDS):
        raise SuiteError(f"suite {suite_name}: {expectation.expectation_type} cannot name failing rows, so "
                         "it cannot be 'row' severity (use 'blocking' or 'warning')")


def columns_of(expectation: Expectation) -> list[str]:
    """The column(s) an expectation is about (none for table-level ones)."""
    kwargs = expectation.configuration.kwargs
    if "column" in kwargs:
        return [kwargs["column"]]
    if "column_A" in kwargs:
        return [kwargs["column_A"], kwargs["column_B"]]
    if "column_list" in kwargs and isinstance(expectation, ROW_LEVEL_KINDS):
        return list(kwargs["column_list"])
    return []


def describe_condition(condition: object) -> str | None:
    """A row condition as people write it: 'score >= 50'."""
    if condition is None:
        return None
    if isinstance(condition, ComparisonCondition):
        # an Operator enum when built in code, its plain value once loaded from JSON
        operator = getattr(condition.operator, "value", condition.operator)
        return f"{condition.column.name} {operator} {condition.parameter!r}"
    if isinstance(condition, NullityCondition):
        return f"{condition.column.name} is {'' if condition.is_null else 'not '}null"
    if isinstance(condition, AndCondition | OrCondition):
        joiner = " and " if isinstance(condition, AndCondition) else " or "
        return "(" + joiner.join(describe_condition(c) or "" for c in condition.conditions) + ")"
    if isinstance(condition, PassThroughCondition):
        return condition.pass_through_filter
    return str(condition)


def parameters_of(expectation: Expectation) -> list[str]:
    """Names of the `{"$PARAMETER": name}` values an expectation needs filled in at run time (reference
    sets such as the school registry)."""
    return sorted(
        value["$PARAMETER"] for value in expectation.configuration.kwargs.values()
        if isinstance(value, dict) and "$PARAMETER" in value
    )


def label_of(expectation: Expectation) -> str:
    """How quarantine reasons and reports name an expectation: 'expect_column_values_to_be_in_set(grade)',
    with the reference set it compares with ('..._in_set(school_id, $registry_school_ids)') and its row
    condition when it has them."""
    arguments = columns_of(expectation) + [f"${name}" for name in parameters_of(expectation)]
    label = expectation.expectation_type + (f"({', '.join(arguments)})" if arguments else "")
    condition = describe_condition(getattr(expectation, "row_condition", None))
    return f"{label} where {condition}" if condition else label
