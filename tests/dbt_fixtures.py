"""A tiny hand-written raw warehouse for the dbt tests: raw.<entity> tables with exactly the contract columns,
and the `dbt build` runner the dbt tests share.

The rows are chosen so that the marts can be computed by hand (the arithmetic is in tests/test_dbt_duckdb.py):
Yala (95) has rosters for 2566 and 2567, so 2566 has student flows; Satun (91) has 2566 only (no flows);
national deliveries (population, poverty, assessments) are filed under province 'national', and the
population file holds one district outside the four provinces, which the marts must ignore.

Schools: S1 1095010001 OBEC primary, district 9501, in EMIS; S2 1095010002 OBEC secondary, 9501;
S3 1195020001 OPEC, 9502; S4 1091010001 OBEC Satun, 9101. Sukhothai delivers only protection cases, of a
school (1064010001) that no registry holds.

One DuckDB build serves the whole test session (`fixture_duckdb_build`): tests/test_dbt_duckdb.py reads its
marts and tests/test_dbt_postgres.py compares a PostgreSQL build with it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from assets.contract.entities import ENTITIES, Entity
from assets.parsing.pseudonym import PSEUDONYM_HEX_CHARS
from pipelines.resources.warehouse import SQL_TYPES, TableSpec
from pipelines.settings import DBT_PROJECT_DIR

S1, S2, S3, S4 = "1095010001", "1095010002", "1195020001", "1091010001"
SHA = "0" * 64
Row = dict[str, Any]


def fixture_key(label: str) -> str:
    """A pseudonymised key as the pipeline makes them (32 hex digits), named by a short label: the label's
    ASCII in hex, zero-padded ("a01" → 00…613031), so a key in a failing test's output can be read back."""
    return label.encode("ascii").hex().rjust(PSEUDONYM_HEX_CHARS, "0")


def _keys(prefix: str, first: int, last: int) -> list[str]:
    """Labels of students; `fixture_rows` makes them keys."""
    return [f"{prefix}{i:02d}" for i in range(first, last + 1)]


def _student(key: str, school: str, grade: str, sex: str, born: str, status: str) -> Row:
    return {"student_key": key, "id_kind": "citizen_id", "school_id": school, "grade": grade, "sex": sex,
            "birth_date": dt.date.fromisoformat(born), "status": status,
            "dropout_reason": "family moved for work" if status == "dropped_out" else None,
            "home_language": None}


def _students_2566_yala() -> list[Row]:
    rows = [_student(k, S1, "P1", "F", "2017-03-01", "promoted") for k in _keys("a", 1, 10)]
    rows += [_student(k, S1, "P1", "M", "2016-12-01", "promoted") for k in _keys("b", 1, 8)]
    rows.append(_student("b09", S1, "P1", "M", "2016-12-01", "repeated"))
    rows.append(_student("b10", S1, "P1", "M", "2015-06-01", "dropped_out"))  # age 7 on 16 May 2023
    rows += [_student(k, S1, "P6", "F", "2012-01-15", "graduated") for k in _keys("c", 1, 5)]
    rows.append(_student("c06", S1, "P6", "F", "2012-01-15", "repeated"))
    rows += [_student(k, S2, "M3", "M", "2009-02-02", "promoted") for k in _keys("d", 1, 3)]
    rows.append(_student("d04", S2, "M3", "M", "2009-02-02", "transferred_out"))  # found in S3 in 2567
    rows += [_student(k, S3, "P3", "F", "2015-01-10", "promoted") for k in _keys("e", 1, 5)]
    rows.append(_student("e06", S3, "P3", "F", "2015-01-10", "dropped_out"))
    rows.append(_student("h01", S3, "P3", "F", "2015-01-10", "transferred_out"))  # left the four provinces
    return rows


def _students_2567_yala() -> list[Row]:
    rows = [_student(k, S1, "P2", "F", "2017-03-01", "studying") for k in _keys("a", 1, 10)]
    rows += [_student(k, S1, "P2", "M", "2016-12-01", "studying") for k in _keys("b", 1, 8)]
    rows.append(_student("b09", S1, "P1", "M", "2016-12-01", "studying"))
    rows += [_student(k, S2, "M1", "F", "2012-01-15", "studying") for k in _keys("c", 1, 4)]
    rows.append(_student("c06", S1, "P6", "F", "2012-01-15", "studying"))
    rows += [_student(k, S2, "M4", "M", "2009-02-02", "studying") for k in _keys("d", 1, 3)]
    rows.append(_student("d04", S3, "M4", "M", "2009-02-02", "studying"))
    rows += [_student(k, S3, "P4", "F", "2015-01-10", "studying") for k in _keys("e", 1, 5)]
    rows += [_student(k, S1, "P1", "F", "2018-02-02", "studying") for k in _keys("g", 1, 3)]
    return rows


