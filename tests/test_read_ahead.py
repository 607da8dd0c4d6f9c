"""The read-ahead (assets/read_ahead.py): files read in worker processes give exactly what the ingest step
would have read itself; a file changed since it was planned, a dead worker or a pool switched off all end in
the step reading the file itself; closing stops the workers, and so does the death of the run's process."""

import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from assets.content_address import sha256_of
from assets.file_reading import FileOutcome, read_task
from assets.ingest_order import ingest_tasks
from assets.read_ahead import (
    SPILL_FOLDER,
    WORKER_NICENESS,
    OnDisk,
    ReadAhead,
    ReadTask,
    _read_to_disk,
    dump_result,
    load_result,
    read_order,
    spill_folder,
)
from pipelines.settings import REPO_ROOT

KEY = b"read-ahead test key, not a secret"
YEAR = 2567


@pytest.fixture(scope="module")
def landing(demo_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Satun's deliveries of one year, copied so that a test may change them."""
    copy = tmp_path_factory.mktemp("read_ahead") / "landing"
    shutil.copytree(demo_landing / "satun" / str(YEAR), copy / "satun" / str(YEAR))
    return copy


@pytest.fixture
def ahead() -> Iterator[ReadAhead]:
    reader = ReadAhead(workers=2)
    yield reader
    reader.close()


def _tasks(landing: Path, entities: tuple[str, ...] = ("schools", "students", "teachers")) -> list[ReadTask]:
    return [t for e in entities for t in ingest_tasks(landing, "satun", e, [YEAR])]


def _assert_same(got: FileOutcome, expected: FileOutcome) -> None:
    assert (got.path, got.year, got.agency, got.sha256, got.rows_read, got.blocking) == (
        expected.path, expected.year, expected.agency, expected.sha256, expected.rows_read, expected.blocking)
    assert got.adapted is not None and expected.adapted is not None
    pd.testing.assert_frame_equal(got.adapted.rows, expected.adapted.rows)
    pd.testing.assert_frame_equal(got.adapted.rejects, expected.adapted.rejects)


def test_planned_files_come_from_the_workers_as_the_step_would_read_them(
        ahead: ReadAhead, landing: Path, tmp_path: Path) -> None:
    tasks = _tasks(landing)
    assert len(tasks) == 3
    ahead.plan("run-1", tasks, read_task, tmp_path / "archive", KEY)
    for task in tasks:
        _assert_same(ahead.take(task, read_task, tmp_path / "archive", KEY),
                     read_task(task, tmp_path / "archive", KEY))
    assert ahead.taken_ahead == 3
    workers = list(ahead._executor._processes.values())  # type: ignore[union-attr]
    assert len(workers) == 2 and all(w.pid != os.getpid() for w in workers)
    # archived as received by the worker, content-addressed
    assert {p.name.split(".")[0] for p in (tmp_path / "archive").rglob("*.*")} == {
        sha256_of(t.path) for t in tasks}


def test_workers_run_nicer_than_the_run_process(ahead: ReadAhead) -> None:
    """The run's process validates and loads while the workers read: it keeps its CPU priority."""
    assert ahead.run_all(os.nice, [(0,), (0,)]) == [min(19, os.nice(0) + WORKER_NICENESS)] * 2


def test_a_file_changed_after_planning_is_read_again_by_the_step(
        ahead: ReadAhead, landing: Path, tmp_path: Path) -> None:
    planned = _tasks(landing, ("students",))[0]
    delivered_rows = read_task(planned, tmp_path, KEY).rows_read
    ahead.plan("run-2", [planned], read_task, tmp_path, KEY)
    lines = planned.path.read_bytes().splitlines(keepends=True)
    planned.path.write_bytes(b"".join(lines[:-1]))  # the province re-delivers, one record fewer
    try:
        current = ReadTask.of(planned.province, planned.entity, YEAR, planned.path, planned.agency)
        assert current != planned
        got = ahead.take(current, read_task, tmp_path, KEY)
        assert got.sha256 == sha256_of(planned.path)
        assert got.rows_read == delivered_rows - 1
        assert ahead.taken_ahead == 0
    finally:
        planned.path.write_bytes(b"".join(lines))


def test_a_dead_worker_means_the_step_reads_the_file_itself(
        ahead: ReadAhead, landing: Path, tmp_path: Path) -> None:
    tasks = _tasks(landing)
    ahead.plan("run-3", tasks, read_task, tmp_path, KEY)
    for worker in list(ahead._executor._processes.values()):  # type: ignore[union-attr]
        os.kill(worker.pid, signal.SIGKILL)
    for task in tasks:
        _assert_same(ahead.take(task, read_task, tmp_path, KEY), read_task(task, tmp_path, KEY))
    assert ahead.taken_ahead == 0


def test_a_new_plan_drops_what_the_last_run_left_and_no_workers_means_no_pool(
        landing: Path, tmp_path: Path) -> None:
    off = ReadAhead(workers=0)
    off.plan("run-4", _tasks(landing), read_task, tmp_path, KEY)
    task = _tasks(landing)[0]
    _assert_same(off.take(task, read_task, tmp_path, KEY), read_task(task, tmp_path, KEY))
    assert off._executor is None and off.taken_ahead == 0

    on = ReadAhead(workers=1, ahead=0)
    try:
        on.plan("run-5", _tasks(landing), read_task, tmp_path, KEY)
        on.plan("run-6", [], read_task, tmp_path, KEY)
        assert not on._futures and not on._queue
        assert on.planned_for("run-6") and not on.planned_for("run-5")
    finally:
        on.close()


def test_small_files_are_read_ahead_beyond_the_file_count_within_the_byte_budget(tmp_path: Path) -> None:
    sizes = [50, 10, 10, 10, 100, 10]
    tasks = [ReadTask("satun", "students", YEAR, tmp_path / f"file{i}", None, size, 0)
             for i, size in enumerate(sizes)]
    budgeted = ReadAhead(workers=1, ahead=0, budget_bytes=80)
    try:
        budgeted.plan("run-9", tasks, repr)
        assert [t.size for t in budgeted._futures] == [50, 10, 10, 10]  # 80 bytes: the 100 waits
        assert budgeted.take(tasks[0], repr) == repr(tasks[0])
        assert [t.size for t in budgeted._futures] == [10, 10, 10]  # 30 + 100 > 80 still
        for task in tasks[1:4]:
            budgeted.take(task, repr)
        assert [t.size for t in budgeted._futures] == [100]  # alone it may exceed the budget
        assert [budgeted.take(t, repr) for t in tasks[4:]] == [repr(t) for t in tasks[4:]]
        assert budgeted.taken_ahead == len(tasks)
    finally:
        budgeted.close()
    counted = ReadAhead(workers=1, ahead=0, budget_bytes=0)
    try:
        counted.plan("run-10", tasks, repr)
        assert [t.size for t in counted._futures] == [50]  # no budget: the file count alone
    finally:
        counted.close()


def test_small_files_take_no_place_in_the_file_count(tmp_path: Path) -> None:
    """Two small files (each at most 1/64 of the budget) before a large one leave the count to the large
    ones: the next large file starts beyond the budget, as it would without the small files."""
    def tasks_of(sizes: list[int]) -> list[ReadTask]:
        return [ReadTask("satun", "students", YEAR, tmp_path / f"file{i}", None, size, 0)
                for i, size in enumerate(sizes)]

    small = tasks_of([10, 10, 400, 300])
    ahead = ReadAhead(workers=1, ahead=1, budget_bytes=640)
    try:
        ahead.plan("run-12", small, repr)
        assert [t.size for t in ahead._futures] == [10, 10, 400, 300]  # one large file before the 300
    finally:
        ahead.close()
    larger = tasks_of([11, 11, 400, 300])  # 11 bytes: over 1/64 of 640, counted
    ahead = ReadAhead(workers=1, ahead=1, budget_bytes=640)
    try:
        ahead.plan("run-13", larger, repr)
        assert [t.size for t in ahead._futures] == [11, 11, 400]  # three before it, 722 bytes over 640
    finally:
        ahead.close()


def test_files_wanted_last_but_slow_to_read_start_early_alternately_with_the_others(tmp_path: Path) -> None:
    tasks = [ReadTask("satun", "students", YEAR, tmp_path / f"file{i}", None, 1, 0) for i in range(6)]
    a, b, c, d, e, f = tasks
    assert read_order(tasks, []) == tasks
    assert read_order(tasks, [e, f]) == [e, a, f, b, c, d]
    assert read_order(tasks, [b, c, d, e, f]) == [b, a, c, d, e, f]
    assert read_order(tasks, tasks) == tasks


def test_files_read_first_start_first_and_never_keep_the_next_file_from_starting(tmp_path: Path) -> None:
    """A slow file read first for the run's last step holds part of the budget until the end: the file the
    steps take next still starts, read by a worker rather than by the step itself."""
    sizes = [10, 10, 100, 10, 60]
    tasks = [ReadTask("satun", "students", YEAR, tmp_path / f"file{i}", None, size, 0)
             for i, size in enumerate(sizes)]
    slow = tasks[-1]
    ahead = ReadAhead(workers=1, ahead=0, budget_bytes=80)
    try:
        ahead.plan("run-11", tasks, repr, first=[slow])
        assert list(ahead._futures) == [slow, tasks[0], tasks[1]]  # 60 + 10 + 10: the 100 waits
        assert ahead.take(tasks[0], repr) == repr(tasks[0])
        assert list(ahead._futures) == [slow, tasks[1]]  # 70 + 100 > 80, and a file is taken before it
        ahead.take(tasks[1], repr)
        assert list(ahead._futures) == [slow, tasks[2]]  # next to be taken: starts over the budget
        assert [ahead.take(t, repr) for t in tasks[2:]] == [repr(t) for t in tasks[2:]]
        assert ahead.taken_ahead == len(tasks)
    finally:
        ahead.close()


def test_warm_up_starts_every_worker_with_the_reading_code_and_the_plan_uses_them(
        ahead: ReadAhead, landing: Path, tmp_path: Path) -> None:
    ahead.warm_up("assets.file_reading")
    workers = dict(ahead._executor._processes)  # type: ignore[union-attr]
    assert len(workers) == 2
    # eval: a builtin, so the question itself needs nothing imported in the worker
    question = "__import__('sys').modules.keys() & {'assets.file_reading', 'dagster'}"
    loaded = [ahead._pool().submit(eval, question) for _ in range(4)]
    assert all(f.result() == {"assets.file_reading"} for f in loaded)  # the reader, not Dagster
    tasks = _tasks(landing)
    ahead.plan("run-8", tasks, read_task, tmp_path, KEY)
    for task in tasks[:-1]:
        _assert_same(ahead.take(task, read_task, tmp_path, KEY), read_task(task, tmp_path, KEY))
    assert ahead.taken_ahead == 2 and dict(ahead._executor._processes) == workers  # type: ignore[union-attr]


def test_after_the_plans_last_file_the_workers_are_fresh_ones_with_the_reading_code(
        ahead: ReadAhead, landing: Path, tmp_path: Path) -> None:
    ahead.warm_up("assets.file_reading")
    tasks = _tasks(landing)
    ahead.plan("run-9", tasks, read_task, tmp_path, KEY)
    readers = [w.pid for w in ahead._executor._processes.values()]  # type: ignore[union-attr]
    ahead.take(tasks[0], read_task, tmp_path, KEY)
    assert ahead.renewed == 0  # files still planned
    for task in tasks[1:]:
        ahead.take(task, read_task, tmp_path, KEY)
    assert ahead.renewed == 1 and ahead.taken_ahead == 3
    ahead.take(ReadTask.of("satun", "students", YEAR, tasks[1].path, "other"), read_task, tmp_path, KEY)
    assert ahead.renewed == 1  # a file read here, not by the workers, leaves them as they are
    fresh = [w.pid for w in ahead._executor._processes.values()]  # type: ignore[union-attr]
    assert len(fresh) == 2 and not set(fresh) & set(readers)
    assert not any(_alive(pid) for pid in readers)
    question = "__import__('sys').modules.keys() & {'assets.file_reading'}"
    assert ahead.run_all(eval, [(question,)] * 4) == [{"assets.file_reading"}] * 4
    assert {pid for pid in ahead.run_all(os.getpid, [()] * 4)} <= set(fresh)


def test_close_stops_the_workers_without_waiting_for_untaken_reads(
        landing: Path, tmp_path: Path) -> None:
    reader = ReadAhead(workers=2)
    reader.plan("run-7", _tasks(landing), read_task, tmp_path, KEY)
    workers = list(reader._executor._processes.values())  # type: ignore[union-attr]
    reader.close()
    # by /proc, not Process.is_alive(): the pool's own thread may reap a worker first, and is_alive() then
    # cannot tell
    assert workers and not any(_alive(w.pid) for w in workers)
    assert reader._executor is None


CHILD = """
import sys, time
from pathlib import Path
from assets.read_ahead import ReadAhead, ReadTask
from pipelines.settings import REPO_ROOT
ahead = ReadAhead(workers=2)
task = ReadTask.of("satun", "students", 2567, Path(sys.argv[1]), None)
ahead.plan("run", [task], repr)
ahead.take(task, repr)
print(" ".join(str(pid) for pid in ahead._executor._processes), flush=True)
time.sleep(600)
"""


def test_workers_exit_when_the_run_process_is_killed(landing: Path) -> None:
    """SIGKILL or the OOM killer on the run's process must not leave its workers waiting for ever."""
    task = _tasks(landing, ("students",))[0]
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(task.path)], cwd=REPO_ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(pid) for pid in child.stdout.readline().split()]  # type: ignore[union-attr]
        assert workers and all(_alive(pid) for pid in workers)
    finally:
        child.kill()
        child.wait()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _process_and_square(number: int) -> tuple[int, int]:
    if number < 0:
        raise ValueError(f"negative: {number}")
    return os.getpid(), number * number


