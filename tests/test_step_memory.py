"""An ingest step leaves none of its rows behind in the run's process.

GX builds its expectations through pydantic, whose caught validation errors form reference cycles with the
frames they were raised in; such a cycle keeps the validation's frames, and with them the step's DataFrames,
until the cycle collector's next full pass (assets/free_memory.py). These tests run with the automatic
collector off, so that only the step's own pass can free them.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterInstance, materialize

import assets.ingest_assets as ingest_assets
import assets.read_ahead as read_ahead_module
from assets.checks.suites import load_suite
from assets.free_memory import collect_reference_cycles, long_lived_objects_set_aside
from assets.ingest_assets import ACADEMIC_YEARS, build_ingest_asset
from assets.read_ahead import ReadAhead
from pipelines.resources.paths import ProjectPaths
from pipelines.resources.warehouse import WarehouseResource

YEAR = 2567


@pytest.fixture
def automatic_collection_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _validating_with(rows: pd.DataFrame) -> None:
    """Stands for a validation: the rows are a local of its frame while GX builds a suite."""
    load_suite("students", "satun")


def test_building_a_gx_suite_keeps_the_callers_frames_until_cycles_are_collected(
        automatic_collection_off: None) -> None:
    """The mechanism, on the pinned GX: what the step's pass is for. If GX stops making these cycles this
    fails, and the pass could go."""
    rows = pd.DataFrame({"student_key": ["k"] * 10})
    alive = weakref.ref(rows)
    _validating_with(rows)
    del rows
    assert alive() is not None, "the rows should be held by the frame GX's cycle keeps"
    collect_reference_cycles()
    assert alive() is None


def _student_frames(rows: int) -> list[pd.DataFrame]:
    return [o for o in gc.get_objects()
            if isinstance(o, pd.DataFrame) and "student_key" in o.columns and len(o) >= rows]


@pytest.mark.parametrize("collects", [True, False], ids=["step collects", "threshold above the file"])
def test_a_large_step_ends_with_its_rows_freed(demo_landing: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               automatic_collection_off: None, collects: bool) -> None:
    """A step that read CYCLE_COLLECTION_MIN_ROWS rows or more collects the cycles as it ends: none of the
    frames of its rows is left (the demo's roster is small, so the threshold is lowered to it). Above the
    threshold the same step leaves them to the collector's next pass: which shows the test can fail."""
    monkeypatch.setattr(ingest_assets, "CYCLE_COLLECTION_MIN_ROWS", 1 if collects else 10**9)
    # the step reads its file itself, in this process (the process's own read-ahead is left as it was)
    monkeypatch.setattr(read_ahead_module, "_READ_AHEAD", ReadAhead(workers=0))
    monkeypatch.setenv("EDUSANDBOX_PSEUDONYM_KEY", "ab" * 32)
    asset = build_ingest_asset("satun", "students")
    resources = {
        "warehouse": WarehouseResource(url=f"duckdb:///{tmp_path / 'wh.duckdb'}"),
        "paths": ProjectPaths(home=str(tmp_path), landing=str(demo_landing), archive_dir=str(tmp_path / "a"),
                              publish_dir=str(tmp_path / "p")),
    }
    earlier = {id(frame) for frame in _student_frames(1)}  # other tests' frames still alive: not the step's
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(ACADEMIC_YEARS.name, [str(YEAR)])
        with long_lived_objects_set_aside():
            result = materialize([asset], instance=instance, resources=resources, partition_key=str(YEAR),
                                 selection=[asset.key])
        assert result.success
        loaded = result.asset_materializations_for_node(asset.node_def.name)[0].metadata["dagster/row_count"]
        rows = int(loaded.value)
        assert rows > 1_000
        left = [frame for frame in _student_frames(rows) if id(frame) not in earlier]
        assert (left == []) == collects, [f.shape for f in left]


def test_a_run_sets_long_lived_objects_aside_and_hands_them_back() -> None:
    """Inside the block the collector skips what lived before it (its passes over a run: ms, not ~0.3 s);
    garbage made before the block is freed, not set aside; afterwards every object is the collector's
    again."""

    class Node:
        pass

    def cycle() -> weakref.ref:
        node = Node()
        node.me = node  # type: ignore[attr-defined]
        return weakref.ref(node)

    gc.disable()
    try:
        before = cycle()
        with long_lived_objects_set_aside():
            assert before() is None
            assert gc.get_freeze_count() > 10_000  # the modules', pytest's, pandas' objects
            during = cycle()
            collect_reference_cycles()
            assert during() is None
        assert gc.get_freeze_count() == 0
    finally:
        gc.enable()
