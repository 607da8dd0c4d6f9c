"""Which ingest steps a run takes (pipelines/changed_deliveries.py): a run of some provinces re-ingests only
the steps whose delivered files differ from the ones the warehouse's raw.deliveries records as loaded."""

from pathlib import Path

import pandas as pd
import pytest

from assets.content_address import sha256_of
from assets.contract.entities import ENTITIES, NATIONAL, PROVINCES
from assets.ingest_order import steps_of
from pipelines.changed_deliveries import plan_ingest
from pipelines.resources.warehouse import DELIVERY_COLUMNS, Warehouse

YALA_STUDENTS = ("students_obec.jsonl", "students_opec.jsonl")


def deliver(landing: Path, folder: str, year: int, name: str, content: bytes = b"{}\n") -> Path:
    path = landing / folder / str(year) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def record_loaded(warehouse: Warehouse, landing: Path, folder: str, year: int, entity: str,
                  names: tuple[str, ...]) -> None:
    """raw.deliveries as an ingest step leaves it: a row per file loaded into the (folder, year) partition."""
    rows = pd.DataFrame([{
        "province": folder, "academic_year": year, "entity": entity, "agency": None, "source_file": name,
        "source_sha256": sha256_of(landing / folder / str(year) / name), "archived_path": "", "rows_read": 1,
        "rows_loaded": 1, "rows_quarantined": 0, "ingested_at": "2026-11-29T00:00:00"} for name in names],
        columns=[c for c, _ in DELIVERY_COLUMNS])
    empty = pd.DataFrame(columns=[c.name for c in ENTITIES[entity].all_columns])
    quarantine = warehouse.read_frame("select * from raw.quarantine where false")
    warehouse.replace_partition(ENTITIES[entity], folder, year, empty, quarantine, rows)


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    for name in YALA_STUDENTS:
        deliver(landing, "yala", 2567, name, name.encode())
    deliver(landing, "yala", 2567, "schools.jsonl")
    deliver(landing, NATIONAL, 2567, "nt_onet_results.csv", b"a,b\n1,2\n")
    return landing


