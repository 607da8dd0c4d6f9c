"""Helper columns that let plain GX column expectations check rules spanning several columns.

GX 1.x has no expectation for "male + female = total" nor for "birth date plausible for the grade", so
`validate_delivery` adds these columns to the frame it validates (never to the rows it returns) and the
suites check them with ordinary column expectations. Names start with `check__` so they cannot clash with
contract columns; each is computed vectorised, missing wherever an input is missing (GX map expectations
skip missing values, and the not-null expectations on the inputs report those rows instead).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from assets.contract.entities import ENTITIES, GRADES
from assets.parsing.text import factorize

AGE_MINUS_OFFICIAL_AGE = "check__age_minus_official_age"
MALE_PLUS_FEMALE = "check__male_plus_female"
REGISTRY_KEY = "check__registry_key"
IS_G_CODE = "check__is_g_code"
SUBDISTRICT_DISTRICT = "check__subdistrict_district"

BE_OFFSET = 543
SCHOOL_YEAR_START = (5, 16)
"""16 May: Thai school-age rules count a child's age on this date of the academic year's first calendar year
(academic year 2566 BE starts in May 2023 CE)."""

ENTRY_AGE: dict[str, int] = {"K": 3, "P": 6, "M": 12, "V": 15}
"""Official age on 16 May in the first grade of each level: kindergarten K1 at 3, primary P1 at 6, lower
secondary M1 at 12, vocational V1 at 15 (alongside M4)."""

OFFICIAL_AGE: dict[str, int] = {grade: ENTRY_AGE[grade[0]] + int(grade[1:]) - 1 for grade in GRADES}
"""Grade → official age on 16 May: P1 6 … P6 11, M1 12 … M6 17, K1 3 … K3 5, V1 15 … V3 17."""

AGE_TOLERANCE = (-2, 4)
"""Accepted gap between a student's age and the grade's official age: early entry (up to 2 years younger)
and late entry or repetition (up to 4 years older). Outside it the birth date or the grade is most likely
mistyped (e.g. a birth year off by ten)."""


def age_on_school_year_start(birth_date: pd.Series, academic_year: pd.Series) -> pd.Series:
    """Age in completed years on 16 May of the academic year (Buddhist Era), Int64, missing if unknown."""
    born = pd.to_datetime(birth_date)
    reference_year = pd.array(academic_year, dtype="Int64") - BE_OFFSET
    month, day = SCHOOL_YEAR_START
    birthday_later = (born.dt.month > month) | ((born.dt.month == month) & (born.dt.day > day))
    years = reference_year - pd.array(born.dt.year, dtype="Int64")
    return pd.Series(years - pd.array(birthday_later, dtype="Int64"), index=birth_date.index, dtype="Int64")


def age_minus_official_age(rows: pd.DataFrame) -> pd.Series:
    official = rows["grade"].map(OFFICIAL_AGE).astype("Int64")
    return age_on_school_year_start(rows["birth_date"], rows["academic_year"]) - official


def male_plus_female(rows: pd.DataFrame) -> pd.Series:
    return (rows["male"].astype("Int64") + rows["female"].astype("Int64")).astype("Int64")


def is_g_code(rows: pd.DataFrame) -> pd.Series:
    """1.0 where the pseudonymised ID was a G-code, 0.0 for a citizen ID: its mean is the file's G-code share
    (a column-mean expectation checks it; GX has no 'share of a value' expectation)."""
    kind = rows["id_kind"]
    return pd.Series((kind == "g_code").to_numpy(dtype="float64", na_value=np.nan), index=rows.index)


def subdistrict_district(rows: pd.DataFrame) -> pd.Series:
    """The district part (first 4 digits) of the subdistrict code, to compare with district_code."""
    return rows["subdistrict_code"].str[:4]


REGISTRY_KEY_SEPARATOR = "|"


def registry_key(rows: pd.DataFrame) -> pd.Series:
    """"<academic year>|<school ID>": what the school-in-registry rule looks up, so rows of several academic
    years are each checked against their own year's registry (assets.checks.reference)."""
    year_codes, years = factorize(rows["academic_year"], use_na_sentinel=False)
    school_codes, schools = factorize(rows["school_id"], use_na_sentinel=False)
    # Built once per (year, school) pair, then taken per row: a file has thousands of pairs, millions of rows.
    year_of_pair = np.repeat(np.arange(len(years)), len(schools))
    school_of_pair = np.tile(np.arange(len(schools)), len(years))
    year_text = pd.Series(pd.Index(years).astype("string").take(year_of_pair))
    school_text = pd.Series(pd.Index(schools).astype("string").take(school_of_pair))
    pair_keys = (year_text + REGISTRY_KEY_SEPARATOR + school_text).array
    return pd.Series(pair_keys.take(year_codes * len(schools) + school_codes), index=rows.index)


DerivedColumn = Callable[[pd.DataFrame], pd.Series]
DERIVED_COLUMNS: dict[str, dict[str, DerivedColumn]] = {
    "students": {AGE_MINUS_OFFICIAL_AGE: age_minus_official_age, IS_G_CODE: is_g_code},
    "enrolment_counts": {MALE_PLUS_FEMALE: male_plus_female},
    "schools": {SUBDISTRICT_DISTRICT: subdistrict_district},
}
"""Entity → helper column → how it is computed from the contract columns."""
for _entity in ENTITIES.values():
    # The schools entity is the registry itself: not checked against itself.
    if "school_id" in _entity.column_names and _entity.name != "schools":
        DERIVED_COLUMNS.setdefault(_entity.name, {})[REGISTRY_KEY] = registry_key


def with_derived_columns(entity: str, rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` plus the entity's helper columns (a shallow copy: the caller's frame is left as it is)."""
    helpers = DERIVED_COLUMNS.get(entity, {})
    if not helpers:
        return rows
    return rows.assign(**{name: compute(rows) for name, compute in helpers.items()})


def is_derived(column: str) -> bool:
    return column.startswith("check__")


def official_age_range(grade: str) -> tuple[int, int]:
    """Accepted ages on 16 May for a grade (for messages and tests)."""
    low, high = AGE_TOLERANCE
    return OFFICIAL_AGE[grade] + low, OFFICIAL_AGE[grade] + high


__all__ = [
    "AGE_MINUS_OFFICIAL_AGE", "AGE_TOLERANCE", "DERIVED_COLUMNS", "IS_G_CODE", "MALE_PLUS_FEMALE",
    "OFFICIAL_AGE", "REGISTRY_KEY", "SUBDISTRICT_DISTRICT",
    "age_on_school_year_start", "is_derived", "official_age_range", "with_derived_columns",
]
