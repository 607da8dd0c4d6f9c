"""Delivered files read in worker processes ahead of the ingest steps that load them.

A run executes its steps one at a time in one process (the in-process executor; DuckDB takes one writer), and
an adapter is Python over a whole file on one core: at national scale reading was two thirds of the run while
the second core idled. The first ingest step of a run therefore hands every file the run will ingest to a
small process pool, in the order the steps will ask for them (except that the files of the steps that read
slowly, which run last, start early: assets/ingest_order.py); each step then takes its files' results
(archived and adapted, exactly what it would have read itself) and validates and loads them in the run's
process, in order, as before. Workers never open the warehouse.

A command that knows a run is coming (`edusandbox run`) starts the workers first (`warm_up`) and plans the
files its run will ingest before the run exists (assets/ingest_order.py): the workers read while the run's
process imports Dagster and GX, and the first step's plan keeps what they read.

A worker writes each file's result to disk (a pickle under the run's home, `read_ahead/`) and the step that
takes it loads it from there: handed over through the pool's pipe, every result was unpickled in the run's
process as soon as it arrived, so the results read for later steps sat in that process's memory beside the
step it was validating and loading (at 9 M students the run's process peaked at 4.6-4.7 GB in the NT/O-NET
step, 2.7-2.8 GB so; the ingest's process tree at 5.2-5.3 GB, 4.2 GB so). A result that cannot be written
goes through the pipe as before; a process killed mid-run leaves its folder behind, removed by the next one
that plans.

Memory stays bounded: a file starts while fewer than `workers + ahead` files that the steps take before it
are read and not yet taken (small files aside), or else while the files read and not taken add up to no more
than a budget of delivered bytes (EDUSANDBOX_READ_AHEAD_MIB, 512 MiB by default; 0 = the file count alone).
Without it a worker stood idle while the run waited on one large file (a national-scale Mae Hong Son workbook
takes 80 s to read). At 9 M students: 369 s with the file count alone,
349 s with 256 MiB, 331 s with 512 MiB, peak memory 9.5, 9.6 and 9.6 GB; six files ahead instead took 322 s
but 12.7 GB (bench/README.md).

Once a plan's last file is taken, the workers are replaced by fresh ones (`_renew_workers`): a worker keeps
the memory its largest read took, and the run's later work (dbt's build, the pages) has no use for it.

A file that changed since it was planned (size or modification time), or that was not planned, is read by the
step itself, as is everything when the pool is off (EDUSANDBOX_READ_WORKERS=0, or a one-core machine) or a
worker died.

The same warm workers take other CPU-bound work of the run that can overlap with the run's process (`submit`):
generating the demo deliveries while Dagster and GX are imported, writing the provinces' pages and exports
side by side.
"""

from __future__ import annotations

import atexit
import importlib
import io
import multiprocessing
import os
import pickle
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

T = TypeVar("T")

WORKERS_ENV = "EDUSANDBOX_READ_WORKERS"
BUDGET_ENV = "EDUSANDBOX_READ_AHEAD_MIB"
DEFAULT_BUDGET_MIB = 512
SMALL_FILE_SHARE = 64
"""A file of at most this share of the byte budget (8 MiB of the default 512 MiB) takes no place in the file
count: it is read in a fraction of a second and holds a few MiB. Counted, the small files of the steps between
two large ones (DOPA population, EMIS counts) kept a worker idle for 20 s at 9 M students, while the other
read EEF's screening and Yala's literacy file waited for the count to fall."""
WORKER_NICENESS = 10
"""Workers run this much nicer than the run's process: that process validates and loads one step at a time
and is the run's critical path whenever it has work, so it gets a core of its own and the workers share what
is left, instead of three processes splitting two cores evenly."""


@dataclass(frozen=True)
class ReadTask:
    """One delivered file of one ingest step, as found when planned."""

    province: str
    entity: str
    year: int
    path: Path
    agency: str | None
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, province: str, entity: str, year: int, path: Path, agency: str | None) -> ReadTask:
        stat = path.stat()
        return cls(province, entity, year, path, agency, stat.st_size, stat.st_mtime_ns)


def default_workers() -> int:
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured:
        return max(0, int(configured))
    return 2 if (os.cpu_count() or 1) > 1 else 0


def default_budget_bytes() -> int:
    configured = os.environ.get(BUDGET_ENV, "").strip()
    return max(0, int(configured) if configured else DEFAULT_BUDGET_MIB) * 2**20


