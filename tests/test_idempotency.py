"""Idempotency and atomicity of a run, through the real `edusandbox run` on a copy of the reference run:

- a delivery that fails a blocking check (a required column missing) fails the run with a message naming the
  file and the check; the published site stays byte-identical, the marts and every raw partition unchanged;
- an error-severity dbt test that fails fails the run naming the test; dbt builds and tests in its build
  schema, so the marts offices read and the published site stay byte-identical (write-audit-publish);
- the same deliveries run again give byte-identical marts and exports: proven by every re-run in
  tests/test_faults.py (compared with the reference run, which is a different home) and by
  tests/test_pipeline_run.py::test_a_second_run_of_the_same_deliveries_changes_nothing (same home).
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import duckdb
import pytest

from assets.parsing import decode_delivery
from tests.reliability_helpers import (
    Home,
    State,
    clone_home,
    describe,
    files_bytes,
    raw_duplicate_keys,
    reference_run,
)

BROKEN_PROVINCE, BROKEN_YEAR, BROKEN_FILE = "satun", 2567, "students.csv"
DROPPED_HEADER = "ชั้น"  # the grade column of Satun's roster (cp874)
PLANTED_GRADE = "ป.1"  # a Thai grade label: what the adapter normalises to P1, here loaded without it


@pytest.fixture(scope="module")
def reference(demo_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Home:
    return reference_run(tmp_path_factory.getbasetemp(), demo_landing)


def _without_column(data: bytes, header: str) -> bytes:
    """The delivered CSV again, in its own encoding, minus one column."""
    text, encoding = decode_delivery(data)
    rows = list(csv.reader(io.StringIO(text)))
    drop = rows[0].index(header)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([r[:drop] + r[drop + 1:] for r in rows])
    return out.getvalue().encode(encoding)


def _landing_with_a_broken_delivery(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    path = target / BROKEN_PROVINCE / str(BROKEN_YEAR) / BROKEN_FILE
    path.write_bytes(_without_column(path.read_bytes(), DROPPED_HEADER))
    return target


def _exact_state(home: Home) -> State:
    return State.of(home, publication=files_bytes)


@pytest.mark.timeout(1200)
def test_a_delivery_failing_a_blocking_check_fails_the_run_and_changes_nothing(reference: Home,
                                                                               tmp_path: Path) -> None:
    landing = _landing_with_a_broken_delivery(reference.landing, tmp_path / "landing")
    home = clone_home(reference, tmp_path / "home", landing=landing)
    before = _exact_state(home)

    done = home.run("--province", BROKEN_PROVINCE, "--years", str(BROKEN_YEAR))

    assert done.returncode == 1, describe(done)
    failure = done.output[done.output.index("FAILED"):]
    assert f"{BROKEN_PROVINCE}/{BROKEN_YEAR}" in failure and BROKEN_FILE in failure, failure
    assert f"raw/{BROKEN_PROVINCE}/students:gx_suite" in failure, failure
    assert "last good publication" in failure and "untouched" in failure, failure
    after = _exact_state(home)
    assert after.publication == before.publication, "the published site changed"
    assert after.marts == before.marts, "the marts changed"
    assert after.raw == before.raw, "a raw partition changed (a failed delivery must load nothing)"
    assert after.deliveries == before.deliveries


def _plant_a_row_loaded_by_hand(warehouse_file: Path) -> None:
    """A roster row copied into raw.students without the adapter (by hand, or by an older loader): its grade
    is still the delivered Thai label: the right type, but stg_raw__students' accepted_values test fails."""
    with duckdb.connect(str(warehouse_file)) as connection:
        connection.execute(
            f"insert into raw.students select * replace ('{PLANTED_GRADE}' as grade, "
            "source_row + 1000000 as source_row) from raw.students "
            f"where province = '{BROKEN_PROVINCE}' and academic_year = {BROKEN_YEAR - 1} limit 1")


@pytest.mark.timeout(1200)
def test_a_failing_dbt_test_fails_the_run_and_leaves_marts_and_site_as_they_were(reference: Home,
                                                                                  tmp_path: Path) -> None:
    home = clone_home(reference, tmp_path / "home")
    _plant_a_row_loaded_by_hand(home.root / "warehouse.duckdb")
    before = _exact_state(home)

    # Another province's year only: the planted partition is not reloaded, dbt still builds everything.
    done = home.run("--province", "yala", "--years", str(BROKEN_YEAR))

    assert done.returncode == 1, describe(done)
    failure = done.output[done.output.index("FAILED"):]
    # the failing test checks several columns at once: the message names the one that failed, and how often
    assert "stg_raw__students:accepted_values_stg_raw__students failed: grade: 1 row" in failure, failure
    after = _exact_state(home)
    assert after.publication == before.publication, "the published site changed"
    assert after.marts == before.marts, "the marts offices read changed although a dbt test failed"
    assert raw_duplicate_keys(home.warehouse) == {}
