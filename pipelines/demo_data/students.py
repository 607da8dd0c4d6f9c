"""Student cohorts and their year-to-year flows, vectorised.

A `Cohort` holds the students enrolled in one province in one academic year (one array per attribute).
`plan_year` draws each student's end-of-year status and where (if anywhere) they study next year; the next
cohort is the continuing students plus a new kindergarten/P1 intake. The same person keeps the same ID,
birth date, sex, language and name in every year they appear.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import numpy as np

from assets.contract.entities import PROVINCES, STUDENT_STATUSES
from pipelines.demo_data.config import (
    AFF_ONIE,
    DROPOUT_RATE,
    DROPOUT_REASON_WEIGHTS,
    GRADE_PROFILE,
    INTAKE_TREND,
    K1,
    K3,
    M1,
    M3,
    M3_TO_V1,
    M4,
    M6,
    N_GRADES,
    ONIE_DROPOUT_RATE,
    ONIE_PROFILE,
    P1,
    P6,
    PROFILES,
    REPEAT_RATE,
    TERMINAL_GRADES,
    THAI,
    TRANSFER_RATE,
    V1,
    V3,
    ProvinceProfile,
)
from pipelines.demo_data.identities import SerialAllocator, citizen_ids, g_codes
from pipelines.demo_data.names import NAME_GROUPS, draw_names, name_group_of_language
from pipelines.demo_data.schools import SchoolTable, province_districts

STATUS = {s: i for i, s in enumerate(STUDENT_STATUSES)}
STUDYING, PROMOTED, REPEATED, GRADUATED, TRANSFERRED, DROPPED = (
    STATUS[s] for s in ("studying", "promoted", "repeated", "graduated", "transferred_out", "dropped_out"))
AGE_AT_ENTRY = 3
"""Age at 16 May in K1 (อบ.1); P1 is age 6."""
ONIE_MAX_OVER_AGE = 4
"""Non-formal learners enter 1 to 3 years over the official age (over-age repeaters stay within 4)."""


@dataclass
class Cohort:
    person_id: np.ndarray  # object: citizen ID or G-code
    g_code: np.ndarray  # bool
    sex: np.ndarray  # int8: 0 male, 1 female
    birth: np.ndarray  # datetime64[D], Common Era
    school: np.ndarray  # int32 index into SchoolTable
    grade: np.ndarray  # int8 index into GRADES
    language: np.ndarray  # int8 index into the province's languages
    language_recorded: np.ndarray  # bool: home language filled in by the school
    first_name: np.ndarray  # object
    last_name: np.ndarray  # object
    disadvantage: np.ndarray  # float32 in [0, 1], latent: poverty, distance, family

    def __len__(self) -> int:
        return len(self.person_id)

    def take(self, rows: np.ndarray) -> Cohort:
        return Cohort(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Cohort]) -> Cohort:
        return Cohort(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Cohort)})


@dataclass
class YearPlan:
    """End-of-year status per student of a cohort and the continuing students' next school and grade."""

    status: np.ndarray  # int8 index into STUDENT_STATUSES
    dropout_reason: np.ndarray  # int8 index into DROPOUT_REASONS, -1 if none
    continues: np.ndarray  # bool
    next_school: np.ndarray
    next_grade: np.ndarray


def languages_of(profile: ProvinceProfile) -> tuple[list[str], np.ndarray]:
    names = list(profile.languages)
    return names, np.array([profile.languages[n] for n in names])


def expected_enrolment(schools: SchoolTable, profile: ProvinceProfile, scale: float) -> np.ndarray:
    """Expected students per school and grade (schools × grades): each affiliation's share of the province
    total, spread over grades by the grade profile and over schools by their size weights."""
    frame = schools.frame
    weight = frame["weight"].to_numpy()
    affiliation = frame["affiliation"].to_numpy()
    expected = np.zeros(schools.offers.shape)
    for code, share in profile.affiliation_share.items():
        rows = affiliation == code
        grade_profile = ONIE_PROFILE if code == AFF_ONIE else GRADE_PROFILE
        raw = weight[rows, None] * schools.offers[rows]
        column_sums = raw.sum(axis=0)
        per_grade = np.divide(raw, column_sums, out=np.zeros_like(raw), where=column_sums > 0)
        per_grade *= grade_profile * (column_sums > 0)
        total = per_grade.sum()
        if total > 0:
            expected[rows] = per_grade * (share * profile.students_at_scale_1 * scale / total)
    return expected


