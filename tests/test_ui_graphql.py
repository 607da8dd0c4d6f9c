"""The Dagster UI through its real interface: `dagster dev` (webserver and daemon) on a loopback port, queried
over GraphQL. Every asset is there with its group and description, lineage runs from each province's ingest
assets through dbt to its monitor, GX and dbt checks hang on their assets, sensors and schedules are
registered, and a backfill launched through GraphQL completes as one run. The server is started with
`edusandbox ui` and must shut down on SIGINT, every process of it, even when started with SIGINT ignored."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assets.contract.entities import PROVINCES
from assets.contract.landing import SOURCE_FILES
from pipelines.jobs import LANDING_FOLDERS, refresh_job_name
from pipelines.settings import REPO_ROOT, prepare_dagster_home

START_TIMEOUT = 180
RUN_TIMEOUT = 900

ASSETS_QUERY = """
query {
  assetNodes {
    assetKey { path }
    groupName
    description
    dependencyKeys { path }
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } }
  }
}
"""
AUTOMATION_QUERY = """
query {
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes { name location { name } sensors { name sensorState { status } } schedules { name cronSchedule } }
    }
  }
}
"""


class Dagit:
    def __init__(self, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
        self.port = port
        self.process = process
        self.log = log

    def query(self, text: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/graphql",
            data=json.dumps({"query": text, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            payload = json.loads(response.read())
        assert "errors" not in payload, payload["errors"]
        return payload["data"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_loaded(server: Dagit) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"dagster dev exited early:\n{server.log.read_text()[-3000:]}")
        try:
            nodes = server.query(AUTOMATION_QUERY)["repositoriesOrError"].get("nodes")
            if nodes:
                return
        except (OSError, AssertionError):
            pass
        time.sleep(1)
    raise AssertionError(f"code location not loaded in {START_TIMEOUT} s:\n{server.log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def dagit(demo_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dagit]:
    home = tmp_path_factory.mktemp("ui_home")
    dagster_home = prepare_dagster_home(home / "dagster_home")
    env = {**os.environ, "EDUSANDBOX_HOME": str(home), "EDUSANDBOX_LANDING": str(demo_landing),
           "DAGSTER_HOME": str(dagster_home), "EDUSANDBOX_AUTOMATION": "paused"}
    port = _free_port()
    log = home / "dagster_dev.log"
    edusandbox = Path(sys.executable).with_name("edusandbox")
    with log.open("wb") as out:
        # `edusandbox ui` becomes `dagster dev` (exec), in its own session so SIGINT reaches the webserver,
        # the daemon and the code server as Ctrl-C in a terminal would. It starts with SIGINT ignored, as a
        # background job of a non-interactive shell (CI) does: the command must not pass that on.
        process = subprocess.Popen([str(edusandbox), "ui", "--port", str(port)], cwd=REPO_ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=_ignore_interrupts)
    server = Dagit(port, process, log)
    try:
        _wait_until_loaded(server)
        yield server
    finally:
        if process.poll() is None:
            _stop(process, log)


def _ignore_interrupts() -> None:
    """The child starts with SIGINT and SIGTERM ignored, the worst case it can inherit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _stop(process: subprocess.Popen, log: Path, wait: float = 60) -> None:
    """Ctrl-C must stop dagster dev and every process of its group. If it does not, the group is killed (so
    nothing is left behind) and the test fails with the server log's tail."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        tail = log.read_text(encoding="utf-8", errors="replace")[-1500:]
        pytest.fail(f"dagster dev was still up {wait:.0f} s after SIGINT; killed. Its log ends:\n{tail}")
    deadline = time.monotonic() + 30  # its children finish their own shutdown after it exits
    while _live_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = _live_members(process.pid)
    if survivors:  # killed so that nothing is left behind, then reported
        os.killpg(process.pid, signal.SIGKILL)
    assert not survivors, f"processes {survivors} of dagster dev's group outlived it by 30 s"


def _live_members(group: int) -> list[int]:
    """Processes of the process group that are not zombies (an orphaned zombie waits for init, harmlessly)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="ascii", errors="replace").rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.fixture(scope="module")
def asset_nodes(dagit: Dagit) -> dict[tuple[str, ...], dict]:
    return {tuple(n["assetKey"]["path"]): n for n in dagit.query(ASSETS_QUERY)["assetNodes"]}


