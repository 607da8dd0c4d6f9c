"""A failed dbt test that checks several columns at once (not_null_columns, accepted_ranges,
accepted_values_columns) gets its broken columns as the check's description, read by running its compiled
query again; anything that stops that leaves the result exactly as dbt gave it."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckResult

from assets.dbt_assets import _is_failed_folded_test, _with_failing_columns
from assets.publish.marts import ReadFrame, duckdb_reader

FOLDED = "test.edusandbox.not_null_stg_raw__students.0123456789"
PLAIN = "test.edusandbox.unique_dim_schools_school_id.0123456789"
MANIFEST = {"nodes": {FOLDED: {"test_metadata": {"name": "not_null_columns"}},
                      PLAIN: {"test_metadata": {"name": "unique"}}}}
# what failing_rows_per_column compiles to, for two columns
COMPILED = """with failing as (
    select sum(case when grade is null then 1 else 0 end) as failing_1,
           sum(case when sex is null then 1 else 0 end) as failing_2
    from students
)
select 'sex' as column_name, failing_2 as failing_rows from failing where failing_2 > 0
union all
select 'grade' as column_name, failing_1 as failing_rows from failing where failing_1 > 0"""


def _check(unique_id: str, passed: bool = False) -> AssetCheckResult:
    return AssetCheckResult(passed=passed, asset_key="students", check_name=unique_id.split(".")[2],
                            metadata={"unique_id": unique_id})


@pytest.fixture
def warehouse(tmp_path: Path) -> ReadFrame:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table students as select * from (values ('P1', 'M'), (null, null), "
                           "('P2', null), ('P3', null)) as t(grade, sex)")
    return duckdb_reader(path)


def _target(tmp_path: Path, compiled: str | None = COMPILED, text: str | None = None) -> Path:
    target = tmp_path / "target"
    target.mkdir()
    results = {"results": [{"unique_id": FOLDED, "compiled_code": compiled}]}
    (target / "run_results.json").write_text(text if text is not None else json.dumps(results))
    return target


def test_only_failed_folded_tests_are_held() -> None:
    assert _is_failed_folded_test(_check(FOLDED), MANIFEST)
    assert not _is_failed_folded_test(_check(FOLDED, passed=True), MANIFEST)
    assert not _is_failed_folded_test(_check(PLAIN), MANIFEST)
    assert not _is_failed_folded_test("a materialization", MANIFEST)


def test_the_description_names_each_broken_column_and_its_rows(tmp_path: Path, warehouse: ReadFrame) -> None:
    [described] = _with_failing_columns([_check(FOLDED)], _target(tmp_path), warehouse)
    assert described.description == "grade: 1 row; sex: 3 rows"
    assert (described.passed, described.check_name, described.metadata) == (
        False, "not_null_stg_raw__students", _check(FOLDED).metadata)


@pytest.mark.parametrize("case", ["half-written results", "no results file", "query fails", "not compiled"])
def test_anything_in_the_way_leaves_the_result_as_dbt_gave_it(case: str, tmp_path: Path,
                                                              warehouse: ReadFrame) -> None:
    if case == "half-written results":
        target = _target(tmp_path, text='{"results": [{"unique_id": "test.')
    elif case == "no results file":
        target = tmp_path / "empty-target"
        target.mkdir()
    elif case == "query fails":
        target = _target(tmp_path, compiled=COMPILED.replace("from students", "from no_such_table"))
    else:
        target = _target(tmp_path, compiled=None)
    check = _check(FOLDED)
    assert list(_with_failing_columns([check], target, warehouse)) == [check]
