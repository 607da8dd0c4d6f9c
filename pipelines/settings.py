"""Run-time settings: one place that reads the environment. Defaults live under `<repo>/.edusandbox/`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_HOME = REPO_ROOT / ".edusandbox"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"


DUCKDB_MEMORY_LIMIT_ENV = "EDUSANDBOX_DUCKDB_MEMORY_LIMIT"
DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"
"""How much memory the warehouse's DuckDB may use in dbt's process before spilling to disk (the run's: below).
DuckDB's own default is 80 % of the machine's memory, and it keeps what it took: dbt's process reached 4.6 GB
at 9 M students, the run's highest. With 2 GB it peaks at 2.2 GB; its build alone (two models at a time,
profiles.yml) takes 30-33 s against 29 s with 3 GB (3.1 GB) and 27-29 s with none (bench/README.md). Any
DuckDB size ("4GB", "1500MB")."""


def duckdb_memory_limit() -> str:
    return os.environ.get(DUCKDB_MEMORY_LIMIT_ENV, "").strip() or DEFAULT_DUCKDB_MEMORY_LIMIT


RUN_DUCKDB_MEMORY_LIMIT_ENV = "EDUSANDBOX_RUN_DUCKDB_MEMORY_LIMIT"
DEFAULT_RUN_DUCKDB_MEMORY_LIMIT = "768MB"
"""The same for the run's own connections (loads, checks, reads for the pages; dbt's keep the above). A load
keeps what it inserted in DuckDB's buffers until its step's connection closes, beside the step's rows and
the files the read workers hold: loading the 6.6 M NT/O-NET rows peaked at 1,962 MiB with 2 GB, 1,634 MiB
with 768 MB (0.4 s longer), 1,540 MiB with 512 MB (0.8 s longer)."""


def run_duckdb_memory_limit() -> str:
    return os.environ.get(RUN_DUCKDB_MEMORY_LIMIT_ENV, "").strip() or DEFAULT_RUN_DUCKDB_MEMORY_LIMIT


def shared_data_dir() -> Path:
    """The real reference data folder (`../shared/data` beside the repo), overridable for tests."""
    return Path(os.environ.get("EDUSANDBOX_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@dataclass(frozen=True)
class Settings:
    home: Path
    landing: Path
    warehouse_url: str
    publish_dir: Path
    archive_dir: Path
    boundaries: Path | None

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster_home"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Environment first, then defaults; explicit keyword overrides (CLI flags) win over both."""
        home = Path(os.environ.get("EDUSANDBOX_HOME", DEFAULT_HOME))
        values: dict[str, object] = {
            "home": home,
            "landing": Path(os.environ.get("EDUSANDBOX_LANDING", home / "landing")),
            "warehouse_url": os.environ.get(
                "EDUSANDBOX_WAREHOUSE", f"duckdb:///{(home / 'warehouse.duckdb').as_posix()}"
            ),
            "publish_dir": Path(os.environ.get("EDUSANDBOX_PUBLISH_DIR", home / "publish")),
            "archive_dir": Path(os.environ.get("EDUSANDBOX_ARCHIVE", home / "archive")),
            "boundaries": Path(b) if (b := os.environ.get("EDUSANDBOX_BOUNDARIES")) else None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("home", "landing", "archive_dir"):
            values[key] = Path(values[key]).resolve()  # type: ignore[arg-type]
        # Not resolved: the publish folder is a symlink swapped to each new version (publish/atomic.py).
        values["publish_dir"] = Path(values["publish_dir"]).absolute()  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


DAGSTER_INSTANCE_CONFIG = """\
# Local Dagster instance for edusandbox (written once; edit freely).
# Steps that open the warehouse share one concurrency slot (pool 'warehouse': DuckDB allows one writing
# process), so parallel runs queue on it instead of failing on the file lock.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
# Dagster's SQLite event log (same files under history/runs), keeping each database's connection open instead
# of opening one per event (pipelines/event_log_storage.py).
event_log_storage:
  module: pipelines.event_log_storage
  class: PooledSqliteEventLogStorage
  config:
    base_dir: RUNS_FOLDER
"""


def prepare_dagster_home(path: Path) -> Path:
    """Creates DAGSTER_HOME with the instance configuration above if it has none yet."""
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists():
        # a JSON string is a YAML string: any path, quoted
        runs = json.dumps(str((path / "history" / "runs").resolve()))
        config.write_text(DAGSTER_INSTANCE_CONFIG.replace("RUNS_FOLDER", runs), encoding="utf-8")
    return path
