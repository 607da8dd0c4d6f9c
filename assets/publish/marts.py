"""The mart tables the monitor is built from, read through any `read_frame(sql) -> DataFrame` callable.

`read_marts(Warehouse.from_url(url).read_frame)` is the production call; `duckdb_reader(path)` stands in
for the Warehouse in tests and until it is wired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ReadFrame = Callable[[str], pd.DataFrame]

MART_SCHEMA = "marts"
MART_TABLES: tuple[str, ...] = (
    "fct_province_indicators",
    "fct_district_indicators",
    "fct_school_monitor",
    "dim_indicators",
    "mart_province_yearly",
)

# Sort keys make every output deterministic whatever order the warehouse returns rows in.
_SORT_KEYS: dict[str, tuple[str, ...]] = {
    "fct_province_indicators": (
        "province", "academic_year", "indicator_id", "breakdown_type", "breakdown_value",
    ),
    "fct_district_indicators": (
        "province", "academic_year", "district_code", "indicator_id", "breakdown_type", "breakdown_value",
    ),
    "fct_school_monitor": ("province", "academic_year", "school_id"),
    "dim_indicators": ("indicator_id",),
    "mart_province_yearly": ("province", "academic_year"),
}


@dataclass(frozen=True)
class Marts:
    province_indicators: pd.DataFrame
    district_indicators: pd.DataFrame
    school_monitor: pd.DataFrame
    indicators: pd.DataFrame
    province_yearly: pd.DataFrame

    def by_table(self) -> dict[str, pd.DataFrame]:
        """Mart table name → frame, in export order."""
        return dict(zip(MART_TABLES, self._frames(), strict=True))

    def _frames(self) -> tuple[pd.DataFrame, ...]:
        return (
            self.province_indicators,
            self.district_indicators,
            self.school_monitor,
            self.indicators,
            self.province_yearly,
        )

    def provinces(self) -> list[str]:
        """Province slugs present in any province-level mart."""
        found: set[str] = set()
        for frame in (self.province_yearly, self.province_indicators, self.school_monitor):
            if "province" in frame.columns:
                found.update(frame["province"].dropna().astype(str).unique().tolist())
        return sorted(found)


def sorted_mart(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame in its canonical row order (keys that exist), with a fresh index."""
    keys = [k for k in _SORT_KEYS.get(table, ()) if k in frame.columns]
    if keys:
        frame = frame.sort_values(keys, kind="mergesort", na_position="last")
    return frame.reset_index(drop=True)


def read_marts(read_frame: ReadFrame) -> Marts:
    """All mart tables from schema `marts`, each in canonical row order."""
    frames = [sorted_mart(t, read_frame(f"select * from {MART_SCHEMA}.{t}")) for t in MART_TABLES]
    return Marts(*frames)


def duckdb_reader(database: Path) -> ReadFrame:
    """A read-only `read_frame` over a DuckDB file (a stand-in for `Warehouse.read_frame`)."""
    import duckdb

    def read_frame(sql: str) -> pd.DataFrame:
        with duckdb.connect(str(database), read_only=True) as connection:
            return connection.execute(sql).df()

    return read_frame