def _school(school_id: str, name: str, district: str, levels: str, member: bool) -> Row:
    return {"school_id": school_id, "school_name": name, "affiliation": school_id[:2],
            "area_code": "9501" if school_id[2:4] == "95" else "9101", "district_code": district,
            "subdistrict_code": district + "01", "levels_offered": levels, "sandbox_member": member}


def _population() -> list[Row]:
    rows = [{"district_code": "9501", "age": age, "sex": sex, "population": 2 if age <= 11 else 1}
            for age in range(6, 18) for sex in ("M", "F")]
    rows.append({"district_code": "9502", "age": 8, "sex": "F", "population": 10})
    rows.append({"district_code": "1001", "age": 6, "sex": "M", "population": 100})  # Bangkok: not ours
    return rows


def _assessments() -> list[Row]:
    rows = [{"student_key": k, "school_id": S1, "test": "ONET", "grade": "P6", "subject": "thai", "score": s}
            for k, s in zip(_keys("c", 1, 5), (40.0, 50.0, 60.0, 70.0, 30.0), strict=True)]
    rows += [{"student_key": k, "school_id": S2, "test": "ONET", "grade": "M3", "subject": "math", "score": s}
             for k, s in zip(_keys("d", 1, 4), (45.0, 50.0, 20.0, 80.0), strict=True)]
    rows += [{"student_key": k, "school_id": S3, "test": "NT", "grade": "P3", "subject": "thai",
              "score": 55.0} for k in _keys("e", 1, 6)]
    return rows


def _literacy() -> list[Row]:
    passed = {"a09": {"reading"}, "a10": set()}
    return [{"student_key": k, "school_id": S1, "grade": "P1", "skill": skill,
             "score": 80.0 if skill in passed.get(k, {"reading", "writing"}) else 30.0,
             "passed": skill in passed.get(k, {"reading", "writing"}),
             "screened_on": dt.date(2023, 11, 15)}
            for k in _keys("a", 1, 10) for skill in ("reading", "writing")]


