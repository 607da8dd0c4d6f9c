"""The edusandbox code location: one Definitions object for `dagster dev`, the CLI and the tests."""

from dagster import Definitions, in_process_executor

from assets.checks.cross_delivery import CROSS_DELIVERY_CHECKS
from assets.dbt_assets import edusandbox_dbt_models
from assets.delivery_freshness import FRESHNESS_CHECKS
from assets.ingest_assets import INGEST_ASSETS
from assets.publish_assets import publish_monitors
from pipelines.dbt_project import dbt_resource
from pipelines.jobs import JOBS
from pipelines.resources.paths import ProjectPaths
from pipelines.resources.warehouse import WarehouseResource
from pipelines.schedules import SCHEDULES
from pipelines.sensors import SENSORS
from pipelines.settings import Settings


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or Settings.from_env()
    return Definitions(
        assets=[*INGEST_ASSETS, edusandbox_dbt_models, publish_monitors],
        asset_checks=[*FRESHNESS_CHECKS, *CROSS_DELIVERY_CHECKS],
        jobs=JOBS,
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources={
            "warehouse": WarehouseResource(url=settings.warehouse_url),
            "paths": ProjectPaths.from_settings(settings),
            "dbt": dbt_resource(),
        },
        # One process per run: dbt is parsed once (manifest prepared at bootstrap), steps share it.
        executor=in_process_executor,
    )


defs = build_definitions()
