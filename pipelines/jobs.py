"""Jobs. Ingest assets are partitioned by academic year; dbt models and the published monitors are not, so a
run over a range of years ingests those years once each (single-run backfill policy) and then rebuilds the
marts and the site once.

- `full_refresh`: every delivery of every province, dbt build, publication (schedules, `edusandbox run`).
- `refresh_<province>`: one landing folder's ingest assets, then dbt and publication (its sensor).
- `check_delivery_freshness`: only the delivery-age checks (daily schedule).
"""

from dagster import AssetSelection, define_asset_job
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from assets.contract.entities import NATIONAL, PROVINCES
from assets.delivery_freshness import FRESHNESS_CHECKS

LANDING_FOLDERS: tuple[str, ...] = (*PROVINCES, NATIONAL)
FULL_REFRESH = "full_refresh"


def ingest_group(folder: str) -> str:
    return f"ingest_{folder}"


def refresh_job_name(folder: str) -> str:
    return f"refresh_{folder}"


def selection_for(folders: list[str] | tuple[str, ...]) -> AssetSelection:
    """The ingest assets of these landing folders, then every dbt model and the monitors. dbt is not narrowed
    to the models downstream of the folders: its tests reference marts outside that set (relationships to
    dimensions), the marts are built and tested whole in the build schema before promotion, and nearly every
    mart unions all provinces anyway. Other folders' ingest assets are not run."""
    every_ingest = AssetSelection.groups(*[ingest_group(f) for f in LANDING_FOLDERS])
    return AssetSelection.groups(*[ingest_group(f) for f in folders]) | (AssetSelection.all() - every_ingest)


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
