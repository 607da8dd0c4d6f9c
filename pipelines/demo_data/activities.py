"""What happens to students during a year beyond enrolment: screenings, tests, poverty screening,
social protection cases, plus the learning spaces and the registered population of each district.

All functions take a cohort (or counts) and return plain arrays; tables.py turns them into delivered rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.demo_data.config import AFF_LAO, AFF_OBEC, AFF_ONIE, M3, M6, P1, P3, P6, ProvinceProfile
from pipelines.demo_data.schools import SchoolTable
from pipelines.demo_data.students import Cohort, academic_year_start

# --- Yala literacy screening (Thai reading and writing, P1–P6) -------------------------------------
LITERACY_MEAN_BY_GRADE = np.array([52.0, 58.0, 63.0, 66.0, 69.0, 72.0])  # P1..P6
LITERACY_PASS_MARK = 50.0


@dataclass
class Scores:
    student: np.ndarray  # row in the cohort
    item: np.ndarray  # index into the list of skills / subjects
    score: np.ndarray
    date: np.ndarray | None = None


def literacy(rng: np.random.Generator, cohort: Cohort, thai_index: int, profile: ProvinceProfile,
             sandbox: np.ndarray, years_since_start: int, year_be: int) -> Scores:
    """Two rows (reading, writing) per screened P1–P6 student; ~95 % are present on screening day."""
    primary = np.flatnonzero((cohort.grade >= P1) & (cohort.grade <= P6) & (rng.random(len(cohort)) < 0.95))
    grade = cohort.grade[primary] - P1
    not_thai = cohort.language[primary] != thai_index
    base = (LITERACY_MEAN_BY_GRADE[grade] - profile.literacy_penalty * not_thai
            - 20.0 * (cohort.disadvantage[primary] - 0.3)
            + 1.5 * years_since_start * sandbox[cohort.school[primary]] + rng.normal(0, 13, len(primary)))
    writing = base - 6.0 + rng.normal(0, 7, len(primary))
    student = np.repeat(primary, 2)
    skill = np.tile([0, 1], len(primary))
    score = np.round(np.clip(np.stack([base, writing], axis=1).ravel(), 0, 100), 1)
    # One screening day per school in the first term (July).
    school_day = rng.integers(0, 28, int(cohort.school.max()) + 1 if len(cohort) else 1)
    july = np.datetime64(f"{year_be - 543:04d}-07-01")
    date = july + school_day[cohort.school[student]].astype("timedelta64[D]")
    return Scores(student, skill, score, date)


# --- Satun competency assessment -------------------------------------------------------------------
COMPETENCIES = ("การจัดการตนเอง", "การคิดขั้นสูง", "การสื่อสาร", "การรวมพลังทำงานเป็นทีม",
                "การเป็นพลเมืองที่เข้มแข็ง", "การอยู่ร่วมกับธรรมชาติและวิทยาการอย่างยั่งยืน")
"""The six core competencies of Thailand's draft competency-based curriculum, piloted in the sandboxes."""
COMPETENCY_GRADES = (P3, P6, M3)


def competency(rng: np.random.Generator, cohort: Cohort, sandbox: np.ndarray, onie: np.ndarray,
               years_since_start: int) -> Scores:
    """Six competency scores per P3, P6 and M3 student of sandbox schools (non-formal centres excluded)."""
    at_school = np.isin(cohort.grade, COMPETENCY_GRADES) & sandbox[cohort.school] & ~onie[cohort.school]
    assessed = np.flatnonzero(at_school & (rng.random(len(cohort)) < 0.93))
    k = len(COMPETENCIES)
    student = np.repeat(assessed, k)
    item = np.tile(np.arange(k), len(assessed))
    ability = 62.0 - 18.0 * (cohort.disadvantage[assessed] - 0.3) + 1.0 * years_since_start
    item_effect = np.tile(rng.normal(0, 6, k), len(assessed))
    score = np.repeat(ability, k) + item_effect + rng.normal(0, 11, len(student))
    return Scores(student, item, np.round(np.clip(score, 0, 100), 1))


# --- National tests: NT (P3) and O-NET (P6, M3, M6) ------------------------------------------------
NATIONAL_TESTS: dict[int, tuple[str, tuple[tuple[str, float], ...], float]] = {
    # grade → (test, ((subject, national mean), ...), participation)
    P3: ("NT", (("ภาษาไทย", 52.0), ("คณิตศาสตร์", 45.0)), 0.95),
    P6: ("ONET", (("ภาษาไทย", 50.0), ("คณิตศาสตร์", 35.0), ("วิทยาศาสตร์", 36.0), ("ภาษาอังกฤษ", 39.0)), 0.85),
    M3: ("ONET", (("ภาษาไทย", 53.0), ("คณิตศาสตร์", 25.0), ("วิทยาศาสตร์", 31.0), ("ภาษาอังกฤษ", 32.0)), 0.82),
    M6: ("ONET", (("ภาษาไทย", 45.0), ("คณิตศาสตร์", 22.0), ("วิทยาศาสตร์", 28.0), ("ภาษาอังกฤษ", 25.0),
                  ("สังคมศึกษา ศาสนาและวัฒนธรรม", 35.0)), 0.6),
}


