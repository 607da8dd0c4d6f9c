"""Crash the pipeline for real (SIGKILL, pipelines/failpoints.py) at each stage boundary and inside a
warehouse write, re-run it, and compare with an undisturbed run of the same deliveries: nothing lost,
nothing doubled.

Every crash runs `edusandbox run` as a subprocess in a home of its own. After a crash on a home that already
held a good load (a clone of the reference run) the state must still be the reference state: the DuckDB file
opens, raw partitions keep their rows (the interrupted transaction rolled back), the marts are the same bytes
and the publication is the same site (byte for byte where the crash came before the swap). After the re-run it
must again equal the reference: every mart table, raw row counts per table/folder/year with no duplicate
record, raw.deliveries, and the published exports byte for byte (pages without run id and times).

Default suite (the reference run, shared with test_privacy and test_idempotency, plus four runs here):
the unit checks of the failpoint hook, a crash inside a partition transaction after its delete (DuckDB), and
on PostgreSQL a crash after twelve partitions were committed, then its re-run, against an undisturbed
PostgreSQL run. Long (--run-long): every other failpoint on a clone of the reference, three crashes in an
empty home (first load), and the other PostgreSQL points (inside the partition transaction, during dbt).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.failpoints import FAILPOINT_ENV, FAILPOINTS, armed_points
from pipelines.run import process_identity
from pipelines.settings import REPO_ROOT
from tests.reliability_helpers import (
    KILLED,
    Home,
    State,
    assert_same_state,
    clone_home,
    describe,
    files_bytes,
    raw_duplicate_keys,
    reference_run,
)

DEFAULT_POINT = "warehouse.replace_partition.after_delete"
BEFORE_SWAP = [p for p in FAILPOINTS if p != "publish.after_swap"]
FIRST_LOAD_POINTS = ["ingest.after_partition_write@12", "dbt.during_build", "publish.after_swap"]
POSTGRES_POINTS = ["warehouse.replace_partition.after_delete", "warehouse.replace_partition.before_commit",
                   "ingest.after_partition_write@12", "dbt.during_build"]
POSTGRES_DEFAULT_POINT = "ingest.after_partition_write@12"
"""In the default suite: twelve partitions committed on the server, the rest never written."""
CALL = re.compile(r"""failpoint\(\s*["']([^"']+)["']""")


# -- the hook itself (fast) ----------------------------------------------------------------------------------

def _python(code: str, armed: str | None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", **({FAILPOINT_ENV: armed} if armed else {})}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=60, start_new_session=True)


def test_every_failpoint_the_code_calls_is_registered_and_every_registered_one_is_called() -> None:
    called = set()
    for path in (REPO_ROOT / "assets").rglob("*.py"):
        called |= set(CALL.findall(path.read_text(encoding="utf-8")))
    called |= set(CALL.findall((REPO_ROOT / "pipelines/resources/warehouse.py").read_text(encoding="utf-8")))
    assert called == set(FAILPOINTS)


def test_an_unarmed_failpoint_does_nothing_and_an_armed_one_dies_of_sigkill() -> None:
    code = "from pipelines.failpoints import failpoint\nfailpoint('dbt.before_build')\nprint('alive')"
    assert _python(code, None).stdout.strip() == "alive"
    assert _python(code, "publish.after_swap").stdout.strip() == "alive"
    armed = _python(code, "publish.after_swap, dbt.before_build")
    assert armed.returncode == KILLED and armed.stdout == ""


def test_a_failpoint_armed_for_its_third_hit_lets_two_pass() -> None:
    code = ("from pipelines.failpoints import failpoint\nfor hit in range(1, 5):\n"
            "    failpoint('ingest.after_partition_write')\n    print(hit, flush=True)")
    done = _python(code, "ingest.after_partition_write@3")
    assert done.returncode == KILLED
    assert done.stdout.split() == ["1", "2"]


def test_a_whole_group_failpoint_kills_the_child_process_too(tmp_path: Path) -> None:
    marker = tmp_path / "child_survived"
    child = f"import time; time.sleep(3); open({str(marker)!r}, 'w')"
    code = (f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', {child!r}])\n"
            "from pipelines.failpoints import failpoint\nfailpoint('dbt.during_build', whole_group=True)")
    assert _python(code, "dbt.during_build").returncode == KILLED
    subprocess.run([sys.executable, "-c", "import time; time.sleep(4)"], check=True)
    assert not marker.exists()


def test_an_unknown_failpoint_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="dbt.before_build"):
        armed_points("dbt.befor_build")
    assert armed_points(" dbt.before_build , ingest.after_partition_write@5") == {
        "dbt.before_build": 1, "ingest.after_partition_write": 5}


def test_a_dead_run_process_is_told_apart_from_a_live_one() -> None:
    """What the next run relies on to release a killed run's warehouse slot (pipelines/run.py)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    alive = process_identity(child.pid)
    assert alive is not None and alive.startswith(f"{child.pid}@") and process_identity(child.pid) == alive
    child.kill()
    child.wait()
    assert process_identity(child.pid) is None
    assert process_identity(os.getpid()) == process_identity(os.getpid()) is not None


# -- crashes of the whole pipeline --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reference(demo_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Home:
    return reference_run(tmp_path_factory.getbasetemp(), demo_landing)


@pytest.fixture(scope="module")
def reference_state(reference: Home) -> State:
    return State.of(reference)


def _crash(home: Home, point: str, *args: str) -> None:
    crashed = home.run(*args, failpoint=point)
    assert crashed.returncode == KILLED, f"{point} did not kill the run: " + describe(crashed)


def _rerun_repairs(home: Home, expected: State, point: str, *args: str) -> None:
    again = home.run(*args)
    assert again.returncode == 0, f"the re-run after a crash at {point} failed: " + describe(again)
    assert "died mid-run" in again.output, "the re-run did not release the crashed run's warehouse slot"
    assert raw_duplicate_keys(home.warehouse) == {}
    assert_same_state(State.of(home), expected, f"re-run after a crash at {point}")


def test_the_comparison_notices_a_lost_partition_and_a_changed_export(reference: Home, reference_state: State,
                                                                     tmp_path: Path) -> None:
    home = clone_home(reference, tmp_path / "home")
    with duckdb.connect(str(home.root / "warehouse.duckdb")) as connection:
        connection.execute("delete from raw.students where province = 'satun' and academic_year = 2566")
    with pytest.raises(AssertionError, match="raw row counts"):
        assert_same_state(State.of(home), reference_state, "a lost partition")
    export = next(home.publish.resolve().rglob("*.csv"))
    export.write_bytes(export.read_bytes().replace(b",", b";", 1))
    with pytest.raises(AssertionError, match="published files differ"):
        changed_export_only = replace(State.of(home), raw=reference_state.raw)
        assert_same_state(changed_export_only, reference_state, "a changed export")


@pytest.mark.timeout(2400)
@pytest.mark.parametrize("point", [p if p == DEFAULT_POINT else pytest.param(p, marks=pytest.mark.long)
                                   for p in FAILPOINTS])
def test_a_crash_on_a_loaded_warehouse_loses_nothing_and_a_rerun_gives_the_reference(
        point: str, reference: Home, reference_state: State, tmp_path: Path) -> None:
    home = clone_home(reference, tmp_path / "home")
    site_before = files_bytes(home.publish)
    _crash(home, point)
    assert raw_duplicate_keys(home.warehouse) == {}
    assert_same_state(State.of(home), reference_state, f"right after a crash at {point}")
    if point in BEFORE_SWAP:
        assert files_bytes(home.publish) == site_before, "the site changed although nothing was swapped in"
    _rerun_repairs(home, reference_state, point)


@pytest.mark.long
@pytest.mark.timeout(2400)
@pytest.mark.parametrize("point", FIRST_LOAD_POINTS)
def test_a_crash_during_the_first_load_is_repaired_by_a_rerun(
        point: str, reference: Home, reference_state: State, tmp_path: Path) -> None:
    home = Home(tmp_path / "home", reference.landing)
    home.root.mkdir()
    _crash(home, point)
    assert raw_duplicate_keys(home.warehouse) == {}
    if home.publish.exists():  # only a crash after the swap leaves a site, and then a complete one
        assert State.of(home).publication == reference_state.publication
    _rerun_repairs(home, reference_state, point)


# -- PostgreSQL (one point in the default suite, the others long) -----------------------------------------

@pytest.fixture(scope="module")
def pg_home(postgres_server: object, demo_landing: Path) -> Iterator[Callable[[str, Path], Home]]:
    """`new(name, root)`: a home whose warehouse is a fresh database on the session's throwaway server; the
    CLI gets the password from EDUSANDBOX_PG_PASSWORD, never on its command line."""
    server: Any = postgres_server

    def new(name: str, root: Path) -> Home:
        url_with_password = server.fresh_database(name)
        root.mkdir(parents=True, exist_ok=True)
        return Home(root, demo_landing, f"postgresql+psycopg2://{server.user}@{server.host}:{server.port}/{name}",
                    {"EDUSANDBOX_PG_PASSWORD": server.password}, url_with_password)
    yield new


@pytest.fixture(scope="module")
def pg_reference(pg_home: Callable[[str, Path], Home], tmp_path_factory: pytest.TempPathFactory) -> State:
    home = pg_home("faults_reference", tmp_path_factory.mktemp("pg_reference"))
    done = home.run()
    assert done.returncode == 0, "the PostgreSQL reference run failed: " + describe(done)
    return State.of(home)


@pytest.mark.postgres
@pytest.mark.timeout(2400)
@pytest.mark.parametrize("point", [p if p == POSTGRES_DEFAULT_POINT
                                   else pytest.param(p, marks=pytest.mark.long) for p in POSTGRES_POINTS])
def test_a_crash_on_postgresql_is_repaired_by_a_rerun(point: str, pg_home: Callable[[str, Path], Home],
                                                      pg_reference: State, tmp_path: Path) -> None:
    home = pg_home("faults_" + re.sub(r"\W", "_", point), tmp_path / "home")
    _crash(home, point)
    assert raw_duplicate_keys(home.warehouse) == {}
    _rerun_repairs(home, pg_reference, point)
