"""A failing dbt test leaves the previously published files byte-identical, through the real Dagster
assets: dbt build (models and tests) then publish_monitors, on a warehouse where a delivered school has no
name.

Long (a full dbt build through Dagster takes a minute or more on two cores): runs with --run-long. The default
suite covers the same guarantee at the publication step (tests/test_publish_atomic.py: failing build, failing
check, kills).
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import instance_for_test, materialize

from tests.dbt_fixtures import create_raw_duckdb
from tests.publish_fixtures import fixture_lineage, make_marts_db

pytestmark = pytest.mark.long


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _warehouse_failing_a_dbt_test(path: Path) -> Path:
    """The dbt test fixture warehouse plus one school delivered without a name (stg_raw__schools not_null)."""
    create_raw_duckdb(path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("insert into raw.schools select * replace (null as school_name, "
                           "'1095019999' as school_id) from raw.schools limit 1")
    return path


def test_a_failing_dbt_test_leaves_the_published_site_byte_identical(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from assets.publish import build_site, duckdb_reader, publish_atomically, read_marts

    # dagster-dbt looks for the dbt executable on PATH: the one installed beside this interpreter.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    from assets.dbt_assets import edusandbox_dbt_models
    from assets.publish_assets import publish_monitors
    from pipelines.definitions import build_definitions
    from pipelines.settings import Settings

    home = tmp_path / "home"
    warehouse = _warehouse_failing_a_dbt_test(tmp_path / "w.duckdb")
    settings = Settings.from_env(home=home, warehouse_url=f"duckdb:///{warehouse}",
                                 publish_dir=home / "publish", landing=home / "landing",
                                 archive_dir=home / "archive")
    good_marts = read_marts(duckdb_reader(make_marts_db(tmp_path / "good.duckdb")))

    def last_good(out: Path) -> object:
        return build_site(good_marts, out, run_id="last-good", built_at="2024-03-01T00:00:00",
                          lineage=fixture_lineage())

    publish_atomically(last_good, settings.publish_dir)
    before = _snapshot(settings.publish_dir)

    with instance_for_test() as instance:
        resources = dict(build_definitions(settings).resources or {})
        result = materialize([edusandbox_dbt_models, publish_monitors], instance=instance,
                             resources=resources, raise_on_error=False)
    assert not result.success
    failed = [e.step_key for e in result.all_events if e.is_step_failure]
    assert failed == ["edusandbox_dbt_models"]
    published = [e for e in result.all_events
                 if e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key.path[0] == "monitor"]
    assert published == []
    assert _snapshot(settings.publish_dir) == before
