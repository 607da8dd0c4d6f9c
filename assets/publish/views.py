"""What a page shows, picked out of the marts: one province's rows, per-indicator series and breakdowns.

Pure pandas, no HTML: the page modules format what these return. Indicator ids are never hard-coded here;
everything is driven by the rows the marts hold and dim_indicators (see catalogue.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from assets.contract.entities import PROVINCES
from assets.publish.catalogue import Catalogue, Indicator, fact_units
from assets.publish.exports import province_frames
from assets.publish.labels import (
    BREAKDOWN_LABELS,
    TOPIC_SECTIONS,
    is_missing,
    is_parity_index,
    province_names,
    topic_of,
)
from assets.publish.lineage import Delivery, Lineage, deliveries_for
from assets.publish.marts import Marts

TOTAL = "total"


@dataclass(frozen=True)
class Point:
    """One published value with what is known about it."""

    academic_year: int
    value: float | None
    value_prev_year: float | None = None
    change: float | None = None
    suppressed_reason: str = ""


@dataclass(frozen=True)
class GroupValue:
    breakdown_type: str
    breakdown_value: str
    point: Point


@dataclass
class ProvinceView:
    slug: str
    code: str
    name_th: str
    name_en: str
    frames: dict[str, pd.DataFrame]  # publishable rows of this province, by mart table
    catalogue: Catalogue
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def facts(self) -> pd.DataFrame:
        return self.frames["fct_province_indicators"]

    @property
    def districts(self) -> pd.DataFrame:
        return self.frames["fct_district_indicators"]

    @property
    def schools(self) -> pd.DataFrame:
        return self.frames["fct_school_monitor"]

    @property
    def yearly(self) -> pd.DataFrame:
        return self.frames["mart_province_yearly"]

    @property
    def has_data(self) -> bool:
        return any(len(self.frames[t]) for t in ("fct_province_indicators", "fct_school_monitor",
                                                  "mart_province_yearly"))

    def years(self) -> list[int]:
        """Academic years with any indicator row for the province, ascending."""
        found: set[int] = set()
        for frame in (self.facts, self.yearly):
            if "academic_year" in frame.columns:
                found.update(int(y) for y in frame["academic_year"].dropna().unique())
        return sorted(found)

    def indicator_ids(self) -> list[str]:
        """Non-parity indicators with rows here: dim_indicators order, then unknown ids sorted."""
        present = set(self.facts["indicator_id"].dropna()) | set(self.districts["indicator_id"].dropna())
        present = {str(i) for i in present if not is_parity_index(str(i))}
        ordered = [i for i in self.catalogue.ids() if i in present]
        return ordered + sorted(present - set(ordered))

    def missing_indicator_ids(self) -> list[str]:
        """Indicators dim_indicators lists that have no rows for this province (parity indices left out)."""
        present = set(self.indicator_ids())
        return [i for i in self.catalogue.ids() if i not in present and not is_parity_index(i)]

    def indicator(self, indicator_id: str) -> Indicator:
        return self.catalogue.get(indicator_id)


def province_code(slug: str, frames: dict[str, pd.DataFrame]) -> str:
    """DOPA code of a province slug: the contract's table, else whatever the marts carry."""
    if slug in PROVINCES:
        return PROVINCES[slug]
    for frame in frames.values():
        if {"province", "province_code"} <= set(frame.columns) and len(frame):
            return str(frame["province_code"].dropna().iloc[0])
    return ""


def province_view(marts: Marts, slug: str, lineage: Lineage | None) -> ProvinceView:
    frames = province_frames(marts, slug)
    catalogue = Catalogue(marts.indicators, fact_units(marts.province_indicators, marts.district_indicators))
    name_th, name_en = province_names(slug)
    return ProvinceView(slug, province_code(slug, frames), name_th, name_en, frames, catalogue,
                        deliveries_for(lineage, slug))


def _number(value: object) -> float | None:
    return None if is_missing(value) else float(value)  # type: ignore[arg-type]


def _point(row: dict[str, object]) -> Point:
    reason = row.get("suppressed_reason")
    return Point(
        academic_year=int(row["academic_year"]),  # type: ignore[call-overload]
        value=_number(row.get("value")),
        value_prev_year=_number(row.get("value_prev_year")),
        change=_number(row.get("change")),
        suppressed_reason="" if is_missing(reason) else str(reason),
    )


def _rows(frame: pd.DataFrame, indicator_id: str, breakdown_type: str | None = TOTAL) -> pd.DataFrame:
    chosen = frame[frame["indicator_id"] == indicator_id]
    if breakdown_type is not None:
        chosen = chosen[chosen["breakdown_type"] == breakdown_type]
    return chosen.sort_values("academic_year", kind="mergesort")


