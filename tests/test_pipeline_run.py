"""The whole pipeline on demo deliveries, in process, as `edusandbox run` does it: ingest and validation of
every province, dbt build, publication; then the same again to prove re-runs are idempotent."""

import filecmp
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterEventType, DagsterInstance, instance_for_test

from assets.contract.entities import ENTITIES, PROVINCES
from assets.ingest_order import in_run_order, province_entities, reads_slowly, step_key
from assets.read_ahead import read_ahead
from assets.sources import discover_deliveries
from pipelines.dbt_project import TARGET_DIR
from pipelines.resources.warehouse import Warehouse
from pipelines.run import RunOutcome, run_pipeline
from pipelines.settings import Settings
from tests.conftest import DEMO_YEARS

STEP_KEYS = frozenset(step_key(*s) for s in province_entities())


@dataclass
class PipelineRun:
    settings: Settings
    instance: DagsterInstance
    outcome: RunOutcome
    lines: list[str]
    read_ahead: int
    """Files the ingest steps took from the read-ahead workers during the run."""

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse.from_url(self.settings.warehouse_url)


def settings_for(home: Path, landing: Path) -> Settings:
    return Settings.from_env(home=home, landing=landing,
                             warehouse_url=f"duckdb:///{home / 'warehouse.duckdb'}",
                             publish_dir=home / "publish", archive_dir=home / "archive")


@pytest.fixture(scope="module")
def pipeline(demo_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineRun]:
    home = tmp_path_factory.mktemp("pipeline_home")
    settings = settings_for(home, demo_landing)
    lines: list[str] = []
    (home / "dagster").mkdir()
    with instance_for_test(temp_dir=str(home / "dagster")) as instance:
        before = read_ahead().taken_ahead
        outcome = run_pipeline(settings, list(PROVINCES), echo=lines.append, instance=instance)
        yield PipelineRun(settings, instance, outcome, lines, read_ahead().taken_ahead - before)


def test_every_delivered_file_was_read_ahead_in_a_worker_process(pipeline: PipelineRun) -> None:
    """The ingest steps ran one after another in this process; their files were read (archived, adapted) by
    the read-ahead workers in the order the steps asked for them, none by a step itself."""
    delivered = [path for folder in [*PROVINCES, "national"] for year in DEMO_YEARS
                 for _, path, _ in discover_deliveries(pipeline.settings.landing, folder, year)]
    assert delivered
    # two workers wherever there are two cores (CI, this project's machines); one core: the steps read
    assert pipeline.read_ahead == (len(delivered) if read_ahead().workers else 0)


def test_the_ingest_steps_ran_in_the_order_the_read_ahead_planned_for(pipeline: PipelineRun) -> None:
    """assets/ingest_order.py predicts Dagster's step order without Dagster (the workers read the files in
    it): the school registries, the other steps, then the steps that read slowly (lower priority)."""
    logs = pipeline.instance.all_logs(pipeline.outcome.run_id, of_type=DagsterEventType.STEP_START)
    started = [entry.step_key for entry in logs if entry.step_key in STEP_KEYS]
    assert started == [step_key(*s) for s in in_run_order(province_entities())]
    slow = [s for s in province_entities() if reads_slowly(*s)]
    assert slow and started[-len(slow):] == [step_key(*s) for s in sorted(slow)]  # Mae Hong Son's workbooks


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_run_succeeds_and_publishes_an_index(pipeline: PipelineRun) -> None:
    assert pipeline.outcome.success, pipeline.outcome.message
    assert pipeline.outcome.index_path is not None and pipeline.outcome.index_path.is_file()
    for province in PROVINCES:
        assert (pipeline.settings.publish_dir / province / "index.html").is_file()


