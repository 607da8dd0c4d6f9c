"""The warehouse client on DuckDB and on a real PostgreSQL server: partitions replaced atomically, never
duplicated, values round-tripped exactly (NULL is not the text "\\N"), drift and stray rows refused, marts
promoted in one go."""

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from assets.contract.entities import ENTITIES
from pipelines.resources.warehouse import (
    DELIVERIES,
    ENUM_MAX_CATEGORIES,
    QUARANTINE,
    SQL_TYPES,
    TableSpec,
    Warehouse,
    WarehouseError,
    _partition_index,
    _with_few_categories,
)
from pipelines.settings import DUCKDB_MEMORY_LIMIT_ENV, RUN_DUCKDB_MEMORY_LIMIT_ENV

SCHOOLS = ENTITIES["schools"]
TRAINING = ENTITIES["training"]


def schools(province: str, year: int, names: list[str | None]) -> pd.DataFrame:
    n = len(names)
    code = {"yala": "95", "satun": "91"}[province]
    return pd.DataFrame({
        "school_id": pd.array([f"10{code}0100{i:02d}" for i in range(n)], dtype="string"),
        "school_name": pd.array(names, dtype="string"),
        "affiliation": pd.array(["10"] * n, dtype="string"),
        "area_code": pd.array([None] * n, dtype="string"),
        "district_code": pd.array([f"{code}01"] * n, dtype="string"),
        "subdistrict_code": pd.array([f"{code}0101"] * n, dtype="string"),
        "levels_offered": pd.array(["อนุบาล-ประถมศึกษา"] * n, dtype="string"),
        "sandbox_member": pd.array([True, False, None][:n] + [True] * max(0, n - 3), dtype="boolean"),
        "province": pd.array([province] * n, dtype="string"),
        "academic_year": pd.array([year] * n, dtype="Int64"),
        "agency": pd.array(["obec"] * n, dtype="string"),
        "source_sha256": pd.array(["f" * 64] * n, dtype="string"),
        "source_file": pd.array(["schools.csv"] * n, dtype="string"),
        "source_row": pd.array(range(2, n + 2), dtype="Int64"),
    })[SCHOOLS.column_names]


