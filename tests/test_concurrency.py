"""Two province runs launched at once, as two processes against one DuckDB warehouse and one Dagster
instance: both succeed, because steps that open the warehouse queue on the instance's `warehouse` pool (one
slot) instead of failing on DuckDB's single-writer lock."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import REPO_ROOT, prepare_dagster_home


@pytest.mark.timeout(900)
def test_two_province_runs_launched_together_both_succeed(demo_landing: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "EDUSANDBOX_HOME": str(home), "EDUSANDBOX_LANDING": str(demo_landing),
           "DAGSTER_HOME": str(prepare_dagster_home(home / "dagster_home"))}
    edusandbox = Path(sys.executable).with_name("edusandbox")
    runs = {
        province: subprocess.Popen([str(edusandbox), "run", "--province", province, "--years", "2567"],
                                   cwd=REPO_ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for province in ("yala", "satun")
    }
    outputs = {province: process.communicate(timeout=850)[0] for province, process in runs.items()}
    for province, process in runs.items():
        assert process.returncode == 0, f"{province} run failed:\n{outputs[province][-3000:]}"
        assert outputs[province].strip().splitlines()[-1].endswith("index.html")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as warehouse:
        loaded = dict(warehouse.execute(
            "select province, count(*) from raw.students group by province").fetchall())
    assert loaded.get("yala", 0) > 0 and loaded.get("satun", 0) > 0