def dominant_languages(rng: np.random.Generator, schools: SchoolTable,
                       profile: ProvinceProfile) -> np.ndarray:
    """Language of most children at each school (villages and Islamic schools are linguistically uniform)."""
    names, mix = languages_of(profile)
    dominant = rng.choice(len(names), size=len(schools), p=mix)
    if "มลายูถิ่น" in names:
        dominant[schools.frame["islamic"].to_numpy(dtype=bool)] = names.index("มลายูถิ่น")
    return dominant.astype(np.int8)


def academic_year_start(year_be: int) -> np.datetime64:
    """16 May of the academic year, the reference day for school-entry ages."""
    return np.datetime64(dt.date(year_be - 543, 5, 16))


class StudentFactory:
    """Creates new students (initial population and yearly intake) for one province."""

    def __init__(self, province: str, schools: SchoolTable, allocator: SerialAllocator,
                 dominant: np.ndarray) -> None:
        self.province = province
        self.profile = PROFILES[province]
        self.schools = schools
        self.allocator = allocator
        self.dominant = dominant
        self.language_names, self.language_mix = languages_of(self.profile)
        g_by_language = self.profile.g_code_by_language
        self.g_probability = np.array([g_by_language.get(n, 0.0) for n in self.language_names])
        self.thai_index = self.language_names.index(THAI) if THAI in self.language_names else -1
        district_codes = [int(d.code) for d in province_districts(PROVINCES[province])]
        self.school_office = np.array(district_codes)[schools.frame["district_index"].to_numpy()]
        self.district_codes = np.array(district_codes)
        self.onie = schools.frame["affiliation"].to_numpy() == AFF_ONIE
        self.name_group = np.array([NAME_GROUPS.index(name_group_of_language(n))
                                    for n in self.language_names])

    def create(self, rng: np.random.Generator, school: np.ndarray, grade: np.ndarray, year_be: int,
               over_age_share: float) -> Cohort:
        n = len(school)
        sex = (rng.random(n) < 0.49).astype(np.int8)
        language = np.where(rng.random(n) < 0.7, self.dominant[school],
                            rng.choice(len(self.language_names), size=n, p=self.language_mix)).astype(np.int8)
        g_code = rng.random(n) < self.g_probability[language]
        age = AGE_AT_ENTRY + grade.astype(np.int64)
        age += (rng.random(n) < over_age_share * (grade >= P1)).astype(np.int64)
        onie = self.onie[school]
        # Non-formal learners are older than the grade's official age. Adults enrol too, but the students
        # suite accepts at most ONIE_MAX_OVER_AGE years over the official age (assets/checks/derived.py), so
        # the demo keeps to the youths who left school a few years earlier.
        over_age = rng.integers(1, ONIE_MAX_OVER_AGE, onie.sum())
        age[onie] = AGE_AT_ENTRY + grade[onie].astype(np.int64) + over_age
        start_year_ce = year_be - 543
        birth_year = (np.full(n, start_year_ce) - age - 1970).astype("datetime64[Y]")
        birth_anchor = birth_year.astype("datetime64[D]")
        birth = birth_anchor + np.timedelta64(135, "D") - rng.integers(0, 365, n).astype("timedelta64[D]")
        disadvantage = (rng.beta(2.0, 5.0, n) + self.profile.disadvantage_shift
                        + 0.12 * (language != self.thai_index) + 0.2 * g_code)
        first, last = draw_names(rng, sex, self.name_group[language])
        serial = rng.permutation(self.allocator.take(n))
        office = np.where(rng.random(n) < 0.9, self.school_office[school],
                          self.district_codes[rng.integers(0, len(self.district_codes), n)])
        person_id = citizen_ids(serial, office)
        if g_code.any():
            person_id[g_code] = g_codes(serial[g_code], PROVINCES[self.province])
        return Cohort(person_id=person_id, g_code=g_code, sex=sex, birth=birth,
                      school=school.astype(np.int32),
                      grade=grade.astype(np.int8), language=language, language_recorded=rng.random(n) < 0.95,
                      first_name=first, last_name=last,
                      disadvantage=np.clip(disadvantage, 0, 1).astype(np.float32))


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """schools × grades counts → (school, grade) per student, ordered by school then grade."""
    flat = counts.ravel()
    cells = np.repeat(np.arange(flat.size), flat)
    return cells // N_GRADES, cells % N_GRADES