def _exit_unless_in(pid: int) -> str:
    """Kills the worker that runs it (as the OOM killer would); run in process `pid`, says so."""
    if os.getpid() != pid:
        os._exit(1)
    return "ran here"


@pytest.mark.parametrize("workers", [2, 0])
def test_submitted_work_runs_on_the_workers_in_order_and_errors_reach_the_caller(workers: int) -> None:
    pool = ReadAhead(workers=workers)
    try:
        results = pool.run_all(_process_and_square, [(n,) for n in range(6)])
        assert [square for _, square in results] == [0, 1, 4, 9, 16, 25]
        ran_in = {pid for pid, _ in results}
        assert (os.getpid() not in ran_in) if workers else (ran_in == {os.getpid()})
        with pytest.raises(ValueError, match="negative: -2"):
            pool.result(pool.submit(_process_and_square, -2), _process_and_square, -2)
    finally:
        pool.close()


def test_work_whose_worker_died_runs_in_the_calling_process() -> None:
    pool = ReadAhead(workers=1)
    try:
        future = pool.submit(_exit_unless_in, os.getpid())
        assert pool.result(future, _exit_unless_in, os.getpid()) == "ran here"
        assert pool.run_all(_process_and_square, [(3,)])[0][1] == 9  # a new pool next time
    finally:
        pool.close()


