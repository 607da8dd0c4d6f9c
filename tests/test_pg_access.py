"""Per-province access on a real PostgreSQL warehouse: each provincial office role reads only its province's
rows in every mart and nothing in raw, staging or intermediate; the analyst role reads every mart row.

The roles are created by `pipelines.access.ensure_reader_roles` with passwords from the environment, the marts
are built by `dbt build --target postgres` (whose post-hook applies grants and row-level security), and every
assertion connects as the role itself.
"""

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import errors

from assets.contract.entities import PROVINCES
from pipelines.access import ANALYST_ROLE, ensure_reader_roles, office_role, password_variable, reader_roles
from pipelines.dbt_project import MARTS_BUILD_SCHEMA, PIPELINE_VARS
from pipelines.resources.warehouse import Warehouse
from pipelines.settings import DBT_PROJECT_DIR
from tests.dbt_fixtures import create_raw_postgres

pytestmark = pytest.mark.postgres

FIXTURE_PROVINCES = ("yala", "satun")  # the dbt fixture's provinces with rows (tests/dbt_fixtures.py)


@pytest.fixture(scope="module")
def access_warehouse(postgres_server,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    passwords = {role: secrets.token_urlsafe(16) for role in reader_roles()}
    with pytest.MonkeyPatch.context() as environment:  # restored when the module's tests are done
        for role, password in passwords.items():
            environment.setenv(password_variable(role), password)
        with postgres_server.connect() as connection:
            with connection.cursor() as cursor:  # the server is shared by the session: start from nothing
                for schema in ("raw", "staging", "intermediate", "marts", "marts_build"):
                    cursor.execute(f"drop schema if exists {schema} cascade")
            create_raw_postgres(connection)
        warehouse = Warehouse.from_url(postgres_server.url)
        outcomes = ensure_reader_roles(warehouse)
        assert {o.role for o in outcomes if o.can_login} == set(reader_roles())
        target = tmp_path_factory.mktemp("dbt_pg_access")
        dbt = Path(sys.executable).with_name("dbt")
        # As the pipeline does it: build and test in the build schema, then promote into marts (write-audit-
        # publish); the grants and row-level security set by dbt's post-hook must travel with the tables.
        done = subprocess.run(
            [str(dbt), "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
             "--target-path", str(target / "target"), "--log-path", str(target / "logs"), *PIPELINE_VARS],
            env={**os.environ, **warehouse.dbt_env()}, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout[-4000:]
        promoted = warehouse.promote_schema(MARTS_BUILD_SCHEMA, "marts")
        assert "fct_province_indicators" in promoted and not warehouse.tables_in(MARTS_BUILD_SCHEMA)
        yield {"server": postgres_server, "passwords": passwords}


def _connect_as(env: dict[str, object], role: str) -> psycopg2.extensions.connection:
    server = env["server"]
    return psycopg2.connect(host=server.host, port=server.port, dbname=server.dbname, user=role,  # type: ignore[attr-defined]
                            password=env["passwords"][role])  # type: ignore[index]


def _mart_tables(env: dict[str, object]) -> dict[str, str | None]:
    """Mart table → the column that names its province (None for reference tables)."""
    with env["server"].connect() as connection, connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("select table_name, bool_or(column_name = 'province'), "
                       "bool_or(column_name = 'province_code') "
                       "from information_schema.columns where table_schema = 'marts' group by table_name")
        return {name: "province" if has_slug else ("province_code" if has_code else None)
                for name, has_slug, has_code in cursor.fetchall()}


def _rows_by_province(connection: psycopg2.extensions.connection, table: str, column: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"select {column}, count(*) from marts.{table} group by {column}")
        return {str(value): count for value, count in cursor.fetchall()}


def test_an_office_role_reads_only_its_province_in_every_mart(access_warehouse: dict[str, object]) -> None:
    tables = _mart_tables(access_warehouse)
    assert len(tables) >= 10
    with access_warehouse["server"].connect() as admin:  # type: ignore[attr-defined]
        everything = {t: _rows_by_province(admin, t, c) for t, c in tables.items() if c}
    assert any(len(by_province) > 1 for by_province in everything.values()), "fixture must span provinces"
    for province in FIXTURE_PROVINCES:
        with _connect_as(access_warehouse, office_role(province)) as office:
            for table, column in tables.items():
                if column is None:
                    # reference tables (indicator definitions, grades) are shared
                    with office.cursor() as cursor:
                        cursor.execute(f"select count(*) from marts.{table}")
                        assert cursor.fetchone()[0] >= 0
                    continue
                key = province if column == "province" else PROVINCES[province]
                seen = _rows_by_province(office, table, column)
                assert set(seen) <= {key}, (province, table, seen)
                assert seen.get(key, 0) == everything[table].get(key, 0), (province, table)


@pytest.mark.parametrize("schema_table", ["raw.students", "raw.schools", "staging.stg_raw__students",
                                          "intermediate.int_student_flows_traced"])
def test_an_office_role_reads_nothing_outside_marts(access_warehouse: dict[str, object],
                                                    schema_table: str) -> None:
    with (_connect_as(access_warehouse, office_role("yala")) as office, office.cursor() as cursor,
          pytest.raises(errors.InsufficientPrivilege)):
        cursor.execute(f"select count(*) from {schema_table}")


def test_the_analyst_role_reads_every_province(access_warehouse: dict[str, object]) -> None:
    tables = _mart_tables(access_warehouse)
    with access_warehouse["server"].connect() as admin:  # type: ignore[attr-defined]
        expected = _rows_by_province(admin, "fct_province_indicators", "province")
    with _connect_as(access_warehouse, ANALYST_ROLE) as analyst:
        assert _rows_by_province(analyst, "fct_province_indicators", "province") == expected
        assert set(expected) >= set(FIXTURE_PROVINCES)
        with analyst.cursor() as cursor, pytest.raises(errors.InsufficientPrivilege):
            cursor.execute("select count(*) from raw.students")
    assert tables["dim_indicators"] is None
