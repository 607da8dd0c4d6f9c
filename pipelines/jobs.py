"""Jobs. Ingest assets are partitioned by academic year; dbt models and the published monitors are not, so a
run over a range of years ingests those years once each (single-run backfill policy) and then rebuilds the
marts and the site once.

- `full_refresh`: every delivery of every province, dbt build, publication (schedules, `edusandbox run`).
- `refresh_<province>`: one landing folder's ingest assets, then dbt and publication (its sensor).
- `check_delivery_freshness`: only the delivery-age checks (daily schedule).
"""

from dagster import AssetSelection, define_asset_job
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from assets.checks.cross_delivery import CROSS_DELIVERY_CHECKS
from assets.contract.entities import NATIONAL, PROVINCES
from assets.delivery_freshness import FRESHNESS_CHECKS
from assets.ingest_assets import ingest_key

LANDING_FOLDERS: tuple[str, ...] = (*PROVINCES, NATIONAL)
FULL_REFRESH = "full_refresh"


def ingest_group(folder: str) -> str:
    return f"ingest_{folder}"


def refresh_job_name(folder: str) -> str:
    return f"refresh_{folder}"


def selection_for(folders: list[str] | tuple[str, ...],
                  steps: list[tuple[str, str]] | None = None) -> AssetSelection:
    """The ingest assets of these landing folders (only those of `steps`, when given), then every dbt model
    and the monitors. dbt is not narrowed to the models downstream of the folders: its tests reference marts
    outside that set (relationships to dimensions), the marts are built and tested whole in the build schema
    before promotion, and nearly every mart unions all provinces anyway. Other folders' ingest assets are not
    run. With `steps`, the folders' checks that compare deliveries in the warehouse (EMIS counts against the
    roster, year over year, delivery age) run too, whichever of their assets is re-ingested."""
    every_ingest = AssetSelection.groups(*[ingest_group(f) for f in LANDING_FOLDERS])
    downstream = AssetSelection.all() - every_ingest
    if steps is None:
        return AssetSelection.groups(*[ingest_group(f) for f in folders]) | downstream
    wanted = set(folders)
    warehouse_checks = [key for checks in (*CROSS_DELIVERY_CHECKS, *FRESHNESS_CHECKS)
                        for key in checks.check_keys if key.asset_key.path[1] in wanted]
    return (AssetSelection.assets(*[ingest_key(folder, entity) for folder, entity in steps])
            | AssetSelection.checks(*warehouse_checks) | downstream)


full_refresh_job = define_asset_job(
    FULL_REFRESH, selection=AssetSelection.all(),
    description="Every delivery of the selected academic years: ingest + GX validation, dbt build (models "
                "and tests), then publication of the monitors, swapped in only when everything passed.")

province_jobs: dict[str, UnresolvedAssetJobDefinition] = {
    folder: define_asset_job(
        refresh_job_name(folder), selection=selection_for([folder]),
        description=f"New or changed deliveries of {folder}: its ingest assets for the selected academic "
                    "years, then the dbt build and the monitors.")
    for folder in LANDING_FOLDERS
}

freshness_job = define_asset_job(
    "check_delivery_freshness", selection=AssetSelection.checks(*FRESHNESS_CHECKS),
    description="Delivery-age checks only: flags a province whose newest delivery is older than expected.")

JOBS = [full_refresh_job, *province_jobs.values(), freshness_job]