def test_a_plan_made_before_the_run_keeps_its_reads_when_the_run_plans_the_same_files(
        ahead: ReadAhead, landing: Path, tmp_path: Path) -> None:
    tasks = _tasks(landing)
    ahead.plan(None, tasks, read_task, tmp_path / "archive", KEY)  # `edusandbox run`, before the run exists
    assert not ahead.planned_for(None)  # type: ignore[arg-type]
    early = dict(ahead._futures)
    assert set(early) == set(tasks)
    ahead.plan("run-7", tasks, read_task, tmp_path / "archive", KEY)  # the run's first ingest step
    assert all(ahead._futures[task] is future for task, future in early.items())
    for task in tasks:
        _assert_same(ahead.take(task, read_task, tmp_path / "archive", KEY),
                     read_task(task, tmp_path / "archive", KEY))
    assert ahead.taken_ahead == len(tasks)


def test_a_plan_with_other_reading_arguments_or_files_drops_the_earlier_reads(
        ahead: ReadAhead, landing: Path, tmp_path: Path) -> None:
    tasks = _tasks(landing)
    ahead.plan(None, tasks, read_task, tmp_path / "archive", KEY)
    early = dict(ahead._futures)
    ahead.plan("run-8", tasks, read_task, tmp_path / "other-archive", KEY)
    assert not any(ahead._futures.get(task) is future for task, future in early.items())
    again = dict(ahead._futures)
    ahead.plan("run-9", tasks[1:], read_task, tmp_path / "other-archive", KEY)
    assert tasks[0] not in ahead._futures and tasks[0] not in ahead._queue
    assert all(ahead._futures[task] is again[task] for task in tasks[1:])


