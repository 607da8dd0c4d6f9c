"""The published monitors: one asset per province plus the index, built together and swapped in atomically."""


from datetime import UTC, datetime
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from assets.contract.entities import PROVINCE_NAMES, PROVINCES
from assets.pools import WAREHOUSE_POOL
from assets.publish import build_site, publish_atomically, read_marts
from assets.read_ahead import read_ahead
from pipelines.failpoints import failpoint
from pipelines.resources.paths import ProjectPaths
from pipelines.resources.warehouse import WarehouseResource

MART_KEYS = [AssetKey(["marts", name]) for name in (
    "fct_province_indicators", "fct_district_indicators", "fct_school_monitor", "dim_indicators",
    "mart_province_yearly",
)]
PUBLISH_OWNER = "team:provincial-monitoring"


def monitor_key(province: str) -> AssetKey:
    return AssetKey(["monitor", province])


MONITOR_SPECS = [
    AssetSpec(monitor_key(p), deps=MART_KEYS, group_name="publish", owners=[PUBLISH_OWNER],
              kinds={"html", "xlsx"},
              description=f"Education-situation monitor for {PROVINCE_NAMES[p][1]} ({PROVINCE_NAMES[p][0]}): "
                          "page with charts and maps, XLSX/CSV exports and monitor.json.")
    for p in PROVINCES
] + [
    AssetSpec(monitor_key("index"), deps=MART_KEYS, group_name="publish", owners=[PUBLISH_OWNER],
              kinds={"html"},
              description="Index page comparing the four sandbox provinces."),
]


def _lineage(warehouse) -> dict[str, list[dict]]:
    frame = warehouse.read_frame(
        "select province, academic_year, entity, source_file, source_sha256, ingested_at "
        "from raw.deliveries order by province, academic_year, entity, source_file")
    return {p: g.drop(columns="province").astype(str).to_dict(orient="records")
            for p, g in frame.groupby("province", sort=True)}


@multi_asset(specs=MONITOR_SPECS, name="publish_monitors", pool=WAREHOUSE_POOL)
def publish_monitors(context: AssetExecutionContext, warehouse: WarehouseResource, paths: ProjectPaths):
    """Builds the whole site into a staging folder and swaps it in only after it is complete. This step runs
    only when every blocking check and dbt test upstream passed; otherwise the last good site stays."""
    wh = warehouse.get_warehouse()
    with wh.session():
        marts = read_marts(wh.read_frame)
        lineage = _lineage(wh)
    built_at = datetime.now(UTC).replace(microsecond=0).isoformat()

    # `edusandbox run` has warm workers by now (they read the deliveries): the provinces are written side by
    # side on them. A step in a process of its own writes them one by one rather than start workers.
    workers = read_ahead()

    def build(out_dir: Path):
        return build_site(marts, out_dir, run_id=context.run.run_id, built_at=built_at,
                          boundaries=paths.boundaries_path, lineage=lineage,
                          run_all=workers.run_all if workers.started() else None)

    failpoint("publish.before_swap")
    publish_atomically(build, paths.publish_path)
    failpoint("publish.after_swap")
    for province in (*PROVINCES, "index"):
        page = paths.publish_path / ("index.html" if province == "index" else f"{province}/index.html")
        yield MaterializeResult(asset_key=monitor_key(province), metadata={
            "page": MetadataValue.path(str(page)), "built_at": built_at, "run_id": context.run.run_id})
