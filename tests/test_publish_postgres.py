"""The same marts read from PostgreSQL publish byte-identical files to those read from DuckDB: the driver's
types (object columns, NULLs as None) must not leak into pages or exports."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from psycopg2.extras import execute_values

from assets.publish import build_site, duckdb_reader, read_marts
from assets.publish.marts import MART_TABLES
from pipelines.resources.warehouse import Warehouse
from tests.publish_fixtures import fixture_lineage, make_marts_db

pytestmark = pytest.mark.postgres

DATABASE = "publish_marts"  # its own database: other tests rebuild schema marts of the default one
PG_TYPES = {"VARCHAR": "text", "INTEGER": "integer", "BIGINT": "bigint", "DOUBLE": "double precision",
            "BOOLEAN": "boolean"}


def _copy_marts(source: Path, server: object) -> None:
    server.fresh_database(DATABASE)  # type: ignore[attr-defined]
    pg = server.connect(DATABASE)  # type: ignore[attr-defined]
    with duckdb.connect(str(source), read_only=True) as db, pg, pg.cursor() as cursor:
        cursor.execute("create schema marts")
        for table in MART_TABLES:
            columns = db.execute(f"describe marts.{table}").fetchall()
            ddl = ", ".join(f'"{name}" {PG_TYPES[kind]}' for name, kind, *_ in columns)
            cursor.execute(f"create table marts.{table} ({ddl})")
            rows = db.execute(f"select * from marts.{table}").fetchall()
            execute_values(cursor, f"insert into marts.{table} values %s", rows)
    pg.close()


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_postgres_and_duckdb_marts_publish_identical_files(postgres_server: object, tmp_path: Path) -> None:
    source = make_marts_db(tmp_path / "warehouse.duckdb")
    _copy_marts(source, postgres_server)
    url = postgres_server.url_for(DATABASE)  # type: ignore[attr-defined]
    options = {"run_id": "pg-run", "built_at": "2024-03-01T07:00:00+07:00", "lineage": fixture_lineage()}
    from_duckdb = tmp_path / "duckdb_site"
    from_postgres = tmp_path / "postgres_site"
    build_site(read_marts(duckdb_reader(source)), from_duckdb, **options)  # type: ignore[arg-type]
    build_site(read_marts(Warehouse.from_url(url).read_frame), from_postgres, **options)  # type: ignore[arg-type]
    duck, pg = _tree(from_duckdb), _tree(from_postgres)
    assert sorted(duck) == sorted(pg)
    assert [name for name in duck if duck[name] != pg[name]] == []
