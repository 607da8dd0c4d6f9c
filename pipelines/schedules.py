"""Schedules: a monthly full refresh, one after each OBEC census date, and a daily delivery-age check.

OBEC counts students on 10 June, 10 November and 31 March; provinces deliver in the days after, so the
census refresh runs a week later (17 June, 17 November, 7 April) in Bangkok time. A full refresh covers every
academic year known to the instance in one run (the delivery sensors register years as folders appear).
"""

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets.ingest_assets import ACADEMIC_YEARS
from pipelines.jobs import freshness_job, full_refresh_job
from pipelines.sensors import default_automation_status

TIMEZONE = "Asia/Bangkok"
STATUS = DefaultScheduleStatus(default_automation_status().value)


def _refresh_all_years(context: ScheduleEvaluationContext, reason: str) -> RunRequest | SkipReason:
    years = sorted(context.instance.get_dynamic_partitions(ACADEMIC_YEARS.name), key=int)
    if not years:
        return SkipReason("no academic year known yet: the delivery sensors register them as folders appear")
    return RunRequest(run_key=None, tags={ASSET_PARTITION_RANGE_START_TAG: years[0],
                                          ASSET_PARTITION_RANGE_END_TAG: years[-1],
                                          "edusandbox/trigger": reason})


@schedule(job=full_refresh_job, cron_schedule="0 2 1 * *", execution_timezone=TIMEZONE,
          default_status=STATUS,
          description="Monthly full refresh of every academic year (1st of the month, 02:00 Bangkok).")
def monthly_full_refresh(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    return _refresh_all_years(context, "schedule:monthly")


@schedule(job=full_refresh_job, cron_schedule=["0 6 17 6,11 *", "0 6 7 4 *"], execution_timezone=TIMEZONE,
          default_status=STATUS,
          description="Full refresh a week after each OBEC census date (10 June, 10 November, 31 March).")
def census_refresh(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    return _refresh_all_years(context, "schedule:census")


daily_delivery_freshness = ScheduleDefinition(
    name="daily_delivery_freshness", job=freshness_job, cron_schedule="0 7 * * *",
    execution_timezone=TIMEZONE,
    default_status=STATUS,
    description="Every morning: is every province's newest delivery recent enough?")

SCHEDULES: list[ScheduleDefinition] = [monthly_full_refresh, census_refresh, daily_delivery_freshness]