def _spilled(home: Path) -> list[Path]:
    return sorted((home / SPILL_FOLDER).glob("pid*-*/*.pickle"))


def _read_onto_disk(ahead: ReadAhead, landing: Path, tmp_path: Path,
                    run_id: str) -> tuple[list[ReadTask], Path]:
    """Satun's three files planned with results written under `<tmp_path>/home`, and read: (tasks, home)."""
    tasks = _tasks(landing)
    home = tmp_path / "home"
    ahead.plan(run_id, tasks, read_task, tmp_path / "archive", KEY, spill_to=home)
    for future in list(ahead._futures.values()):
        future.result(timeout=120)
    return tasks, home


def test_results_wait_on_disk_not_in_the_run_process_until_a_step_takes_them(
        ahead: ReadAhead, landing: Path, tmp_path: Path) -> None:
    """What the workers read for later steps must not sit in the run's memory beside the step loading."""
    tasks, home = _read_onto_disk(ahead, landing, tmp_path, "run-12")
    assert all(isinstance(f.result(), OnDisk) for f in ahead._futures.values())  # in this process: a path
    assert len(_spilled(home)) == len(tasks)
    for count, task in enumerate(tasks, start=1):
        _assert_same(ahead.take(task, read_task, tmp_path / "archive", KEY),
                     read_task(task, tmp_path / "archive", KEY))
        assert len(_spilled(home)) == len(tasks) - count  # each file deleted once loaded
    assert ahead.taken_ahead == len(tasks)
    folder = ahead._spill_folder
    assert folder is not None and folder.parent == home / SPILL_FOLDER and folder.name.startswith(
        f"pid{os.getpid()}-")
    ahead.close()
    assert not folder.exists()


