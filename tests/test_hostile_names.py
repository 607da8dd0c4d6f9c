"""Hostile names: folders, file names and school names carrying '../', quotes, SQL fragments or control
characters cannot escape the landing zone, break a query, or get altered beyond the documented cleaning.

- `discover_deliveries` refuses or ignores hostile province, year and file names and any link leading out
  of the landing folder (or looping), and never returns a path outside it;
- a school name that looks like SQL, markup or a format string is data: it loads as plain text through every
  province format, and survives the warehouse insert and a parameterised query unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from assets.contract.entities import SCHOOLS
from assets.contract.landing import source_files
from assets.sources import DeliveryError, discover_deliveries, read_delivery
from pipelines.resources.warehouse import DELIVERIES, QUARANTINE, Warehouse
from tests.fixtures.deliveries.builders import (
    check_result,
    pseudonymiser,
    spec,
    write_csv,
    write_jsonl,
    write_xlsx,
)
from tests.fuzzing import valid_rows

YEAR = 2566
SQL = "'; drop table raw.students; --"


def deliver(landing: Path, province: str, name: str, content: bytes = b"x", year: object = YEAR) -> Path:
    path = landing / province / str(year) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture
def zone(tmp_path: Path) -> tuple[Path, Path]:
    """(landing folder, a folder beside it holding a file that must never be reached)."""
    landing, outside = tmp_path / "landing", tmp_path / "outside"
    landing.mkdir()
    outside.mkdir()
    (outside / "students.csv").write_text("secret", encoding="utf-8")
    return landing, outside


def _inside(landing: Path, found: list[tuple[object, Path, object]]) -> bool:
    return all(path.resolve().is_relative_to(landing.resolve()) for _, path, _ in found)


# ---------------------------------------------------------------------------------------------------------
# discover_deliveries
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("province", ["..", ".", "../outside", "satun/../../outside", "/etc", "sa\x00tun",
                                      "..\\outside", "", "satun/"])
def test_province_names_that_walk_are_refused(zone: tuple[Path, Path], province: str) -> None:
    landing, _ = zone
    with pytest.raises(DeliveryError, match="must be plain folder names") as refused:
        discover_deliveries(landing, province, YEAR)
    assert "\x00" not in str(refused.value)  # the name is quoted (repr), not written raw into logs


@pytest.mark.parametrize("year", ["../2566", "..", "2566/../..", "/2566", "25\x0066"])
def test_year_names_that_walk_are_refused(zone: tuple[Path, Path], year: str) -> None:
    landing, _ = zone
    with pytest.raises(DeliveryError, match="must be plain folder names"):
        discover_deliveries(landing, "satun", year)  # type: ignore[arg-type]


@pytest.mark.parametrize("province", [SQL, 'x" OR "1"="1', "satun\n", "satun ", "SATUN", "สตูล", "\x1b[31mred",
                                      "<script>", "satun;rm -rf ~"])
def test_province_names_outside_the_contract_find_nothing(zone: tuple[Path, Path], province: str) -> None:
    landing, _ = zone
    deliver(landing, province, "students.csv")  # a folder by that name does exist, with a contract file
    assert discover_deliveries(landing, province, YEAR) == []


def test_hostile_file_names_in_a_real_folder_are_ignored(zone: tuple[Path, Path]) -> None:
    landing, _ = zone
    good = deliver(landing, "satun", "students.csv")
    for name in ["students.csv; rm -rf ~", "students.csv\n", "STUDENTS.CSV", "students.csv.lnk", f"{SQL}.csv",
                 "'students'.csv", '"students.csv"', "students\x1b.csv", " students.csv", "..students.csv",
                 "students.csv..", "students_obec.jsonl"]:
        deliver(landing, "satun", name)
    found = discover_deliveries(landing, "satun", YEAR)
    assert [(s.file_name, p) for s, p, _ in found] == [("students.csv", good)]


def test_file_symlinked_out_of_the_landing_zone_is_refused(zone: tuple[Path, Path]) -> None:
    landing, outside = zone
    folder = landing / "satun" / str(YEAR)
    folder.mkdir(parents=True)
    (folder / "students.csv").symlink_to(outside / "students.csv")
    with pytest.raises(DeliveryError, match="symlink points outside the landing folder") as refused:
        discover_deliveries(landing, "satun", YEAR)
    assert "students.csv" in str(refused.value) and "secret" not in str(refused.value)


@pytest.mark.parametrize("target", ["/etc/passwd", "/dev/zero", "../../../outside/students.csv"])
def test_absolute_and_relative_links_out_are_refused(zone: tuple[Path, Path], target: str) -> None:
    landing, _ = zone
    folder = landing / "satun" / str(YEAR)
    folder.mkdir(parents=True)
    (folder / "students.csv").symlink_to(target)
    with pytest.raises(DeliveryError, match="outside the landing folder"):
        discover_deliveries(landing, "satun", YEAR)


@pytest.mark.parametrize("linked", ["province", "year"])
def test_folders_symlinked_out_are_refused(zone: tuple[Path, Path], linked: str) -> None:
    landing, outside = zone
    (outside / str(YEAR)).mkdir()
    (outside / str(YEAR) / "students.csv").write_text("secret", encoding="utf-8")
    if linked == "province":
        (landing / "satun").symlink_to(outside)
    else:
        (landing / "satun").mkdir()
        (landing / "satun" / str(YEAR)).symlink_to(outside / str(YEAR))
    with pytest.raises(DeliveryError, match="folder resolves outside the landing folder"):
        discover_deliveries(landing, "satun", YEAR)


def test_symlink_loops_and_dangling_links_are_refused_not_crashed(zone: tuple[Path, Path]) -> None:
    landing, _ = zone
    folder = landing / "satun" / str(YEAR)
    folder.mkdir(parents=True)
    (folder / "students.csv").symlink_to("students.csv")  # points at itself
    with pytest.raises(DeliveryError, match="students.csv: cannot resolve the link"):
        discover_deliveries(landing, "satun", YEAR)
    (folder / "students.csv").unlink()
    (folder / "students.csv").symlink_to(folder / "missing.csv")  # dangling, inside the zone
    with pytest.raises(DeliveryError, match="not a regular file"):
        discover_deliveries(landing, "satun", YEAR)


def test_fifo_and_folder_named_like_a_delivery_are_refused_without_blocking(zone: tuple[Path, Path]) -> None:
    landing, _ = zone
    folder = landing / "satun" / str(YEAR)
    folder.mkdir(parents=True)
    os.mkfifo(folder / "students.csv")  # reading it would block forever
    with pytest.raises(DeliveryError, match="students.csv: not a regular file"):
        discover_deliveries(landing, "satun", YEAR)
    (folder / "students.csv").unlink()
    (folder / "students.csv").mkdir()
    with pytest.raises(DeliveryError, match="not a regular file"):
        discover_deliveries(landing, "satun", YEAR)


def test_links_within_the_zone_and_a_linked_landing_still_work(zone: tuple[Path, Path],
                                                                tmp_path: Path) -> None:
    landing, _ = zone
    real = deliver(landing, "satun", "archive-copy.csv")
    (landing / "satun" / str(YEAR) / "students.csv").symlink_to(real)
    alias = tmp_path / "landing-alias"
    alias.symlink_to(landing)  # the landing folder itself reached through a link
    for root in (landing, alias):
        found = discover_deliveries(root, "satun", YEAR)
        assert [s.file_name for s, _, _ in found] == ["students.csv"]
        assert _inside(root, found)


def test_every_contract_file_is_found_and_stays_inside(zone: tuple[Path, Path]) -> None:
    landing, _ = zone
    for province in ("yala", "satun", "mae_hong_son", "sukhothai", "national"):
        for source in source_files(province):
            for name in source.file_names():
                deliver(landing, province, name)
        found = discover_deliveries(landing, province, YEAR)
        expected = [name for source in source_files(province) for name in source.file_names()]
        assert [p.name for _, p, _ in found] == expected
        assert _inside(landing, found)


def test_a_hostile_file_name_cannot_become_an_agency(tmp_path: Path) -> None:
    """Yala takes the agency from the file name: only the contract's agencies may come from there."""
    source = spec("yala", "students")
    rows = valid_rows(source, 2, 1)
    for name, agency in [("students_obec.jsonl", "obec"), (f"students_{SQL}.jsonl", None),
                         ("students_obec'--.jsonl", None)]:
        path = write_jsonl(tmp_path / name, source, rows)
        result = read_delivery(source, path, province="yala", academic_year=YEAR,
                               pseudonymiser=pseudonymiser())
        agencies = result.rows["agency"].astype(object).where(result.rows["agency"].notna(), None).tolist()
        assert agencies == [agency, agency], name
        assert result.source_file == name  # lineage keeps the real name, as data


