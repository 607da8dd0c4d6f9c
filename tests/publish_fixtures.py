"""A small DuckDB warehouse holding the `marts` schema for publish tests: 4 provinces × 3 academic years.

Values are plausible, not real. Planted on purpose: one suppressed district value, one suppressed province
breakdown, and school names that try formula injection ("=HYPERLINK(...)", "+cmd", "-2+3", "@SUM") and HTML
injection (<script>, quotes).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import geothai
import numpy as np
import pandas as pd

from assets.contract.entities import PROVINCES

YEARS: tuple[int, ...] = (2564, 2565, 2566)
FIXTURE_PROVINCES: tuple[str, ...] = ("mae_hong_son", "sukhothai", "satun", "yala")

# indicator_id, name_th, name_en, unit, target, higher_is_better, typical level
INDICATORS: tuple[tuple[str, str, str, str, float | None, bool, float], ...] = (
    ("total_enrolment", "จำนวนนักเรียนทั้งหมด", "Total enrolment", "count", None, True, 40_000),
    ("dropout_rate", "อัตราการออกกลางคัน", "Dropout rate", "percent", 0.5, False, 1.5),
    ("out_of_school_rate_6_14", "ร้อยละเด็กอายุ 6-14 ปีนอกระบบ", "Out-of-school rate, age 6-14", "percent",
     None, False, 4.0),
    ("small_school_share", "ร้อยละโรงเรียนขนาดเล็ก", "Small-school share", "percent", None, False, 45.0),
    ("pupil_teacher_ratio", "อัตราส่วนนักเรียนต่อครู", "Pupil-teacher ratio", "ratio", 20.0, False, 18.0),
    ("trained_teacher_share", "ร้อยละครูที่ได้รับการพัฒนา", "Teachers trained", "percent", 80.0, True, 55.0),
    ("trained_director_share", "ร้อยละผู้บริหารที่ได้รับการพัฒนา", "Directors trained", "percent", 90.0, True,
     60.0),
    ("poverty_share", "ร้อยละนักเรียนยากจน", "Students in poverty", "percent", None, False, 30.0),
    ("literacy_pass_rate", "ร้อยละนักเรียน ป.1 ที่อ่านออกเขียนได้", "Literacy pass rate (P1)", "percent", 90.0,
     True, 75.0),
    ("learning_space_users", "จำนวนผู้ใช้แหล่งเรียนรู้", "Learning-space users", "count", 10_000, True, 7_000),
    ("applying_share", "ร้อยละผู้นำความรู้ไปใช้", "People applying what they learned", "percent", 30.0, True,
     25.0),
)
HEADLINE = [i[0] for i in INDICATORS]
# Indicators with sex / poverty / affiliation breakdowns at province level, and with district rows.
BROKEN_DOWN = ("dropout_rate", "literacy_pass_rate")
DISTRICT_INDICATORS = ("dropout_rate", "small_school_share", "literacy_pass_rate")
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "sex": ("F", "M"),
    "poverty": ("poor", "not_poor"),
    "affiliation": ("OBEC", "OPEC", "LAO"),
}
HOSTILE_SCHOOL_NAMES: tuple[str, ...] = (
    '=HYPERLINK("http://example.invalid/x","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    '<script>alert("x")</script> บ้าน "ดอย" & \'ป่า\'',
)
SCHOOLS_PER_PROVINCE = 8


def _districts(province: str) -> list[tuple[str, str, str]]:
    return [(d.code, d.name_th, d.name_en) for d in geothai.districts(PROVINCES[province])]


def _level(rng: np.random.Generator, base: float, unit: str) -> float:
    spread = rng.uniform(0.8, 1.2)
    value = base * spread
    return float(round(value)) if unit == "count" else round(min(value, 100.0), 2)


def _with_prev(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    frame = frame.sort_values([*keys, "academic_year"]).reset_index(drop=True)
    frame["value_prev_year"] = frame.groupby(keys, dropna=False)["value"].shift(1)
    frame["change"] = frame["value"] - frame["value_prev_year"]
    return frame


def province_indicators(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for province in FIXTURE_PROVINCES:
        for indicator_id, _th, _en, unit, _t, _h, base in INDICATORS:
            for year in YEARS:
                groups = [("total", "all")]
                if indicator_id in BROKEN_DOWN:
                    groups += [(b, v) for b, values in BREAKDOWNS.items() for v in values]
                for breakdown_type, breakdown_value in groups:
                    value = _level(rng, base, unit)
                    denominator = 1000.0 if unit == "percent" else None
                    rows.append({
                        "province": province, "province_code": PROVINCES[province], "academic_year": year,
                        "indicator_id": indicator_id, "breakdown_type": breakdown_type,
                        "breakdown_value": breakdown_value, "value": value,
                        "numerator": value * 10 if denominator else None, "denominator": denominator,
                        "suppressed_reason": None, "unit": unit,
                    })
    frame = _with_prev(pd.DataFrame(rows), ["province", "indicator_id", "breakdown_type", "breakdown_value"])
    # One suppressed province breakdown: too few pupils to publish.
    hit = (frame["province"] == "satun") & (frame["academic_year"] == 2566) & (
        frame["breakdown_value"] == "LAO") & (frame["indicator_id"] == "dropout_rate")
    frame.loc[hit, ["value", "numerator", "change"]] = np.nan
    frame.loc[hit, "suppressed_reason"] = "n < 10"
    return frame


def district_indicators(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for province in FIXTURE_PROVINCES:
        for code, name_th, name_en in _districts(province):
            for indicator_id, _th, _en, unit, _t, _h, base in INDICATORS:
                if indicator_id not in DISTRICT_INDICATORS:
                    continue
                for year in YEARS:
                    value = _level(rng, base, unit)
                    rows.append({
                        "province": province, "province_code": PROVINCES[province], "district_code": code,
                        "district_name_th": name_th, "district_name_en": name_en, "academic_year": year,
                        "indicator_id": indicator_id, "breakdown_type": "total", "breakdown_value": "all",
                        "value": value, "numerator": value * 10, "denominator": 1000.0,
                        "suppressed_reason": None, "unit": unit,
                    })
    frame = _with_prev(pd.DataFrame(rows), ["province", "district_code", "indicator_id", "breakdown_type",
                                            "breakdown_value"])
    hit = (frame["district_code"] == "9502") & (frame["academic_year"] == 2566) & (
        frame["indicator_id"] == "literacy_pass_rate")
    frame.loc[hit, ["value", "numerator", "change"]] = np.nan
    frame.loc[hit, "suppressed_reason"] = "n < 10"
    return frame


def school_monitor(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for province in FIXTURE_PROVINCES:
        districts = _districts(province)
        code = PROVINCES[province]
        for n in range(SCHOOLS_PER_PROVINCE):
            school_id = f"10{code}{n + 1:06d}"
            name = f"บ้าน{districts[n % len(districts)][1]} {n + 1}"
            if province == "yala" and n < len(HOSTILE_SCHOOL_NAMES):
                name = HOSTILE_SCHOOL_NAMES[n]
            for year in YEARS:
                students = int(rng.integers(40, 900))
                teachers = max(2, int(students / rng.uniform(12, 28)))
                dropout = round(float(rng.uniform(0, 4)), 2)
                literacy = round(float(rng.uniform(50, 98)), 2)
                flags = {
                    "is_small_school": students <= 120,
                    "is_high_dropout": dropout >= 3.0,
                    "is_low_literacy": literacy < 60.0,
                    "is_teacher_shortage": students / teachers > 25,
                }
                rows.append({
                    "school_id": school_id, "school_name": name, "province": province,
                    "district_code": districts[n % len(districts)][0], "academic_year": year,
                    "affiliation": "OBEC", "size_class": "small" if students <= 120 else "medium",
                    "students": students, "teachers": teachers,
                    "pupil_teacher_ratio": round(students / teachers, 2), "dropout_rate": dropout,
                    "literacy_pass_rate": literacy, **flags, "risk_flag_count": sum(flags.values()),
                })
    return pd.DataFrame(rows)


def dim_indicators() -> pd.DataFrame:
    return pd.DataFrame([
        {
            "indicator_id": i, "name_th": th, "name_en": en,
            "definition": f"นิยามของ{th} / definition of {en.lower()}",
            "formula": "numerator / denominator × 100" if unit == "percent" else "count",
            "numerator_definition": f"ตัวตั้งของ{th}", "denominator_definition": f"ตัวหารของ{th}",
            "source": "ข้อมูลส่งมอบของจังหวัด / provincial deliveries", "reference": "โครงการพื้นที่นวัตกรรมการศึกษา",
            "unit": unit, "target_value": target, "higher_is_better": higher,
        }
        for i, th, en, unit, target, higher, _base in INDICATORS
    ])


def province_yearly(indicators: pd.DataFrame) -> pd.DataFrame:
    totals = indicators[indicators["breakdown_type"] == "total"]
    wide = totals.pivot_table(index=["province", "academic_year"], columns="indicator_id",
                              values=["value", "value_prev_year", "change"], dropna=False)
    frame = wide.index.to_frame(index=False)
    frame.insert(1, "province_code", frame["province"].map(PROVINCES))
    for column in HEADLINE:
        frame[column] = wide[("value", column)].to_numpy()
        frame[f"{column}_prev"] = wide[("value_prev_year", column)].to_numpy()
        frame[f"{column}_change"] = wide[("change", column)].to_numpy()
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


def make_marts_db(path: Path, seed: int = 2566) -> Path:
    """Write the fixture marts into a new DuckDB file at `path` (schema `marts`)."""
    frames = build_marts_frames(seed)
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema if not exists marts")
        for table, frame in frames.items():
            connection.register("incoming", frame)
            connection.execute(f"create or replace table marts.{table} as select * from incoming")
            connection.unregister("incoming")
    return path


def fixture_lineage() -> dict[str, list[dict]]:
    """Deliveries per province, as the lead's Dagster asset will pass them to build_site."""
    return {
        province: [
            {
                "file": f"{year}/obec_students_{year}.csv",
                "sha256": hashlib.sha256(f"{province}/{year}".encode()).hexdigest(),
                "academic_year": year,
                "validated_at": f"{year - 543}-11-15T08:00:00+07:00",
            }
            for year in YEARS
        ]
        for province in FIXTURE_PROVINCES
    }