@dataclass
class TestScores:
    student: np.ndarray
    test: np.ndarray  # object
    subject: np.ndarray  # object
    score: np.ndarray


def national_tests(rng: np.random.Generator, cohort: Cohort, thai_index: int, onie: np.ndarray) -> TestScores:
    parts: list[TestScores] = []
    for grade, (test, subjects, participation) in NATIONAL_TESTS.items():
        sitting = np.flatnonzero((cohort.grade == grade) & ~onie[cohort.school]
                                 & (rng.random(len(cohort)) < participation))
        k = len(subjects)
        ability = (rng.normal(0, 8, len(sitting)) - 14.0 * (cohort.disadvantage[sitting] - 0.3)
                   - 4.0 * (cohort.language[sitting] != thai_index))
        means = np.array([m for _, m in subjects])
        score = np.repeat(ability, k) + np.tile(means, len(sitting)) + rng.normal(0, 10, len(sitting) * k)
        parts.append(TestScores(
            student=np.repeat(sitting, k),
            test=np.full(len(sitting) * k, test, dtype=object),
            subject=np.tile(np.array([s for s, _ in subjects], dtype=object), len(sitting)),
            score=np.round(np.clip(score, 0, 100), 2),
        ))
    return TestScores(*(np.concatenate([getattr(p, f) for p in parts])
                        for f in ("student", "test", "subject", "score")))


# --- EEF poverty screening -------------------------------------------------------------------------
POOR, EXTREMELY_POOR, NOT_POOR = "poor", "extremely_poor", "not_poor"


def poverty_screening(rng: np.random.Generator, cohort: Cohort, schools: SchoolTable,
                      profile: ProvinceProfile) -> tuple[np.ndarray, np.ndarray]:
    """(screened cohort rows, status) for K1–M3 students of OBEC and local-government schools who applied.

    The poorest `poor_share` of the screened (by latent disadvantage plus noise) are poor; a third of those
    extremely poor.
    """
    affiliation = schools.frame["affiliation"].to_numpy()[cohort.school]
    eligible = (cohort.grade <= M3) & np.isin(affiliation, (AFF_OBEC, AFF_LAO))
    screened = np.flatnonzero(eligible & (rng.random(len(cohort)) < 0.7 + 0.2 * cohort.disadvantage))
    need = cohort.disadvantage[screened] + rng.normal(0, 0.08, len(screened))
    status = np.full(len(screened), NOT_POOR, dtype=object)
    if len(screened):
        status[need >= np.quantile(need, 1 - profile.poor_share)] = POOR
        status[need >= np.quantile(need, 1 - profile.poor_share / 3)] = EXTREMELY_POOR
    return screened, status


# --- Sukhothai social protection cases -------------------------------------------------------------
DISADVANTAGES = ("ความยากจน", "ความพิการ", "เด็กกำพร้า", "เด็กต่างด้าวหรือไร้สัญชาติ", "ปัญหาครอบครัว")
SUPPORT = {
    "ความยากจน": ("ทุนการศึกษา", "อุปกรณ์การเรียนและเครื่องแบบ", "ค่าเดินทาง"),
    "ความพิการ": ("ส่งต่อศูนย์การศึกษาพิเศษ", "สื่อและอุปกรณ์สำหรับผู้พิการ"),
    "เด็กกำพร้า": ("ทุนการศึกษา", "ส่งต่อหน่วยงานพัฒนาสังคมฯ"),
    "เด็กต่างด้าวหรือไร้สัญชาติ": ("ประสานการขอสถานะบุคคล", "อุปกรณ์การเรียนและเครื่องแบบ"),
    "ปัญหาครอบครัว": ("เยี่ยมบ้านและให้คำปรึกษา", "ส่งต่อหน่วยงานพัฒนาสังคมฯ"),
}
FOLLOW_UPS = ("open", "in_progress", "closed")


@dataclass
class Cases:
    student: np.ndarray
    disadvantage: np.ndarray  # object
    support: np.ndarray  # object, None when not yet recorded
    follow_up: np.ndarray  # object: contract values


def protection_cases(rng: np.random.Generator, cohort: Cohort, share: float = 0.10) -> Cases:
    """About `share` of students with an open or recent case; one or two kinds of disadvantage each."""
    need = cohort.disadvantage + rng.normal(0, 0.1, len(cohort))
    chosen = np.flatnonzero(need >= np.quantile(need, 1 - share)) if len(cohort) else np.array([], dtype=int)
    migrant = cohort.g_code[chosen]
    main = np.where(migrant, 3, rng.choice([0, 1, 2, 4], size=len(chosen), p=[0.62, 0.12, 0.1, 0.16]))
    second = rng.choice(len(DISADVANTAGES), size=len(chosen))
    has_second = (rng.random(len(chosen)) < 0.2) & (second != main)
    student = np.concatenate([chosen, chosen[has_second]])
    kind = np.concatenate([main, second[has_second]])
    order = np.argsort(student, kind="stable")
    student, kind = student[order], kind[order]
    names = np.array(DISADVANTAGES, dtype=object)[kind]
    support = np.array([SUPPORT[d][i % len(SUPPORT[d])] for i, d in
                        zip(rng.integers(0, 6, len(names)).tolist(), names.tolist(), strict=True)],
                       dtype=object)
    support[rng.random(len(names)) < 0.1] = None
    follow_up = np.array(FOLLOW_UPS, dtype=object)[rng.choice(3, size=len(names), p=[0.25, 0.35, 0.4])]
    return Cases(student, names, support, follow_up)