# ---------------------------------------------------------------------------------------------------------
# School names are data
# ---------------------------------------------------------------------------------------------------------

# Delivered name → what loads. The only changes are the documented cleaning (assets.parsing.text): whitespace
# runs and control characters become one space, ends are trimmed, Thai digits become Arabic.
HOSTILE_SCHOOL_NAMES: list[tuple[str, str]] = [
    (SQL, SQL),
    ("Robert'); DROP TABLE students;--", "Robert'); DROP TABLE students;--"),
    ("1; DELETE FROM raw.schools WHERE 1=1", "1; DELETE FROM raw.schools WHERE 1=1"),
    ('โรงเรียน "บ้านนา" (สาขา)', 'โรงเรียน "บ้านนา" (สาขา)'),
    ("O'Brien ''quoted'' \"double\"", "O'Brien ''quoted'' \"double\""),
    ("<script>alert('x')</script>", "<script>alert('x')</script>"),
    ("a,b;c|d", "a,b;c|d"),
    ("%s %d {0} ${x} \\N \\", "%s %d {0} ${x} \\N \\"),
    ("NULL", "NULL"),
    ("-- comment", "-- comment"),
    ("ไทยรัฐวิทยา ๙๙ (บ้านนา)", "ไทยรัฐวิทยา 99 (บ้านนา)"),
    ("tab\there", "tab here"),
    ("line\nbreak\r\nagain", "line break again"),
    ("  padded   name  ", "padded name"),
]
CONTROL_NAMES: list[tuple[str, str]] = [  # XLSX cannot hold these characters at all
    ("bell\x07and\x1bescape", "bell and escape"),
    ("del\x7fete", "del ete"),
]
SCHOOL_SOURCES = {
    "yala": spec("yala", "schools"),
    "satun": spec("satun", "schools"),
    "mae_hong_son": spec("mae_hong_son", "schools"),
    "sukhothai": spec("sukhothai", "schools"),
}


