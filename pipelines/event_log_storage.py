"""Dagster's SQLite event log with its connections kept open (`event_log_storage` in dagster.yaml).

Same files, tables and place as Dagster's default local storage (`<DAGSTER_HOME>/history/runs`: one database
per run plus `index.db`); only the connection handling differs. The default opens a new SQLAlchemy engine and
SQLite connection for every event and closes it after one insert, and closing the last connection to a WAL
database checkpoints it: a run of the demo stores ~2,200 events (each asset check is planned and evaluated),
which cost ~16 s of CPU. Here each database keeps one open connection, reused under the storage's own lock.
Every event is still its own committed transaction with SQLite's default (full) sync, so nothing is less
durable; other processes (webserver, daemon) read the same files as before (WAL).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import QueuePool

OPEN_DATABASES = 8
"""Databases kept open per process: the index and the runs being written or read (a webserver browsing many
old runs closes the least recently used)."""


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` keeping an open connection per database file instead of one per event."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        self._tables_present: set[str] = set()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None,
                          config_value: Mapping[str, Any]) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        """Whether the index has a table (Dagster asks before every asset-check event, and its default opens a
        new engine for each question). Only a yes is remembered: migrations add tables, none drops one. A miss
        asks Dagster's way, without the storage's lock: Dagster asks while holding an index connection."""
        if table_name in self._tables_present:
            return True
        present = super().has_table(table_name)
        if present:
            self._tables_present.add(table_name)
        return present

    def _engine(self, shard: str) -> Engine:
        if self._engines_pid != os.getpid():  # a forked child must not share its parent's open connections
            self._engines = OrderedDict()
            self._engines_pid = os.getpid()
        engine = self._engines.pop(shard, None)
        if engine is None:
            # One connection, reused (Dagster's schema check in _initdb briefly takes a second); any
            # thread may use it (Dagster's watcher threads do), one at a time under the storage's lock.
            engine = create_engine(self.conn_string_for_shard(shard), poolclass=QueuePool, pool_size=1,
                                   max_overflow=2, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                                                                 "check_same_thread": False})
        self._engines[shard] = engine  # most recently used last
        while len(self._engines) > OPEN_DATABASES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

