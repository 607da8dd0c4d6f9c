"""A small DuckDB warehouse holding the `marts` schema for publish tests: 4 provinces × 3 academic years.

dbt is the source of truth: indicator ids, names, units and targets come from the dbt seeds
(seeds/indicator_definitions.csv, seeds/programme_targets.csv), dim_indicators adds one parity index per
percent indicator as models/marts/dim_indicators.sql does, the headline columns of mart_province_yearly
come from the dbt macro headline_indicators, and the column lists match the mart YAML
(tests/test_publish_fixtures.py checks that). Values are plausible, not real.

Planted on purpose: suppressed rows whose numerator dbt still carries (a province breakdown, a district value,
a parity index), literacy data for Yala only (the other pages must say "no data"), school names that try
formula injection ("=HYPERLINK(...)", "+cmd", "-2+3", "@SUM") and HTML injection (<script>, quotes), and a
delivered file name with markup in the lineage.
"""

from __future__ import annotations

import csv
import hashlib
import re
from functools import cache
from pathlib import Path

import duckdb
import geothai
import numpy as np
import pandas as pd
import yaml

from assets.contract.entities import PROVINCES
from pipelines.settings import DBT_PROJECT_DIR

YEARS: tuple[int, ...] = (2564, 2565, 2566)
FIXTURE_PROVINCES: tuple[str, ...] = ("mae_hong_son", "sukhothai", "satun", "yala")
MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"

# indicator_id → typical level of the fixture's values (ids must exist in the dbt seed).
LEVELS: dict[str, float] = {
    "enrolment": 40_000,
    "dropout_rate": 1.5,
    "out_of_school_children": 1_500,
    "out_of_school_rate_6_14": 4.0,
    "promotion_rate": 95.0,
    "share_small_schools": 45.0,
    "pupil_teacher_ratio": 18.0,
    "share_teachers_trained": 55.0,
    "share_directors_trained": 60.0,
    "share_poor_students": 30.0,
    "literacy_pass_rate": 75.0,
    "minimum_proficiency_share": 40.0,
    "learning_space_users": 9_500,
    "learning_space_applying_share": 28.0,
}
YALA_ONLY: frozenset[str] = frozenset({"literacy_pass_rate"})  # as in the real data: Yala's screening only
# Indicators with sex / poverty / affiliation breakdowns (and parity indices), and with district rows.
BROKEN_DOWN: tuple[str, ...] = ("dropout_rate", "literacy_pass_rate")
DISTRICT_INDICATORS: tuple[str, ...] = (
    "enrolment", "dropout_rate", "share_small_schools", "literacy_pass_rate",
)
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "sex": ("F", "M"),
    "poverty": ("extremely_poor", "poor", "not_poor", "not_screened"),
    "affiliation": ("OBEC", "OPEC", "LAO"),
}
# breakdown → (parity breakdown_value, first-group values, second-group values), as dbt pairs them.
PARITY_GROUPS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "sex": ("F/M", ("F",), ("M",)),
    "poverty": ("poor/not_poor", ("poor", "extremely_poor"), ("not_poor", "not_screened")),
    "affiliation": ("OBEC/other", ("OBEC",), ("OPEC", "LAO")),
}
HOSTILE_SCHOOL_NAMES: tuple[str, ...] = (
    '=HYPERLINK("http://example.invalid/x","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    '<script>alert("x")</script> บ้าน "ดอย" & \'ป่า\'',
)
HOSTILE_FILE_NAME = '2566/<img src=x onerror=alert(1)>.csv'
SCHOOLS_PER_PROVINCE = 8
# Flag thresholds: the dbt vars of fct_school_monitor (dbt_project.yml).
HIGH_DROPOUT, LOW_LITERACY, MAX_PUPILS_PER_TEACHER = 5.0, 50.0, 25.0


