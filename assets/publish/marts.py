"""The mart tables the monitor is built from, read through any `read_frame(sql) -> DataFrame` callable.

`read_marts(Warehouse.from_url(url).read_frame)` is the production call; `duckdb_reader(path)` stands in
for the Warehouse in tests and until it is wired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
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


def _uniform_column(series: pd.Series) -> pd.Series:
    """One dtype per kind of value, whichever warehouse and driver produced it.

    PostgreSQL returns numeric as Decimal and nullable booleans/ints as object; DuckDB returns int32 and str.
    Normalising here keeps exports byte-identical across warehouses.
    """
    if pd.api.types.is_bool_dtype(series.dtype):
        return series
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.astype("Int64") if series.isna().any() else series.astype("int64")
    if pd.api.types.is_float_dtype(series.dtype):
        return series.astype("float64")
    values = series.dropna()
    if values.empty or not pd.api.types.is_object_dtype(series.dtype):
        return series.astype("str") if pd.api.types.is_object_dtype(series.dtype) else series
    kinds = {type(v) for v in values}
    if kinds <= {bool}:
        return series.astype("boolean")
    if kinds <= {int}:
        return series.astype("Int64")
    if kinds <= {int, float, Decimal}:
        return series.map(lambda v: None if v is None or pd.isna(v) else float(v)).astype("float64")
    return series.astype("str")


def uniform_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every column normalised by `_uniform_column`."""
    columns = {column: _uniform_column(frame[column]) for column in frame.columns}
    return pd.DataFrame(columns, index=frame.index)


def sorted_mart(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame in its canonical row order (keys that exist), with a fresh index."""
    keys = [k for k in _SORT_KEYS.get(table, ()) if k in frame.columns]
    if keys:
        frame = frame.sort_values(keys, kind="mergesort", na_position="last")
    return frame.reset_index(drop=True)


def read_marts(read_frame: ReadFrame) -> Marts:
    """All mart tables from schema `marts`, each in canonical row order."""
    frames = [sorted_mart(t, uniform_dtypes(read_frame(f"select * from {MART_SCHEMA}.{t}")))
              for t in MART_TABLES]
    return Marts(*frames)


def duckdb_reader(database: Path) -> ReadFrame:
    """A read-only `read_frame` over a DuckDB file (a stand-in for `Warehouse.read_frame`)."""
    import duckdb

    def read_frame(sql: str) -> pd.DataFrame:
        with duckdb.connect(str(database), read_only=True) as connection:
            return connection.execute(sql).df()

    return read_frame
