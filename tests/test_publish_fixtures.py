"""The publish fixture marts stay aligned with dbt, the source of truth: same columns as the mart YAML, only
indicator ids the dbt seed defines, the headline columns dbt's macro pivots."""

from __future__ import annotations

import csv

import pytest

from assets.publish.marts import MART_TABLES
from pipelines.settings import DBT_PROJECT_DIR
from tests.publish_fixtures import LEVELS, build_marts_frames, headline_indicators, mart_columns


@pytest.fixture(scope="module")
def frames() -> dict:
    return build_marts_frames()


def _seed_ids() -> set[str]:
    with (DBT_PROJECT_DIR / "seeds" / "indicator_definitions.csv").open(encoding="utf-8") as handle:
        return {row["indicator_id"] for row in csv.DictReader(handle)}


@pytest.mark.parametrize("table", MART_TABLES)
def test_fixture_columns_are_the_documented_mart_columns(frames: dict, table: str) -> None:
    assert list(frames[table].columns) == mart_columns(table)


@pytest.mark.parametrize("table", MART_TABLES)
def test_every_documented_column_is_filled_by_the_fixture(frames: dict, table: str) -> None:
    """A column dbt added that the fixture does not know yet comes out all-null: teach the fixture. (Headline
    columns of indicators the fixture gives no values are empty by design, as in a province without them.)"""
    frame = frames[table]
    by_design = {f"{column}{suffix}" for column, indicator in headline_indicators() if indicator not in LEVELS
                 for suffix in ("", "_prev", "_change")}
    empty = [c for c in frame.columns if frame[c].isna().all() and c not in by_design]
    assert not empty, f"{table}: fixture leaves {empty} empty"


def test_fixture_uses_only_indicator_ids_dbt_defines(frames: dict) -> None:
    seed = _seed_ids()
    parity = {f"{i}_parity_index" for i in seed}
    for table in ("fct_province_indicators", "fct_district_indicators"):
        unknown = set(frames[table]["indicator_id"]) - seed - parity
        assert not unknown, f"{table}: {unknown}"
    assert set(LEVELS) <= seed


def test_dim_indicators_lists_every_fact_indicator(frames: dict) -> None:
    listed = set(frames["dim_indicators"]["indicator_id"])
    assert set(frames["fct_province_indicators"]["indicator_id"]) <= listed


def test_yearly_mart_has_the_macro_headline_columns(frames: dict) -> None:
    pairs = headline_indicators()
    assert ("total_enrolment", "enrolment") in pairs  # the one column named unlike its indicator
    expected = ["province", "province_code", "academic_year"]
    for column, _indicator in pairs:
        expected += [column, f"{column}_prev", f"{column}_change"]
    assert list(frames["mart_province_yearly"].columns) == expected


def test_planted_suppressions_keep_their_numerator_as_dbt_does(frames: dict) -> None:
    facts = frames["fct_province_indicators"]
    suppressed = facts[facts["suppressed_reason"].notna()]
    assert len(suppressed) == 2
    assert suppressed["value"].isna().all()
    assert suppressed["numerator"].notna().all()