def total_series(view: ProvinceView, indicator_id: str) -> list[Point]:
    """The indicator's province total, one Point per academic year it has a row for."""
    return [_point(r) for r in _rows(view.facts, indicator_id).to_dict(orient="records")]


def latest(points: list[Point]) -> Point | None:
    """The most recent year's point, whether or not its value is suppressed."""
    return points[-1] if points else None


def values_by_year(points: list[Point], years: list[int]) -> list[float | None]:
    """Values aligned on `years` (None where there is no row or the value is suppressed)."""
    by_year = {p.academic_year: p.value for p in points}
    return [by_year.get(y) for y in years]


def breakdowns(view: ProvinceView, indicator_id: str, academic_year: int) -> list[GroupValue]:
    """Non-total rows of one year, in the order of BREAKDOWN_LABELS then group value."""
    rows = _rows(view.facts, indicator_id, breakdown_type=None)
    rows = rows[(rows["academic_year"] == academic_year) & (rows["breakdown_type"] != TOTAL)]
    order = {b: n for n, b in enumerate(BREAKDOWN_LABELS)}
    groups = [GroupValue(str(r["breakdown_type"]), str(r["breakdown_value"]), _point(r))
              for r in rows.to_dict(orient="records")]
    return sorted(groups, key=lambda g: (order.get(g.breakdown_type, len(order)), g.breakdown_type,
                                         g.breakdown_value))


@dataclass(frozen=True)
class DistrictValue:
    district_code: str
    name_th: str
    name_en: str
    point: Point


def _text_or(value: object, fallback: str) -> str:
    return fallback if is_missing(value) or str(value) == "" else str(value)


def district_values(view: ProvinceView, indicator_id: str,
                    academic_year: int | None = None) -> list[DistrictValue]:
    """District totals of one year (the indicator's latest district year by default), by district code."""
    rows = _rows(view.districts, indicator_id)
    if rows.empty:
        return []
    year = academic_year if academic_year is not None else int(rows["academic_year"].max())
    rows = rows[rows["academic_year"] == year].sort_values("district_code", kind="mergesort")
    found = []
    for r in rows.to_dict(orient="records"):
        code = str(r["district_code"])
        found.append(DistrictValue(code, _text_or(r.get("district_name_th"), code),
                                   _text_or(r.get("district_name_en"), code), _point(r)))
    return found


def parity_rows(view: ProvinceView) -> dict[str, dict[str, Point]]:
    """Latest parity index per base indicator and breakdown: {parity_id: {breakdown_type: Point}}."""
    rows = view.facts[view.facts["indicator_id"].map(lambda i: is_parity_index(str(i)))]
    found: dict[str, dict[str, Point]] = {}
    for indicator_id, group in rows.groupby("indicator_id", sort=False):
        year = int(group["academic_year"].max())
        latest_rows = group[group["academic_year"] == year]
        found[str(indicator_id)] = {str(r["breakdown_type"]): _point(r)
                                    for r in latest_rows.to_dict(orient="records")}
    order = {i: n for n, i in enumerate(view.catalogue.ids())}
    return dict(sorted(found.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def indicators_by_topic(view: ProvinceView) -> dict[str, list[str]]:
    """Topic anchor → indicator ids with data, in TOPIC_SECTIONS order (empty topics omitted)."""
    topics: dict[str, list[str]] = {anchor: [] for anchor, *_ in TOPIC_SECTIONS}
    for indicator_id in view.indicator_ids():
        topics[topic_of(indicator_id)].append(indicator_id)
    return {k: v for k, v in topics.items() if v}


def latest_school_year(view: ProvinceView) -> int | None:
    schools = view.schools
    return int(schools["academic_year"].max()) if len(schools) else None


def schools_at_risk(view: ProvinceView) -> tuple[pd.DataFrame, int]:
    """(schools of the latest year with at least one risk flag, most flags first; schools that year)."""
    year = latest_school_year(view)
    if year is None:
        return view.schools.iloc[0:0], 0
    that_year = view.schools[view.schools["academic_year"] == year]
    flagged = that_year[that_year["risk_flag_count"].fillna(0) > 0]
    flagged = flagged.assign(_order=-flagged["risk_flag_count"]).sort_values(
        ["_order", "school_name", "school_id"], kind="mergesort").drop(columns="_order")
    return flagged.reset_index(drop=True), len(that_year)


def headline_columns(yearly: pd.DataFrame) -> list[str]:
    """Indicator columns of mart_province_yearly (without their _prev / _change twins), in mart order."""
    keys = {"province", "province_code", "academic_year"}
    columns = [str(c) for c in yearly.columns]
    return [c for c in columns if c not in keys and not c.endswith(("_prev", "_change"))]
