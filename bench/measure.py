"""Measuring a child process: wall time, CPU time (user + system, the child and every descendant it
waited for), peak memory; and a description of the machine the figures come from.

Peak memory is measured two ways. `max_rss_mib` is the kernel's ru_maxrss from wait4: the largest resident
set of any single process of the tree. `peak_tree_rss_mib` samples /proc every SAMPLE_SECONDS and sums the
resident sets of the child and all its descendants at each sample (the pipeline runs dbt as a second
process next to Dagster's), so it can miss a peak shorter than the sampling interval.
"""

from __future__ import annotations

import os
import platform
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

SAMPLE_SECONDS = 0.1
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
MIB = 2**20


@dataclass
class Measured:
    label: str
    command: list[str]
    returncode: int
    wall_seconds: float
    cpu_user_seconds: float
    cpu_system_seconds: float
    max_rss_mib: float
    peak_tree_rss_mib: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    log: str
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def cpu_seconds(self) -> float:
        return self.cpu_user_seconds + self.cpu_system_seconds

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "cpu_seconds": self.cpu_seconds}


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:  # the process ended between listing and reading
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    return children


def tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and all its descendants right now."""
    children = _children_by_parent()
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, []))
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
        except OSError:
            continue
    return total


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, tree_rss_bytes(self.pid))


def measure(label: str, command: list[str], env: Mapping[str, str], log: Path, cwd: Path) -> Measured:
    """Run `command` to its end (output to `log`) and measure it."""
    load_before = os.getloadavg()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        sampler = _TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        label=label, command=command, returncode=process.returncode, wall_seconds=wall,
        cpu_user_seconds=usage.ru_utime, cpu_system_seconds=usage.ru_stime,
        max_rss_mib=usage.ru_maxrss * 1024 / MIB, peak_tree_rss_mib=sampler.peak / MIB,
        load_before=load_before, load_after=os.getloadavg(), log=str(log))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return 0.0


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, object]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {p: _version(p) for p in ("duckdb", "pandas", "dagster", "dagster-dbt", "dbt-core",
                                                "dbt-duckdb", "great-expectations")},
        "load_average_at_start": os.getloadavg(),
    }