def test_dbt_logs_to_its_file_only_the_warnings_and_errors(pipeline: PipelineRun) -> None:
    """dbt's own log file of the run's build holds the demo's warning tests and nothing at info or debug
    level (every query, by dbt's default: 6 MB per build)."""
    (folder,) = TARGET_DIR.glob(f"edusandbox_dbt_models-{(pipeline.outcome.run_id or '')[:7]}-*")
    levels = [json.loads(line)["info"]["level"]
              for line in (folder / "dbt.log").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert "warn" in levels
    assert set(levels) <= {"warn", "error"}


def test_every_province_and_year_reaches_the_marts(pipeline: PipelineRun) -> None:
    yearly = pipeline.warehouse.read_frame("select province, academic_year from marts.mart_province_yearly")
    assert set(map(tuple, yearly.to_numpy().tolist())) == {(p, y) for p in PROVINCES for y in DEMO_YEARS}
    indicators = pipeline.warehouse.read_frame(
        "select province, count(distinct indicator_id) as n "
        "from marts.fct_province_indicators group by province")
    assert set(indicators["province"]) == set(PROVINCES)
    assert indicators["n"].min() >= 10


def test_rows_read_equal_rows_loaded_plus_quarantined_for_every_delivery(pipeline: PipelineRun) -> None:
    deliveries = pipeline.warehouse.read_frame("select * from raw.deliveries")
    assert len(deliveries) > 0
    assert (deliveries["rows_read"] == deliveries["rows_loaded"] + deliveries["rows_quarantined"]).all()
    loaded = deliveries.groupby(["entity", "province", "academic_year"])["rows_loaded"].sum()
    for (entity, province, year), expected in loaded.items():
        count = pipeline.warehouse.read_frame(
            f"select count(*) as n from {ENTITIES[entity].table} where province = ? and academic_year = ?",
            (province, int(year)))["n"].iloc[0]
        assert count == expected, (entity, province, year)
    quarantined = pipeline.warehouse.read_frame(
        "select entity, province, academic_year, count(*) as n from raw.quarantine "
        "group by entity, province, academic_year")
    expected_q = deliveries.groupby(["entity", "province", "academic_year"])["rows_quarantined"].sum()
    assert quarantined.set_index(["entity", "province", "academic_year"])["n"].sort_index().to_dict() == {
        k: v for k, v in expected_q.sort_index().items() if v}


def test_injected_mess_is_quarantined_with_its_reason_and_origin(pipeline: PipelineRun) -> None:
    quarantine = pipeline.warehouse.read_frame("select * from raw.quarantine")
    assert len(quarantine) > 0
    assert quarantine["reason"].notna().all() and (quarantine["reason"].str.len() > 0).all()
    assert quarantine["source_file"].notna().all() and (quarantine["source_row"] >= 1).all()
    reasons = " | ".join(quarantine["reason"].tolist())
    assert "check digit" in reasons
    assert "duplicate of row" in reasons
    # one quarantined row per delivered record; Mae Hong Son's workbook rows are told apart by sheet (agency)
    record = ["province", "academic_year", "entity", "source_sha256", "agency", "source_row"]
    assert not quarantine.duplicated(subset=record).any()
    per_sheet = quarantine[(quarantine["province"] == "mae_hong_son")
                           & quarantine["entity"].isin(["students", "teachers"])]
    assert per_sheet["agency"].notna().all()


def test_progress_is_reported_per_step(pipeline: PipelineRun) -> None:
    text = "\n".join(pipeline.lines)
    assert "academic years 2566–2567" in text
    assert "succeeded" in text


def test_a_second_run_of_the_same_deliveries_changes_nothing(pipeline: PipelineRun) -> None:
    def counts() -> dict[str, int]:
        return {name: int(pipeline.warehouse.read_frame(f"select count(*) as n from {e.table}")["n"].iloc[0])
                for name, e in ENTITIES.items() if pipeline.warehouse.table_exists(e.table)}

    def marts() -> dict[str, pd.DataFrame]:
        tables = pipeline.warehouse.read_frame(
            "select table_name from information_schema.tables where table_schema = 'marts'")["table_name"]
        return {t: pipeline.warehouse.read_frame(f"select * from marts.{t}") for t in sorted(tables)}

    before_counts, before_marts = counts(), marts()
    exports = pipeline.settings.publish_dir
    saved = exports.parent / "publish_before"
    shutil.copytree(exports, saved, symlinks=False)
    again = run_pipeline(pipeline.settings, list(PROVINCES), echo=lambda _: None, instance=pipeline.instance)
    assert again.success, again.message
    assert counts() == before_counts
    after_marts = marts()
    assert set(after_marts) == set(before_marts)
    for table, frame in before_marts.items():
        keys = list(frame.columns)
        pd.testing.assert_frame_equal(frame.sort_values(keys).reset_index(drop=True),
                                      after_marts[table].sort_values(keys).reset_index(drop=True), obj=table)
    for export in sorted(saved.rglob("*")):
        if export.suffix in {".xlsx", ".csv"} or export.name == "monitor.json":
            twin = exports / export.relative_to(saved)
            assert filecmp.cmp(export, twin, shallow=False), \
                f"{export.relative_to(saved)} differs after a re-run"


def test_a_province_run_reingests_only_its_new_or_changed_deliveries(pipeline: PipelineRun,
                                                                    tmp_path: Path) -> None:
    """Runs last in this module: it leaves Satun's 2567 roster loaded one record short."""
    def loaded() -> dict[tuple[str, str], set[str]]:
        frame = pipeline.warehouse.read_frame("select province, entity, ingested_at from raw.deliveries")
        return {(p, e): set(group["ingested_at"]) for (p, e), group in frame.groupby(["province", "entity"])}

    def satun_students() -> tuple[int, int]:
        counts = pipeline.warehouse.read_frame(
            "select sum(rows_read) as read, (select count(*) from raw.students where province = 'satun' "
            "and academic_year = 2567) as loaded from raw.deliveries where province = 'satun' "
            "and academic_year = 2567 and entity = 'students'")
        return int(counts["read"][0]), int(counts["loaded"][0])

    before = loaded()
    lines: list[str] = []
    outcome = run_pipeline(pipeline.settings, ["satun"], echo=lines.append, instance=pipeline.instance)
    assert outcome.success, outcome.message
    assert "new or changed deliveries: none; unchanged since loaded, not re-ingested: satun/" in lines[0]
    assert loaded() == before  # nothing read or loaded again; dbt and the publication ran
    assert (pipeline.settings.publish_dir / "index.html").exists()

    # Satun re-delivers its 2567 roster one record short (in a copy of the landing zone): that file's step
    # alone runs; the other Satun files and the national ones keep what they loaded.
    landing = tmp_path / "landing"
    shutil.copytree(pipeline.settings.landing, landing)
    roster = landing / "satun" / "2567" / "students.csv"
    header, _, *records = roster.read_bytes().split(b"\n")
    roster.write_bytes(b"\n".join([header, *records]))
    read_before, loaded_before = satun_students()
    lines.clear()
    outcome = run_pipeline(replace(pipeline.settings, landing=landing), ["satun"], echo=lines.append,
                           instance=pipeline.instance)
    assert outcome.success, outcome.message
    assert "new or changed deliveries: satun/students; unchanged" in lines[0]
    after = loaded()
    assert [step for step in before if after[step] != before[step]] == [("satun", "students")]
    read_after, loaded_after = satun_students()
    assert read_after == read_before - 1
    assert loaded_after in (loaded_before, loaded_before - 1)  # it was loaded or quarantined
    evaluated = {entry.dagster_event.asset_check_evaluation_data.check_name  # type: ignore[union-attr]
                 for entry in pipeline.instance.all_logs(
                     outcome.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)}
    # the roster is compared again with EMIS's counts, which were not re-delivered
    assert {"gx_suite", "emis_vs_roster", "enrolment_year_over_year"} <= evaluated
