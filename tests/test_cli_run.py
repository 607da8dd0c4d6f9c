"""`edusandbox run --demo-if-empty`, what `make run` runs on a new machine: with an empty landing zone the
demo deliveries are generated (in a worker process, while Dagster and GX are imported) and complete before
the run starts; with deliveries present nothing is generated. Either way the deliveries the run will ingest
are handed to the read-ahead workers before the run starts, in the order its steps will ask for them."""

from collections.abc import Iterator
from pathlib import Path

import pytest

import pipelines.run
from assets.contract.entities import NATIONAL, PROVINCES
from assets.file_reading import read_task
from assets.ingest_order import delivered_years, read_first, run_tasks, steps_of
from assets.read_ahead import read_ahead, read_order
from pipelines.cli import main
from pipelines.demo_data import generate_landing
from pipelines.run import RunOutcome


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[dict[str, object]]]:
    """Stands in for the pipeline run: records the landing zone as the run would have found it."""
    seen: list[dict[str, object]] = []

    def run_pipeline(settings, provinces, echo=print, years=None, instance=None, plan=None,  # noqa: ANN001
                     all_files=False) -> RunOutcome:  # noqa: ANN001
        files = sorted(p.relative_to(settings.landing).as_posix()
                       for p in settings.landing.rglob("*") if p.is_file())
        planned = [*read_ahead()._futures, *read_ahead()._queue]
        seen.append({"landing": settings.landing, "provinces": provinces, "files": files, "planned": planned,
                     "plan": plan, "all_files": all_files})
        return RunOutcome(True, "ok", index_path=settings.publish_dir / "index.html")

    monkeypatch.setattr(pipelines.run, "run_pipeline", run_pipeline)
    monkeypatch.setenv("EDUSANDBOX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    yield seen
    read_ahead().plan(None, [], read_task)  # no run takes these files: the workers need not read them


def test_an_empty_landing_zone_gets_the_whole_demo_before_the_run_starts(
        runs: list[dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    landing = tmp_path / "landing"
    assert main(["run", "--demo-if-empty", "--landing", str(landing)]) == 0
    expected = generate_landing(tmp_path / "expected")
    assert [run["landing"] for run in runs] == [landing]
    assert runs[0]["files"] == sorted(p.relative_to(expected.out).as_posix() for p in expected.files_written)
    assert set(PROVINCES) <= {name.split("/")[0] for name in runs[0]["files"]}  # type: ignore[union-attr]
    out = capsys.readouterr().out
    assert f"[demo] {len(expected.files_written)} files generated" in out
    folders = [*PROVINCES, NATIONAL]
    tasks = run_tasks(landing, steps_of(folders), delivered_years(landing, folders))
    slow = read_first(tasks)
    assert slow and {(t.province, t.path.suffix) for t in slow} == {("mae_hong_son", ".xlsx")}
    assert runs[0]["planned"] == read_order(tasks, slow)  # the workbooks early, alternately with the rest
    assert len(runs[0]["planned"]) == len(expected.files_written)  # type: ignore[arg-type]


def test_a_run_of_one_province_reads_ahead_the_deliveries_it_will_ingest(
        runs: list[dict[str, object]], demo_landing: Path) -> None:
    """Nothing loaded yet (a new warehouse): every Satun file and the national ones are new. Which files a run
    of some provinces takes once loaded: tests/unit/test_changed_deliveries.py."""
    assert main(["run", "--landing", str(demo_landing), "--province", "satun", "--years", "2567"]) == 0
    planned, plan = runs[0]["planned"], runs[0]["plan"]
    assert plan.steps == steps_of(["satun", NATIONAL]) and plan.unchanged == []  # type: ignore[union-attr]
    assert planned == run_tasks(demo_landing, plan.steps, [2567])  # type: ignore[union-attr]
    assert {(t.province, t.year) for t in planned} == {  # type: ignore[union-attr]
        ("satun", 2567), (NATIONAL, 2567)}
    assert runs[0]["all_files"] is False
    assert main(["run", "--landing", str(demo_landing), "--province", "satun", "--all-files"]) == 0
    assert runs[1]["all_files"] is True


def test_a_landing_zone_with_deliveries_is_left_as_it_is(
        runs: list[dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    landing = tmp_path / "landing"
    (landing / "satun" / "2567").mkdir(parents=True)
    delivered = landing / "satun" / "2567" / "students.csv"
    delivered.write_text("already here\n", encoding="utf-8")
    assert main(["run", "--demo-if-empty", "--landing", str(landing)]) == 0
    assert runs[0]["files"] == ["satun/2567/students.csv"]
    assert delivered.read_text(encoding="utf-8") == "already here\n"
    assert "[demo]" not in capsys.readouterr().out
