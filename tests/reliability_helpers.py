"""Shared by the reliability tests (test_faults, test_privacy, test_idempotency): `edusandbox run` as a real
subprocess in a home of its own, and comparisons of what two runs left behind (marts, published files, raw).

The undisturbed reference run on the demo landing is made once per test session (`reference_run`) and read by
every module; tests that need to change it work on a clone (`clone_home`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.failpoints import FAILPOINT_ENV
from pipelines.resources.warehouse import Warehouse
from pipelines.settings import REPO_ROOT, prepare_dagster_home

EDUSANDBOX = Path(sys.executable).with_name("edusandbox")
RUN_TIMEOUT_SECONDS = 1200
KILLED = -signal.SIGKILL
RAW_KEY = ("province", "academic_year", "source_sha256", "agency", "source_row")
"""One delivered record (a sheet row or a file line of one delivery) lands in a raw table at most once."""
RAW_KEYS = {"deliveries": ("province", "academic_year", "entity", "source_sha256", "agency"),
            "quarantine": ("province", "academic_year", "entity", *RAW_KEY[2:])}
VOLATILE_DELIVERY_COLUMNS = ("ingested_at", "archived_path")
"""raw.deliveries columns that say when and where a run archived a file: different in every home."""


@dataclass
class CliRun:
    returncode: int
    output: str
    seconds: float


@dataclass
class Home:
    """An EDUSANDBOX_HOME with its own warehouse, publish folder, archive and Dagster instance."""

    root: Path
    landing: Path
    warehouse_url: str = ""
    """Given to the CLI: no password in it (a command line is visible to every user of the machine)."""
    extra_env: dict[str, str] = field(default_factory=dict)
    reader_url: str = ""
    """The URL the tests read the warehouse with (PostgreSQL: password included), if not the CLI's."""
    runs: list[CliRun] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.warehouse_url = self.warehouse_url or f"duckdb:///{self.root / 'warehouse.duckdb'}"

    @property
    def publish(self) -> Path:
        return self.root / "publish"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse.from_url(self.reader_url or self.warehouse_url)

    def env(self, failpoint: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != FAILPOINT_ENV}
        env.update({"EDUSANDBOX_HOME": str(self.root), "EDUSANDBOX_ARCHIVE": str(self.root / "archive"),
                    "DAGSTER_HOME": str(prepare_dagster_home(self.dagster_home)), **self.extra_env})
        env.pop("EDUSANDBOX_BOUNDARIES", None)  # the same site in every home, maps or not
        if failpoint:
            env[FAILPOINT_ENV] = failpoint
        return env

    def run(self, *args: str, failpoint: str | None = None) -> CliRun:
        """`edusandbox run` on this home, in a session of its own (a failpoint may kill the whole group)."""
        command = [str(EDUSANDBOX), "run", "--landing", str(self.landing), "--warehouse", self.warehouse_url,
                   "--publish-dir", str(self.publish), *args]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=self.env(failpoint), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            output, _ = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
        finally:
            _kill_group(process.pid)  # a child that outlived a killed run (or a hung run) must not linger
        done = CliRun(process.returncode, output, time.perf_counter() - started)
        self.runs.append(done)
        return done


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def describe(run: CliRun) -> str:
    return f"exit {run.returncode} after {run.seconds:.0f} s; output tail:\n{run.output[-4000:]}"


def clone_home(source: Home, root: Path, landing: Path | None = None) -> Home:
    """A copy of a finished home's warehouse (DuckDB) and publication (link and version store), with a fresh
    Dagster instance and archive: the state an office has after `source`'s runs."""
    root.mkdir(parents=True)
    shutil.copy2(Path(source.warehouse_url.removeprefix("duckdb:///")), root / "warehouse.duckdb")
    for name in ("publish", ".publish.versions"):
        if (source.root / name).is_symlink():
            os.symlink(os.readlink(source.root / name), root / name)
        elif (source.root / name).is_dir():
            shutil.copytree(source.root / name, root / name, symlinks=True)
    return Home(root, landing or source.landing, extra_env=dict(source.extra_env))


# -- the reference run, made once per session ---------------------------------------------------------------

_REFERENCE: dict[Path, Home] = {}


def reference_run(base: Path, landing: Path) -> Home:
    """The undisturbed run of the demo landing on DuckDB, made on first use, shared by every test module."""
    if landing not in _REFERENCE:
        home = Home(base / "reference", landing)
        home.root.mkdir(parents=True)
        _REFERENCE[landing] = home
        home.run()
    home = _REFERENCE[landing]
    assert home.runs[0].returncode == 0, "the reference run failed: " + describe(home.runs[0])
    return home


# -- what a run leaves behind ------------------------------------------------------------------------------

