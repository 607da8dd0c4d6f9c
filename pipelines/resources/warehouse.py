"""The warehouse: DuckDB (embedded default) or PostgreSQL (production), chosen by a SQLAlchemy-style URL.

    wh = Warehouse.from_url("duckdb:///.edusandbox/warehouse.duckdb")   # or postgresql+psycopg2://user@host/db
    wh.ensure_raw_table(ENTITIES["students"])
    wh.replace_partition(entity, "yala", 2566, rows, quarantine, deliveries)   # one transaction
    wh.read_frame("select * from marts.fct_province_indicators")

Raw tables hold the contract columns (assets.contract.entities). A partition is one landing folder and
academic year (`province`, `academic_year`): replacing it deletes that partition's rows, quarantine rows and
delivery records and inserts the new ones in a single transaction, so a re-run never duplicates rows and a
crash leaves the previous load in place. A pseudonymised key (the contract's 32 hex digits) is stored as the
128-bit value it is, a UUID column, so dbt groups, joins and writes 16 bytes a key instead of a 32-character
string (assets/contract/entities.py: StoredType). Bulk paths: DuckDB scans the DataFrame natively;
PostgreSQL gets COPY, streamed in chunks so memory stays bounded.

DuckDB allows one writing process at a time: connections are opened per operation and closed at once (dbt runs
in a subprocess against the same file), warehouse writers share a Dagster concurrency pool, and a connection
that meets another process's lock waits for it (bounded) instead of failing. A step that makes many calls in a
row wraps them in `with wh.session():`, which keeps one connection for the block (opening and closing a DuckDB
file costs ~40 ms, the close a checkpoint) and releases the file when the block ends.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from dagster import ConfigurableResource
from sqlalchemy.engine import URL, make_url

from assets.contract.entities import ENTITIES, ColumnType, Entity, StoredType
from pipelines.failpoints import failpoint
from pipelines.settings import DUCKDB_MEMORY_LIMIT_ENV, duckdb_memory_limit, run_duckdb_memory_limit

RAW_SCHEMA = "raw"
QUARANTINE_TABLE = f"{RAW_SCHEMA}.quarantine"
DELIVERIES_TABLE = f"{RAW_SCHEMA}.deliveries"
PG_PASSWORD_ENV = "EDUSANDBOX_PG_PASSWORD"
LOCK_WAIT_SECONDS = float(os.environ.get("EDUSANDBOX_DUCKDB_LOCK_WAIT", "300"))
COPY_CHUNK_ROWS = 100_000
COPY_NULL, COPY_NULL_SQL = "\x1e", "\\x1e"
"""How COPY marks a missing value: the record-separator control character, which no loaded text can hold
(the adapters turn control characters into spaces and JSON escapes them), so a school really named \\N stays
text."""

QUARANTINE_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("province", "text"), ("academic_year", "integer"), ("entity", "text"), ("agency", "text"),
    ("source_sha256", "text"), ("source_file", "text"), ("source_row", "integer"), ("reason", "text"),
    ("record", "text"),
)
"""One row per rejected record: the reason(s) it failed and its delivered values (IDs already
pseudonymised)."""

DELIVERY_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("province", "text"), ("academic_year", "integer"), ("entity", "text"), ("agency", "text"),
    ("source_file", "text"), ("source_sha256", "text"), ("archived_path", "text"), ("rows_read", "integer"),
    ("rows_loaded", "integer"), ("rows_quarantined", "integer"), ("ingested_at", "text"),
)
"""One row per delivered file loaded: where it is archived and how its rows were accounted for."""

SQL_TYPES: dict[str, dict[StoredType, str]] = {
    "duckdb": {"text": "VARCHAR", "integer": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN",
               "date": "DATE", "key": "UUID"},
    "postgres": {"text": "text", "integer": "bigint", "double": "double precision", "boolean": "boolean",
                 "date": "date", "key": "uuid"},
}


class WarehouseError(RuntimeError):
    """The warehouse cannot be used as configured (bad URL, schema drift, lock held too long)."""


def redact(url: str) -> str:
    """The URL without its password, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as its scheme only
        return url.split("://", 1)[0] + "://…"


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[tuple[str, StoredType], ...]

    @classmethod
    def of(cls, entity: Entity) -> TableSpec:
        return cls(entity.table, tuple((c.name, entity.stored_type(c)) for c in entity.all_columns))

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


QUARANTINE = TableSpec(QUARANTINE_TABLE, QUARANTINE_COLUMNS)
DELIVERIES = TableSpec(DELIVERIES_TABLE, DELIVERY_COLUMNS)


