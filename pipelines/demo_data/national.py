"""Rows of the national files: DOPA population, NT/O-NET results and EEF poverty screening.

National files cover the whole country; each province contributes its chunk, and a real national file also
carries other provinces, so every chunk is followed by a few rows of a neighbouring province that the
national adapter must put out of scope (they are never mess: the adapter neither reads nor rejects them).
"""

from __future__ import annotations

from collections.abc import Callable

import geothai
import numpy as np
import pandas as pd

from pipelines.demo_data.activities import (
    MAX_AGE,
    ages_at_start,
    national_tests,
    onie_mask,
    population,
    poverty_screening,
)
from pipelines.demo_data.config import P6
from pipelines.demo_data.formatting import GRADE_LABELS, POVERTY_LABEL, Style
from pipelines.demo_data.identities import citizen_ids
from pipelines.demo_data.simulation import YearState
from pipelines.demo_data.tables import SEX_BY_CODE, TEST_LABEL, delivered

NEIGHBOURS: dict[str, str] = {"mae_hong_son": "50", "sukhothai": "65", "satun": "90", "yala": "94"}
"""Sandbox province → a neighbouring province (DOPA code) whose rows appear next to its own."""
OTHER_PROVINCE_STUDENTS = 6
"""Students of the neighbouring province per chunk of the assessment and poverty files."""


def population_table(state: YearState, style: Style) -> pd.DataFrame:
    """Registered population by district, single year of age (0–MAX_AGE) and sex, consistent with
    enrolment."""
    cohort = state.cohort
    district = state.schools.frame["district_index"].to_numpy()[cohort.school]
    age = ages_at_start(cohort, state.year_be)
    counted = (age >= 0) & (age <= MAX_AGE)
    n_districts = len(state.district_codes)
    cell = (district[counted] * (MAX_AGE + 1) + age[counted]) * 2 + cohort.sex[counted]
    shape = (n_districts, MAX_AGE + 1, 2)
    enrolled = np.bincount(cell, minlength=int(np.prod(shape))).reshape(shape)
    counts = population(state.rng("population"), enrolled)
    d, a, s = np.indices(counts.shape).reshape(3, -1)
    return delivered("population", {
        "district_code": state.district_codes[d], "age": a, "sex": SEX_BY_CODE[s],
        "population": counts.ravel(),
    }, counts.size)


def national_tests_table(state: YearState, style: Style) -> pd.DataFrame:
    cohort = state.cohort
    scores = national_tests(state.rng("national_tests"), cohort, state.thai_index, onie_mask(state.schools))
    tests = np.array([TEST_LABEL[t] for t in scores.test], dtype=object)
    return delivered("assessments", {
        "person_id": cohort.person_id[scores.student],
        "school_id": state.school_ids[cohort.school[scores.student]],
        "test": tests, "grade": GRADE_LABELS[cohort.grade[scores.student]], "subject": scores.subject,
        "score": scores.score,
    }, len(scores.student))


def poverty_table(state: YearState, style: Style) -> pd.DataFrame:
    screened, status = poverty_screening(state.rng("poverty"), state.cohort, state.schools, state.profile)
    labels = np.array([POVERTY_LABEL[s] for s in status], dtype=object)
    return delivered("poverty", {
        "person_id": state.cohort.person_id[screened],
        "school_id": state.school_ids[state.cohort.school[screened]], "poverty_status": labels,
    }, len(screened))


NationalBuilder = Callable[[YearState, Style], pd.DataFrame]
NATIONAL_BUILDERS: dict[str, NationalBuilder] = {
    "population": population_table, "assessments": national_tests_table, "poverty": poverty_table,
}


def _neighbour_district(state: YearState) -> str:
    return min(d.code for d in geothai.districts(NEIGHBOURS[state.province]))


def _neighbour_students(state: YearState, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(citizen IDs, school IDs) of a few students registered in the neighbouring province."""
    district = _neighbour_district(state)
    serial = np.arange(OTHER_PROVINCE_STUDENTS) + 10_000 * state.index
    ids = citizen_ids(serial, np.full(OTHER_PROVINCE_STUDENTS, int(district)))
    school = f"10{NEIGHBOURS[state.province]}{int(rng.integers(100_000, 1_000_000)):06d}"
    return ids, np.full(OTHER_PROVINCE_STUDENTS, school, dtype=object)


def other_province_rows(entity: str, state: YearState, style: Style) -> pd.DataFrame:
    """Rows of the neighbouring province for one national file: out of scope for the national adapter."""
    rng = state.rng("other_provinces")
    if entity == "population":
        ages = np.arange(MAX_AGE + 1)
        sizes = np.round(rng.uniform(300, 900) * np.repeat(np.linspace(0.75, 1.0, len(ages)), 2)).astype(int)
        return delivered("population", {
            "district_code": _neighbour_district(state), "age": np.repeat(ages, 2),
            "sex": np.tile(SEX_BY_CODE, len(ages)), "population": sizes,
        }, len(sizes))
    ids, schools = _neighbour_students(state, rng)
    if entity == "poverty":
        labels = np.array(list(POVERTY_LABEL.values()), dtype=object)
        return delivered("poverty", {
            "person_id": ids, "school_id": schools,
            "poverty_status": labels[rng.integers(0, len(labels), len(ids))],
        }, len(ids))
    return delivered("assessments", {
        "person_id": ids, "school_id": schools, "test": TEST_LABEL["ONET"], "grade": GRADE_LABELS[P6],
        "subject": "ภาษาไทย", "score": np.round(rng.uniform(20, 80, len(ids)), 2),
    }, len(ids))