def initial_cohort(rng: np.random.Generator, factory: StudentFactory, expected: np.ndarray,
                   year_be: int) -> Cohort:
    school, grade = _expand(rng.poisson(expected))
    return factory.create(rng, school, grade, year_be, over_age_share=0.06)


def intake(rng: np.random.Generator, factory: StudentFactory, expected: np.ndarray, offers: np.ndarray,
           year_be: int, years_since_start: int) -> Cohort:
    """New entrants: K1, extra K2 and P1 pupils, non-formal learners, and a few arrivals from outside."""
    trend = INTAKE_TREND ** years_since_start
    rate = np.zeros_like(expected)
    rate[:, K1] = expected[:, K1]
    rate[:, K1 + 1] = np.maximum(expected[:, K1 + 1] - 0.97 * expected[:, K1], 0)
    rate[:, P1] = np.maximum(expected[:, P1] - 0.97 * expected[:, K3] * offers[:, K3], 0.03 * expected[:, P1])
    rate[:, M1] = 0.03 * expected[:, M1]
    rate[:, M4] = 0.03 * expected[:, M4]
    onie = factory.onie
    rate[onie, M1] = expected[onie, M1]
    rate[onie, M4] = np.maximum(expected[onie, M4] - 0.6 * expected[onie, M3], 0.2 * expected[onie, M4])
    school, grade = _expand(rng.poisson(rate * trend))
    return factory.create(rng, school, grade, year_be, over_age_share=0.02)


class SchoolPicker:
    """Chooses destination schools offering a grade, by size, preferring the student's own district."""

    def __init__(self, schools: SchoolTable, expected: np.ndarray) -> None:
        self.district = schools.frame["district_index"].to_numpy()
        self.offers = schools.offers
        self.expected = expected
        self.n_districts = int(self.district.max()) + 1

    def pick(self, rng: np.random.Generator, home_district: np.ndarray, grade: np.ndarray,
             local_share: float) -> np.ndarray:
        chosen = np.full(len(grade), -1, dtype=np.int64)
        local = rng.random(len(grade)) < local_share
        for g in np.unique(grade):
            offering = np.flatnonzero(self.offers[:, g])
            if len(offering) == 0:
                continue
            weights = self.expected[offering, g] + 1e-3
            movers = grade == g
            for d in range(self.n_districts):
                rows = np.flatnonzero(movers & local & (home_district == d))
                in_district = self.district[offering] == d
                if len(rows) and in_district.any():
                    w = weights[in_district]
                    chosen[rows] = rng.choice(offering[in_district], size=len(rows), p=w / w.sum())
            rows = np.flatnonzero(movers & (chosen < 0))
            if len(rows):
                chosen[rows] = rng.choice(offering, size=len(rows), p=weights / weights.sum())
        return chosen


