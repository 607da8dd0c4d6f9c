"""The benchmark's DuckDB-SQL baseline stays honest: on a small clean demo landing it computes the same
province and district marts as the whole pipeline (bench/baseline.py against `edusandbox run`)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from dagster import instance_for_test

from assets.contract.entities import PROVINCES
from bench.baseline import run_baseline, xlsx_rows, xlsx_shared_strings, xlsx_sheet_members
from bench.compare import PROVINCE_KEY, compare_frames, compare_warehouses
from bench.run_bench import warehouse_counts, withdraw_rows
from pipelines.demo_data import generate_landing
from pipelines.run import run_pipeline
from pipelines.settings import Settings

SCALE = 0.05
YEARS = (2566, 2567)
"""Two years in one run (as `make run` does), so the flow indicators, traced from one year into the next, are
compared too."""
FLOW_INDICATORS = {"promotion_rate", "repetition_rate", "dropout_rate", "recorded_dropout_rate",
                   "transition_rate_p6_m1", "transition_rate_m3_m4"}


def _clean_landing(folder: Path, years: tuple[int, ...]) -> Path:
    """Deliveries without injected mess: the baseline does not replicate the rejection rules."""
    landing = folder / "landing"
    generate_landing(landing, seed=11, scale=SCALE, years=years, error_rate=0.0)
    return landing


def _pipeline_warehouse(landing: Path, home: Path) -> Path:
    """The whole pipeline in process, as `edusandbox run` runs it, over every year of the landing."""
    settings = Settings.from_env(home=home, landing=landing, warehouse_url=f"duckdb:///{home / 'wh.duckdb'}",
                                 publish_dir=home / "publish", archive_dir=home / "archive")
    (home / "dagster").mkdir()
    with instance_for_test(temp_dir=str(home / "dagster")) as instance:
        outcome = run_pipeline(settings, list(PROVINCES), echo=lambda _: None, instance=instance)
    assert outcome.success, outcome.message
    return home / "wh.duckdb"


def _baseline_result(landing: Path, years: tuple[int, ...], folder: Path) -> Path:
    run_baseline(landing, years, folder / "result.duckdb", folder / "work")
    return folder / "result.duckdb"


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _clean_landing(tmp_path_factory.mktemp("bench_landing"), YEARS)


@pytest.fixture(scope="module")
def baseline_result(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _baseline_result(landing, YEARS, tmp_path_factory.mktemp("bench_baseline"))


@pytest.fixture(scope="module")
def pipeline_warehouse(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _pipeline_warehouse(landing, tmp_path_factory.mktemp("bench_pipeline"))


def _province_mart(path: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"select * from {table}").df()


def test_the_pipeline_quarantined_nothing_so_the_comparison_is_fair(pipeline_warehouse: Path) -> None:
    with duckdb.connect(str(pipeline_warehouse), read_only=True) as con:
        read, files = con.execute("select sum(rows_read), count(*) from raw.deliveries").fetchone()
        assert con.execute("select count(*) from raw.quarantine").fetchone()[0] == 0
    assert read > 0 and files > 0


def _assert_marts_equal(warehouse: Path, baseline: Path) -> None:
    comparisons = compare_warehouses(warehouse, baseline)
    assert [c.mart for c in comparisons] == ["province", "district"]
    for comparison in comparisons:
        assert comparison.equal, comparison.as_dict()
        assert comparison.pipeline_rows == comparison.baseline_rows > 100


def test_the_baseline_computes_the_pipelines_province_and_district_marts(
        pipeline_warehouse: Path, baseline_result: Path) -> None:
    _assert_marts_equal(pipeline_warehouse, baseline_result)
    indicators = set(_province_mart(baseline_result, "province_indicators")["indicator_id"])
    assert {"enrolment", "share_small_schools", "pupil_teacher_ratio", "share_teachers_trained",
            "ger_primary", "out_of_school_rate", "share_poor_students", "literacy_pass_rate",
            "minimum_proficiency_share", "learning_space_users", "learning_space_applying_share",
            "protection_cases"} <= indicators


def test_the_flow_indicators_are_compared_for_the_year_that_has_a_next_year(baseline_result: Path) -> None:
    province = _province_mart(baseline_result, "province_indicators")
    flows = province[province["indicator_id"].isin(FLOW_INDICATORS)]
    assert set(flows["indicator_id"]) == FLOW_INDICATORS
    assert set(flows["academic_year"]) == {YEARS[0]}  # traced into the next year; the last year has none


def test_a_different_number_or_a_missing_row_is_reported(baseline_result: Path) -> None:
    mart = _province_mart(baseline_result, "province_indicators")
    changed = mart.copy()
    first_rate = changed.index[changed["value"].notna() & (changed["unit"] == "percent")][0]
    changed.loc[first_rate, "value"] += 0.01
    result = compare_frames("province", mart, changed, PROVINCE_KEY)
    assert (result.value_mismatches, result.only_in_pipeline, result.equal) == (1, 0, False)
    shorter = compare_frames("province", mart, mart.iloc[1:], PROVINCE_KEY)
    assert (shorter.only_in_pipeline, shorter.value_mismatches, shorter.equal) == (1, 0, False)
    assert compare_frames("province", mart, mart.copy(), PROVINCE_KEY).equal


def test_the_xlsx_reader_reads_shared_strings_numbers_and_booleans(tmp_path: Path) -> None:
    """openpyxl writes shared strings (the demo generator writes inline strings): both must read."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "สพป.แม่ฮ่องสอน เขต 1"
    sheet.append(["เลขประจำตัวประชาชน", "ชั้น", "คะแนน", "ผ่าน"])
    sheet.append(["๑๒๓", "ป.1", 20.0, True])
    sheet.append([None, None, None, None])
    sheet.append(["G58", "ม.2", 7.5, False])
    workbook.save(tmp_path / "book.xlsx")
    with zipfile.ZipFile(tmp_path / "book.xlsx") as archive:
        members = xlsx_sheet_members(archive)
        rows = list(xlsx_rows(archive, members["สพป.แม่ฮ่องสอน เขต 1"], xlsx_shared_strings(archive)))
    assert rows == [
        (1, {1: "เลขประจำตัวประชาชน", 2: "ชั้น", 3: "คะแนน", 4: "ผ่าน"}),
        (2, {1: "๑๒๓", 2: "ป.1", 3: "20", 4: "true"}),
        (4, {1: "G58", 2: "ม.2", 3: "7.5", 4: "false"}),
    ]