def test_a_result_file_removed_or_cut_short_means_the_step_reads_the_file_itself(
        ahead: ReadAhead, landing: Path, tmp_path: Path) -> None:
    tasks, home = _read_onto_disk(ahead, landing, tmp_path, "run-16")
    removed, cut = (ahead._futures[task].result().path for task in tasks[:2])
    removed.unlink()
    cut.write_bytes(cut.read_bytes()[:100])
    for task in tasks:
        _assert_same(ahead.take(task, read_task, tmp_path / "archive", KEY),
                     read_task(task, tmp_path / "archive", KEY))
    assert ahead.taken_ahead == 1 and _spilled(home) == []


def test_reads_no_step_will_take_leave_no_file_on_disk(
        ahead: ReadAhead, landing: Path, tmp_path: Path) -> None:
    tasks, home = _read_onto_disk(ahead, landing, tmp_path, "run-13")
    assert len(_spilled(home)) == len(tasks)
    ahead.plan("run-14", tasks[:1], read_task, tmp_path / "archive", KEY, spill_to=home)  # two dropped
    assert len(_spilled(home)) == 1
    ahead.plan("run-15", [], read_task, tmp_path / "archive", KEY, spill_to=home)
    assert _spilled(home) == []


def test_a_result_that_cannot_be_written_comes_through_the_pipe(tmp_path: Path) -> None:
    assert _read_to_disk(tmp_path / "removed", _process_and_square, 7) == (os.getpid(), 49)
    written = _read_to_disk(tmp_path, _process_and_square, 7)
    assert isinstance(written, OnDisk) and written.load() == (os.getpid(), 49) and not written.path.exists()


