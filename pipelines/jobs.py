"""Jobs. Ingest is partitioned by academic year (one run may cover a range); dbt and publication are not."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

INGEST = AssetSelection.groups(*[f"ingest_{p}" for p in ("yala", "satun", "mae_hong_son", "sukhothai", "national")])
TRANSFORM_AND_PUBLISH = AssetSelection.all() - INGEST

ingest_job = define_asset_job(
    "ingest_deliveries", selection=INGEST,
    description="Read, validate and load every delivery of the selected academic years into raw.*")
transform_and_publish_job = define_asset_job(
    "build_marts_and_publish", selection=TRANSFORM_AND_PUBLISH,
    description="dbt build (models and tests) then publish the provincial monitors atomically")

JOBS = [ingest_job, transform_and_publish_job]


def ingest_selection_for(provinces: list[str]) -> AssetSelection:
    return AssetSelection.groups(*[f"ingest_{p}" for p in (*provinces, "national")])
