"""One province simulated year by year: schools once, then each year's students, their end-of-year plan and
the staff, ready for tables.py to turn into delivered rows.

Random streams are split by purpose (schools, students, staff, each year's activities, each file's mess)
from the seed, the province and the year: the same arguments always give the same people, and the error
rate changes only the mess, never the people or their records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from assets.contract.entities import PROVINCES
from pipelines.demo_data.activities import learning_space_list
from pipelines.demo_data.config import PROFILES, PROVINCE_ORDER, SANDBOX_SHARE, ProvinceProfile
from pipelines.demo_data.identities import SerialAllocator
from pipelines.demo_data.schools import SchoolTable, build_schools, province_districts
from pipelines.demo_data.staff import Staff, StaffModel
from pipelines.demo_data.students import (
    Cohort,
    SchoolPicker,
    StudentFactory,
    YearPlan,
    dominant_languages,
    expected_enrolment,
    initial_cohort,
    intake,
    next_cohort,
    plan_year,
)

SMALL_SCHOOL_MAX = 120
"""OBEC's definition of a small school: at most 120 students."""
SPACES_PER_DISTRICT = 3

# Purposes of the random streams (the third number of each stream's seed).
SCHOOLS_STREAM, STUDENTS_STREAM, STAFF_STREAM, SPACES_STREAM, YEAR_STREAM, MESS_STREAM = range(6)
YEAR_PURPOSES = ("training", "literacy", "assessments", "learning_spaces", "protection_cases", "emis",
                 "population", "national_tests", "poverty", "other_provinces")


def stream(seed: int, *path: int) -> np.random.Generator:
    """An independent generator for one purpose: SeedSequence mixes the whole path into the state."""
    return np.random.default_rng([seed, *path])


def province_number(province: str) -> int:
    return PROVINCE_ORDER.index(province)


@dataclass
class YearState:
    """Everything delivered about one province in one academic year."""

    province: str
    profile: ProvinceProfile
    year_be: int
    index: int
    """Years since the first demo year."""
    schools: SchoolTable
    sandbox: np.ndarray
    """Per school: member of the sandbox this year."""
    cohort: Cohort
    plan: YearPlan
    staff: Staff
    staff_model: StaffModel
    language_names: list[str]
    thai_index: int
    spaces: tuple[np.ndarray, np.ndarray]
    """(district index, kind index) per learning space, the same every year."""
    seed: int

    def rng(self, purpose: str) -> np.random.Generator:
        """This year's stream for one table (YEAR_PURPOSES), independent of which other tables are built."""
        return stream(self.seed, province_number(self.province), YEAR_STREAM, self.year_be,
                      YEAR_PURPOSES.index(purpose))

    @property
    def school_ids(self) -> np.ndarray:
        return self.schools.frame["school_id"].to_numpy(dtype=object)

    @property
    def agencies(self) -> np.ndarray:
        return self.schools.frame["agency"].to_numpy(dtype=object)

    @property
    def district_codes(self) -> np.ndarray:
        return np.array([d.code for d in province_districts(PROVINCES[self.province])], dtype=object)

    def students_per_school(self) -> np.ndarray:
        return np.bincount(self.cohort.school, minlength=len(self.schools))


def check_years(years: tuple[int, ...]) -> tuple[int, ...]:
    """Consecutive Buddhist-Era years in order: students move one grade a year, so a gap cannot be
    simulated."""
    if not years:
        raise ValueError("no academic years to generate")
    if any(b != a + 1 for a, b in zip(years, years[1:], strict=False)) or years[0] < 2400:
        raise ValueError(f"years must be consecutive Buddhist-Era years in order, e.g. (2564, 2565); "
                         f"got {years}")
    return tuple(years)


class ProvinceSimulation:
    """Schools, cohorts and staff of one province, advanced one academic year at a time."""

    def __init__(self, province: str, *, seed: int, scale: float, years: tuple[int, ...]) -> None:
        self.province = province
        self.seed = seed
        self.years = check_years(years)
        self.profile = PROFILES[province]
        number = province_number(province)
        self.number = number
        self.schools = build_schools(stream(seed, number, SCHOOLS_STREAM), province)
        self.student_rng = stream(seed, number, STUDENTS_STREAM)
        self.staff_rng = stream(seed, number, STAFF_STREAM)
        self.expected = expected_enrolment(self.schools, self.profile, scale)
        dominant = dominant_languages(self.student_rng, self.schools, self.profile)
        allocator = SerialAllocator()  # students and staff share one ID space per province
        self.factory = StudentFactory(province, self.schools, allocator, dominant)
        self.picker = SchoolPicker(self.schools, self.expected)
        self.staff_model = StaffModel(self.staff_rng, province, self.schools, scale, allocator,
                                      self.factory.name_group[dominant])
        n_districts = len(province_districts(PROVINCES[province]))
        self.spaces = learning_space_list(stream(seed, number, SPACES_STREAM), n_districts,
                                          SPACES_PER_DISTRICT * n_districts)

    def run(self) -> Iterator[YearState]:
        """Each demo year in order: a year's cohort is last year's continuing students plus the intake."""
        cohort: Cohort | None = None
        last = len(self.years) - 1
        for index, year in enumerate(self.years):
            if cohort is None:
                cohort = initial_cohort(self.student_rng, self.factory, self.expected, year)
            plan = plan_year(self.student_rng, cohort, self.schools, self.picker, self.profile,
                             final_year=index == last)
            students_per_school = np.bincount(cohort.school, minlength=len(self.schools))
            staff = self.staff_model.year(self.staff_rng, students_per_school)
            position = index / last if last else 1.0
            yield YearState(
                province=self.province, profile=self.profile, year_be=year, index=index,
                schools=self.schools, sandbox=self.schools.sandbox_members(position, SANDBOX_SHARE),
                cohort=cohort, plan=plan, staff=staff, staff_model=self.staff_model,
                language_names=self.factory.language_names, thai_index=self.factory.thai_index,
                spaces=self.spaces, seed=self.seed,
            )
            if index < last:
                continuing = next_cohort(cohort, plan)
                new = intake(self.student_rng, self.factory, self.expected, self.schools.offers, year + 1,
                             index + 1)
                cohort = Cohort.concat([continuing, new])
