"""Sensors, schedules, jobs and the delivery-age check, evaluated the way the daemon evaluates them."""

import os
import time
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    Definitions,
    RunRequest,
    SensorResult,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    define_asset_job,
    instance_for_test,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets.delivery_freshness import MAX_DELIVERY_AGE_DAYS, delivery_age_result
from assets.ingest_assets import ACADEMIC_YEARS
from pipelines.definitions import defs
from pipelines.jobs import LANDING_FOLDERS, refresh_job_name, selection_for
from pipelines.resources.paths import ProjectPaths
from pipelines.schedules import census_refresh, monthly_full_refresh
from pipelines.sensors import SETTLE_SECONDS, build_delivery_sensor

SETTLED = time.time() - SETTLE_SECONDS - 60


def deliver(landing: Path, relative: str, content: bytes, mtime: float = SETTLED) -> Path:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def instance() -> DagsterInstance:
    with instance_for_test() as temporary:
        yield temporary


def tick(folder: str, landing: Path, instance: DagsterInstance,
         cursor: str | None) -> tuple[SensorResult | SkipReason, str | None]:
    """One sensor evaluation: its result and the cursor it leaves for the next tick."""
    sensor = build_delivery_sensor(folder)
    paths = ProjectPaths(home=str(landing.parent), landing=str(landing),
                         archive_dir=str(landing.parent / "a"), publish_dir=str(landing.parent / "p"))
    context = build_sensor_context(instance=instance, cursor=cursor, resources={"paths": paths})
    result = sensor(context)
    return result, (result.cursor if isinstance(result, SensorResult) else context.cursor)


def test_a_new_delivery_launches_its_provinces_job_for_its_year(tmp_path: Path,
                                                                instance: DagsterInstance) -> None:
    landing = tmp_path / "landing"
    deliver(landing, "yala/2566/schools.jsonl", b'{"school_code": "1095010001"}\n')
    result, _ = tick("yala", landing, instance, None)
    assert isinstance(result, SensorResult)
    [request] = result.run_requests
    assert isinstance(request, RunRequest)
    assert (request.tags[ASSET_PARTITION_RANGE_START_TAG] == request.tags[ASSET_PARTITION_RANGE_END_TAG]
            == "2566")
    [add] = result.dynamic_partitions_requests
    assert add.partitions_def_name == ACADEMIC_YEARS.name and list(add.partition_keys) == ["2566"]
    assert build_delivery_sensor("yala").job_name == refresh_job_name("yala")


def test_an_unchanged_or_touched_file_launches_nothing(tmp_path: Path, instance: DagsterInstance) -> None:
    landing = tmp_path / "landing"
    path = deliver(landing, "satun/2566/students.csv", "เลขประจำตัวประชาชน\n".encode("cp874"))
    first, cursor = tick("satun", landing, instance, None)
    assert isinstance(first, SensorResult)
    again, cursor = tick("satun", landing, instance, cursor)
    assert isinstance(again, SkipReason)
    os.utime(path, (SETTLED + 5, SETTLED + 5))  # touched: same bytes, new mtime
    touched, _ = tick("satun", landing, instance, cursor)
    assert isinstance(touched, SkipReason), "a new mtime with the same content must not launch a run"


def test_changed_content_launches_only_the_changed_year(tmp_path: Path, instance: DagsterInstance) -> None:
    landing = tmp_path / "landing"
    deliver(landing, "sukhothai/2565/students.csv", b"\xef\xbb\xbfa\n1\n")
    deliver(landing, "sukhothai/2566/students.csv", b"\xef\xbb\xbfa\n1\n")
    first, cursor = tick("sukhothai", landing, instance, None)
    assert isinstance(first, SensorResult)
    assert first.run_requests[0].tags["edusandbox/years"] == "2565,2566"
    deliver(landing, "sukhothai/2566/students.csv", b"\xef\xbb\xbfa\n2\n", mtime=SETTLED + 10)
    second, _ = tick("sukhothai", landing, instance, cursor)
    assert isinstance(second, SensorResult)
    assert second.run_requests[0].tags["edusandbox/years"] == "2566"
    assert second.run_requests[0].run_key != first.run_requests[0].run_key


