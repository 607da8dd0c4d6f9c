"""Per-value rules checked on distinct values (assets.checks.distinct_values): the same rows, counts and
examples as checking every row, used where it pays. tests/test_validation.py also runs each of its tests both
ways."""

from __future__ import annotations

import great_expectations.expectations as gxe
import numpy as np
import pandas as pd
import pytest
from great_expectations.expectations.row_conditions import Column
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _results(rows: pd.DataFrame, expectations: list) -> tuple[list, list[str], list[np.ndarray | None]]:
    return validation._row_checks(rows, rows, expectations, {})


def _frames_checked_for(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every frame GX is asked to check an expectation on."""
    lengths: list[int] = []
    checked_by_gx = validation.run_expectations

    def recording(frame: pd.DataFrame, expectations: list, *args: object) -> list[object]:
        lengths.extend([len(frame)] * bool(expectations))
        return checked_by_gx(frame, expectations, *args)

    monkeypatch.setattr(validation, "run_expectations", recording)
    return lengths


def _test_results(rows_per_part: int, seed: int) -> pd.DataFrame:
    """Assessment-like rows: each student once per test and subject, missing subjects among them."""
    rng = np.random.default_rng(seed)
    students = [f"{k:032x}" for k in rng.integers(0, 2**62, rows_per_part)]
    parts = [("NT", "thai"), ("NT", "math"), ("ONET", "thai"), ("ONET", None)]
    return pd.DataFrame({
        "academic_year": pd.array([2567] * rows_per_part * len(parts), dtype="Int64"),
        "student_key": pd.array(students * len(parts), dtype="string"),
        "test": pd.array([t for t, _ in parts for _ in students], dtype="string"),
        "subject": pd.array([s for _, s in parts for _ in students], dtype="string"),
    })


KEY_UNIQUE = gxe.ExpectCompoundColumnsToBeUnique(
    column_list=["academic_year", "student_key", "test", "subject"])


def test_a_key_is_checked_unique_part_by_part_with_the_whole_frames_verdict(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows sharing a key share its few-valued columns (year, test, subject): GX checks each combination's
    rows apart, and the summary is the one checking all rows at once gives."""
    monkeypatch.setattr(validation, "key_surely_unique", lambda *_: False)  # as when two keys' hashes collide
    rows = _test_results(distinct_values.MIN_ROWS // 2, seed=3)
    monkeypatch.setattr(distinct_values, "MIN_ROWS", len(rows) + 1)  # checked whole, as a small file
    whole, _, _ = _results(rows, [KEY_UNIQUE])
    monkeypatch.setattr(distinct_values, "MIN_ROWS", len(rows))
    lengths = _frames_checked_for(monkeypatch)
    parts, blocking, failing = _results(rows, [KEY_UNIQUE])
    assert sorted(lengths) == [len(rows) // 4] * 4  # missing subjects are a part of their own
    assert parts == whole and whole[0]["success"] and not blocking and failing == [None]


def test_a_key_repeated_in_one_part_is_checked_on_the_whole_frame_for_gxs_own_counts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _test_results(distinct_values.MIN_ROWS // 2, seed=4)
    last = len(rows) - 1
    rows.loc[last, "student_key"] = rows.loc[last - 1, "student_key"]  # within ONET with no subject
    monkeypatch.setattr(distinct_values, "MIN_ROWS", len(rows) + 1)
    whole, _, _ = _results(rows, [KEY_UNIQUE])
    monkeypatch.setattr(distinct_values, "MIN_ROWS", len(rows))
    lengths = _frames_checked_for(monkeypatch)
    parts, _, _ = _results(rows, [KEY_UNIQUE])
    assert parts == whole and whole[0]["unexpected_count"] == 2 and not whole[0]["success"]
    assert lengths[-1] == len(rows) and len(rows) // 4 in lengths  # parts first, then the whole frame


def test_a_key_found_unique_by_hashing_gets_gxs_summary_without_gx_reading_the_rows(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No two rows share a hash of their key: the summary is the one GX gives checking every row, for keys
    split into parts and for a key of one part (a year's roster)."""
    results = _test_results(distinct_values.MIN_ROWS, seed=6)
    roster = results.iloc[:distinct_values.MIN_ROWS].reset_index(drop=True)  # each student once
    one_part = gxe.ExpectCompoundColumnsToBeUnique(column_list=["academic_year", "student_key"])
    for rows, expectation in ((results, KEY_UNIQUE), (roster, one_part)):
        with monkeypatch.context() as patched:
            patched.setattr(distinct_values, "MIN_ROWS", len(rows) + 1)
            whole, _, _ = _results(rows, [expectation])
        lengths = _frames_checked_for(monkeypatch)
        hashed, blocking, failing = _results(rows, [expectation])
        assert lengths == [] and hashed == whole and whole[0]["success"]
        assert not blocking and failing == [None]
        monkeypatch.undo()


def test_a_repeated_key_is_never_found_unique_by_hashing() -> None:
    results = _test_results(distinct_values.MIN_ROWS, seed=7)
    roster = results.iloc[:distinct_values.MIN_ROWS].reset_index(drop=True)
    one_part = gxe.ExpectCompoundColumnsToBeUnique(column_list=["academic_year", "student_key"])
    assert distinct_values.key_surely_unique(roster, one_part)
    repeated = roster.copy()
    repeated.loc[len(roster) - 1, "student_key"] = repeated.loc[0, "student_key"]
    assert not distinct_values.key_surely_unique(repeated, one_part)
    assert not distinct_values.key_surely_unique(results, one_part)  # each student in four tests
    missing = gxe.ExpectCompoundColumnsToBeUnique(column_list=["academic_year", "no_such_column"])
    assert not distinct_values.key_surely_unique(roster, missing)
    mostly = gxe.ExpectCompoundColumnsToBeUnique(column_list=["academic_year", "student_key"], mostly=0.99)
    assert not distinct_values.key_surely_unique(roster, mostly)
    assert not distinct_values.key_surely_unique(roster.iloc[:100], one_part)  # a small file: GX's


_KEY_VALUES = {
    "text": st.sampled_from(["a", "b", "", "ก", "a ", None]),
    "number": st.sampled_from([0, 1, -1, 2**40, None]),
    "real": st.sampled_from([0.0, -0.0, 1.5, float("nan"), float("inf")]),
    "flag": st.sampled_from([True, False, None]),
}


def _key_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(_KEY_VALUES))
    return frame.astype({"text": "string", "number": "Int64", "real": "float64", "flag": "boolean"})


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries(_KEY_VALUES), min_size=1, max_size=12),
       key=st.lists(st.sampled_from(list(_KEY_VALUES)), min_size=2, max_size=4, unique=True),
       hash_text=st.booleans())
def test_hashing_finds_a_key_unique_exactly_when_pandas_finds_no_repeat(
        rows: list[dict[str, object]], key: list[str], hash_text: bool) -> None:
    """Whatever the values (missing, empty text, -0.0, NaN), a key found unique has no repeat by pandas'
    `duplicated`, which GX's check uses; and with no missing text, no repeat means found unique."""
    frame = _key_frame(rows)
    expectation = gxe.ExpectCompoundColumnsToBeUnique(column_list=key)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(distinct_values, "MIN_ROWS", 0)
        patched.setattr(distinct_values, "MAX_PART_VALUES", 0 if hash_text else 64)  # text hashed or coded
        patched.setattr(distinct_values, "HASH_CHUNK_ROWS", 5)
        found_unique = distinct_values.key_surely_unique(frame, expectation)
    repeated = bool(frame.duplicated(subset=key, keep=False).any())
    assert not (found_unique and repeated)
    if not repeated and not ("text" in key and hash_text and frame["text"].isna().any()):
        assert found_unique  # missing text hashes as "" (only ever a repeat too many)


def test_uniqueness_is_checked_whole_where_parts_would_not_hold_or_not_pay(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _test_results(distinct_values.MIN_ROWS // 2, seed=5)
    parts = distinct_values.uniqueness_parts(rows, KEY_UNIQUE)
    assert parts is not None and sum(len(p) for p in parts) == len(rows)
    mostly = gxe.ExpectCompoundColumnsToBeUnique(column_list=["student_key", "test"], mostly=0.99)
    conditioned = gxe.ExpectCompoundColumnsToBeUnique(column_list=["student_key", "test"],
                                                      row_condition=Column("test") == "NT")
    one_part = gxe.ExpectCompoundColumnsToBeUnique(column_list=["academic_year", "student_key"])
    for expectation in (mostly, conditioned, one_part):
        assert distinct_values.uniqueness_parts(rows, expectation) is None
    assert distinct_values.uniqueness_parts(rows.iloc[:100], KEY_UNIQUE) is None  # a small file
    monkeypatch.setattr(distinct_values, "MAX_PART_VALUES", 1)  # no column with so few values
    assert distinct_values.uniqueness_parts(rows, KEY_UNIQUE) is None