def _school_rows(province: str, names: list[tuple[str, str]]) -> list[dict[str, object]]:
    rows = valid_rows(SCHOOL_SOURCES[province], len(names), 1)
    for row, (delivered, _) in zip(rows, names, strict=True):
        row["school_name"] = delivered
    return rows


def _deliver_schools(tmp_path: Path, province: str, names: list[tuple[str, str]]) -> Path:
    source = SCHOOL_SOURCES[province]
    path = tmp_path / province / str(YEAR) / source.file_name
    rows = _school_rows(province, names)
    if source.format == "jsonl":
        return write_jsonl(path, source, rows)
    if source.format == "xlsx":
        return write_xlsx(path, source, {"โรงเรียน": rows})
    return write_csv(path, source, rows)


def _names_for(province: str) -> list[tuple[str, str]]:
    return HOSTILE_SCHOOL_NAMES + ([] if province == "mae_hong_son" else CONTROL_NAMES)


@pytest.mark.parametrize("province", list(SCHOOL_SOURCES))
def test_hostile_school_names_load_as_plain_text(tmp_path: Path, province: str) -> None:
    names = _names_for(province)
    path = _deliver_schools(tmp_path, province, names)
    result = read_delivery(SCHOOL_SOURCES[province], path, province=province, academic_year=YEAR,
                           pseudonymiser=pseudonymiser())
    check_result(result)
    assert result.rejects.empty, result.rejects["reason"].tolist()
    assert result.rows["school_name"].tolist() == [loaded for _, loaded in names]


def _empty(spec_columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="object") for column in spec_columns})


def _round_trip(warehouse: Warehouse, tmp_path: Path) -> None:
    names = _names_for("yala")
    path = _deliver_schools(tmp_path, "yala", names)
    rows = read_delivery(SCHOOL_SOURCES["yala"], path, province="yala", academic_year=YEAR,
                         pseudonymiser=pseudonymiser()).rows
    warehouse.ensure_raw_table(SCHOOLS)
    warehouse.replace_partition(SCHOOLS, "yala", YEAR, rows, _empty(QUARANTINE.column_names),
                                _empty(DELIVERIES.column_names))
    stored = warehouse.read_frame(
        "select school_name from raw.schools where province = ? order by source_row", ("yala",))
    assert stored["school_name"].tolist() == [loaded for _, loaded in names]
    for _, loaded in names:  # each name is found by a parameterised query, as itself
        found = warehouse.read_frame("select count(*) as n from raw.schools where school_name = ?", (loaded,))
        assert found["n"].tolist() == [1], loaded
    # the statement the name imitates did nothing: the table is there and whole
    assert warehouse.read_frame("select count(*) as n from raw.schools")["n"].tolist() == [len(names)]


def test_hostile_school_names_survive_the_duckdb_warehouse(tmp_path: Path) -> None:
    _round_trip(Warehouse.from_url(f"duckdb:///{tmp_path / 'warehouse.duckdb'}"), tmp_path)


@pytest.mark.postgres
def test_hostile_school_names_survive_the_postgresql_warehouse(postgres_server, tmp_path: Path) -> None:  # noqa: ANN001
    # own database: other tests use the default one
    _round_trip(Warehouse.from_url(postgres_server.fresh_database("edusandbox_hostile_names")), tmp_path)
