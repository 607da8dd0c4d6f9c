"""One simulated province-year → the rows each province file delivers.

Every builder returns a DataFrame of object columns named by the landing contract's delivered fields
(`landing.FIELDS`, in file order), with values as the province writes them: Thai labels, Buddhist-Era dates
in the province's style, JSON booleans or Thai yes/no, numbers as numbers. The helper column AGENCY says
which agency file (Yala) or sheet (Mae Hong Son) a row belongs to; writers drop it. EMIS enrolment rows are
built here too, with the helper column SUBTOTAL marking the subtotal rows the OBEC export mixes in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from assets.contract.entities import GRADES, PROVINCES, STUDENT_STATUSES, TEACHER_POSITIONS
from assets.contract.landing import FIELDS
from assets.parsing.grades import SUBTOTAL_LABELS
from assets.sources.common import SKILL_LABELS, TEST_LABELS
from assets.sources.readers import EMIS_FIELDS
from pipelines.demo_data.activities import (
    COMPETENCIES,
    LITERACY_PASS_MARK,
    SPACE_KINDS,
    competency,
    learning_space_log,
    literacy,
    onie_mask,
    protection_cases,
)
from pipelines.demo_data.config import AFF_OBEC, DROPOUT_REASONS, N_GRADES
from pipelines.demo_data.formatting import (
    FOLLOW_UP_LABEL,
    GRADE_LABELS,
    POSITION_LABEL,
    SEX_LABEL,
    STATUS_LABEL,
    Style,
    first_label,
)
from pipelines.demo_data.schools import province_districts
from pipelines.demo_data.simulation import YearState
from pipelines.demo_data.staff import COURSES
from pipelines.demo_data.students import DROPPED, TRANSFERRED

AGENCY = "_agency"
SUBTOTAL = "_subtotal"
HELPER_COLUMNS = (AGENCY, SUBTOTAL)
"""Columns that steer writing and mess injection; never written."""

SEX_BY_CODE = np.array([SEX_LABEL["M"], SEX_LABEL["F"]], dtype=object)
STATUS_BY_CODE = np.array([STATUS_LABEL[s] for s in STUDENT_STATUSES], dtype=object)
POSITION_BY_CODE = np.array([POSITION_LABEL[p] for p in TEACHER_POSITIONS], dtype=object)
SKILL_LABEL = first_label(SKILL_LABELS)  # 'reading' → 'การอ่าน'
TEST_LABEL = first_label(TEST_LABELS)  # 'ONET' → 'O-NET'
LITERACY_SKILLS_BY_CODE = np.array([SKILL_LABEL["reading"], SKILL_LABEL["writing"]], dtype=object)

EMIS_CLASS_SIZE = 40
"""Most pupils OBEC puts in one classroom; a grade with any pupils has at least one room."""
EMIS_EARLY_LEAVER_SHARE = 0.15
"""Share of the year's dropouts and transfers who had already left by the 10 June EMIS census."""
EMIS_ROWS: tuple[tuple[str, tuple[int, ...]], ...] = tuple(
    row
    for label, covered in SUBTOTAL_LABELS.items() if label != "รวมทั้งหมด"
    for row in ([(GRADE_LABELS[GRADES.index(g)], (GRADES.index(g),)) for g in covered]
                + [(label, tuple(GRADES.index(g) for g in covered))])
) + (("รวมทั้งหมด", tuple(range(len(GRADES)))),)
"""The OBEC EMIS row order of one school: grade rows, each level followed by its subtotal, then the total."""
EMIS_SCHOOL_HEADER = "school_id"
"""The real EMIS export names its first column in English (format_samples/wevis_obec_emis_*)."""


def object_frame(columns: dict[str, object], n: int) -> pd.DataFrame:
    """Object columns in the given order (pandas would otherwise infer 'str' and refuse numbers later)."""
    data = {}
    for name, values in columns.items():
        array = np.empty(n, dtype=object)
        array[:] = values  # numpy numbers become Python numbers, a scalar fills the column
        data[name] = pd.Series(array, dtype=object)
    return pd.DataFrame(data, index=pd.RangeIndex(n))


def delivered(entity: str, columns: dict[str, object], n: int, agency: object = None) -> pd.DataFrame:
    """A delivered table: the entity's fields in contract order (every one must be given) plus AGENCY."""
    missing = [f for f in FIELDS[entity] if f not in columns]
    if missing:
        raise ValueError(f"{entity}: builder gave no values for {missing}")
    ordered = {f: columns[f] for f in FIELDS[entity]}
    ordered[AGENCY] = agency
    return object_frame(ordered, n)


