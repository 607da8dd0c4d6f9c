"""Per-value rules checked on distinct values (assets.checks.distinct_values): the same rows, counts and
examples as checking every row, used where it pays. tests/test_validation.py also runs each of its tests both
ways."""

from __future__ import annotations

import great_expectations.expectations as gxe
import numpy as np
import pandas as pd
import pytest

from assets.checks import distinct_values, synthetic, validation
from assets.checks.derived import registry_key
from assets.checks.reference import Reference
from assets.checks.suites import label_of, load_suite
from assets.checks.validation import validate_delivery
from tests.test_validation import (
    GRADE_RULE,
    IN_REGISTRY,
    SEX_RULE,
    YALA_SCHOOL_FORMAT,
    force_distinct_values,
    yala_reference,
)


def _frames_gx_checked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records the length of every frame validation hands to GX."""
    lengths: list[int] = []
    checked_by_gx = validation.run_expectations

    def recording(frame: pd.DataFrame, *args: object, **kwargs: object) -> list[object]:
        lengths.append(len(frame))
        return checked_by_gx(frame, *args, **kwargs)

    monkeypatch.setattr(validation, "run_expectations", recording)
    return lengths


def _spoiled_with_every_kind_of_failure() -> tuple[pd.DataFrame, Reference]:
    rows, _ = synthetic.spoil_students(synthetic.students(3000, seed=11), 0.06, seed=5)
    rows.loc[[7, 8], "grade"] = None              # not null, beside the set rule
    rows.loc[9, "sex"] = "X"                       # a second set rule
    rows.loc[10, "province"] = "satun"             # a row condition other rows do not meet
    rows.loc[11, "source_sha256"] = "not a digest"  # a constant column with one odd value
    registry = yala_reference(sorted(set(rows["school_id"]))[1:])  # one school left out of the registry
    return rows, registry


def test_distinct_values_find_the_same_rows_counts_and_examples_as_every_row(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rows, registry = _spoiled_with_every_kind_of_failure()
    every_row = validate_delivery("students", "yala", rows, reference=registry)
    force_distinct_values(monkeypatch)
    lengths = _frames_gx_checked(monkeypatch)
    distinct = validate_delivery("students", "yala", rows, reference=registry)

    assert min(lengths) < 100 < len(rows)  # the per-value rules did run on a few distinct rows
    pd.testing.assert_frame_equal(distinct.quarantined, every_row.quarantined)
    pd.testing.assert_frame_equal(distinct.valid_rows, every_row.valid_rows)
    assert distinct.expectation_results == every_row.expectation_results
    failed = {r["label"]: r["unexpected_count"] for r in every_row.expectation_results if not r["success"]}
    assert failed[GRADE_RULE] > 2 and failed[SEX_RULE] == 1 and failed[IN_REGISTRY] > 0
    assert len(every_row.quarantined) > 180


def test_large_files_check_per_value_rules_on_distinct_values_and_person_keys_row_by_row(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rows = synthetic.students(distinct_values.MIN_ROWS + 5000, seed=2)
    projected, whole = distinct_values.group_by_distinct_values(
        rows, load_suite("students", "yala").expectations)
    by_columns = {d.frame.columns.tolist()[0]: len(d.frame) for d, _ in projected}
    assert by_columns["grade"] <= 18 and by_columns["source_sha256"] == 1
    assert "student_key" not in by_columns  # one key per row: nothing to gain
    unique_keys = "expect_compound_columns_to_be_unique(academic_year, student_key)"
    assert any(label_of(e) == unique_keys for e in whole)
    lengths = _frames_gx_checked(monkeypatch)
    validate_delivery("students", "yala", rows)
    assert min(lengths) <= 18 and max(lengths) == len(rows)


def test_rules_decided_by_more_than_the_rows_own_values_are_not_checked_on_distinct_values() -> None:
    unique = gxe.ExpectColumnValuesToBeUnique(column="student_key")
    mostly = gxe.ExpectColumnValuesToNotBeNull(column="grade", mostly=0.9)
    conditioned = next(e for e in load_suite("students", "yala").expectations
                       if label_of(e) == YALA_SCHOOL_FORMAT)
    assert distinct_values.value_columns(unique) is None
    assert distinct_values.value_columns(mostly) is None
    assert distinct_values.value_columns(conditioned) == ("school_id", "province")
    assert distinct_values.value_columns(gxe.ExpectColumnValuesToBeInSet(column="sex", value_set=["M"])) == (
        "sex",)


def test_distinct_rows_keep_missing_values_and_map_back_to_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    force_distinct_values(monkeypatch)  # five rows, four combinations: not worth it by default
    frame = pd.DataFrame({"grade": pd.array(["P1", None, "P1", "M1", None], dtype="string"),
                          "province": pd.array(["yala", "yala", "satun", "yala", "yala"], dtype="string")})
    distinct = distinct_values.distinct_rows(frame, ("grade", "province"))
    assert distinct is not None
    assert distinct.frame.astype(object).where(distinct.frame.notna(), None).values.tolist() == [
        ["P1", "yala"], [None, "yala"], ["P1", "satun"], ["M1", "yala"]]
    assert distinct.codes.tolist() == [0, 1, 2, 3, 1]
    assert distinct.rows_with(np.array([1])).tolist() == [1, 4]
    assert (distinct.frame.dtypes == frame.dtypes).all()


def test_each_rows_code_takes_the_smallest_unsigned_type_for_its_number_of_values(
        monkeypatch: pytest.MonkeyPatch) -> None:
    force_distinct_values(monkeypatch)
    schools = pd.Series([f"10950{i:05d}" for i in range(300)] * 2, dtype="string")
    frame = pd.DataFrame({"school_id": schools, "sex": pd.array(["M", "F"] * 300, dtype="string")})
    assert distinct_values.distinct_rows(frame, ("sex",)).codes.dtype == np.uint8
    by_school = distinct_values.distinct_rows(frame, ("school_id",))
    assert by_school.codes.dtype == np.uint16 and by_school.codes.max() == 299
    both = distinct_values.distinct_rows(frame, ("school_id", "sex"))
    assert both.codes.dtype == np.uint16 and len(both.frame) == 300
    assert both.rows_with(np.array([299])).tolist() == [299, 599]


def test_registry_key_joins_year_and_school_and_stays_missing_when_either_is() -> None:
    rows = pd.DataFrame({"academic_year": pd.array([2566, None, 2567, 2566], dtype="Int64"),
                         "school_id": pd.array(["1095000001", "1095000001", None, "1095000002"],
                                               dtype="string")}, index=[9, 4, 2, 7])
    key = registry_key(rows)
    assert key.index.tolist() == [9, 4, 2, 7] and key.dtype == "string"
    assert key.tolist()[0] == "2566|1095000001" and key.tolist()[3] == "2566|1095000002"
    assert key.isna().tolist() == [False, True, True, False]
