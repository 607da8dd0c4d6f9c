"""The dbt project as Dagster sees it. The manifest is prepared once (`edusandbox prepare`, run by the
Makefile's bootstrap, or on first use when missing or stale), never on every load of every step process."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

from pipelines.settings import DBT_PROJECT_DIR

# The venv's dbt, whether or not the venv is activated (`.venv/bin/edusandbox` runs without it on PATH).
_VENV_DBT = Path(sys.executable).with_name("dbt")
DBT_EXECUTABLE = str(_VENV_DBT) if _VENV_DBT.exists() else (shutil.which("dbt") or "dbt")

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
TARGET_DIR = Path(DBT_PROJECT.project_dir) / DBT_PROJECT.target_path  # target_path is relative to the project


class VenvDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource, told the dbt version from the installed package instead of starting
    `dbt --version` (a ~2.5 s process) in every run; valid because the executable is this venv's own dbt."""

    @cached_property
    def _cli_version(self) -> Version:
        if Path(self.dbt_executable) != _VENV_DBT:
            return super()._cli_version
        return Version(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        """No dbt adapter in Dagster's process. dagster-dbt builds one before every `dbt build` (profile,
        project and the adapter's macros: ~1.9 s before dbt itself starts) only for fetching row counts and
        column metadata from the warehouse, which this project does not ask for."""
        return None


def dbt_resource() -> DbtCliResource:
    return VenvDbtCliResource(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE)

MARTS_SCHEMA = "marts"
MARTS_BUILD_SCHEMA = "marts_build"
PIPELINE_VARS = ["--vars", json.dumps({"marts_build_schema": MARTS_BUILD_SCHEMA})]
"""The pipeline builds and tests the marts in `marts_build` and promotes them into `marts` only when every
error-severity test passed (macros/generate_schema_name.sql). Parsing with the same vars keeps dbt's partial
parse valid between `edusandbox prepare` and every build."""


FILE_LOG_LEVEL_ENV = "DBT_LOG_LEVEL_FILE"
DEFAULT_FILE_LOG_LEVEL = "warn"
"""What dbt writes to the `dbt.log` of each build's folder: warnings and errors, unless the environment asks
for more (DBT_LOG_LEVEL_FILE=debug: every query, as dbt does by default). At debug that file was 6 MB per demo
build and cost ~1 s of the build's ~14 s; the progress and failures reach Dagster's log either way."""


def file_log_level() -> dict[str, str]:
    return {FILE_LOG_LEVEL_ENV: os.environ.get(FILE_LOG_LEVEL_ENV, "").strip() or DEFAULT_FILE_LOG_LEVEL}


SOURCE_FOLDERS = ("models", "macros", "seeds", "tests", "snapshots", "analyses")
SOURCE_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml")
KEEP_INVOCATIONS = 5
"""dagster-dbt gives every `dbt build` its own folder under target/; the newest few are kept for debugging."""


def _newest_source_mtime(project_dir: Path) -> float:
    """Newest modification among the project's own files (never target/: it grows with every run)."""
    files = [project_dir / name for name in SOURCE_FILES if (project_dir / name).exists()]
    for folder in SOURCE_FOLDERS:
        if (project_dir / folder).is_dir():
            files.extend(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return max((p.stat().st_mtime for p in files), default=0.0)


def prune_invocation_folders(keep: int = KEEP_INVOCATIONS) -> None:
    """Removes all but the newest `keep` per-invocation folders dagster-dbt left under target/."""
    target = TARGET_DIR
    if not target.is_dir():
        return
    runs = sorted((p for p in target.iterdir() if p.is_dir() and "-" in p.name),
                  key=lambda p: p.stat().st_mtime)
    for old in runs[:-keep] if keep else runs:
        shutil.rmtree(old, ignore_errors=True)


def manifest_is_stale() -> bool:
    manifest = DBT_PROJECT.manifest_path
    return not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(DBT_PROJECT_DIR)


@contextmanager
def dbt_environment(values: dict[str, str]) -> Iterator[None]:
    """dbt runs as a subprocess that inherits os.environ: points its profile at a warehouse meanwhile."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _default_profile_env() -> dict[str, str]:
    """The profile environment of the configured warehouse. Parsing under the same profile a run will use lets
    every `dbt build` reuse the saved partial parse instead of re-parsing the whole project (dbt discards the
    partial parse when the rendered profile differs)."""
    from pipelines.resources.warehouse import Warehouse, WarehouseError
    from pipelines.settings import Settings

    try:
        return Warehouse.from_url(Settings.from_env().warehouse_url).dbt_env()
    except WarehouseError:
        return {}


PARTIAL_PARSE = "partial_parse.msgpack"
KEEP_PROFILE_PARSES = 8
"""Partial parses kept per warehouse profile (`profile_partial_parse`): the newest few."""


def profile_partial_parse(profile_env: Mapping[str, str]) -> Path:
    """Where the partial parse of builds under this profile environment is kept. dbt re-parses the whole
    project (3.4-3.7 s) when the rendered profile differs from the one its partial parse was made under, so
    a build after one against another warehouse (a `make run` between two runs of the bench, the tests'
    warehouses) started from nothing with only one partial parse for all. Named by a hash of the environment
    without its secrets."""
    shown = sorted((name, value) for name, value in profile_env.items() if "PASSWORD" not in name)
    digest = hashlib.sha256(repr(shown).encode("utf-8")).hexdigest()[:16]
    return TARGET_DIR / f"partial_parse.{digest}.msgpack"


def invocation_target(name: str, profile_env: Mapping[str, str]) -> Path:
    """A new folder under target/ for one dbt invocation (dagster-dbt's naming), holding the partial parse
    kept for this profile when there is one; dagster-dbt then leaves it there instead of copying the
    project's (target/partial_parse.msgpack, the last build's or `prepare`'s, whatever its warehouse)."""
    folder = TARGET_DIR / f"{name}-{uuid.uuid4().hex[:7]}"
    folder.mkdir(parents=True)
    kept = profile_partial_parse(profile_env)
    with contextlib.suppress(OSError):  # none, or pruned meanwhile: dagster-dbt copies the project's instead
        shutil.copyfile(kept, folder / f"{PARTIAL_PARSE}.tmp")
        os.replace(folder / f"{PARTIAL_PARSE}.tmp", folder / PARTIAL_PARSE)
    return folder


def keep_partial_parse(invocation_target: Path, profile_env: Mapping[str, str] | None = None) -> None:
    """Saves a build's partial parse as the project's, and as its profile's (`profile_partial_parse`), so the
    next build against the same warehouse starts from it. Without this, a warehouse other than the one
    `prepare` parsed for re-parses the whole project on every build (~4 s)."""
    built = invocation_target / PARTIAL_PARSE
    if not built.exists():
        return
    kept = [TARGET_DIR / PARTIAL_PARSE]
    if profile_env is not None:
        kept.append(profile_partial_parse(profile_env))
    for path in kept:
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(built, partial)
        os.replace(partial, path)  # atomic: a concurrent build reads the old file or the new one, never half
    profile_parses = sorted(TARGET_DIR.glob("partial_parse.*.msgpack"), key=_modified_or_gone)
    for old in profile_parses[:-KEEP_PROFILE_PARSES]:
        old.unlink(missing_ok=True)


def _modified_or_gone(path: Path) -> float:
    """A file's modification time; 0 for one another build removed meanwhile (pruned first, again)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def ensure_manifest() -> Path:
    """Run `dbt parse` only when the manifest is missing or older than the project's files."""
    if manifest_is_stale():
        # `dbt parse` with the venv's dbt (dagster-dbt's own preparer looks for `dbt` on PATH only).
        with dbt_environment(_default_profile_env()):
            dbt_resource().cli(
                ["parse", "--quiet", *PIPELINE_VARS], target_path=DBT_PROJECT.target_path).wait()
    return DBT_PROJECT.manifest_path