def side_tables(province: str, year: int, quarantined: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    quarantine = pd.DataFrame({
        "province": [province] * quarantined, "academic_year": [year] * quarantined,
        "entity": ["schools"] * quarantined, "agency": ["obec"] * quarantined,
        "source_sha256": ["f" * 64] * quarantined, "source_file": ["schools.csv"] * quarantined,
        "source_row": list(range(90, 90 + quarantined)),
        "reason": ["school_id: invalid school ID"] * quarantined,
        "record": ['{"school_id": "x"}'] * quarantined,
    })[QUARANTINE.column_names]
    deliveries = pd.DataFrame([{
        "province": province, "academic_year": year, "entity": "schools", "agency": "obec",
        "source_file": "schools.csv", "source_sha256": "f" * 64, "archived_path": "/archive/ff/f.csv",
        "rows_read": 3 + quarantined, "rows_loaded": 3, "rows_quarantined": quarantined,
        "ingested_at": "2026-11-26T00:00:00+00:00"}])[DELIVERIES.column_names]
    return quarantine, deliveries


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        yield Warehouse.from_url(f"duckdb:///{tmp_path_factory.mktemp('wh') / 'warehouse.duckdb'}")
        return
    request.applymarker(pytest.mark.postgres)
    server = request.getfixturevalue("postgres_server")
    with server.connect() as connection, connection.cursor() as cursor:
        cursor.execute("drop schema if exists raw cascade; drop schema if exists marts cascade; "
                       "drop schema if exists marts_build cascade")
    yield Warehouse.from_url(server.url)


def count(warehouse: Warehouse, table: str, where: str = "true") -> int:
    return int(warehouse.read_frame(f"select count(*) as n from {table} where {where}")["n"].iloc[0])


def test_replacing_a_partition_twice_leaves_one_copy_and_other_partitions_alone(warehouse: Warehouse) -> None:
    warehouse.ensure_raw_table(SCHOOLS)
    for year in (2566, 2567):
        warehouse.replace_partition(SCHOOLS, "yala", year, schools("yala", year, ["ก", "ข", "ค"]),
                                    *side_tables("yala", year, 2))
    warehouse.replace_partition(SCHOOLS, "satun", 2566, schools("satun", 2566, ["ง"]),
                                *side_tables("satun", 2566, 0))
    again = schools("yala", 2566, ["ก ใหม่", "ข", "ค"])
    warehouse.replace_partition(SCHOOLS, "yala", 2566, again, *side_tables("yala", 2566, 1))
    assert count(warehouse, "raw.schools") == 7
    assert count(warehouse, "raw.schools", "province = 'yala' and academic_year = 2566") == 3
    assert set(warehouse.read_frame("select school_name from raw.schools where academic_year = 2566 and "
                                    "province = 'yala'")["school_name"]) == {"ก ใหม่", "ข", "ค"}
    assert count(warehouse, "raw.quarantine", "province = 'yala' and academic_year = 2566") == 1
    assert count(warehouse, "raw.quarantine", "province = 'yala' and academic_year = 2567") == 2
    assert count(warehouse, "raw.deliveries") == 3


def test_values_round_trip_exactly_and_missing_stays_missing(warehouse: Warehouse) -> None:
    warehouse.ensure_raw_table(SCHOOLS)
    names = ["\\N", None, '=HYPERLINK("x") "quoted", comma\nnewline']
    warehouse.replace_partition(SCHOOLS, "yala", 2566, schools("yala", 2566, names),
                                *side_tables("yala", 2566, 0))
    back = warehouse.read_frame("select school_name, sandbox_member from raw.schools order by source_row")
    assert back["school_name"].iloc[0] == "\\N"
    assert pd.isna(back["school_name"].iloc[1])
    assert back["school_name"].iloc[2] == names[2]
    assert [None if pd.isna(v) else bool(v) for v in back["sandbox_member"]] == [True, False, None]


def test_dates_and_doubles_keep_their_types(warehouse: Warehouse) -> None:
    warehouse.ensure_raw_table(TRAINING)
    rows = pd.DataFrame({
        "teacher_key": pd.array(["a" * 32], dtype="string"),
        "school_id": pd.array(["1095010001"], dtype="string"),
        "course_name": pd.array(["การจัดการเรียนรู้เชิงรุก"], dtype="string"),
        "skill_area": pd.array([None], dtype="string"), "hours": pd.array([12.5], dtype="Float64"),
        "completed_on": pd.to_datetime(["2023-08-01"]).astype("datetime64[ns]"),
        "province": pd.array(["yala"], dtype="string"), "academic_year": pd.array([2566], dtype="Int64"),
        "agency": pd.array([None], dtype="string"), "source_sha256": pd.array(["e" * 64], dtype="string"),
        "source_file": pd.array(["training.jsonl"], dtype="string"),
        "source_row": pd.array([1], dtype="Int64"),
    })[TRAINING.column_names]
    empty_q = side_tables("yala", 2566, 0)[0]
    deliveries = side_tables("yala", 2566, 0)[1].assign(entity="training")
    warehouse.replace_partition(TRAINING, "yala", 2566, rows, empty_q, deliveries)
    back = warehouse.read_frame("select hours, completed_on from raw.training")
    assert float(back["hours"].iloc[0]) == 12.5
    assert pd.Timestamp(back["completed_on"].iloc[0]).date() == dt.date(2023, 8, 1)


def test_key_columns_given_as_categoricals_load_the_same_values_as_text(warehouse: Warehouse) -> None:
    """Adapters give text as categoricals; a column of keys has more categories than DuckDB should make an
    ENUM of at every insert, so it goes in as text: the same values, missing ones and Thai text included."""
    warehouse.ensure_raw_table(SCHOOLS)
    names = ["ก", None, "ข ใหม่", "ก"]
    rows = schools("yala", 2566, names)
    many = ["ก", "ข ใหม่", *(f"unused {i}" for i in range(ENUM_MAX_CATEGORIES))]
    rows["school_name"] = rows["school_name"].astype(pd.CategoricalDtype(pd.Index(many, dtype="string")))
    rows["affiliation"] = rows["affiliation"].astype("category")
    warehouse.replace_partition(SCHOOLS, "yala", 2566, rows, *side_tables("yala", 2566, 0))
    back = warehouse.read_frame("select school_name, affiliation from raw.schools order by source_row")
    assert [None if pd.isna(v) else v for v in back["school_name"]] == names
    assert back["affiliation"].tolist() == ["10"] * 4


def test_only_categoricals_with_many_categories_are_turned_into_text_for_duckdb() -> None:
    keys = pd.Series([f"k{i}" for i in range(ENUM_MAX_CATEGORIES + 1)], dtype="category")
    frame = pd.DataFrame({"student_key": keys, "sex": pd.Series(["M", "F"] * (len(keys) // 2) + ["F"],
                                                                  dtype="category")})
    given = _with_few_categories(frame)
    assert given["student_key"].dtype == object and given["student_key"].tolist() == keys.tolist()
    assert isinstance(given["sex"].dtype, pd.CategoricalDtype)
    few = frame.iloc[:10].assign(student_key=lambda f: f["student_key"].cat.remove_unused_categories())
    assert _with_few_categories(few) is few
    # 1,500 school IDs over 100,000 rows: fewer than one category per 50 rows, so the ENUM stays
    schools = pd.Series([f"s{i % 1500}" for i in range(100_000)], dtype="category")
    many_rows = pd.DataFrame({"school_id": schools})
    assert _with_few_categories(many_rows) is many_rows


def test_rows_of_another_partition_are_refused_and_nothing_is_written(warehouse: Warehouse) -> None:
    warehouse.ensure_raw_table(SCHOOLS)
    stray = schools("yala", 2567, ["ก"])
    with pytest.raises(WarehouseError, match="not in partition"):
        warehouse.replace_partition(SCHOOLS, "yala", 2566, stray, *side_tables("yala", 2566, 0))
    assert count(warehouse, "raw.schools") == 0


def test_a_partition_given_as_one_frame_per_file_is_loaded_whole_or_not_at_all(warehouse: Warehouse) -> None:
    warehouse.ensure_raw_table(SCHOOLS)
    first, second = schools("yala", 2566, ["ก", "ข"]), schools("yala", 2566, ["ค", "ง", "จ"])
    second["source_file"] = "schools_2.csv"
    warehouse.replace_partition(SCHOOLS, "yala", 2566, [first, second], *side_tables("yala", 2566, 0))
    loaded = warehouse.read_frame("select school_name, source_file from raw.schools order by school_name")
    assert loaded["school_name"].tolist() == ["ก", "ข", "ค", "ง", "จ"]
    assert loaded["source_file"].value_counts().to_dict() == {"schools.csv": 2, "schools_2.csv": 3}
    # one frame of another partition: refused before anything is deleted
    with pytest.raises(WarehouseError, match="not in partition"):
        warehouse.replace_partition(SCHOOLS, "yala", 2566, [first, schools("yala", 2567, ["ฉ"])],
                                    *side_tables("yala", 2566, 0))
    assert count(warehouse, "raw.schools") == 5


def test_a_failure_inside_the_transaction_keeps_the_previous_partition(warehouse: Warehouse) -> None:
    warehouse.ensure_raw_table(SCHOOLS)
    warehouse.replace_partition(SCHOOLS, "yala", 2566, schools("yala", 2566, ["ก", "ข"]),
                                *side_tables("yala", 2566, 0))
    # fails on insert, after the delete
    broken = side_tables("yala", 2566, 0)[1].assign(rows_read="not a number")
    with pytest.raises(Exception):  # noqa: B017 - the engine's own error type (DuckDB or psycopg2)
        warehouse.replace_partition(SCHOOLS, "yala", 2566, schools("yala", 2566, ["ค"]),
                                    side_tables("yala", 2566, 0)[0], broken)
    names = set(warehouse.read_frame("select school_name from raw.schools")["school_name"])
    assert names == {"ก", "ข"}


def _training_row(teacher_key: str) -> pd.DataFrame:
    return pd.DataFrame({
        "teacher_key": [teacher_key], "school_id": ["1095010001"], "course_name": ["active learning"],
        "skill_area": [None], "hours": [12.0], "completed_on": pd.to_datetime(["2023-08-01"]),
        "province": ["yala"], "academic_year": [2566], "agency": [None], "source_sha256": ["e" * 64],
        "source_file": ["training.jsonl"], "source_row": [1],
    })[TRAINING.column_names]


def _key_type_and_digits(warehouse: Warehouse) -> tuple[str, list[str]]:
    kind = warehouse.read_frame("select data_type from information_schema.columns where table_schema = 'raw' "
                                "and table_name = 'training' and column_name = 'teacher_key'")["data_type"]
    digits = warehouse.read_frame("select replace(cast(teacher_key as varchar), '-', '') as k "
                                  "from raw.training order by source_row")["k"]
    return str(kind.iloc[0]).lower(), digits.tolist()


def test_keys_are_stored_as_uuids_holding_the_delivered_32_hex_digits(warehouse: Warehouse) -> None:
    warehouse.ensure_raw_table(TRAINING)
    key = "0123456789abcdef" * 2
    quarantine, deliveries = side_tables("yala", 2566, 0)
    warehouse.replace_partition(TRAINING, "yala", 2566, _training_row(key), quarantine,
                                deliveries.assign(entity="training"))
    assert _key_type_and_digits(warehouse) == ("uuid", [key])


def test_a_raw_table_made_with_text_keys_is_converted_in_place(warehouse: Warehouse) -> None:
    """A warehouse made before keys were UUIDs: its key columns become uuid at the next run, rows kept, and on
    PostgreSQL dbt's staging view of the table (which would stop the change) is dropped for dbt to make
    anew."""
    text = SQL_TYPES[warehouse.kind]["text"]
    columns = ", ".join(f"{name} {SQL_TYPES[warehouse.kind]['text' if kind == 'key' else kind]}"
                        for name, kind in TableSpec.of(TRAINING).columns)
    assert f"teacher_key {text}" in columns
    key = "fedcba9876543210" * 2
    for sql in ("create schema if not exists raw", f"create table raw.training ({columns})",
                "create schema if not exists staging",
                "create view staging.stg_raw__training_records as "
                "select cast(teacher_key as uuid) as teacher_key from raw.training"):
        warehouse.execute(sql)
    warehouse.execute("insert into raw.training (teacher_key, school_id, course_name, province, "
                      "academic_year, source_sha256, source_file, source_row) "
                      f"values ('{key}', '1095010001', 'x', 'yala', 2566, '{'e' * 64}', 'training.jsonl', 1)")
    if warehouse.kind == "duckdb":  # the partition index an earlier version made stops a type change
        warehouse.execute(f"create index {_partition_index(TableSpec.of(TRAINING))} "
                          "on raw.training (province, academic_year)")
    assert _key_type_and_digits(warehouse) == (text.lower(), [key])
    warehouse.ensure_raw_table(TRAINING)
    assert _key_type_and_digits(warehouse) == ("uuid", [key])
    warehouse.ensure_raw_table(TRAINING)  # once converted, nothing more to do
    assert _key_type_and_digits(warehouse) == ("uuid", [key])


def test_a_raw_table_whose_columns_drifted_from_the_contract_is_refused(warehouse: Warehouse) -> None:
    warehouse.execute("create schema if not exists raw")
    warehouse.execute("create table raw.schools (school_id varchar, school_name varchar)")
    with pytest.raises(WarehouseError, match="the contract says"):
        warehouse.ensure_raw_table(SCHOOLS)


def test_promoting_moves_every_built_table_and_replaces_the_old_ones(warehouse: Warehouse) -> None:
    warehouse.execute("create schema if not exists marts")
    warehouse.execute("create table marts.fct_a as select 1 as v")
    warehouse.execute("create schema if not exists marts_build")
    warehouse.execute("create table marts_build.fct_a as select 2 as v")
    warehouse.execute("create table marts_build.fct_b as select 3 as v")
    assert warehouse.promote_schema("marts_build", "marts") == ["fct_a", "fct_b"]
    assert int(warehouse.read_frame("select v from marts.fct_a")["v"].iloc[0]) == 2
    assert int(warehouse.read_frame("select v from marts.fct_b")["v"].iloc[0]) == 3
    assert warehouse.tables_in("marts_build") == []
    assert warehouse.promote_schema("marts_build", "marts") == []


def test_an_unsupported_or_in_memory_url_is_refused_with_a_clear_message() -> None:
    with pytest.raises(WarehouseError, match="unsupported warehouse"):
        Warehouse.from_url("mysql://user:secret@host/db")
    with pytest.raises(WarehouseError, match="in-memory"):
        Warehouse.from_url("duckdb:///:memory:")
    with pytest.raises(WarehouseError) as refused:
        Warehouse.from_url("postgresql://user:secret@127.0.0.1:1/nowhere").read_frame("select 1")
    assert "secret" not in str(refused.value)


def test_a_duckdb_session_opens_the_file_once_and_releases_it_when_the_block_ends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    opened: list[str] = []
    real_connect = duckdb.connect

    def counting_connect(database: str, **kwargs: object) -> duckdb.DuckDBPyConnection:
        opened.append(database)
        return real_connect(database, **kwargs)

    monkeypatch.setattr(duckdb, "connect", counting_connect)
    path = tmp_path / "warehouse.duckdb"
    wh = Warehouse.from_url(f"duckdb:///{path}")
    with wh.session():  # reads on a warehouse not created yet do not create it
        assert not wh.table_exists("raw.schools")
    assert not path.exists() and opened == []
    wh.ensure_raw_table(SCHOOLS)
    opened.clear()
    quarantine, deliveries = side_tables("yala", 2566, 1)
    with wh.session():
        wh.ensure_raw_table(SCHOOLS)
        rows = schools("yala", 2566, ["a", "b", "c"])
        wh.replace_partition(SCHOOLS, "yala", 2566, rows, quarantine, deliveries)
        with pytest.raises(duckdb.Error):  # a failed statement rolls back; the session stays usable
            wh.execute("insert into raw.schools (school_id) select school_id from no_such_table")
        with wh.session():  # nested: still the same connection
            assert len(wh.read_frame("select * from raw.schools")) == 3
    assert len(opened) == 1
    # Released: another process can take the write lock at once (it would wait or fail while it is held).
    subprocess.run([sys.executable, "-c", f"import duckdb; c = duckdb.connect({str(path)!r}); "
                    "c.execute('insert into raw.quarantine (province) values (null)'); c.close()"],
                   check=True, timeout=60)
    assert len(wh.read_frame("select * from raw.quarantine")) == 2
    assert len(opened) == 2  # outside a session every call opens and closes its own connection


def _partition_indexes(warehouse: Warehouse) -> set[str]:
    if warehouse.kind == "duckdb":
        sql = "select index_name from duckdb_indexes() where schema_name = 'raw'"
    else:
        sql = "select indexname as index_name from pg_indexes where schemaname = 'raw'"
    return {name for name in warehouse.read_frame(sql)["index_name"] if name.endswith("_partition")}


def test_postgres_indexes_partitions_and_duckdb_drops_the_index_an_earlier_version_made(
        warehouse: Warehouse) -> None:
    warehouse.ensure_raw_table(SCHOOLS)
    if warehouse.kind == "postgres":  # a partition is deleted through the index
        assert _partition_indexes(warehouse) == {"raw_schools_partition", "raw_quarantine_partition",
                                                 "raw_deliveries_partition"}
        return
    assert _partition_indexes(warehouse) == set()  # zone maps find a partition; an index slowed loads
    warehouse.execute("create index raw_schools_partition on raw.schools (province, academic_year)")
    assert _partition_indexes(warehouse) == {"raw_schools_partition"}
    warehouse.ensure_raw_table(SCHOOLS)
    assert _partition_indexes(warehouse) == set()
    warehouse.replace_partition(SCHOOLS, "yala", 2566, schools("yala", 2566, ["ก"]),
                                *side_tables("yala", 2566, 1))
    assert count(warehouse, "raw.schools") == 1


@pytest.mark.parametrize(("configured", "configured_run", "shown"),
                         [(None, None, "732.4 MiB"), ("1GB", None, "732.4 MiB"), (None, "1GB", "953.6 MiB")])
def test_dbt_gets_the_memory_limit_2gb_and_the_runs_own_connections_768mb_unless_configured(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configured: str | None, configured_run: str | None,
        shown: str) -> None:
    """DuckDB's own default, 80 % of the machine, let dbt's process alone reach 4.6 GB at 9 M students; the
    run's process loads with less, beside the read workers."""
    for name, value in ((DUCKDB_MEMORY_LIMIT_ENV, configured), (RUN_DUCKDB_MEMORY_LIMIT_ENV, configured_run)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    wh = Warehouse.from_url(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    wh.ensure_raw_table(SCHOOLS)
    assert wh.read_frame("select current_setting('memory_limit') as m")["m"].tolist() == [shown]
    assert wh.dbt_env()[DUCKDB_MEMORY_LIMIT_ENV] == (configured or "2GB")
