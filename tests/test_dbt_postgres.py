"""The same dbt project on a real PostgreSQL server: `dbt build --target postgres` over the same raw fixture
must pass every data and unit test and produce every mart table row for row as the DuckDB build does."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest

from tests.dbt_fixtures import (
    DbtBuild,
    Table,
    create_raw_postgres,
    fixture_duckdb_build,
    read_duckdb_schema,
    read_schema,
    run_dbt_build,
)

pytestmark = pytest.mark.postgres


def _postgres_env(server: Any) -> dict[str, str]:
    """The profile's postgres target reads its connection from these (dbt_project/profiles.yml)."""
    return {"EDUSANDBOX_DBT_TARGET": "postgres", "EDUSANDBOX_PG_HOST": server.host,
            "EDUSANDBOX_PG_PORT": str(server.port), "EDUSANDBOX_PG_USER": server.user,
            "EDUSANDBOX_PG_DBNAME": server.dbname, "EDUSANDBOX_PG_PASSWORD": server.password}


@pytest.fixture(scope="module")
def postgres_build(postgres_server: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[DbtBuild, Any]:
    connection = postgres_server.connect()
    try:
        create_raw_postgres(connection)
    finally:
        connection.close()
    build = run_dbt_build(tmp_path_factory.mktemp("dbt_postgres"), _postgres_env(postgres_server))
    return build, postgres_server


@pytest.fixture(scope="module")
def postgres_marts(postgres_build: tuple[DbtBuild, Any]) -> dict[str, Table]:
    connection = postgres_build[1].connect()
    try:
        with connection.cursor() as cursor:
            return read_schema(cursor)
    finally:
        connection.close()


@pytest.fixture(scope="module")
def duckdb_marts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Table]:
    build = fixture_duckdb_build(tmp_path_factory.mktemp)
    assert build.warehouse is not None
    return read_duckdb_schema(build.warehouse)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        both = a is not None and b is not None
        return both and math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)
    if isinstance(a, uuid.UUID):  # a key: DuckDB returns uuid.UUID, psycopg2 a uuid column's text
        return isinstance(b, str) and uuid.UUID(b) == a
    return a == b and type(a) is type(b)


def test_postgres_build_passes_every_data_and_unit_test(postgres_build: tuple[DbtBuild, Any]) -> None:
    results = postgres_build[0].run_results()["results"]
    assert [r["unique_id"] for r in results if r["status"] in ("error", "fail", "skipped")] == []
    assert sum(r["unique_id"].startswith("unit_test.") for r in results) >= 16


def test_every_mart_table_matches_duckdb_row_for_row(duckdb_marts: dict[str, Table],
                                                      postgres_marts: dict[str, Table]) -> None:
    assert sorted(postgres_marts) == sorted(duckdb_marts)
    assert {"fct_province_indicators", "fct_district_indicators", "fct_school_monitor", "dim_indicators",
            "mart_province_yearly", "mart_district_yearly"} <= set(duckdb_marts)
    for table, (duck_columns, duck_rows) in duckdb_marts.items():
        pg_columns, pg_rows = postgres_marts[table]
        assert pg_columns == duck_columns, table
        assert len(pg_rows) == len(duck_rows), table
        assert duck_rows, f"{table} is empty: the comparison would prove nothing"
        for duck_row, pg_row in zip(duck_rows, pg_rows, strict=True):
            mismatched = [(column, d, p) for column, d, p in zip(duck_columns, duck_row, pg_row, strict=True)
                          if not (d is None and p is None) and not _same(d, p)]
            assert not mismatched, f"{table}: {mismatched} in {duck_row}"
