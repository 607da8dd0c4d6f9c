"""What each indicator is: dim_indicators rows as typed records, with a generic fallback for unknown ids.

The marts decide which indicators exist. An id that a fact table holds but dim_indicators does not describe
(or that this module has never heard of) still gets a record, named after its id, so nothing is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from assets.publish.labels import PROGRAMME_TARGETS, guess_unit, is_missing

# dim_indicators.source names the raw tables an indicator is computed from, e.g. "rosters (raw.students)".
_RAW_TABLE = re.compile(r"\braw\.([a-z_]+)\b")


@dataclass(frozen=True)
class Indicator:
    indicator_id: str
    name_th: str
    name_en: str
    unit: str
    definition: str = ""
    formula: str = ""
    numerator_definition: str = ""
    denominator_definition: str = ""
    source: str = ""
    reference: str = ""
    target: float | None = None
    higher_is_better: bool | None = None
    described: bool = True  # False: not in dim_indicators, shown under its id

    @property
    def source_entities(self) -> tuple[str, ...]:
        """Raw entities (raw.<entity>) the definition names as its sources, in order of first mention."""
        return tuple(dict.fromkeys(_RAW_TABLE.findall(self.source)))


def _text(value: object) -> str:
    return "" if is_missing(value) else str(value)


def _target(indicator_id: str, value: object) -> float | None:
    """dim_indicators.target_value, else the mission's figure for a programme target."""
    if not is_missing(value):
        return float(value)  # type: ignore[arg-type]
    programme = {t.indicator_id: t.target for t in PROGRAMME_TARGETS}
    return programme.get(indicator_id)


def _direction(value: object) -> bool | None:
    return None if is_missing(value) else bool(value)


def _from_row(row: dict[str, object]) -> Indicator:
    indicator_id = str(row["indicator_id"])
    return Indicator(
        indicator_id=indicator_id,
        name_th=_text(row.get("name_th")) or indicator_id,
        name_en=_text(row.get("name_en")) or indicator_id,
        unit=_text(row.get("unit")) or guess_unit(indicator_id),
        definition=_text(row.get("definition")),
        formula=_text(row.get("formula")),
        numerator_definition=_text(row.get("numerator_definition")),
        denominator_definition=_text(row.get("denominator_definition")),
        source=_text(row.get("source")),
        reference=_text(row.get("reference")),
        target=_target(indicator_id, row.get("target_value")),
        higher_is_better=_direction(row.get("higher_is_better")),
    )


class Catalogue:
    """Indicator id → Indicator, from dim_indicators; `get` never fails."""

    def __init__(self, dim_indicators: pd.DataFrame, fact_units: dict[str, str] | None = None) -> None:
        self._known = {str(r["indicator_id"]): _from_row(r) for r in dim_indicators.to_dict(orient="records")}
        self._fact_units = fact_units or {}

    def __contains__(self, indicator_id: str) -> bool:
        return indicator_id in self._known

    def ids(self) -> list[str]:
        """Described indicators in dim_indicators order."""
        return list(self._known)

    def get(self, indicator_id: str) -> Indicator:
        if indicator_id in self._known:
            return self._known[indicator_id]
        unit = self._fact_units.get(indicator_id) or guess_unit(indicator_id)
        return Indicator(indicator_id, indicator_id, indicator_id.replace("_", " "), unit,
                         target=_target(indicator_id, None), described=False)


def fact_units(*frames: pd.DataFrame) -> dict[str, str]:
    """The unit the fact tables give each indicator id (for ids dim_indicators does not describe)."""
    units: dict[str, str] = {}
    for frame in frames:
        if {"indicator_id", "unit"} <= set(frame.columns):
            pairs = frame[["indicator_id", "unit"]].dropna().drop_duplicates("indicator_id")
            for indicator_id, unit in pairs.itertuples(index=False):
                units.setdefault(str(indicator_id), str(unit))
    return units