def _where(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """values where mask, None elsewhere."""
    out = np.full(len(mask), None, dtype=object)
    out[mask] = values[mask]
    return out


def schools_table(state: YearState, style: Style) -> pd.DataFrame:
    frame = state.schools.frame
    area = frame["area_code"].to_numpy(dtype=object)
    area = np.where(pd.isna(area) | (area == ""), None, area)
    return delivered("schools", {
        "school_id": state.school_ids, "school_name": frame["school_name"].to_numpy(dtype=object),
        "affiliation": frame["affiliation"].to_numpy(dtype=object), "area_code": area,
        "district_code": frame["district_code"].to_numpy(dtype=object),
        "subdistrict_code": frame["subdistrict_code"].to_numpy(dtype=object),
        "levels_offered": frame["levels_offered"].to_numpy(dtype=object),
        "sandbox_member": style.yes_no(state.sandbox),
    }, len(frame))


def students_table(state: YearState, style: Style) -> pd.DataFrame:
    """The roster: every student enrolled this year, with the status at the end of the year."""
    cohort, plan = state.cohort, state.plan
    order = np.lexsort((cohort.grade, cohort.school))
    languages = np.array(state.language_names, dtype=object)
    reasons = np.array(DROPOUT_REASONS, dtype=object)
    columns = {
        "person_id": cohort.person_id, "first_name": cohort.first_name, "last_name": cohort.last_name,
        "school_id": state.school_ids[cohort.school], "grade": GRADE_LABELS[cohort.grade],
        "sex": SEX_BY_CODE[cohort.sex], "birth_date": style.dates(cohort.birth),
        "status": STATUS_BY_CODE[plan.status],
        "dropout_reason": _where(plan.dropout_reason >= 0, reasons[np.maximum(plan.dropout_reason, 0)]),
        "home_language": _where(cohort.language_recorded, languages[cohort.language]),
    }
    columns = {name: values[order] for name, values in columns.items()}
    return delivered("students", columns, len(order), state.agencies[cohort.school[order]])


def teachers_table(state: YearState, style: Style) -> pd.DataFrame:
    staff = state.staff
    return delivered("teachers", {
        "person_id": staff.person_id, "first_name": staff.first_name, "last_name": staff.last_name,
        "school_id": state.school_ids[staff.school], "position": POSITION_BY_CODE[staff.position],
        "subject": staff.subject, "academic_standing": staff.standing, "sex": SEX_BY_CODE[staff.sex],
    }, len(staff), state.agencies[staff.school])


def training_table(state: YearState, style: Style) -> pd.DataFrame:
    person, course, completed = state.staff_model.training(state.rng("training"), state.staff, state.year_be,
                                                           state.sandbox)
    names, areas, hours = (np.array([c[i] for c in COURSES], dtype=object) for i in range(3))
    school = state.staff.school[person]
    return delivered("training", {
        "person_id": state.staff.person_id[person], "school_id": state.school_ids[school],
        "course_name": names[course], "skill_area": areas[course], "hours": hours[course].astype(float),
        "completed_on": style.dates(completed),
    }, len(person), state.agencies[school])


def literacy_table(state: YearState, style: Style) -> pd.DataFrame:
    scores = literacy(state.rng("literacy"), state.cohort, state.thai_index, state.profile, state.sandbox,
                      state.index, state.year_be)
    assert scores.date is not None
    cohort = state.cohort
    school = cohort.school[scores.student]
    return delivered("literacy", {
        "person_id": cohort.person_id[scores.student], "school_id": state.school_ids[school],
        "grade": GRADE_LABELS[cohort.grade[scores.student]], "skill": LITERACY_SKILLS_BY_CODE[scores.item],
        "score": scores.score, "passed": style.yes_no(scores.score >= LITERACY_PASS_MARK),
        "screened_on": style.dates(scores.date),
    }, len(scores.student), state.agencies[school])


def competency_table(state: YearState, style: Style) -> pd.DataFrame:
    """Satun's competency assessments (contract entity `assessments`, test COMPETENCY)."""
    cohort = state.cohort
    scores = competency(state.rng("assessments"), cohort, state.sandbox, onie_mask(state.schools),
                        state.index)
    school = cohort.school[scores.student]
    return delivered("assessments", {
        "person_id": cohort.person_id[scores.student], "school_id": state.school_ids[school],
        "test": TEST_LABEL["COMPETENCY"], "grade": GRADE_LABELS[cohort.grade[scores.student]],
        "subject": np.array(COMPETENCIES, dtype=object)[scores.item], "score": scores.score,
    }, len(scores.student), state.agencies[school])


def space_names(state: YearState) -> np.ndarray:
    """'<kind> อ.<district>', numbered from the second space of a kind in the same district."""
    districts = province_districts(PROVINCES[state.province])
    district, kind = state.spaces
    names = []
    seen: dict[tuple[int, int], int] = {}
    for d, k in zip(district.tolist(), kind.tolist(), strict=True):
        seen[(d, k)] = seen.get((d, k), 0) + 1
        suffix = f" แห่งที่ {seen[(d, k)]}" if seen[(d, k)] > 1 else ""
        names.append(f"{SPACE_KINDS[k]} อ.{districts[d].name}{suffix}")
    return np.array(names, dtype=object)


LEARNING_SPACE_GROWTH = 1.15
"""Yearly growth of learning-space use as the sandbox programmes spread."""


def learning_spaces_table(state: YearState, style: Style) -> pd.DataFrame:
    district, _ = state.spaces
    visitors = state.profile.learning_space_visitors * LEARNING_SPACE_GROWTH ** state.index
    log = learning_space_log(state.rng("learning_spaces"), len(district), state.year_be, visitors)
    code = PROVINCES[state.province]
    ids = np.array([f"LS{code}{i + 1:03d}" for i in range(len(district))], dtype=object)
    return delivered("learning_spaces", {
        "space_id": ids[log.space], "space_name": space_names(state)[log.space],
        "district_code": state.district_codes[district[log.space]], "month": style.months(log.month),
        "visitors": log.visitors, "visitors_applying": log.applying, "income_baht": log.income,
    }, len(log.space))


def protection_cases_table(state: YearState, style: Style) -> pd.DataFrame:
    cases = protection_cases(state.rng("protection_cases"), state.cohort)
    school = state.cohort.school[cases.student]
    follow_up = np.array([FOLLOW_UP_LABEL[v] for v in cases.follow_up], dtype=object)
    return delivered("protection_cases", {
        "person_id": state.cohort.person_id[cases.student], "school_id": state.school_ids[school],
        "disadvantage_type": cases.disadvantage, "support_given": cases.support,
        "follow_up_status": follow_up,
    }, len(cases.student), state.agencies[school])


TableBuilder = Callable[[YearState, Style], pd.DataFrame]
BUILDERS: dict[str, TableBuilder] = {
    "schools": schools_table, "students": students_table, "teachers": teachers_table,
    "training": training_table, "literacy": literacy_table, "assessments": competency_table,
    "learning_spaces": learning_spaces_table, "protection_cases": protection_cases_table,
}
"""Province entity → builder (national entities are built in national.py)."""


# --- OBEC EMIS enrolment ---------------------------------------------------------------------------

def emis_counts(state: YearState) -> np.ndarray:
    """OBEC schools × grades × sexes counted on 10 June: the roster minus the leavers already gone by then."""
    cohort, plan = state.cohort, state.plan
    leaving = np.isin(plan.status, (DROPPED, TRANSFERRED))
    gone = leaving & (state.rng("emis").random(len(cohort)) < EMIS_EARLY_LEAVER_SHARE)
    n_schools = len(state.schools)
    cell = (cohort.school[~gone].astype(np.int64) * N_GRADES + cohort.grade[~gone]) * 2 + cohort.sex[~gone]
    counts = np.bincount(cell, minlength=n_schools * N_GRADES * 2).reshape(n_schools, N_GRADES, 2)
    obec = state.schools.frame["affiliation"].to_numpy() == AFF_OBEC
    return counts[obec]


def emis_table(state: YearState) -> pd.DataFrame:
    """EMIS rows for every OBEC school, grade rows and correct subtotal rows in the export's order."""
    counts = emis_counts(state)
    obec = state.schools.frame["affiliation"].to_numpy() == AFF_OBEC
    school_ids = state.school_ids[obec]
    # rows × grades selector: each EMIS row sums the grades it covers (a grade row covers only itself).
    selector = np.zeros((len(EMIS_ROWS), N_GRADES), dtype=np.int64)
    for r, (_, covered) in enumerate(EMIS_ROWS):
        selector[r, list(covered)] = 1
    male = counts[:, :, 0] @ selector.T  # schools × rows
    female = counts[:, :, 1] @ selector.T
    per_grade_rooms = np.where(counts.sum(axis=2) > 0, -(-counts.sum(axis=2) // EMIS_CLASS_SIZE), 0)
    rooms = per_grade_rooms @ selector.T
    n_rows = len(EMIS_ROWS)
    labels = np.array([label for label, _ in EMIS_ROWS], dtype=object)
    subtotal = np.array([label in SUBTOTAL_LABELS for label, _ in EMIS_ROWS])
    columns = {
        "school_id": np.repeat(school_ids, n_rows), "grade_or_subtotal": np.tile(labels, len(school_ids)),
        "male": male.ravel(), "female": female.ravel(), "total": (male + female).ravel(),
        "classrooms": rooms.ravel(),
    }
    assert tuple(columns) == EMIS_FIELDS
    columns[SUBTOTAL] = np.tile(subtotal, len(school_ids))
    return object_frame(columns, len(school_ids) * n_rows)


EMIS_GRADE_ROWS_PER_SCHOOL = sum(1 for label, _ in EMIS_ROWS if label not in SUBTOTAL_LABELS)
