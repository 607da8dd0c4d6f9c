"""Does the baseline compute the pipeline's numbers? Row-by-row comparison of the two indicator marts.

Pipeline side: marts.fct_province_indicators and marts.fct_district_indicators in the pipeline's DuckDB
warehouse, without the parity-index rows (the baseline does not compute them). Baseline side: the tables
bench/baseline.py writes. Rows are matched on their full key; value, numerator and denominator must agree
within ABSOLUTE_TOLERANCE (both sides round to 4 decimals, and sums of fractional teacher FTEs may add up
in another order), and a value missing on one side only (a suppressed rate) is a mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ABSOLUTE_TOLERANCE = 2e-4
RELATIVE_TOLERANCE = 1e-9
PROVINCE_KEY = ("province", "academic_year", "indicator_id", "breakdown_type", "breakdown_value")
DISTRICT_KEY = ("district_code", *PROVINCE_KEY)
COMPARED = ("value", "numerator", "denominator")
MARTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # name → (pipeline table, baseline table, key)
    "province": ("marts.fct_province_indicators", "province_indicators", PROVINCE_KEY),
    "district": ("marts.fct_district_indicators", "district_indicators", DISTRICT_KEY),
}
MAX_EXAMPLES = 10


@dataclass
class MartComparison:
    mart: str
    pipeline_rows: int
    baseline_rows: int
    indicators: int
    only_in_pipeline: int
    only_in_baseline: int
    value_mismatches: int
    examples: list[dict[str, object]] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return (self.pipeline_rows > 0 and not self.only_in_pipeline and not self.only_in_baseline
                and not self.value_mismatches)

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "equal": self.equal}


def _close(a: pd.Series, b: pd.Series) -> np.ndarray:
    x, y = a.to_numpy(dtype=float, na_value=np.nan), b.to_numpy(dtype=float, na_value=np.nan)
    both_missing = np.isnan(x) & np.isnan(y)
    near = np.abs(x - y) <= ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * np.abs(y)
    return both_missing | np.nan_to_num(near, nan=False).astype(bool)


def compare_frames(mart: str, pipeline: pd.DataFrame, baseline: pd.DataFrame,
                   key: tuple[str, ...]) -> MartComparison:
    """Outer join on `key`; count rows on one side only and rows whose numbers differ."""
    left = pipeline[[*key, *COMPARED]].astype({"academic_year": "int64"})
    right = baseline[[*key, *COMPARED]].astype({"academic_year": "int64"})
    joined = left.merge(right, on=list(key), how="outer", suffixes=("_pipeline", "_baseline"), indicator=True)
    both = joined[joined["_merge"] == "both"]
    differs = np.zeros(len(both), dtype=bool)
    for column in COMPARED:
        differs |= ~_close(both[f"{column}_pipeline"], both[f"{column}_baseline"])
    problems = pd.concat([joined[joined["_merge"] != "both"], both[differs]]).head(MAX_EXAMPLES)
    examples = [{k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}
                for row in problems.astype({"_merge": "str"}).to_dict(orient="records")]
    return MartComparison(
        mart=mart, pipeline_rows=len(left), baseline_rows=len(right),
        indicators=int(left["indicator_id"].nunique()),
        only_in_pipeline=int((joined["_merge"] == "left_only").sum()),
        only_in_baseline=int((joined["_merge"] == "right_only").sum()),
        value_mismatches=int(differs.sum()), examples=examples)


def read_pipeline_mart(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    without_parity = "where indicator_id not like '%\\_parity\\_index' escape '\\'"
    return con.execute(f"select * from {table} {without_parity}").df()


def compare_warehouses(pipeline_warehouse: Path, baseline_result: Path) -> list[MartComparison]:
    """Both marts of the pipeline's DuckDB warehouse against the baseline's result file (read-only)."""
    results = []
    with duckdb.connect(str(pipeline_warehouse), read_only=True) as pipeline, \
            duckdb.connect(str(baseline_result), read_only=True) as baseline:
        for mart, (pipeline_table, baseline_table, key) in MARTS.items():
            results.append(compare_frames(mart, read_pipeline_mart(pipeline, pipeline_table),
                                          baseline.execute(f"select * from {baseline_table}").df(), key))
    return results