def test_the_folders_of_processes_no_longer_running_are_removed(tmp_path: Path) -> None:
    """A run killed outright (SIGKILL, out of memory) cannot remove its own results; the next one does."""
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    root = tmp_path / SPILL_FOLDER
    dead = root / f"pid{finished.stdout.strip()}-abc"
    living = root / f"pid{os.getppid()}-def"
    for folder in (dead, living):
        folder.mkdir(parents=True)
        (folder / "result.pickle").write_bytes(b"x" * 10)
    mine = spill_folder(tmp_path)
    assert not dead.exists() and (living / "result.pickle").exists()
    assert mine.parent == root and mine.exists() and mine != living


def test_results_on_disk_come_back_equal_with_every_kind_of_column(tmp_path: Path) -> None:
    """Frames are written a column per pickle (`dump_result`): what comes back equals what went, dtypes,
    index, column names (repeated ones too), attrs and a frame held twice (once, as pickle keeps it)."""
    rows = pd.DataFrame({
        "text": pd.array(["ก", None, ""], dtype="string"),
        "count": pd.array([1, None, 3], dtype="Int64"),
        "score": pd.array([0.5, None, -0.0], dtype="Float64"),
        "ratio": [float("nan"), 1.5, -0.0],
        "flag": pd.array([True, None, False], dtype="boolean"),
        "day": pd.to_datetime(["2024-05-16", None, "2567-01-01"], errors="coerce"),
        "mixed": pd.Series([1, "1", None], dtype=object),
    }, index=pd.Index([10, 20, 30], name="source_row"))
    rows.attrs["note"] = "kept"
    repeated = pd.DataFrame([[1, 2]], columns=["a", "a"])
    result = {"rows": rows, "again": rows, "repeated": repeated, "empty": pd.DataFrame(), "other": (1, "x")}
    with (tmp_path / "r.pickle").open("wb") as file:
        dump_result(result, file)
    with (tmp_path / "r.pickle").open("rb") as file:
        loaded = load_result(file)
    pd.testing.assert_frame_equal(loaded["rows"], rows, check_exact=True)
    assert loaded["rows"].attrs == {"note": "kept"} and loaded["again"] is loaded["rows"]
    pd.testing.assert_frame_equal(loaded["repeated"], repeated)
    assert loaded["empty"].empty and loaded["other"] == (1, "x")


def test_a_frame_on_disk_is_unpickled_a_column_at_a_time(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Each column is its own pickle: unpickling keeps what it read until its end, and a column of text is
    pickled as a list of its values, so one pickle of the whole frame held a list per column at once."""
    frame = pd.DataFrame({f"c{i}": pd.array([f"v{i}"] * 5, dtype="string") for i in range(4)})
    with (tmp_path / "r.pickle").open("wb") as file:
        dump_result({"rows": frame}, file)
    loads: list[object] = []
    real = pickle.load
    monkeypatch.setattr(pickle, "load", lambda f: loads.append(real(f)) or loads[-1])
    with (tmp_path / "r.pickle").open("rb") as file:
        loaded = load_result(file)
    columns = [x for x in loads if isinstance(x, pd.api.extensions.ExtensionArray)]
    assert len(columns) == 4 and all(len(c) == 5 for c in columns)
    pd.testing.assert_frame_equal(loaded["rows"], frame)