def fixture_partitions() -> list[tuple[str, str, int, list[Row]]]:
    """(entity, province, academic_year, rows without lineage columns) for every delivered partition; people
    are named by labels (a01, t1), made keys by `fixture_rows`."""
    teachers = [("t1", S1, "teacher", "F"), ("t2", S1, "teacher", "M"), ("t3", S1, "teacher", "F"),
                ("t4", S1, "director", "M"), ("t5", S2, "teacher", "F"), ("t6", S2, "teacher", "M")]
    return [
        ("schools", "yala", 2566, [_school(S1, "บ้านตัวอย่าง", "9501", "อ.1-ป.6", True),
                                   _school(S2, "ตัวอย่างวิทยา", "9501", "ม.1-ม.6", True),
                                   _school(S3, "ศาสนูปถัมภ์ตัวอย่าง", "9502", "อ.1-ม.6", False)]),
        ("schools", "yala", 2567, [_school(S1, "บ้านตัวอย่าง", "9501", "อ.1-ป.6", True),
                                   _school(S2, "ตัวอย่างวิทยา", "9501", "ม.1-ม.6", True),
                                   _school(S3, "ศาสนูปถัมภ์ตัวอย่าง", "9502", "อ.1-ม.6", True)]),
        ("schools", "satun", 2566, [_school(S4, "บ้านสตูล", "9101", "อ.1-ป.6", True)]),
        ("students", "yala", 2566, _students_2566_yala()),
        ("students", "yala", 2567, _students_2567_yala()),
        ("students", "satun", 2566, [_student(k, S4, "P2", "M", "2016-01-01", "studying")
                                     for k in _keys("f", 1, 3)]),
        ("enrolment_counts", "yala", 2566, [
            {"school_id": S1, "grade": "P1", "male": 11, "female": 10, "total": 21, "classrooms": 1},
            {"school_id": S1, "grade": "P6", "male": 0, "female": 5, "total": 5, "classrooms": 1}]),
        ("teachers", "yala", 2566, [{"teacher_key": k, "school_id": s, "position": p, "subject": None,
                                     "academic_standing": None, "sex": x} for k, s, p, x in teachers]),
        ("training", "yala", 2566, [
            {"teacher_key": k, "school_id": s, "course_name": c, "skill_area": None, "hours": 12.0,
             "completed_on": dt.date(2023, 8, 1)}
            for k, s, c in (("t1", S1, "active learning"), ("t1", S1, "reading coaching"),
                            ("t4", S1, "school leadership"), ("t5", S2, "active learning"))]),
        ("literacy", "yala", 2566, _literacy()),
        ("assessments", "national", 2566, _assessments()),
        ("learning_spaces", "yala", 2566, [
            {"space_id": "L1", "space_name": "ห้องสมุดชุมชน", "district_code": "9501",
             "month": dt.date(2023, 6, 1), "visitors": 100, "visitors_applying": 30, "income_baht": 1000.0},
            {"space_id": "L1", "space_name": "ห้องสมุดชุมชน", "district_code": "9501",
             "month": dt.date(2023, 7, 1), "visitors": 50, "visitors_applying": 20, "income_baht": 500.0}]),
        ("learning_spaces", "yala", 2567, [
            {"space_id": "L1", "space_name": "ห้องสมุดชุมชน", "district_code": "9501",
             "month": dt.date(2024, 6, 1), "visitors": 200, "visitors_applying": 50, "income_baht": 0.0}]),
        ("population", "national", 2566, _population()),
        ("poverty", "national", 2566, [
            {"student_key": k, "school_id": s, "poverty_status": p}
            for k, s, p in (("a01", S1, "poor"), ("a02", S1, "poor"), ("a03", S1, "poor"),
                            ("a04", S1, "poor"), ("a05", S1, "poor"), ("b01", S1, "extremely_poor"),
                            ("e01", S3, "poor"), ("a06", S1, "not_poor"))]),
        ("protection_cases", "sukhothai", 2566, [
            {"student_key": k, "school_id": "1064010001", "disadvantage_type": d, "support_given": None,
             "follow_up_status": f}
            for k, d, f in (("p01", "poverty", "closed"), ("p02", "poverty", "open"),
                            ("p02", "disability", "in_progress"))]),
    ]


def fixture_rows() -> dict[str, list[Row]]:
    """Every raw table's rows, keyed by entity name: the lineage columns filled in, people's labels made
    keys."""
    rows: dict[str, list[Row]] = {name: [] for name in ENTITIES}
    for entity, province, year, partition in fixture_partitions():
        keyed = ENTITIES[entity].pseudonymised
        for number, row in enumerate(partition, start=1):
            rows[entity].append({**row, **{c: fixture_key(row[c]) for c in keyed},
                                 "province": province, "academic_year": year, "agency": None,
                                 "source_sha256": SHA, "source_file": f"{entity}.csv", "source_row": number})
    return rows


def _create_table_sql(entity: Entity, engine: str) -> str:
    """The table as the warehouse makes it (pipelines/resources/warehouse.py), keys as UUIDs included."""
    columns = ", ".join(f'"{name}" {SQL_TYPES[engine][kind]}' for name, kind in TableSpec.of(entity).columns)
    return f"create table raw.{entity.name} ({columns})"


def _values(entity: Entity, rows: Iterable[Row]) -> list[tuple[Any, ...]]:
    return [tuple(row[name] for name in entity.column_names) for row in rows]


def create_raw_duckdb(path: Path) -> Path:
    """A DuckDB file at `path` holding raw.<entity> for every contract entity, filled with the fixture."""
    rows = fixture_rows()
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists raw")
        for name, entity in ENTITIES.items():
            con.execute(_create_table_sql(entity, "duckdb"))
            if rows[name]:
                marks = ", ".join("?" for _ in entity.column_names)
                con.executemany(f"insert into raw.{name} values ({marks})", _values(entity, rows[name]))
    return path


def create_raw_postgres(connection: Any) -> None:
    """Same tables and rows in PostgreSQL, through an open DB-API connection (psycopg2)."""
    rows = fixture_rows()
    with connection.cursor() as cur:
        cur.execute("create schema if not exists raw")
        for name, entity in ENTITIES.items():
            cur.execute(f"drop table if exists raw.{name}")
            cur.execute(_create_table_sql(entity, "postgres"))
            if rows[name]:
                marks = ", ".join("%s" for _ in entity.column_names)
                cur.executemany(f"insert into raw.{name} values ({marks})", _values(entity, rows[name]))
    connection.commit()