def plan_year(rng: np.random.Generator, cohort: Cohort, schools: SchoolTable, picker: SchoolPicker,
              profile: ProvinceProfile, final_year: bool) -> YearPlan:
    """Status at the end of the year for every student, and next year's school and grade for those who stay.

    In the final demo year the year is still running: everyone is 'studying' except those who left already.
    """
    n = len(cohort)
    grade = cohort.grade.astype(np.int64)
    school = cohort.school.astype(np.int64)
    onie = schools.frame["affiliation"].to_numpy()[school] == AFF_ONIE
    p_drop = np.where(onie, ONIE_DROPOUT_RATE, DROPOUT_RATE[grade] * profile.dropout_multiplier)
    p_drop = p_drop * (0.4 + 1.6 * cohort.disadvantage)
    u = rng.random(n)
    status = np.full(n, STUDYING if final_year else PROMOTED, dtype=np.int8)
    if final_year:
        status[u < 0.5 * p_drop] = DROPPED
    else:
        terminal = np.isin(grade, TERMINAL_GRADES)
        p_repeat = np.where(onie, 0.0, REPEAT_RATE[grade])
        p_transfer = np.where(onie | terminal, 0.0, TRANSFER_RATE)
        status[terminal] = GRADUATED
        status[u < p_drop + p_repeat + p_transfer] = TRANSFERRED
        status[u < p_drop + p_repeat] = REPEATED
        status[u < p_drop] = DROPPED
    reason = np.full(n, -1, dtype=np.int8)
    dropped = status == DROPPED
    reason[dropped] = rng.choice(len(DROPOUT_REASON_WEIGHTS), size=int(dropped.sum()),
                                 p=DROPOUT_REASON_WEIGHTS)

    next_school = school.copy()
    next_grade = grade.copy()
    continues = ~dropped & (not final_year)
    if not final_year:
        home = picker.district[school]
        promoted = status == PROMOTED
        next_grade[promoted | (status == TRANSFERRED)] += 1
        transferred = np.flatnonzero(status == TRANSFERRED)
        next_school[transferred] = picker.pick(rng, home[transferred], next_grade[transferred], 0.6)
        # A transfer that drew the same school is really a promotion.
        same = transferred[next_school[transferred] == school[transferred]]
        status[same] = PROMOTED
        _plan_graduates(rng, grade, school, status, continues, next_school, next_grade, onie, home, picker,
                        profile, cohort.disadvantage)
        # A promotion into a grade the school does not teach (should not happen with contiguous levels).
        # A transfer or move that found no school teaching the grade (picker returns -1) leaves the province.
        no_school = next_school < 0
        lost = continues & (no_school | ~schools.offers[np.maximum(next_school, 0),
                                                         np.minimum(next_grade, N_GRADES - 1)])
        continues &= ~lost
    return YearPlan(status=status, dropout_reason=reason, continues=continues,
                    next_school=next_school, next_grade=next_grade)


def _plan_graduates(rng: np.random.Generator, grade: np.ndarray, school: np.ndarray, status: np.ndarray,
                    continues: np.ndarray, next_school: np.ndarray, next_grade: np.ndarray, onie: np.ndarray,
                    home: np.ndarray, picker: SchoolPicker, profile: ProvinceProfile,
                    disadvantage: np.ndarray) -> None:
    """P6 → M1 (most), M3 → M4 or a private vocational V1, M6/V3 leave; in place."""
    graduated = status == GRADUATED
    u = rng.random(len(grade))
    to_m1 = graduated & (grade == P6) & (u < profile.p6_to_m1 * (1.05 - 0.1 * disadvantage))
    to_upper = graduated & (grade == M3) & ~onie & (u < profile.m3_to_m4 * (1.05 - 0.1 * disadvantage))
    onie_upper = graduated & (grade == M3) & onie & (u < 0.6)
    continues &= ~graduated | to_m1 | to_upper | onie_upper
    continues &= ~(graduated & np.isin(grade, (M6, V3)))
    vocational_exists = picker.offers[:, V1].any()
    to_v1 = to_upper & vocational_exists & (rng.random(len(grade)) < M3_TO_V1)
    next_grade[to_m1] = M1
    next_grade[to_upper] = M4
    next_grade[to_v1] = V1
    next_grade[onie_upper] = M4
    moving = to_m1 | to_upper
    stay = moving & picker.offers[school, next_grade] & (rng.random(len(grade)) < 0.85)
    leave = np.flatnonzero(moving & ~stay)
    next_school[leave] = picker.pick(rng, home[leave], next_grade[leave], 0.85)


def next_cohort(cohort: Cohort, plan: YearPlan) -> Cohort:
    rows = np.flatnonzero(plan.continues)
    moved = cohort.take(rows)
    moved.school = plan.next_school[rows].astype(np.int32)
    moved.grade = plan.next_grade[rows].astype(np.int8)
    return moved