class ReadAhead:
    """The process's read-ahead: planned once per run, then asked for one file at a time."""

    def __init__(self, workers: int | None = None, ahead: int = 1, budget_bytes: int | None = None) -> None:
        self.workers = default_workers() if workers is None else workers
        self.ahead = ahead
        self.budget_bytes = default_budget_bytes() if budget_bytes is None else budget_bytes
        self._executor: ProcessPoolExecutor | None = None
        self._run_id: str | None = None
        self._queue: list[ReadTask] = []
        self._futures: dict[ReadTask, Future[Any]] = {}
        self._taken_at: dict[ReadTask, int] = {}
        """Each planned file's position in the order the steps take them."""
        self._reader: Callable[..., Any] | None = None
        self._args: tuple[Any, ...] = ()
        self._preload: tuple[str, ...] = ()
        self._spill_folder: Path | None = None
        """Where the workers write this process's results (`spill_folder`): made at the first plan given a
        home."""
        self.taken_ahead = 0
        """Files whose read-ahead result a step took (for the run log and the tests)."""
        self.renewed = 0
        """Times the workers were replaced by fresh ones after a plan's last file (`_renew_workers`)."""

    def warm_up(self, *modules: str) -> None:
        """Starts every worker now, each importing `modules` (the reader's), instead of at the first plan."""
        if not self.workers or self._executor is not None:
            return
        self._preload = modules
        try:
            for _ in range(self.workers):  # the pool starts a worker per submitted task while none is idle
                self._pool().submit(_ready)
        except (BrokenProcessPool, OSError):  # an optimisation: the first plan tries again, or steps read
            self._executor = None

    def plan(self, run_id: str | None, tasks: list[ReadTask], reader: Callable[..., Any], *args: Any,
             first: Collection[ReadTask] = (), spill_to: Path | None = None) -> None:
        """Starts reading `tasks` with `reader(task, *args)`, a module-level function. `tasks` are in the
        order the steps will take them; the reads start in that order too, except for those in `first`
        (files slow to read whose steps run last: see assets/ingest_order.py), which start early (read_order).

        Of the previous plan's files, those read or being read with the same reader and arguments are kept
        when this plan wants them too (`edusandbox run` plans before the run exists, run_id None, and the
        run's first ingest step plans again); the rest of it is dropped.

        With `spill_to` (the run's home), results wait on disk under it until taken (module docstring)."""
        same_reading = (reader, args) == (self._reader, self._args)
        wanted = set(tasks)
        kept = {t: f for t, f in self._futures.items() if same_reading and t in wanted}
        for task, future in self._futures.items():
            if task not in kept:
                _drop(future)
        self._futures = kept
        if spill_to is not None and self._spill_folder is None and self.workers:
            self._spill_folder = spill_folder(spill_to)
        self._run_id, self._reader, self._args = run_id, reader, args
        self._taken_at = {task: position for position, task in enumerate(tasks)}
        self._queue = [t for t in read_order(tasks, first) if t not in kept] if self.workers else []
        self._fill()

    def take(self, task: ReadTask, reader: Callable[..., Any], *args: Any) -> Any:
        """The result for `task`: read ahead if it was planned unchanged, else read here and now."""
        future = self._futures.pop(task, None)
        if task in self._queue:
            self._queue.remove(task)
        try:
            if future is not None:
                result = future.result()
                if isinstance(result, OnDisk):
                    result = result.load()
                self.taken_ahead += 1
                return result
        except BrokenProcessPool:  # a worker died (killed, out of memory): read here; a new pool next time
            self._executor = None
        except (OSError, EOFError, pickle.UnpicklingError):  # its file removed or cut short: read here
            pass
        finally:
            self._fill()
            if future is not None and not self._futures and not self._queue:
                self._renew_workers()
        return reader(task, *args)

    def _renew_workers(self) -> None:
        """Replaces the workers with fresh ones once the plan's last file is taken. A worker keeps the memory
        its largest read took (CPython's heap rarely shrinks): 205-255 MB each through dbt's build at 9 M
        students, where a fresh one holds about 75 MB and still writes the pages side by side."""
        if self._executor is None:
            return
        self._stop_workers()
        self.warm_up(*self._preload)
        self.renewed += 1

    def submit(self, function: Callable[..., T], *args: Any) -> Future[T]:
        """Runs `function(*args)` (a module-level function) in a worker, or here and now when the pool is off
        or broken: the returned future is then already done, with the result or the exception."""
        if self.workers:
            try:
                return self._pool().submit(function, *args)
            except (BrokenProcessPool, OSError):
                self._executor = None
        done: Future[T] = Future()
        try:
            done.set_result(function(*args))
        except Exception as error:  # noqa: BLE001 - handed over whole: future.result() raises it
            done.set_exception(error)
        return done

    def result(self, future: Future[T], function: Callable[..., T], *args: Any) -> T:
        """The result of `future`, from `submit(function, *args)`; if its worker died (killed, out of memory),
        `function(*args)` runs here instead."""
        try:
            return future.result()
        except BrokenProcessPool:
            self._executor = None
            return function(*args)

    def run_all(self, function: Callable[..., T], calls: list[tuple[Any, ...]]) -> list[T]:
        """`function(*args)` for every `args` in `calls`, spread over the workers; results in order."""
        futures = [self.submit(function, *args) for args in calls]
        return [self.result(future, function, *args) for future, args in zip(futures, calls, strict=True)]

    def started(self) -> bool:
        """Whether the workers are running (warmed up or planned), so that `submit` costs no start-up."""
        return self._executor is not None

    def planned_for(self, run_id: str) -> bool:
        return run_id is not None and run_id == self._run_id

    def _fill(self) -> None:
        while self._queue and self._room_for(self._queue[0]):
            task = self._queue.pop(0)
            call = (self._reader, task, *self._args) if self._spill_folder is None else (
                _read_to_disk, self._spill_folder, self._reader, task, *self._args)
            try:
                self._futures[task] = self._pool().submit(*call)  # type: ignore[arg-type]
            except BrokenProcessPool:
                self._executor = None
                self._queue.insert(0, task)
                return

    def _room_for(self, task: ReadTask) -> bool:
        """Whether `task` may start: within the file count, or within the byte budget. The count is of the
        files read or being read that the steps take before `task`, small ones aside (SMALL_FILE_SHARE): the
        next file a step will take always starts, however much a file read early for a later step holds of
        the budget."""
        taken_at = self._taken_at.get(task, 0)
        before = sum(1 for t in self._futures
                     if self._taken_at.get(t, 0) < taken_at and t.size * SMALL_FILE_SHARE > self.budget_bytes)
        if before < self.workers + self.ahead:
            return True
        return sum(t.size for t in self._futures) + task.size <= self.budget_bytes

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn, not fork: the run's process has Dagster's and DuckDB's threads, which a fork would copy
            # mid-state
            spawn = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(self.workers, mp_context=spawn, initializer=_start_worker,
                                                 initargs=(os.getpid(), self._preload))
        return self._executor

    def _drop_pending(self) -> None:
        for future in self._futures.values():
            _drop(future)
        self._futures.clear()
        self._queue.clear()

    def close(self) -> None:
        """Stops the workers without waiting for reads nobody will take (a run that failed part-way)."""
        self._drop_pending()
        self._stop_workers()
        if self._spill_folder is not None:
            shutil.rmtree(self._spill_folder, ignore_errors=True)
            self._spill_folder = None

    def _stop_workers(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        processes = list(getattr(executor, "_processes", {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=10)


def read_order(tasks: list[ReadTask], first: Collection[ReadTask]) -> list[ReadTask]:
    """`tasks` (in the order the steps take them) in the order to start reading them: those in `first`
    alternately with the others, one of each, so that a worker reads the files wanted early by the steps
    while the other works through the files wanted last but slow to read."""
    early = set(first)
    slow = [t for t in tasks if t in early]
    rest = [t for t in tasks if t not in early]
    alternated = [t for pair in zip(slow, rest, strict=False) for t in pair]
    shorter = min(len(slow), len(rest))
    return alternated + slow[shorter:] + rest[shorter:]


SPILL_FOLDER = "read_ahead"


@dataclass(frozen=True)
class OnDisk:
    """A worker's result, pickled to a file: `load` reads it into the taking process and deletes the file."""

    path: Path

    def load(self) -> Any:
        try:
            with self.path.open("rb") as file:
                return load_result(file)
        finally:
            self.path.unlink(missing_ok=True)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class _FramesApart(pickle.Pickler):
    """Pickles an object with each DataFrame in it replaced by its position in `frames`."""

    def __init__(self, file: BinaryIO, frame_type: type) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.frame_type = frame_type
        self.frames: list[Any] = []
        self._positions: dict[int, int] = {}

    def persistent_id(self, obj: Any) -> int | None:
        if not isinstance(obj, self.frame_type):
            return None
        if id(obj) not in self._positions:  # a frame held twice is written once, as pickle would
            self._positions[id(obj)] = len(self.frames)
            self.frames.append(obj)
        return self._positions[id(obj)]


def dump_result(result: Any, file: BinaryIO) -> None:
    """`result` pickled with each DataFrame in it written a column per pickle, ahead of the rest. Unpickling
    keeps everything it has read until its end, and pickle writes a column of text as a list of its values,
    so a frame unpickled whole held a list of pointers per column beside the columns themselves: the 6.6 M
    NT/O-NET rows (800 MB) peaked 465 MB higher while they were loaded, in the run's process."""
    import pandas as pd

    body = io.BytesIO()
    pickler = _FramesApart(body, pd.DataFrame)
    pickler.dump(result)
    pickle.dump(len(pickler.frames), file, protocol=pickle.HIGHEST_PROTOCOL)
    for frame in pickler.frames:
        pickle.dump((frame.index, frame.columns, frame.attrs), file, protocol=pickle.HIGHEST_PROTOCOL)
        for position in range(frame.shape[1]):
            pickle.dump(frame.iloc[:, position].array, file, protocol=pickle.HIGHEST_PROTOCOL)
    file.write(body.getbuffer())


def load_result(file: BinaryIO) -> Any:
    """What `dump_result` wrote, each frame's columns unpickled one at a time."""
    import pandas as pd

    frames = []
    for _ in range(pickle.load(file)):
        index, columns, attrs = pickle.load(file)
        arrays = {position: pickle.load(file) for position in range(len(columns))}
        frame = pd.DataFrame(arrays, index=index, copy=False)
        frame.columns = columns
        frame.attrs = attrs
        frames.append(frame)
        del arrays
    unpickler = pickle.Unpickler(file)
    unpickler.persistent_load = frames.__getitem__  # type: ignore[method-assign]
    return unpickler.load()


def _read_to_disk(folder: Path, reader: Callable[..., T], *args: Any) -> T | OnDisk:
    """In a worker: `reader(*args)` written to a file in `folder`; the result itself if it cannot be written
    (a full disk, a folder removed), so that it still reaches the step, through the pipe."""
    result = reader(*args)
    path: Path | None = None
    try:
        descriptor, name = tempfile.mkstemp(suffix=".pickle", dir=folder)
        path = Path(name)
        with os.fdopen(descriptor, "wb") as file:
            dump_result(result, file)
    except OSError:
        if path is not None:
            path.unlink(missing_ok=True)
        return result
    return OnDisk(path)


def _drop(future: Future[Any]) -> None:
    """Cancels a read nobody will take; one already done (or running, when done) leaves no file behind."""
    if not future.cancel():
        future.add_done_callback(_discard_result)


def _discard_result(future: Future[Any]) -> None:
    if future.cancelled() or future.exception() is not None:
        return
    if isinstance(result := future.result(), OnDisk):
        result.discard()


def spill_folder(home: Path) -> Path:
    """This process's own folder under `<home>/read_ahead/`, after removing those of processes no longer
    running (a run killed outright cannot remove its own)."""
    root = home / SPILL_FOLDER
    root.mkdir(parents=True, exist_ok=True)
    for folder in root.glob("pid*-*"):
        owner = folder.name.removeprefix("pid").split("-", 1)[0]
        if not (owner.isdigit() and _running(int(owner))):
            shutil.rmtree(folder, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"pid{os.getpid()}-", dir=root))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


def _start_worker(parent: int, modules: tuple[str, ...]) -> None:
    _exit_with_parent(parent)
    os.nice(WORKER_NICENESS)
    for module in modules:
        importlib.import_module(module)


def _ready() -> None:
    """A worker's first task after `warm_up`: nothing beyond having started."""


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    """In each worker: exit when the run's process is gone. A worker holds both ends of the pool's pipes, so
    it would not notice a parent killed outright (SIGKILL, out of memory) and would wait for ever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


_READ_AHEAD: ReadAhead | None = None


def read_ahead() -> ReadAhead:
    """The process's one read-ahead, closed at exit."""
    global _READ_AHEAD
    if _READ_AHEAD is None:
        _READ_AHEAD = ReadAhead()
        # Before concurrent.futures' own exit hook (these run in reverse order of registration), which would
        # wait for every submitted read, needed or not.
        register = getattr(threading, "_register_atexit", atexit.register)
        register(_READ_AHEAD.close)
    return _READ_AHEAD