@cache
def _seed(name: str) -> list[dict[str, str]]:
    with (DBT_PROJECT_DIR / "seeds" / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def mart_columns(table: str) -> list[str]:
    """The column list a mart's dbt YAML documents, in order."""
    document = yaml.safe_load((MARTS_DIR / f"{table}.yml").read_text(encoding="utf-8"))
    return [c["name"] for c in document["models"][0]["columns"]]


def as_documented(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the YAML's columns in the YAML's order. A documented column the fixture does not fill
    yet comes out all-null (so the fixture keeps working while dbt grows); test_publish_fixtures.py fails
    on it, which is the signal to teach the fixture the new column."""
    return frame.reindex(columns=mart_columns(table))


def headline_indicators() -> list[tuple[str, str]]:
    """(column, indicator_id) pairs of mart_province_yearly, read from dbt's macro."""
    text = (DBT_PROJECT_DIR / "macros" / "headline_columns.sql").read_text(encoding="utf-8")
    return re.findall(r"\('(\w+)',\s*'(\w+)'\)", text)


def units() -> dict[str, str]:
    return {r["indicator_id"]: r["unit"] for r in _seed("indicator_definitions")}


def dim_indicators() -> pd.DataFrame:
    """dim_indicators as dbt builds it: definitions seed, a parity index per percent indicator, targets."""
    definitions = _seed("indicator_definitions")
    targets = {r["indicator_id"]: r for r in _seed("programme_targets")}
    rows = []
    for r in definitions:
        rows.append({**{k: r[k] for k in ("indicator_id", "name_th", "name_en", "definition", "formula",
                                          "numerator_definition", "denominator_definition", "source",
                                          "reference", "unit")},
                     "higher_is_better": {"true": True, "false": False}.get(r["higher_is_better"]),
                     "breakdowns": r.get("breakdowns", "")})
    for r in [d for d in definitions if d["unit"] == "percent" and _parity_breakdowns(d)]:
        rows.append({
            "indicator_id": f"{r['indicator_id']}_parity_index",
            "name_th": f"ดัชนีความเท่าเทียม (ปรับ) {r['name_th']}",
            "name_en": f"Adjusted parity index, {r['name_en']}",
            "definition": f"UIS adjusted parity index of {r['name_en']} between two groups. 1 = parity.",
            "formula": "API = a / b if a <= b, else 2 - b / a (a, b: the two group rates)",
            "numerator_definition": "Rate of the first group (F, poor, OBEC)",
            "denominator_definition": "Rate of the second group (M, not poor, other affiliations)",
            "source": r["source"], "reference": "UNESCO UIS glossary: Adjusted parity index; SDG 4.5.1",
            "unit": "index", "higher_is_better": None, "breakdowns": _parity_breakdowns(r),
        })
    frame = pd.DataFrame(rows)
    frame["target_value"] = frame["indicator_id"].map(
        lambda i: float(targets[i]["target_value"]) if i in targets else None).astype("float64")
    frame["target_applies_to"] = frame["indicator_id"].map(lambda i: targets[i]["applies_to"] if i in targets
                                                            else None)
    frame["higher_is_better"] = frame["higher_is_better"].astype("boolean")
    return as_documented("dim_indicators", frame)


def _parity_breakdowns(definition: dict[str, str]) -> str:
    """The parity breakdowns (sex, poverty, affiliation) a definition is cut by, in dbt's order."""
    cut_by = set(definition.get("breakdowns", "sex poverty affiliation").split())
    return " ".join(b for b in ("sex", "poverty", "affiliation") if b in cut_by)


def _districts(province: str) -> list[tuple[str, str, str]]:
    return [(d.code, d.name_th, d.name_en) for d in geothai.districts(PROVINCES[province])]


def _level(rng: np.random.Generator, base: float, unit: str) -> float:
    value = base * rng.uniform(0.8, 1.2)
    return float(round(value)) if unit == "count" else round(min(value, 100.0), 4)


def _components(value: float, unit: str) -> tuple[float | None, float | None]:
    """(numerator, denominator) consistent with the value, as dbt stores them."""
    if unit == "count":
        return value, None
    if unit == "ratio":
        return value * 100, 100.0
    return value * 10, 1000.0


def _parity(a: float | None, b: float | None) -> float | None:
    """UIS adjusted parity index, as dbt's macro computes it."""
    if a is None or b is None or b == 0:
        return None
    return round(a / b if a <= b else 2 - b / a, 4)


def _with_prev(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    frame = frame.sort_values([*keys, "academic_year"]).reset_index(drop=True)
    frame["value_prev_year"] = frame.groupby(keys, dropna=False)["value"].shift(1)
    frame["change"] = frame["value"] - frame["value_prev_year"]
    return frame


def _row(province: str, year: int, indicator_id: str, breakdown: tuple[str, str], value: float | None,
         unit: str, components: tuple[float | None, float | None]) -> dict[str, object]:
    return {"province": province, "province_code": PROVINCES[province], "academic_year": year,
            "indicator_id": indicator_id, "breakdown_type": breakdown[0], "breakdown_value": breakdown[1],
            "value": value, "numerator": components[0], "denominator": components[1],
            "suppressed_reason": None, "unit": unit}


def _indicators_of(province: str) -> list[str]:
    return [i for i in LEVELS if province == "yala" or i not in YALA_ONLY]


def _parity_rows(province: str, year: int, indicator_id: str, groups: dict[str, float]) -> list[dict]:
    rows = []
    for breakdown, (pair, first, second) in PARITY_GROUPS.items():
        a = float(np.mean([groups[g] for g in first]))
        b = float(np.mean([groups[g] for g in second]))
        rows.append(_row(province, year, f"{indicator_id}_parity_index", (breakdown, pair), _parity(a, b),
                         "index", (round(a, 4), round(b, 4))))
    return rows


def province_indicators(rng: np.random.Generator) -> pd.DataFrame:
    unit_of = units()
    rows = []
    for province in FIXTURE_PROVINCES:
        for indicator_id in _indicators_of(province):
            unit = unit_of[indicator_id]
            for year in YEARS:
                value = _level(rng, LEVELS[indicator_id], unit)
                rows.append(_row(province, year, indicator_id, ("total", "all"), value, unit,
                                 _components(value, unit)))
                if indicator_id not in BROKEN_DOWN:
                    continue
                groups = {v: _level(rng, LEVELS[indicator_id], unit)
                          for values in BREAKDOWNS.values() for v in values}
                rows += [_row(province, year, indicator_id, (b, v), groups[v], unit,
                              _components(groups[v], unit))
                         for b, values in BREAKDOWNS.items() for v in values]
                rows += _parity_rows(province, year, indicator_id, groups)
    frame = _with_prev(pd.DataFrame(rows), ["province", "indicator_id", "breakdown_type", "breakdown_value"])
    in_2566 = frame["academic_year"] == 2566
    _suppress(frame, (frame["province"] == "satun") & in_2566 & (frame["indicator_id"] == "dropout_rate")
              & (frame["breakdown_value"] == "LAO"), "denominator 6 < 10")
    _suppress(frame, (frame["province"] == "yala") & in_2566
              & (frame["indicator_id"] == "dropout_rate_parity_index")
              & (frame["breakdown_type"] == "poverty"),
              "denominator 7 < 10")
    return as_documented("fct_province_indicators", frame)


def _suppress(frame: pd.DataFrame, hit: pd.Series, reason: str) -> None:
    """As dbt does: the value (and so the change) goes, the numerator and denominator stay."""
    assert hit.sum() == 1, "a planted suppression must hit exactly one row"
    frame.loc[hit, ["value", "change"]] = np.nan
    frame.loc[hit, "suppressed_reason"] = reason


def district_indicators(rng: np.random.Generator) -> pd.DataFrame:
    unit_of = units()
    rows = []
    for province in FIXTURE_PROVINCES:
        for code, name_th, name_en in _districts(province):
            for indicator_id in [i for i in DISTRICT_INDICATORS if i in _indicators_of(province)]:
                unit = unit_of[indicator_id]
                for year in YEARS:
                    value = _level(rng, LEVELS[indicator_id] / (10 if unit == "count" else 1), unit)
                    row = _row(province, year, indicator_id, ("total", "all"), value, unit,
                               _components(value, unit))
                    rows.append({**row, "district_code": code, "district_name_th": name_th,
                                 "district_name_en": name_en})
    frame = _with_prev(pd.DataFrame(rows), ["province", "district_code", "indicator_id", "breakdown_type",
                                            "breakdown_value"])
    _suppress(frame, (frame["district_code"] == "9502") & (frame["academic_year"] == 2566)
              & (frame["indicator_id"] == "literacy_pass_rate"), "denominator 8 < 10")
    return as_documented("fct_district_indicators", frame)


def _school_row(rng: np.random.Generator, province: str, n: int, year: int) -> dict[str, object]:
    districts = _districts(province)
    name = f"บ้าน{districts[n % len(districts)][1]} {n + 1}"
    if province == "yala" and n < len(HOSTILE_SCHOOL_NAMES):
        name = HOSTILE_SCHOOL_NAMES[n]
    students = int(rng.integers(40, 900))
    teachers = max(2, int(students / rng.uniform(12, 28)))
    dropout: float | None = round(float(rng.uniform(0, 8)), 4)
    dropout_reason = None
    if n == SCHOOLS_PER_PROVINCE - 1:  # a school too small to publish its dropout rate
        dropout, dropout_reason = None, "denominator 7 < 10"
    literacy = round(float(rng.uniform(30, 98)), 4) if province == "yala" else None
    ratio = round(students / teachers, 4)
    flags = {"is_small_school": students <= 120,
             "is_high_dropout": dropout is not None and dropout > HIGH_DROPOUT,
             "is_low_literacy": literacy is not None and literacy < LOW_LITERACY,
             "is_teacher_shortage": ratio > MAX_PUPILS_PER_TEACHER}
    return {"school_id": f"10{PROVINCES[province]}{n + 1:06d}", "academic_year": year, "school_name": name,
            "province": province, "district_code": districts[n % len(districts)][0], "affiliation": "OBEC",
            "size_class": "small" if students <= 120 else "medium", "students": students,
            "teachers": teachers, "pupil_teacher_ratio": ratio, "dropout_rate": dropout,
            "literacy_pass_rate": literacy, **flags, "risk_flag_count": sum(flags.values()),
            "dropout_rate_suppressed_reason": dropout_reason,
            "literacy_pass_rate_suppressed_reason": None if literacy is not None else "no literacy screening"}


def school_monitor(rng: np.random.Generator) -> pd.DataFrame:
    rows = [_school_row(rng, province, n, year) for province in FIXTURE_PROVINCES
            for n in range(SCHOOLS_PER_PROVINCE) for year in YEARS]
    frame = pd.DataFrame(rows)
    for column in ("dropout_rate", "literacy_pass_rate"):
        frame[column] = frame[column].astype("float64")
    return as_documented("fct_school_monitor", frame)


def province_yearly(indicators: pd.DataFrame) -> pd.DataFrame:
    """mart_province_yearly pivoted from the province totals, as dbt's headline_columns macro does (its
    column order; tests/test_publish_fixtures.py checks it against the mart YAML)."""
    totals = indicators[indicators["breakdown_type"] == "total"]
    keys = totals[["province", "province_code", "academic_year"]].drop_duplicates()
    frame = keys.sort_values(["province", "academic_year"]).reset_index(drop=True)
    for column, indicator_id in headline_indicators():
        rows = totals[totals["indicator_id"] == indicator_id][["province", "academic_year", "value",
                                                                "value_prev_year", "change"]]
        rows = rows.rename(columns={"value": column, "value_prev_year": f"{column}_prev",
                                    "change": f"{column}_change"})
        frame = frame.merge(rows, on=["province", "academic_year"], how="left")
    return frame


def build_marts_frames(seed: int = 2566) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    indicators = province_indicators(rng)
    return {
        "fct_province_indicators": indicators,
        "fct_district_indicators": district_indicators(rng),
        "fct_school_monitor": school_monitor(rng),
        "dim_indicators": dim_indicators(),
        "mart_province_yearly": province_yearly(indicators),
    }


def write_marts_db(path: Path, frames: dict[str, pd.DataFrame]) -> Path:
    """Write mart frames into a DuckDB file at `path` (schema `marts`)."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema if not exists marts")
        for table, frame in frames.items():
            connection.register("incoming", frame)
            connection.execute(f"create or replace table marts.{table} as select * from incoming")
            connection.unregister("incoming")
    return path


def make_marts_db(path: Path, seed: int = 2566) -> Path:
    """Write the fixture marts into a new DuckDB file at `path` (schema `marts`)."""
    return write_marts_db(path, build_marts_frames(seed))


def _delivery(province: str, year: int, entity: str, source_file: str) -> dict[str, str]:
    return {"academic_year": str(year), "entity": entity, "source_file": source_file,
            "source_sha256": hashlib.sha256(f"{province}/{year}/{entity}".encode()).hexdigest(),
            "ingested_at": f"{year - 543}-11-15T08:00:00+00:00"}


def fixture_lineage() -> dict[str, list[dict[str, str]]]:
    """Deliveries per province as publish_assets._lineage passes them (raw.deliveries rows, as text)."""
    lineage: dict[str, list[dict[str, str]]] = {
        province: [_delivery(province, year, entity, f"{year}/{entity}_{province}.csv")
                   for year in YEARS for entity in ("schools", "students", "teachers", "training",
                                                     "learning_spaces")]
        for province in FIXTURE_PROVINCES
    }
    lineage["yala"] += [_delivery("yala", year, "literacy", f"{year}/literacy_screening.xlsx")
                        for year in YEARS]
    lineage["yala"].append(_delivery("yala", 2566, "enrolment_counts", HOSTILE_FILE_NAME))
    lineage["national"] = [_delivery("national", year, entity, f"{year}/{entity}_national.csv")
                           for year in YEARS for entity in ("population", "poverty", "assessments")]
    return lineage