class Warehouse:
    """What the pipeline needs of a warehouse; `from_url` picks the engine."""

    kind: str = ""
    url: str = ""
    partition_index: bool = True
    """Whether tables with (province, academic_year) get an index on them, for replacing a partition."""

    @staticmethod
    def from_url(url: str) -> Warehouse:
        try:
            parsed = make_url(url)
        except Exception as err:  # noqa: BLE001 - SQLAlchemy raises several types for a bad URL
            raise WarehouseError(f"EDUSANDBOX_WAREHOUSE is not a SQLAlchemy URL: {redact(url)}") from err
        backend = parsed.get_backend_name()
        if backend == "duckdb":
            return DuckDBWarehouse(url, parsed)
        if backend == "postgresql":
            return PostgresWarehouse(url, parsed)
        raise WarehouseError(f"unsupported warehouse {backend!r} in {redact(url)}: use duckdb:/// or postgresql://")

    # -- interface ------------------------------------------------------------------------------------------
    def read_frame(self, sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
        raise NotImplementedError

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        raise NotImplementedError

    def dbt_env(self) -> dict[str, str]:
        """Environment for the dbt subprocess (profiles.yml reads it): target and connection, no secrets on
        disk."""
        raise NotImplementedError

    def _transaction(self) -> Any:
        raise NotImplementedError

    def _insert(self, cursor: Any, table: TableSpec, frame: pd.DataFrame) -> None:
        raise NotImplementedError

    @contextmanager
    def session(self) -> Iterator[Warehouse]:
        """Calls inside the block may share one connection (DuckDB); a no-op where connections are cheap."""
        yield self

    def _existing_types(self, table: str) -> dict[str, str]:
        """Column name → type as information_schema spells it, lower case, in column order."""
        schema, name = table.split(".")
        frame = self.read_frame(
            "select column_name, data_type from information_schema.columns where table_schema = ? "
            "and table_name = ? order by ordinal_position", (schema, name))
        return {row.column_name: str(row.data_type).lower() for row in frame.itertuples()}

    def _drop_views_on(self, cursor: Any, table: str) -> None:
        """Before a column of `table` changes type: the engine's views on it that would stop it (none on
        DuckDB, whose views bind when read)."""

    # -- shared logic ---------------------------------------------------------------------------------------
    def describe(self) -> str:
        return f"{self.kind} {redact(self.url)}"

    def ensure_raw_table(self, entity: Entity) -> None:
        """Creates raw.<entity> (and the quarantine and delivery tables) if missing; refuses a drifted
        schema."""
        self.ensure_raw_tables([entity])

    def ensure_raw_tables(self, entities: Iterable[Entity]) -> None:
        """The same for several entities, checking the shared quarantine and delivery tables once."""
        for table in (*(TableSpec.of(e) for e in entities), QUARANTINE, DELIVERIES):
            self._ensure_table(table)

    def _ensure_table(self, table: TableSpec) -> None:
        types = self._existing_types(table.name)
        existing = list(types)
        if existing and existing != table.column_names:
            raise WarehouseError(
                f"{table.name} in {self.describe()} has columns {existing}, "
                f"the contract says {table.column_names}; "
                "migrate or drop the table (the contract changed)")
        if existing:
            self._store_keys_as_uuids(table, types)
            return
        types = SQL_TYPES[self.kind]
        columns = ", ".join(f"{name} {types[kind]}" for name, kind in table.columns)
        with self._transaction() as cursor:
            cursor.execute(f"create schema if not exists {RAW_SCHEMA}")
            cursor.execute(f"create table if not exists {table.name} ({columns})")
            if self.partition_index and {"province", "academic_year"} <= set(table.column_names):
                cursor.execute(f"create index if not exists {_partition_index(table)} "
                               f"on {table.name} (province, academic_year)")

    def _store_keys_as_uuids(self, table: TableSpec, types: dict[str, str]) -> None:
        """A raw table made before keys were stored as UUIDs holds them as text: its key columns are converted
        in place, once (`types`: the table's columns as they are). dbt's staging casts keys to uuid either
        way, so an unconverted table would give the same marts, only slower."""
        text_keys = [name for name, kind in table.columns if kind == "key" and types.get(name) != "uuid"]
        if not text_keys:
            return
        key_type = SQL_TYPES[self.kind]["key"]
        with self._transaction() as cursor:
            self._drop_views_on(cursor, table.name)
            for name in text_keys:
                cursor.execute(f"alter table {table.name} alter column {name} type {key_type} "
                               f"using cast({name} as {key_type})")

    def replace_partition(self, entity: Entity, province: str, academic_year: int,
                          rows: pd.DataFrame | Sequence[pd.DataFrame], quarantine: pd.DataFrame,
                          deliveries: pd.DataFrame) -> None:
        """In one transaction: drop the (province, academic_year) partition of raw.<entity>, its quarantine
        rows and delivery records, and insert the new ones. `rows` may come as several frames (one per
        delivered file): each is inserted as it is, where concatenating them first would copy every column."""
        table = TableSpec.of(entity)
        parts = [rows] if isinstance(rows, pd.DataFrame) else list(rows)
        for part in parts:
            _require_columns(part, table)
            _require_partition(part, table, province, academic_year)
        for side, frame in ((QUARANTINE, quarantine), (DELIVERIES, deliveries)):
            _require_partition(frame, side, province, academic_year)
        _require_columns(quarantine, QUARANTINE)
        _require_columns(deliveries, DELIVERIES)
        with self._transaction() as cursor:
            cursor.execute(f"delete from {table.name} where province = ? and academic_year = ?"
                           if self.kind == "duckdb" else
                           f"delete from {table.name} where province = %s and academic_year = %s",
                           (province, academic_year))
            for side in (QUARANTINE, DELIVERIES):
                marker = "?" if self.kind == "duckdb" else "%s"
                cursor.execute(f"delete from {side.name} where province = {marker} "
                               f"and academic_year = {marker} and entity = {marker}",
                               (province, academic_year, entity.name))
            failpoint("warehouse.replace_partition.after_delete")
            for part in parts:
                self._insert(cursor, table, part)
            self._insert(cursor, QUARANTINE, quarantine)
            self._insert(cursor, DELIVERIES, deliveries)
            failpoint("warehouse.replace_partition.before_commit")

    def table_exists(self, table: str) -> bool:
        return bool(self._existing_types(table))

    def tables_in(self, schema: str) -> list[str]:
        frame = self.read_frame("select table_name from information_schema.tables where table_schema = ? "
                                "and table_type = 'BASE TABLE' order by table_name", (schema,))
        return frame["table_name"].tolist()

    def promote_schema(self, source: str, target: str) -> list[str]:
        """Moves every table of `source` into `target`, replacing tables of the same name, in ONE transaction:
        readers see all the old tables or all the new ones. Returns the tables moved."""
        tables = self.tables_in(source)
        if not tables:
            return []
        with self._transaction() as cursor:
            cursor.execute(f"create schema if not exists {target}")
            for table in tables:
                self._move_table(cursor, f"{source}.{table}", target, table)
        return tables

    def _move_table(self, cursor: Any, qualified: str, target: str, table: str) -> None:
        raise NotImplementedError


def _require_columns(frame: pd.DataFrame, table: TableSpec) -> None:
    missing = [c for c in table.column_names if c not in frame.columns]
    if missing:
        raise WarehouseError(f"rows for {table.name} lack columns {missing}")


def _require_partition(frame: pd.DataFrame, table: TableSpec, province: str, academic_year: int) -> None:
    """Every row must belong to the partition being replaced, or a re-run could not find and replace it."""
    if frame.empty:
        return
    stray = ((frame["province"].astype(str) != province)
             | (frame["academic_year"].astype("int64") != academic_year))
    if stray.any():
        found = frame.loc[stray, ["province", "academic_year"]].drop_duplicates().head(3).to_dict("records")
        raise WarehouseError(f"{int(stray.sum())} rows for {table.name} are not in partition "
                             f"({province}, {academic_year}): {found}")


def _partition_index(table: TableSpec) -> str:
    return table.name.replace(".", "_") + "_partition"


class DuckDBWarehouse(Warehouse):
    kind = "duckdb"
    partition_index = False
    """DuckDB finds a partition's rows through its zone maps; an ART index only slowed every load down (16
    partitions of 130k rows: commits 0.71 s with it, 0.08 s without, the same deletes)."""

    def __init__(self, url: str, parsed: URL) -> None:
        self.url = url
        database = parsed.database or ":memory:"
        if database == ":memory:":
            raise WarehouseError("an in-memory DuckDB warehouse would vanish between steps: give a file path")
        self.path = Path(database).expanduser().resolve()
        self._held: Any = None  # the connection of an open session()

    @contextmanager
    def session(self) -> Iterator[Warehouse]:
        if self._held is not None or not self.path.exists():
            # nested: the outer block owns the connection; no file yet: reads must not create one, and the
            # first write creates it as a call outside a session does
            yield self
            return
        with self._connect() as connection:
            self._held = connection
            try:
                yield self
            finally:
                self._held = None

    @contextmanager
    def _connect(self, read_only: bool = False) -> Iterator[Any]:
        if self._held is not None:
            yield self._held
            return
        import duckdb

        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        read_only = read_only and self.path.exists()
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                connection = duckdb.connect(str(self.path), read_only=read_only,
                                            config={"memory_limit": run_duckdb_memory_limit()})
                break
            except duckdb.IOException as err:  # another process holds the write lock: wait for it
                if "lock" not in str(err).lower() or time.monotonic() > deadline:
                    raise WarehouseError(f"cannot open {self.path}: {err}") from err
                time.sleep(0.5)
        try:
            yield connection
        finally:
            connection.close()

    def read_frame(self, sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
        if not self.path.exists():
            raise WarehouseError(f"warehouse {self.path} does not exist yet: run the ingest first")
        with self._connect(read_only=True) as connection:
            return connection.execute(sql, list(params)).df()

    def _existing_types(self, table: str) -> dict[str, str]:
        if not self.path.exists():
            return {}
        return super()._existing_types(table)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with self._transaction() as cursor:
            cursor.execute(sql, list(params))

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._connect() as connection:
            connection.begin()
            try:
                yield connection
            except BaseException:
                connection.rollback()
                raise
            connection.commit()

    def _insert(self, cursor: Any, table: TableSpec, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        selected = ", ".join(f"cast({name} as {SQL_TYPES[self.kind][kind]})" if kind in ("date", "key")
                             else name for name, kind in table.columns)
        cursor.register("incoming_rows", _with_few_categories(frame[table.column_names]))
        try:
            cursor.execute(f"insert into {table.name} select {selected} from incoming_rows")
        finally:
            cursor.unregister("incoming_rows")

    def dbt_env(self) -> dict[str, str]:
        return {"EDUSANDBOX_DBT_TARGET": "duckdb", "EDUSANDBOX_DUCKDB_PATH": str(self.path),
                DUCKDB_MEMORY_LIMIT_ENV: duckdb_memory_limit()}

    def ensure_raw_tables(self, entities: Iterable[Entity]) -> None:
        if self.path.exists():  # first: DuckDB changes no column's type in a table with an index
            self._drop_partition_indexes()
        super().ensure_raw_tables(entities)

    def _drop_partition_indexes(self) -> None:
        """Drops the partition indexes an earlier version created in this warehouse (see partition_index)."""
        names = {_partition_index(t) for t in (*(TableSpec.of(e) for e in ENTITIES.values()), QUARANTINE,
                                                DELIVERIES)}
        with self._connect() as connection:
            found = connection.execute(
                "select schema_name, index_name from duckdb_indexes() where schema_name = ?",
                [RAW_SCHEMA]).fetchall()
        legacy = [f"{schema}.{name}" for schema, name in found if name in names]
        if legacy:
            with self._transaction() as cursor:
                for index in legacy:
                    cursor.execute(f"drop index if exists {index}")

    def _move_table(self, cursor: Any, qualified: str, target: str, table: str) -> None:
        # DuckDB cannot move a table between schemas: copy it (marts are aggregates, small), drop the source.
        cursor.execute(f"create or replace table {target}.{table} as select * from {qualified}")
        cursor.execute(f"drop table {qualified}")


ENUM_MAX_CATEGORIES = 1_000
ROWS_PER_ENUM_CATEGORY = 50
"""DuckDB reads a pandas categorical as an ENUM of its categories, built anew for every insert (~2 µs a
category), and text at ~0.07 µs a row. A column of keys goes in as text: a roster partition of 35,744 rows
over 45,427 student keys inserted in 67.6 ms as given, 27.0 ms with the keys as text (2 M keys over 2 M rows:
4.1 s against 0.25 s). A column with fewer categories than 1,000, or than one per 50 rows, stays categorical,
where the ENUM is as fast or faster (2 M rows over 30,000 school IDs: 141 ms against 155 ms; 6 M rows: 359
against 460 ms)."""


def _with_few_categories(frame: pd.DataFrame) -> pd.DataFrame:
    limit = max(ENUM_MAX_CATEGORIES, len(frame) // ROWS_PER_ENUM_CATEGORY)
    wide = [column for column, dtype in frame.dtypes.items()
            if isinstance(dtype, pd.CategoricalDtype) and len(dtype.categories) > limit]
    return frame.astype({column: object for column in wide}) if wide else frame


class PostgresWarehouse(Warehouse):
    kind = "postgres"

    def __init__(self, url: str, parsed: URL) -> None:
        self.url = url
        password = parsed.password or os.environ.get(PG_PASSWORD_ENV)
        self.params = {"host": parsed.host or "127.0.0.1", "port": parsed.port or 5432,
                       "user": parsed.username or "edusandbox", "dbname": parsed.database or "edusandbox",
                       "password": password}

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        import psycopg2

        try:
            connection = psycopg2.connect(**{k: v for k, v in self.params.items() if v is not None},
                                          connect_timeout=15, application_name="edusandbox")
        except psycopg2.OperationalError as err:
            raise WarehouseError(f"cannot connect to {self.describe()}: {str(err).strip()}") from err
        try:
            yield connection
        finally:
            connection.close()

    def read_frame(self, sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
        with self._connect() as connection, connection.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), params or None)
            columns = [d.name for d in cursor.description]
            return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with self._transaction() as cursor:
            cursor.execute(sql.replace("?", "%s"), params or None)

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._connect() as connection:
            try:
                with connection.cursor() as cursor:
                    yield cursor
                connection.commit()
            except BaseException:
                connection.rollback()
                raise

    def _drop_views_on(self, cursor: Any, table: str) -> None:
        # dbt's staging views (every build makes them anew); a view of anyone else's stops the change, as
        # PostgreSQL says
        schema, name = table.split(".")
        cursor.execute(
            "select distinct v.relname from pg_depend d join pg_rewrite r on d.objid = r.oid "
            "join pg_class v on r.ev_class = v.oid join pg_namespace vn on v.relnamespace = vn.oid "
            "join pg_class t on d.refobjid = t.oid join pg_namespace tn on t.relnamespace = tn.oid "
            "where tn.nspname = %s and t.relname = %s and vn.nspname = 'staging' and v.oid <> t.oid",
            (schema, name))
        for (view,) in cursor.fetchall():
            cursor.execute(f'drop view if exists staging."{view}"')

    def _move_table(self, cursor: Any, qualified: str, target: str, table: str) -> None:
        # The table itself moves, with its grants and row-level-security policies (dbt's post-hook set them).
        cursor.execute(f"drop table if exists {target}.{table} cascade")
        cursor.execute(f"alter table {qualified} set schema {target}")

    def _insert(self, cursor: Any, table: TableSpec, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        columns = ", ".join(table.column_names)
        stream = _CsvStream(frame[table.column_names], [kind for _, kind in table.columns])
        cursor.copy_expert(
            f"copy {table.name} ({columns}) from stdin with (format csv, null E'{COPY_NULL_SQL}')", stream)

    def dbt_env(self) -> dict[str, str]:
        env = {"EDUSANDBOX_DBT_TARGET": "postgres", "EDUSANDBOX_PG_HOST": str(self.params["host"]),
               "EDUSANDBOX_PG_PORT": str(self.params["port"]), "EDUSANDBOX_PG_USER": str(self.params["user"]),
               "EDUSANDBOX_PG_DBNAME": str(self.params["dbname"])}
        if self.params["password"]:
            env[PG_PASSWORD_ENV] = str(self.params["password"])
        return env


class _CsvStream(io.RawIOBase):
    """A read-only file over a DataFrame rendered as CSV chunk by chunk, for COPY without one big buffer."""

    def __init__(self, frame: pd.DataFrame, kinds: list[StoredType]) -> None:
        self._chunks = self._render(frame, kinds)
        self._buffer = b""

    @staticmethod
    def _render(frame: pd.DataFrame, kinds: list[StoredType]) -> Iterator[bytes]:
        for start in range(0, len(frame), COPY_CHUNK_ROWS):
            chunk = frame.iloc[start:start + COPY_CHUNK_ROWS].copy()
            for column, kind in zip(chunk.columns, kinds, strict=True):
                if kind == "date":
                    chunk[column] = pd.to_datetime(chunk[column]).dt.strftime("%Y-%m-%d")
            yield chunk.to_csv(index=False, header=False, na_rep=COPY_NULL, quoting=csv.QUOTE_MINIMAL,
                               lineterminator="\n").encode("utf-8")

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


class WarehouseResource(ConfigurableResource):
    """The warehouse as a Dagster resource: a URL (SQLAlchemy form); the password may come from
    EDUSANDBOX_PG_PASSWORD instead of the URL."""

    url: str

    def get_warehouse(self) -> Warehouse:
        return Warehouse.from_url(self.url)
