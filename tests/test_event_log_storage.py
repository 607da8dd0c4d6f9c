"""The instance's event log (pipelines/event_log_storage.py) keeps connections open but writes the same files
as Dagster's default SQLite storage: what a run wrote reads back identically through Dagster's own class, and
a process touching many runs keeps only a few databases open."""

from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    DagsterEventType,
    DagsterInstance,
    MaterializeResult,
    asset,
    materialize,
)
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from sqlalchemy import text

from pipelines.event_log_storage import OPEN_DATABASES, PooledSqliteEventLogStorage
from pipelines.settings import prepare_dagster_home


@asset(check_specs=[AssetCheckSpec("positive", asset="numbers")])
def numbers() -> MaterializeResult:
    return MaterializeResult(metadata={"count": 3}, check_results=[AssetCheckResult(passed=True)])


def test_a_runs_events_read_back_the_same_through_dagsters_own_sqlite_storage(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = prepare_dagster_home(tmp_path / "dagster_home")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # the folder is in dagster.yaml (as the bench loads it)
    with DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage) is PooledSqliteEventLogStorage
        result = materialize([numbers], instance=instance)
        assert result.success
        written = instance.all_logs(result.run_id)
    plain = SqliteEventLogStorage(str(home / "history" / "runs"))
    read_back = plain.get_logs_for_run(result.run_id)
    assert [(e.dagster_event_type, e.step_key, e.timestamp) for e in read_back] == [
        (e.dagster_event_type, e.step_key, e.timestamp) for e in written]
    types = [e.dagster_event_type for e in read_back]
    assert DagsterEventType.ASSET_MATERIALIZATION in types and DagsterEventType.RUN_SUCCESS in types
    # the cross-run index (index.db) has the asset and its check evaluation too
    assert plain.get_latest_materialization_events([numbers.key])[numbers.key] is not None
    history = plain.get_asset_check_execution_history(next(iter(numbers.check_keys)), limit=5)
    assert [h.run_id for h in history] == [result.run_id]


def test_only_the_most_recently_used_databases_stay_open(tmp_path: Path) -> None:
    storage = PooledSqliteEventLogStorage(str(tmp_path / "runs"))
    runs = [f"run-{i}" for i in range(OPEN_DATABASES + 4)]
    for run_id in runs:
        with storage.run_connection(run_id) as conn:
            assert conn.execute(text("select count(*) from event_logs")).scalar() == 0
    assert list(storage._engines) == runs[-OPEN_DATABASES:]
    storage.dispose()
    assert not storage._engines


def test_index_tables_found_once_are_not_looked_up_again(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    storage = PooledSqliteEventLogStorage(str(tmp_path / "runs"))
    asked: list[str] = []
    dagsters_own = SqliteEventLogStorage.has_table

    def counting(self: SqliteEventLogStorage, table_name: str) -> bool:
        asked.append(table_name)
        return dagsters_own(self, table_name)

    monkeypatch.setattr(SqliteEventLogStorage, "has_table", counting)
    assert [storage.has_table("asset_check_executions") for _ in range(3)] == [True, True, True]
    assert [storage.has_table("no_such_table") for _ in range(2)] == [False, False]
    # a table found stays found; an absent one is asked again (a migration may add it)
    assert asked == ["asset_check_executions", "no_such_table", "no_such_table"]
    storage.dispose()