def tables_in(warehouse: Warehouse, schema: str) -> list[str]:
    frame = warehouse.read_frame("select table_name from information_schema.tables where table_schema = ? "
                                 "order by table_name", (schema,))
    return frame["table_name"].tolist()


def table_bytes(warehouse: Warehouse, qualified: str, drop: tuple[str, ...] = ()) -> bytes:
    """A table as canonical bytes: its column names and types, then every row, sorted, as CSV."""
    schema, name = qualified.split(".")
    types = warehouse.read_frame("select column_name, data_type from information_schema.columns "
                                 "where table_schema = ? and table_name = ? order by ordinal_position",
                                 (schema, name))
    frame = warehouse.read_frame(f"select * from {qualified}").drop(columns=list(drop))
    rows = frame.sort_values(list(frame.columns), na_position="first").to_csv(index=False,
                                                                             lineterminator="\n")
    header = ";".join(f"{c}:{t}" for c, t in types.itertuples(index=False) if c not in drop)
    return (header + "\n" + rows).encode("utf-8")


def marts_bytes(warehouse: Warehouse) -> dict[str, bytes]:
    """Every table of the `marts` schema (what offices and the publication read) as canonical bytes."""
    return {t: table_bytes(warehouse, f"marts.{t}") for t in tables_in(warehouse, "marts")}


def raw_counts(warehouse: Warehouse) -> dict[tuple[str, str, int], int]:
    """Rows per raw table, landing folder and academic year."""
    counts: dict[tuple[str, str, int], int] = {}
    for table in tables_in(warehouse, "raw"):
        frame = warehouse.read_frame(f"select province, academic_year, count(*) as n from raw.{table} "
                                     "group by province, academic_year")
        counts.update({(table, p, int(y)): int(n) for p, y, n in frame.itertuples(index=False)})
    return counts


def raw_duplicate_keys(warehouse: Warehouse) -> dict[str, int]:
    """Per raw table, how many keys (RAW_KEY: one delivered record) occur more than once; {} when none do."""
    found = {}
    for table in tables_in(warehouse, "raw"):
        key = ", ".join(RAW_KEYS.get(table, RAW_KEY))
        duplicated = warehouse.read_frame(f"select count(*) as n from (select {key} from raw.{table} "
                                          f"group by {key} having count(*) > 1) as d")["n"].iloc[0]
        if duplicated:
            found[table] = int(duplicated)
    return found


def deliveries_bytes(warehouse: Warehouse) -> bytes:
    return table_bytes(warehouse, "raw.deliveries", drop=VOLATILE_DELIVERY_COLUMNS)


def files_bytes(folder: Path) -> dict[str, bytes]:
    """Every published file, exactly as it is."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


_TIMESTAMP = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?")
_RUN_ID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PAGE_HASH = re.compile(rb'("[^"]+\.html": )"[0-9a-f]{64}"')


def _without_run_stamps(data: bytes) -> bytes:
    """A page or build.json minus what differs between two runs of the same deliveries: the run id, the build
    time, the ingest times in the lineage, and (build.json) the hashes of pages that carry them."""
    data = _RUN_ID.sub(b"<run-id>", data)
    data = _TIMESTAMP.sub(b"<time>", data)
    return _PAGE_HASH.sub(rb'\1"<page-hash>"', data)


def publication_bytes(folder: Path) -> dict[str, bytes]:
    """The published site for comparing two runs: exports (CSV, XLSX, monitor.json) and assets byte for
    byte, pages and build.json without run id and times."""
    return {name: _without_run_stamps(data) if name.endswith(".html") or name == "build.json" else data
            for name, data in files_bytes(folder).items()}


def differing(left: dict[str, bytes], right: dict[str, bytes]) -> list[str]:
    """Names missing on one side or whose bytes differ, sorted."""
    return sorted(n for n in left.keys() | right.keys() if left.get(n) != right.get(n))


@dataclass(frozen=True)
class State:
    """What a run left behind, in comparable form."""

    marts: dict[str, bytes]
    raw: dict[tuple[str, str, int], int]
    deliveries: bytes
    publication: dict[str, bytes]

    @classmethod
    def of(cls, home: Home, publication: Callable[[Path], dict[str, bytes]] = publication_bytes) -> State:
        wh = home.warehouse
        return cls(marts_bytes(wh), raw_counts(wh), deliveries_bytes(wh),
                   publication(home.publish) if home.publish.exists() else {})


def assert_same_state(actual: State, expected: State, what: str) -> None:
    assert sorted(actual.marts) == sorted(expected.marts), f"{what}: mart tables differ"
    assert differing(actual.marts, expected.marts) == [], f"{what}: these marts differ"
    assert actual.raw == expected.raw, f"{what}: raw row counts per table, folder and year differ"
    assert actual.deliveries == expected.deliveries, f"{what}: raw.deliveries differs"
    assert differing(actual.publication, expected.publication) == [], f"{what}: these published files differ"