# --- running dbt --------------------------------------------------------------------------------------------

DBT_TIMEOUT_SECONDS = 600
MART_SCHEMA = "marts"


@dataclass(frozen=True)
class DbtBuild:
    """A finished `dbt build`: where its artifacts are and how long it took (wall clock, process included)."""

    target_path: Path
    seconds: float
    warehouse: Path | None = None
    """The DuckDB file, for DuckDB builds."""
    output: str = ""
    """What dbt printed (its standard output)."""

    def run_results(self) -> dict[str, Any]:
        return json.loads((self.target_path / "run_results.json").read_text(encoding="utf-8"))

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.target_path / "manifest.json").read_text(encoding="utf-8"))


def _dbt_executable() -> str:
    beside_python = Path(sys.executable).with_name("dbt")
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def run_dbt_build(work_dir: Path, env: dict[str, str], *arguments: str,
                  command: str = "build", failing: bool = False) -> DbtBuild:
    """`dbt build` (seeds, models, data tests, unit tests) as a subprocess, artifacts and logs under work_dir;
    another `command` and more `arguments` (e.g. "test", "--select", ...) the same way. With `failing`, dbt
    must exit 1 (a test failed), else 0.

    A subprocess keeps dbt's logging and global state out of the test process and lets each build read its
    own environment (the profile takes the target and connection from EDUSANDBOX_* variables)."""
    target_path, log_path = work_dir / "target", work_dir / "logs"
    invocation = [_dbt_executable(), command, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
                  str(DBT_PROJECT_DIR), "--target-path", str(target_path), "--log-path", str(log_path),
                  *arguments]
    started = time.perf_counter()
    done = subprocess.run(invocation, cwd=DBT_PROJECT_DIR, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=DBT_TIMEOUT_SECONDS, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != (1 if failing else 0):
        raise AssertionError(f"dbt {command} exited {done.returncode}:\n{done.stdout[-6000:]}\n"
                             f"{done.stderr[-2000:]}")
    return DbtBuild(target_path=target_path, seconds=seconds, output=done.stdout)


_DUCKDB_BUILDS: dict[str, DbtBuild] = {}


def fixture_duckdb_build(make_dir: Callable[[str], Path]) -> DbtBuild:
    """The fixture warehouse in DuckDB, built once per test session (make_dir: tmp_path_factory.mktemp)."""
    if "fixture" not in _DUCKDB_BUILDS:
        work_dir = make_dir("dbt_duckdb")
        warehouse = create_raw_duckdb(work_dir / "warehouse.duckdb")
        env = {"EDUSANDBOX_DBT_TARGET": "duckdb", "EDUSANDBOX_DUCKDB_PATH": str(warehouse)}
        build = run_dbt_build(work_dir, env)
        _DUCKDB_BUILDS["fixture"] = DbtBuild(build.target_path, build.seconds, warehouse)
    return _DUCKDB_BUILDS["fixture"]


# --- reading marts for comparison ---------------------------------------------------------------------------

Table = tuple[list[str], list[tuple[Any, ...]]]
FLOAT_DIGITS = 6


def normalise(value: Any) -> Any:
    """One representation per value whichever engine returned it: floats (and decimals) rounded to
    FLOAT_DIGITS, dates as ISO text."""
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return 0.0 if math.isclose(value, 0.0, abs_tol=10 ** -FLOAT_DIGITS) else round(value, FLOAT_DIGITS)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _sort_key(row: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
    return tuple((1, "") if v is None else (0, v) for v in row)


def read_schema(cursor: Any, schema: str = MART_SCHEMA) -> dict[str, Table]:
    """Every table of `schema` through a DB-API cursor: column names and its rows normalised and sorted."""
    cursor.execute(f"select table_name from information_schema.tables where table_schema = '{schema}'")
    tables = sorted(name for (name,) in cursor.fetchall())
    result: dict[str, Table] = {}
    for table in tables:
        cursor.execute(f"select * from {schema}.{table}")
        columns = [d[0] for d in cursor.description]
        rows = [tuple(normalise(v) for v in row) for row in cursor.fetchall()]
        result[table] = (columns, sorted(rows, key=_sort_key))
    return result


def read_duckdb_schema(warehouse: Path, schema: str = MART_SCHEMA) -> dict[str, Table]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return read_schema(con.cursor(), schema)
