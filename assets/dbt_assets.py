"""dbt models as Dagster assets, hung under the ingest assets of every province that feeds them."""


import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetDep,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetSpec,
    Output,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from assets.contract.entities import ENTITIES
from assets.ingest_assets import ingest_keys_by_entity
from assets.pools import WAREHOUSE_POOL
from assets.progress import report
from pipelines.dbt_project import (
    DBT_PROJECT,
    MARTS_BUILD_SCHEMA,
    MARTS_SCHEMA,
    PIPELINE_VARS,
    dbt_environment,
    ensure_manifest,
    file_log_level,
    invocation_target,
    keep_partial_parse,
    prune_invocation_folders,
)
from pipelines.failpoints import failpoint
from pipelines.resources.warehouse import WarehouseResource

DBT_OWNER = "team:analytics-engineering"
FOLDED_TESTS = frozenset({"not_null_columns", "accepted_ranges", "accepted_values_columns"})
"""Generic tests checking several columns in one node (dbt_project/macros/failing_rows_per_column.sql): a
failure names its columns only in the rows the test returns, so the step reads them into the check's
description ("grade: 1 row") once dbt has let go of the warehouse."""


class EdusandboxTranslator(DagsterDbtTranslator):
    """Keys models as `<layer>/<model>` and points each raw source at the per-province ingest assets,
    so lineage runs delivered file → raw table (per province) → staging → marts → published monitor."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec
        deps: list[AssetDep] = []
        for dep in spec.deps:
            path = dep.asset_key.path
            if len(path) == 2 and path[0] == "raw" and path[1] in ingest_keys_by_entity():
                deps.extend(AssetDep(key) for key in ingest_keys_by_entity()[path[1]])
            else:
                deps.append(dep)
        return spec.replace_attributes(deps=deps, owners=[DBT_OWNER])

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return AssetKey([_layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _layer(dbt_resource_props)


def _layer(props: Mapping[str, Any]) -> str:
    """Seeds are reference data; a model's layer is its folder (staging, intermediate, marts), which stays the
    same whatever schema a build writes to (the pipeline builds marts in a build schema first)."""
    if props["resource_type"] == "seed":
        return "reference"
    fqn = props.get("fqn", [])
    return fqn[1] if len(fqn) > 2 else "dbt"


TRANSLATOR = EdusandboxTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=ensure_manifest(), project=DBT_PROJECT, dagster_dbt_translator=TRANSLATOR,
            pool=WAREHOUSE_POOL)
def edusandbox_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """`dbt build` of the models and their data tests into the build schema; only a build in which no
    error-severity test failed is promoted into `marts`, so a failing test stops the run before publication
    and leaves the marts offices read as they were (write-audit-publish)."""
    counts = {"models": 0, "checks passed": 0, "checks failed": 0}
    wh = warehouse.get_warehouse()
    # sources are declared once: a table nothing was delivered to yet must exist, empty
    with wh.session():
        wh.ensure_raw_tables(ENTITIES.values())
    profile_env = wh.dbt_env()
    with dbt_environment({**profile_env, **file_log_level()}):
        # Unit tests prove the SQL on fixtures and run in the test suite (tests/test_dbt_*.py); a production
        # build runs the models and the data tests only.
        failpoint("dbt.before_build")
        target = invocation_target(f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}",
                                   profile_env)
        invocation = dbt.cli(["build", "--exclude", "resource_type:unit_test", *PIPELINE_VARS],
                             context=context, target_path=target)
        held: list[AssetCheckResult] = []
        try:
            for event in invocation.stream():
                failpoint("dbt.during_build", whole_group=True)
                _report_progress(context, event, counts)
                if _is_failed_folded_test(event, invocation.manifest):
                    held.append(event)
                else:
                    yield event
        except Exception:  # dbt exited non-zero (a test failed): the held results first, then the failure
            yield from _with_failing_columns(held, invocation.target_path, wh.read_frame)
            raise
        yield from _with_failing_columns(held, invocation.target_path, wh.read_frame)
        # Reached only when dbt exited 0: every model built and no error-severity test failed.
        keep_partial_parse(invocation.target_path, profile_env)
        failpoint("dbt.before_promote")
        promoted = wh.promote_schema(MARTS_BUILD_SCHEMA, MARTS_SCHEMA)
        report(context, f"marts promoted: {len(promoted)} tables from {MARTS_BUILD_SCHEMA} to {MARTS_SCHEMA}")
    report(context, "dbt build: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    prune_invocation_folders()


def _unique_id(check: AssetCheckResult) -> str | None:
    value = check.metadata.get("unique_id")
    return getattr(value, "value", value)


def _is_failed_folded_test(event: object, manifest: Mapping[str, Any]) -> bool:
    if not isinstance(event, AssetCheckResult) or event.passed:
        return False
    node = manifest["nodes"].get(_unique_id(event) or "", {})
    return (node.get("test_metadata") or {}).get("name") in FOLDED_TESTS


def _with_failing_columns(checks: list[AssetCheckResult], target_path: Path,
                          read_frame: Callable[[str], pd.DataFrame]) -> Iterator[AssetCheckResult]:
    """The held check results, each described by its failing columns: the test's compiled query (from
    run_results.json) run again on the warehouse. A query that cannot run leaves the result as dbt gave it."""
    if not checks:
        return
    try:  # dbt writes run_results.json last: a dbt that was killed may leave none, or half of one
        results = json.loads((target_path / "run_results.json").read_text(encoding="utf-8"))["results"]
        compiled = {r["unique_id"]: r.get("compiled_code") for r in results}
    except (OSError, ValueError, KeyError, TypeError):
        compiled = {}
    for check in checks:
        description = None
        if sql := compiled.get(_unique_id(check) or ""):
            try:
                failing = read_frame(f"select column_name, failing_rows from ({sql}) as failing "
                                     "order by column_name")
                description = "; ".join(f"{row.column_name}: {int(row.failing_rows):,} "
                                        f"row{'' if row.failing_rows == 1 else 's'}"
                                        for row in failing.itertuples())
            except Exception:  # noqa: BLE001 - the failure itself is reported either way
                description = None
        yield check._replace(description=description) if description else check


def _report_progress(context: AssetExecutionContext, event: object, counts: dict[str, int]) -> None:
    """One progress line per model built, and one per failing test (the passing ones are only counted)."""
    if isinstance(event, Output | AssetMaterialization):
        counts["models"] += 1
        key = (context.asset_key_for_output(event.output_name) if isinstance(event, Output)
               else event.asset_key)
        report(context, f"dbt built {key.to_user_string()}")
    elif isinstance(event, AssetCheckResult):
        if event.passed:
            counts["checks passed"] += 1
        else:
            counts["checks failed"] += 1
            report(context, f"dbt test {event.check_name} on {event.asset_key.to_user_string()} failed "
                            f"({event.severity.value.lower()})")
