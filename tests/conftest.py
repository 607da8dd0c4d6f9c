"""Shared test set-up: a per-session pseudonymisation key, an isolated project home, a throwaway
PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

# Never a key from the repo: each test session makes its own.
os.environ.setdefault("EDUSANDBOX_PSEUDONYM_KEY", secrets.token_hex(32))
os.environ.setdefault("DAGSTER_TELEMETRY_DISABLED", "1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-long", action="store_true", help="also run the long variants (make test-long)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-long"):
        return
    deselected = [i for i in items if "long" in i.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [i for i in items if "long" not in i.keywords]


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real PostgreSQL server on 127.0.0.1, started for this session and removed afterwards."""
    from tests.pg_harness import start_postgres

    server = start_postgres(Path(tmp_path_factory.mktemp("pg")))
    try:
        yield server
    finally:
        server.stop()


DEMO_YEARS = (2566, 2567)
DEMO_SCALE = 0.05
"""Small enough for a whole pipeline run in well under a minute, big enough for every indicator to have
rows."""


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only landing zone of demo deliveries (two academic years, 1 % injected mess), made once."""
    from pipelines.demo_data import generate_landing

    landing = tmp_path_factory.mktemp("demo") / "landing"
    generate_landing(landing, seed=7, scale=DEMO_SCALE, years=DEMO_YEARS, error_rate=0.01)
    return landing
