"""PostgreSQL roles for the people who read the marts: one per provincial office, one for analysts.

    edusandbox pg-access --warehouse postgresql+psycopg2://admin@host/edusandbox

Creates the roles if missing (NOLOGIN unless a password is given in the environment), keeps them out of every
schema but `marts`, and leaves the rest to the dbt build: the post-hook `apply_mart_access`
(dbt_project/macros/access_control.sql) grants SELECT on each mart table and adds row-level-security policies
so an office role reads only its province's rows. Passwords come only from the environment:
EDUSANDBOX_PG_PASSWORD_OFFICE_YALA, ..._SATUN, ..._MAE_HONG_SON, ..._SUKHOTHAI,
EDUSANDBOX_PG_PASSWORD_ANALYST.
Run it as a role with CREATEROLE (the warehouse owner in the throwaway test cluster).
"""

import os
from dataclasses import dataclass

from psycopg2 import sql

from assets.contract.entities import PROVINCES
from pipelines.resources.warehouse import PostgresWarehouse, Warehouse, WarehouseError

ANALYST_ROLE = "edusandbox_analyst"
PRIVATE_SCHEMAS = ("raw", "staging", "intermediate")


def office_role(province: str) -> str:
    return f"edusandbox_office_{province}"


def password_variable(role: str) -> str:
    return "EDUSANDBOX_PG_PASSWORD_" + role.removeprefix("edusandbox_").upper()


@dataclass(frozen=True)
class RoleOutcome:
    role: str
    created: bool
    can_login: bool


def reader_roles() -> list[str]:
    return [*(office_role(p) for p in PROVINCES), ANALYST_ROLE]


def ensure_reader_roles(warehouse: Warehouse) -> list[RoleOutcome]:
    if not isinstance(warehouse, PostgresWarehouse):
        raise WarehouseError(f"per-province roles need PostgreSQL; the warehouse is {warehouse.describe()}")
    outcomes = []
    with warehouse._transaction() as cursor:  # noqa: SLF001 - one transaction for all roles
        for role in reader_roles():
            cursor.execute("select 1 from pg_roles where rolname = %s", (role,))
            exists = cursor.fetchone() is not None
            if not exists:
                cursor.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
            password = os.environ.get(password_variable(role))
            if password:
                cursor.execute(sql.SQL("alter role {} login password {}").format(
                    sql.Identifier(role), sql.Literal(password)))
            for schema in PRIVATE_SCHEMAS:
                cursor.execute("select 1 from pg_namespace where nspname = %s", (schema,))
                if cursor.fetchone():
                    cursor.execute(sql.SQL("revoke all on schema {} from {}").format(
                        sql.Identifier(schema), sql.Identifier(role)))
            outcomes.append(RoleOutcome(role, created=not exists, can_login=bool(password)))
        # The marts schema exists before the first promotion so the readers can be granted USAGE on it now
        # (tables get their grants and row-level security from dbt's post-hook and keep them when promoted).
        cursor.execute("create schema if not exists marts")
        for role in reader_roles():
            cursor.execute(sql.SQL("grant usage on schema marts to {}").format(sql.Identifier(role)))
        # Nobody but the owner creates objects in public (PostgreSQL 15 already defaults to this).
        cursor.execute("revoke create on schema public from public")
    return outcomes
