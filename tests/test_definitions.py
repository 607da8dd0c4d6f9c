"""The code location: loads quickly, every asset described and grouped, lineage unbroken from each province's
ingest assets through dbt to that province's published monitor."""

from __future__ import annotations

from dagster import AssetKey

from assets.contract.entities import PROVINCES
from assets.contract.landing import SOURCE_FILES
from assets.ingest_assets import ingest_key
from assets.ingest_order import in_run_order, province_entities, registry_folders, step_key
from assets.publish_assets import monitor_key
from pipelines.definitions import defs

GRAPH = defs.resolve_asset_graph()


def _upstream(key: AssetKey) -> set[AssetKey]:
    seen: set[AssetKey] = set()
    frontier = [key]
    while frontier:
        for parent in GRAPH.get(frontier.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                frontier.append(parent)
    return seen


def test_every_delivered_entity_has_an_ingest_asset() -> None:
    keys = set(GRAPH.get_all_asset_keys())
    for source in SOURCE_FILES:
        assert ingest_key(source.province, source.entity) in keys


def test_every_materialisable_asset_has_group_description_and_owner() -> None:
    for key in GRAPH.materializable_asset_keys:
        node = GRAPH.get(key)
        assert node.group_name and node.group_name != "default", key
        assert node.description, key
        assert node.owners, key


def test_each_province_monitor_reaches_all_its_ingest_assets_through_dbt() -> None:
    marts = [k for k in GRAPH.materializable_asset_keys if k.path[0] == "marts"]
    assert AssetKey(["marts", "fct_province_indicators"]) in marts
    for province in PROVINCES:
        upstream = _upstream(monitor_key(province))
        own_ingest = {ingest_key(s.province, s.entity) for s in SOURCE_FILES if s.province == province}
        assert own_ingest <= upstream, own_ingest - upstream
        assert any(k.path[0] == "staging" for k in upstream)
        assert any(k.path[0] == "marts" for k in upstream)


def test_every_mart_reaches_every_provinces_ingest_assets() -> None:
    for mart in (AssetKey(["marts", "fct_province_indicators"]),
                 AssetKey(["marts", "fct_district_indicators"])):
        upstream = _upstream(mart)
        for province in PROVINCES:
            assert ingest_key(province, "students") in upstream
            assert ingest_key(province, "enrolment_counts") in upstream


def test_ingest_assets_carry_blocking_gx_checks() -> None:
    checks = {(spec.asset_key, spec.name, spec.blocking)
              for assets_def in defs.assets for spec in getattr(assets_def, "check_specs", [])}
    for province in PROVINCES:
        assert (ingest_key(province, "students"), "gx_suite", True) in checks


def test_dbt_tests_surface_as_asset_checks() -> None:
    dbt_checks = [k for k in GRAPH.asset_check_keys
                  if k.asset_key.path[0] in {"staging", "marts", "intermediate"}]
    assert len(dbt_checks) >= 10


def test_the_read_ahead_knows_the_ingest_steps_and_their_order_without_dagster() -> None:
    """assets/ingest_order.py names and orders the ingest steps as Dagster will run them (the run's
    in-process executor: a step after the school registries it is validated against)."""
    graph = defs.resolve_asset_graph()
    steps = province_entities()
    assert {step_key(*s) for s in steps} == {ingest_key(*s).to_python_identifier() for s in steps}
    ordered = in_run_order(reversed(steps))
    assert sorted(ordered) == sorted(steps)
    for position, (province, entity) in enumerate(ordered):
        registries = {ingest_key(f, "schools") for f in registry_folders(province, entity)}
        assert registries == {k for k in graph.get(ingest_key(province, entity)).parent_keys
                              if k.path[-1] == "schools"}
        assert all(ordered.index((k.path[1], "schools")) < position for k in registries)