@pytest.fixture
def warehouse(tmp_path: Path, landing: Path) -> Warehouse:
    """Yala's students and schools and the national assessments loaded as delivered in 2567."""
    warehouse = Warehouse.from_url(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    warehouse.ensure_raw_tables(ENTITIES.values())
    record_loaded(warehouse, landing, "yala", 2567, "students", YALA_STUDENTS)
    record_loaded(warehouse, landing, "yala", 2567, "schools", ("schools.jsonl",))
    record_loaded(warehouse, landing, NATIONAL, 2567, "assessments", ("nt_onet_results.csv",))
    return warehouse


def test_nothing_is_taken_when_every_delivery_is_loaded_as_it_is(landing: Path, warehouse: Warehouse) -> None:
    plan = plan_ingest(landing, warehouse.url, ["yala"], [2567])
    assert plan.steps == []
    assert plan.unchanged == [("yala", "schools"), ("yala", "students"), (NATIONAL, "assessments")]
    assert "new or changed deliveries: none" in plan.describe()


def test_a_changed_file_takes_its_step_only(landing: Path, warehouse: Warehouse) -> None:
    deliver(landing, "yala", 2567, YALA_STUDENTS[1], b"re-delivered\n")
    plan = plan_ingest(landing, warehouse.url, ["yala"], [2567])
    assert plan.steps == [("yala", "students")]
    assert ("yala", "schools") in plan.unchanged and (NATIONAL, "assessments") in plan.unchanged
    assert plan.folders == ["yala"]


def test_a_file_added_or_no_longer_delivered_beside_others_takes_its_step(landing: Path,
                                                                          warehouse: Warehouse) -> None:
    deliver(landing, "yala", 2567, "students_lao.jsonl")
    assert plan_ingest(landing, warehouse.url, ["yala"], [2567]).steps == [("yala", "students")]
    (landing / "yala" / "2567" / "students_lao.jsonl").unlink()
    (landing / "yala" / "2567" / YALA_STUDENTS[0]).unlink()  # its partition would now hold one file's rows
    assert plan_ingest(landing, warehouse.url, ["yala"], [2567]).steps == [("yala", "students")]


def test_a_year_never_loaded_and_a_changed_national_file_are_taken(landing: Path,
                                                                   warehouse: Warehouse) -> None:
    deliver(landing, "yala", 2568, "schools.jsonl")  # the same bytes as 2567's, but a year not loaded
    deliver(landing, NATIONAL, 2567, "nt_onet_results.csv", b"a,b\n1,3\n")
    plan = plan_ingest(landing, warehouse.url, ["yala"], [2567, 2568])
    assert plan.steps == [("yala", "schools"), (NATIONAL, "assessments")]
    assert plan.folders == ["yala", NATIONAL]
    # the years asked for bound the comparison: 2568 alone is not compared in a run of 2567
    assert ("yala", "schools") in plan_ingest(landing, warehouse.url, ["yala"], [2567]).unchanged


def test_steps_without_deliveries_are_not_taken(landing: Path, warehouse: Warehouse) -> None:
    plan = plan_ingest(landing, warehouse.url, ["yala"], [2567])
    taken_or_kept = {*plan.steps, *plan.unchanged}
    assert ("yala", "teachers") not in taken_or_kept  # nothing delivered: its partitions stay as they are
    assert ("satun", "students") not in taken_or_kept  # a province not asked for


def test_a_warehouse_never_loaded_takes_every_delivered_step(landing: Path, tmp_path: Path) -> None:
    plan = plan_ingest(landing, f"duckdb:///{tmp_path / 'empty.duckdb'}", ["yala"], [2567])
    assert plan.steps == [("yala", "schools"), ("yala", "students"), (NATIONAL, "assessments")]
    assert plan.unchanged == [] and plan.describe() == "every delivery ingested"


def test_a_run_of_every_province_or_of_all_files_takes_every_step(landing: Path,
                                                                  warehouse: Warehouse) -> None:
    every = plan_ingest(landing, warehouse.url, list(PROVINCES), [2567])
    assert every.steps == steps_of([*PROVINCES, NATIONAL]) and every.unchanged == []
    forced = plan_ingest(landing, warehouse.url, ["yala"], [2567], all_files=True)
    assert forced.steps == steps_of(["yala", NATIONAL])


def test_a_folder_that_cannot_be_listed_takes_its_steps_so_they_report_it(landing: Path, warehouse: Warehouse,
                                                                          tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "schools.jsonl").write_bytes(b"{}\n")
    (landing / "yala" / "2566").symlink_to(outside, target_is_directory=True)
    plan = plan_ingest(landing, warehouse.url, ["yala"], [2566, 2567])
    assert plan.steps[:2] == [("yala", "schools"), ("yala", "students")]
    assert set(steps_of(["yala"])) <= set(plan.steps)


def test_the_production_warehouse_is_compared_the_same_way(landing: Path, postgres_server: object) -> None:
    """PostgreSQL (a real server on loopback): the recorded files are read back and compared alike."""
    url = postgres_server.fresh_database("edusandbox_changed_deliveries")  # type: ignore[attr-defined]
    warehouse = Warehouse.from_url(url)
    warehouse.ensure_raw_tables(ENTITIES.values())
    record_loaded(warehouse, landing, "yala", 2567, "students", YALA_STUDENTS)
    record_loaded(warehouse, landing, NATIONAL, 2567, "assessments", ("nt_onet_results.csv",))
    assert plan_ingest(landing, url, ["yala"], [2567]).steps == [("yala", "schools")]  # never loaded here
    deliver(landing, "yala", 2567, YALA_STUDENTS[0], b"re-delivered\n")
    plan = plan_ingest(landing, url, ["yala"], [2567])
    assert plan.steps == [("yala", "schools"), ("yala", "students")]
    assert plan.unchanged == [(NATIONAL, "assessments")]