def test_a_file_still_being_written_or_with_a_temporary_name_is_not_picked_up(
        tmp_path: Path, instance: DagsterInstance) -> None:
    landing = tmp_path / "landing"
    deliver(landing, "mae_hong_son/2566/students.xlsx.part", b"PK\x03\x04")
    deliver(landing, "mae_hong_son/2566/~$students.xlsx", b"lock")
    deliver(landing, "mae_hong_son/2566/students.xlsx", b"PK\x03\x04 growing", mtime=time.time())
    result, cursor = tick("mae_hong_son", landing, instance, None)
    assert isinstance(result, SkipReason)
    assert "still being written" in (result.skip_message or "")
    deliver(landing, "mae_hong_son/2566/students.xlsx", b"PK\x03\x04 complete")
    settled, _ = tick("mae_hong_son", landing, instance, cursor)
    assert isinstance(settled, SensorResult) and len(settled.run_requests) == 1


def test_a_symlink_out_of_the_landing_zone_is_refused_not_followed(tmp_path: Path,
                                                                   instance: DagsterInstance) -> None:
    landing = tmp_path / "landing"
    outside = deliver(tmp_path, "secret/students.csv", b"not a delivery")
    (landing / "satun" / "2566").mkdir(parents=True)
    (landing / "satun" / "2566" / "students.csv").symlink_to(outside)
    result, _ = tick("satun", landing, instance, None)
    assert isinstance(result, SkipReason)


def test_every_landing_folder_has_a_sensor_and_a_job() -> None:
    sensors = {s.name: s for s in defs.sensors}
    for folder in LANDING_FOLDERS:
        assert f"{folder}_deliveries" in sensors
        assert defs.resolve_job_def(refresh_job_name(folder)) is not None
    refresh_yala = defs.resolve_job_def(refresh_job_name("yala"))
    keys = refresh_yala.asset_layer.executable_asset_keys
    assert AssetKey(["raw", "yala", "students"]) in keys
    assert AssetKey(["raw", "satun", "students"]) not in keys
    assert AssetKey(["monitor", "yala"]) in keys


def test_a_run_of_a_province_s_changed_deliveries_runs_their_steps_and_its_warehouse_checks() -> None:
    job = Definitions.merge(defs, Definitions(jobs=[define_asset_job(
        "changed_only", selection=selection_for(["satun"], [("satun", "students")]))])
    ).resolve_job_def("changed_only")
    keys = job.asset_layer.executable_asset_keys
    checks = {key.to_user_string() for key in job.asset_layer.asset_graph.asset_check_keys}
    assert [key for key in keys if key.path[0] == "raw"] == [AssetKey(["raw", "satun", "students"])]
    assert {AssetKey(["monitor", "satun"]), AssetKey(["marts", "fct_province_indicators"])} <= keys
    assert {"raw/satun/students:gx_suite", "raw/satun/students:rows_accounted_for",
            "raw/satun/students:enrolment_year_over_year", "raw/satun/students:delivery_is_recent"} <= checks
    # EMIS's counts, not re-delivered, are compared with the roster that was
    assert "raw/satun/enrolment_counts:emis_vs_roster" in checks
    assert not [c for c in checks if c.startswith(("raw/satun/schools:", "raw/yala/", "raw/national/"))]


def test_schedules_refresh_every_known_year_in_one_run(instance: DagsterInstance) -> None:
    empty = monthly_full_refresh(build_schedule_context(instance=instance))
    assert isinstance(empty, SkipReason)
    instance.add_dynamic_partitions(ACADEMIC_YEARS.name, ["2565", "2567", "2566"])
    request = monthly_full_refresh(build_schedule_context(instance=instance))
    assert isinstance(request, RunRequest)
    assert (request.tags[ASSET_PARTITION_RANGE_START_TAG], request.tags[ASSET_PARTITION_RANGE_END_TAG]) == (
        "2565", "2567")
    assert sorted(census_refresh.cron_schedule) == ["0 6 17 6,11 *", "0 6 7 4 *"]
    assert census_refresh.execution_timezone == "Asia/Bangkok"


def test_a_province_whose_newest_delivery_is_old_is_flagged_stale(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    old = time.time() - (MAX_DELIVERY_AGE_DAYS + 10) * 86_400
    deliver(landing, "yala/2566/schools.jsonl", b"{}\n", mtime=old)
    stale = delivery_age_result(landing, "yala")
    assert not stale.passed and "stale" in (stale.description or "")
    deliver(landing, "yala/2567/schools.jsonl", b"{}\n", mtime=time.time() - 86_400)
    fresh = delivery_age_result(landing, "yala")
    assert fresh.passed, fresh.description
    assert not delivery_age_result(landing, "satun").passed  # nothing delivered at all
