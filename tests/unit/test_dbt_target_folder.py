"""What the pipeline keeps in dbt's target folder: the newest invocation folders, and the partial parse of the
last build (so the next build does not re-parse the whole project)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines import dbt_project
from pipelines.settings import DBT_PROJECT_DIR


def test_the_target_folder_is_the_projects_whatever_the_working_directory() -> None:
    assert dbt_project.TARGET_DIR.is_absolute()
    assert dbt_project.TARGET_DIR.parent == Path(DBT_PROJECT_DIR).resolve()


def test_only_the_newest_invocation_folders_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbt_project, "TARGET_DIR", tmp_path)
    monkeypatch.chdir(tmp_path.parent)  # pruning must not depend on where the process runs
    for age in range(8):
        folder = tmp_path / f"edusandbox_dbt_models-{age:07x}-abc"
        folder.mkdir()
        os.utime(folder, (1_000_000 + age, 1_000_000 + age))
    (tmp_path / "manifest.json").write_text("{}")
    dbt_project.prune_invocation_folders(keep=3)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["edusandbox_dbt_models-0000005-abc", "edusandbox_dbt_models-0000006-abc",
                    "edusandbox_dbt_models-0000007-abc", "manifest.json"]


def test_a_builds_partial_parse_replaces_the_projects(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbt_project, "TARGET_DIR", tmp_path / "target")
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "partial_parse.msgpack").write_bytes(b"old")
    invocation = tmp_path / "target" / "edusandbox_dbt_models-1-2"
    invocation.mkdir()
    dbt_project.keep_partial_parse(invocation)  # a build that wrote none leaves the old one
    assert (tmp_path / "target" / "partial_parse.msgpack").read_bytes() == b"old"
    (invocation / "partial_parse.msgpack").write_bytes(b"new")
    dbt_project.keep_partial_parse(invocation)
    assert (tmp_path / "target" / "partial_parse.msgpack").read_bytes() == b"new"
    left = sorted(p.name for p in (tmp_path / "target").iterdir())
    assert left == [invocation.name, "partial_parse.msgpack"]  # no temporary file left behind


def test_each_warehouse_profile_starts_from_its_own_last_partial_parse(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """dbt re-parses the whole project when the profile differs from its partial parse's: a build against one
    warehouse after a build against another starts from the partial parse of its own last build."""
    monkeypatch.setattr(dbt_project, "TARGET_DIR", tmp_path / "target")
    first = {"EDUSANDBOX_DBT_TARGET": "duckdb", "EDUSANDBOX_DUCKDB_PATH": "/a/warehouse.duckdb"}
    second = {**first, "EDUSANDBOX_DUCKDB_PATH": "/b/warehouse.duckdb"}
    for env, parse in ((first, b"first"), (second, b"second")):
        built = dbt_project.invocation_target("edusandbox_dbt_models-run", env)
        assert built.parent == tmp_path / "target" and built.name.startswith("edusandbox_dbt_models-run-")
        assert not (built / "partial_parse.msgpack").exists()  # nothing kept yet: dagster-dbt's copy
        (built / "partial_parse.msgpack").write_bytes(parse)
        dbt_project.keep_partial_parse(built, env)
    assert (tmp_path / "target" / "partial_parse.msgpack").read_bytes() == b"second"  # the last build's
    for env, parse in ((first, b"first"), (second, b"second")):
        assert (dbt_project.invocation_target("edusandbox_dbt_models-run", env)
                / "partial_parse.msgpack").read_bytes() == parse
    with_password = {**first, "EDUSANDBOX_PG_PASSWORD": "s3cret"}
    assert dbt_project.profile_partial_parse(with_password) == dbt_project.profile_partial_parse(first)
    assert "s3cret" not in str(dbt_project.profile_partial_parse(with_password))


def test_only_the_newest_profiles_partial_parses_are_kept(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """One partial parse per warehouse the project was ever built against would grow target/ by ~1.7 MB
    each (the tests build against many): the newest KEEP_PROFILE_PARSES stay, and the project's own."""
    monkeypatch.setattr(dbt_project, "TARGET_DIR", tmp_path)
    invocation = tmp_path / "edusandbox_dbt_models-1-2"
    invocation.mkdir()
    (invocation / "partial_parse.msgpack").write_bytes(b"parse")
    envs = [{"EDUSANDBOX_DUCKDB_PATH": f"/w{n}.duckdb"} for n in range(dbt_project.KEEP_PROFILE_PARSES + 3)]
    for age, env in enumerate(envs):
        dbt_project.keep_partial_parse(invocation, env)
        os.utime(dbt_project.profile_partial_parse(env), (1_000_000 + age, 1_000_000 + age))
    kept = {p.name for p in tmp_path.glob("partial_parse.*.msgpack")}
    assert kept == {dbt_project.profile_partial_parse(env).name
                    for env in envs[-dbt_project.KEEP_PROFILE_PARSES:]}
    assert (tmp_path / "partial_parse.msgpack").exists()


def test_the_dbt_version_comes_from_the_installed_package_without_a_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    from dagster_dbt.core import resource as dagster_dbt_resource

    def no_process(*args: object, **kwargs: object) -> bytes:
        raise AssertionError(f"started a process: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_process)
    resource = dbt_project.dbt_resource()
    if resource.dbt_executable != str(dbt_project._VENV_DBT):
        pytest.fail(f"the tests run outside the project's venv: dbt is {resource.dbt_executable}")
    assert str(resource._cli_version) == importlib.metadata.version("dbt-core")


def test_no_dbt_adapter_is_built_in_dagsters_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect

    from dagster_dbt import DbtCliResource
    from dbt.adapters import factory

    def no_adapter(*args: object, **kwargs: object) -> None:
        raise AssertionError("built a dbt adapter in the Dagster process")

    monkeypatch.setattr(factory, "register_adapter", no_adapter)
    # the override must still be what dagster-dbt's cli() calls, or it saves nothing
    assert "self._initialize_dbt_core_adapter(" in inspect.getsource(DbtCliResource.cli)
    assert dbt_project.dbt_resource()._initialize_dbt_core_adapter(["build"]) is None