def test_the_delta_withdraws_every_hundredth_record_and_keeps_the_header(tmp_path: Path) -> None:
    delivery = tmp_path / "students.csv"
    delivery.write_bytes(b"header\n" + b"".join(b"row%d\n" % i for i in range(1, 251)))
    assert withdraw_rows(delivery, 100) == 2
    lines = delivery.read_bytes().split(b"\n")
    assert lines[0] == b"header" and b"row100" not in lines and b"row200" not in lines and b"row250" in lines
    assert len([line for line in lines if line.startswith(b"row")]) == 248


def test_the_delta_counts_the_rows_of_the_files_its_run_ingested(pipeline_warehouse: Path,
                                                                 tmp_path: Path) -> None:
    """A run of one province ingests only its new or changed files: the delta's rows per second are theirs."""
    every = warehouse_counts(pipeline_warehouse)
    assert every["rows_read"] == every["rows_loaded"] > 0
    later = tmp_path / "later.duckdb"
    shutil.copy(pipeline_warehouse, later)
    with duckdb.connect(str(later)) as con:  # Satun's roster, as if a later run had ingested it again
        con.execute("update raw.deliveries set ingested_at = '2999-01-01T00:00:00+00:00' "
                    "where province = 'satun' and entity = 'students'")
        roster = con.execute("select sum(rows_read) from raw.deliveries where province = 'satun' "
                             "and entity = 'students'").fetchone()[0]
    since = warehouse_counts(later, since="2999-01-01T00:00:00+00:00")
    assert since["rows_read"] == roster > 0
    assert set(since["per_entity"]) == {"students"}  # type: ignore[arg-type]
    assert since["raw_rows"] == every["raw_rows"]  # what dbt read is every row still