# --- Learning spaces -------------------------------------------------------------------------------
SPACE_KINDS = ("ศูนย์เรียนรู้เศรษฐกิจพอเพียง", "พิพิธภัณฑ์ชุมชน", "ห้องสมุดประชาชน", "ศูนย์เรียนรู้ภูมิปัญญาท้องถิ่น",
               "แปลงเกษตรอินทรีย์ชุมชน", "ศูนย์เรียนรู้ผ้าทอ", "ศูนย์การเรียนรู้ดิจิทัลชุมชน", "ลานวัฒนธรรม")


@dataclass
class SpaceLog:
    space: np.ndarray  # index into the space list
    month: np.ndarray  # datetime64[D], first of month
    visitors: np.ndarray
    applying: np.ndarray
    income: np.ndarray


def learning_space_list(rng: np.random.Generator, n_districts: int,
                        n_spaces: int) -> tuple[np.ndarray, np.ndarray]:
    """(district index, kind index) per space; every district gets at least one."""
    extra = rng.integers(0, n_districts, max(n_spaces - n_districts, 0))
    district = np.concatenate([np.arange(n_districts), extra])
    return np.sort(district), rng.integers(0, len(SPACE_KINDS), len(district))


def learning_space_log(rng: np.random.Generator, n_spaces: int, year_be: int,
                       yearly_visitors: float) -> SpaceLog:
    """Twelve monthly rows per space (May to April); visitors add up to about `yearly_visitors`."""
    share = rng.dirichlet(np.full(n_spaces, 1.5))
    months = np.arange(12)
    season = 1.0 + 0.35 * np.cos((months - 2) / 12 * 2 * np.pi)  # busier in the dry, cool season
    season /= season.sum()
    expected = yearly_visitors * share[:, None] * season[None, :]
    visitors = rng.poisson(expected)
    applying_share = rng.beta(6, 14, n_spaces)
    applying = rng.binomial(visitors, applying_share[:, None])
    baht_per_person = np.where(rng.random(n_spaces) < 0.3, 0.0, rng.lognormal(4.8, 0.6, n_spaces))
    income = np.round(applying * baht_per_person[:, None] * rng.uniform(0.7, 1.3, applying.shape), -1)
    first = np.datetime64(f"{year_be - 543:04d}-05", "M")
    month = (first + months).astype("datetime64[D]")
    return SpaceLog(np.repeat(np.arange(n_spaces), 12), np.tile(month, n_spaces), visitors.ravel(),
                    applying.ravel(), income.ravel())


# --- DOPA population by district, age and sex ------------------------------------------------------
MAX_AGE = 24
# Relative size of each single-year birth cohort (age 0..24): Thai births have fallen since the 2010s.
COHORT_SIZE = np.concatenate([np.linspace(0.70, 1.0, 11), np.ones(MAX_AGE - 10)])
PRIMARY_ENROLMENT = 0.975
"""Share of children aged 6–11 in school: primary enrolment is nearly universal."""


def ages_at_start(cohort: Cohort, year_be: int) -> np.ndarray:
    start = academic_year_start(year_be)
    start_year = start.astype("datetime64[Y]").astype(int) + 1970
    birth_year = cohort.birth.astype("datetime64[Y]").astype(int) + 1970
    day_of_year = cohort.birth - cohort.birth.astype("datetime64[Y]")
    had_birthday = day_of_year <= (start - start.astype("datetime64[Y]"))
    return start_year - birth_year - (~had_birthday).astype(int)


def population(rng: np.random.Generator, enrolled: np.ndarray) -> np.ndarray:
    """districts × ages 0–24 × sexes registered population, consistent with enrolment `enrolled` (same shape).

    Each district's cohort size comes from its primary enrolment; ages 3–14 never fall below enrolment
    (children go to school near home), so out-of-school children show up as population minus enrolment.
    """
    primary = enrolled[:, 6:12, :].sum(axis=1) / (6 * PRIMARY_ENROLMENT)
    base = primary / COHORT_SIZE[6:12].mean()
    noise = rng.lognormal(0.0, 0.04, enrolled.shape)
    pop = np.round(base[:, None, :] * COHORT_SIZE[None, :, None] * noise)
    floor = np.ceil(enrolled * 1.01)
    pop[:, 3:15, :] = np.maximum(pop[:, 3:15, :], floor[:, 3:15, :])
    return pop.astype(np.int64)


def onie_mask(schools: SchoolTable) -> np.ndarray:
    return schools.frame["affiliation"].to_numpy() == AFF_ONIE