def _upstream(nodes: dict[tuple[str, ...], dict], key: tuple[str, ...]) -> set[tuple[str, ...]]:
    seen: set[tuple[str, ...]] = set()
    frontier = [key]
    while frontier:
        for dep in nodes[frontier.pop()]["dependencyKeys"]:
            parent = tuple(dep["path"])
            if parent not in seen:
                seen.add(parent)
                frontier.append(parent)
    return seen


def test_every_asset_is_served_with_group_and_description(asset_nodes: dict[tuple[str, ...], dict]) -> None:
    for source in SOURCE_FILES:
        assert ("raw", source.province, source.entity) in asset_nodes
    assert ("marts", "fct_province_indicators") in asset_nodes
    for key, node in asset_nodes.items():
        if key[0] in {"raw", "staging", "intermediate", "marts", "monitor"} and len(key) > 1:
            assert node["groupName"] and node["groupName"] != "default", key
            assert node["description"], key


def test_lineage_runs_from_each_provinces_files_to_its_monitor(
        asset_nodes: dict[tuple[str, ...], dict]) -> None:
    for province in PROVINCES:
        upstream = _upstream(asset_nodes, ("monitor", province))
        own = {("raw", s.province, s.entity) for s in SOURCE_FILES if s.province == province}
        assert own <= upstream, own - upstream
        assert any(k[0] == "staging" for k in upstream) and any(k[0] == "marts" for k in upstream)


def test_gx_and_dbt_checks_are_attached_to_their_assets(asset_nodes: dict[tuple[str, ...], dict]) -> None:
    students = asset_nodes[("raw", "yala", "students")]["assetChecksOrError"]["checks"]
    assert {"name": "gx_suite", "blocking": True} in students
    mart_checks = asset_nodes[("marts", "fct_province_indicators")]["assetChecksOrError"]["checks"]
    assert any(c["name"].startswith(("unique", "not_null", "relationships", "accepted_values"))
               for c in mart_checks)


def test_sensors_and_schedules_are_registered(dagit: Dagit) -> None:
    [repository] = dagit.query(AUTOMATION_QUERY)["repositoriesOrError"]["nodes"]
    assert repository["location"]["name"] == "edusandbox"
    sensors = {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]}
    assert {f"{f}_deliveries" for f in LANDING_FOLDERS} <= set(sensors)
    assert set(sensors.values()) == {"STOPPED"}  # EDUSANDBOX_AUTOMATION=paused for this test instance
    schedules = {s["name"] for s in repository["schedules"]}
    assert {"monthly_full_refresh", "census_refresh", "daily_delivery_freshness"} <= schedules


ADD_YEAR = """
mutation {
  addDynamicPartition(repositorySelector: {repositoryLocationName: "edusandbox",
                                           repositoryName: "__repository__"},
                      partitionsDefName: "academic_year", partitionKey: "%s") {
    __typename
  }
}
"""


BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}
"""
BACKFILL_STATUS = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill { status runs(limit: 20) { runId status tags { key value } } }
  }
}
"""


def test_a_backfill_launched_through_graphql_completes_in_one_ingest_run(dagit: Dagit) -> None:
    for year in ("2566", "2567"):  # what the delivery sensor does when a new year folder appears
        added = dagit.query(ADD_YEAR % year)["addDynamicPartition"]["__typename"]
        assert added in {"AddDynamicPartitionSuccess", "DuplicateDynamicPartitionError"}, added
    params = {"selector": {"partitionSetName": f"{refresh_job_name('yala')}_partition_set",
                           "repositorySelector": {"repositoryLocationName": "edusandbox",
                                                  "repositoryName": "__repository__"}},
              "partitionNames": ["2566", "2567"], "fromFailure": False}
    launched = dagit.query(BACKFILL, {"params": params})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        backfill = dagit.query(BACKFILL_STATUS, {"id": launched["backfillId"]})["partitionBackfillOrError"]
        if backfill["status"] not in {"REQUESTED", "CANCELING", "FAILING"}:
            break
        assert time.monotonic() < deadline, f"backfill still {backfill['status']} after {RUN_TIMEOUT} s"
        time.sleep(3)
    assert backfill["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, (backfill, dagit.log.read_text()[-4000:])
    runs = backfill["runs"]
    assert runs and all(r["status"] == "SUCCESS" for r in runs), runs
    # Both academic years go through ingest in ONE run (single-run backfill policy), not one run per year.
    assert len(runs) == 1, [r["tags"] for r in runs]
