"""Teachers, directors and their training, year by year.

Each school has one director, deputies when it is large, teachers for a pupil–teacher ratio of about
14–24 and a few assistant teachers. Staff persist across years: some leave every year and are replaced.
Training: 40–70 % of a school's staff complete courses each year, mostly in the skill the school needs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from assets.contract.entities import PROVINCES, TEACHER_POSITIONS
from pipelines.demo_data.config import AFF_ONIE, M1, P1
from pipelines.demo_data.identities import SerialAllocator, citizen_ids
from pipelines.demo_data.names import NAME_GROUPS, draw_names
from pipelines.demo_data.schools import SchoolTable, province_districts

DIRECTOR, DEPUTY, TEACHER, ASSISTANT = (TEACHER_POSITIONS.index(p) for p in
                                        ("director", "deputy_director", "teacher", "teacher_assistant"))
SUBJECTS = ("ภาษาไทย", "คณิตศาสตร์", "วิทยาศาสตร์", "ภาษาอังกฤษ", "สังคมศึกษา", "สุขศึกษาและพลศึกษา",
            "ศิลปะ", "การงานอาชีพ", "คอมพิวเตอร์")
SUBJECT_WEIGHTS = np.array([0.17, 0.17, 0.15, 0.14, 0.1, 0.08, 0.07, 0.07, 0.05])
EARLY_CHILDHOOD = "ปฐมวัย"
ISLAMIC_STUDIES = "อิสลามศึกษา"
ADMINISTRATION = "บริหารการศึกษา"
STANDINGS = ("ชำนาญการ", "ชำนาญการพิเศษ", "เชี่ยวชาญ")
"""Academic standings (วิทยฐานะ) as OBEC EMIS writes them; teachers without one are left blank."""

# (course, skill area, hours). Skill areas are what the sandbox provinces want their staff to learn.
COURSES: tuple[tuple[str, str, float], ...] = (
    ("การสอนอ่านเขียนภาษาไทยสำหรับนักเรียนที่ใช้ภาษาถิ่น", "การอ่านออกเขียนได้", 12),
    ("การพัฒนาทักษะการอ่านเชิงวิเคราะห์", "การอ่านออกเขียนได้", 18),
    ("การจัดการเรียนรู้ฐานสมรรถนะ", "หลักสูตรฐานสมรรถนะ", 30),
    ("การออกแบบหน่วยการเรียนรู้บูรณาการ", "หลักสูตรฐานสมรรถนะ", 20),
    ("การประเมินผลตามสภาพจริง", "การวัดและประเมินผล", 12),
    ("การสอนแบบพหุภาษาโดยใช้ภาษาแม่เป็นฐาน", "ทวิภาษาและพหุภาษา", 24),
    ("การใช้เทคโนโลยีดิจิทัลในห้องเรียน", "เทคโนโลยีดิจิทัล", 15),
    ("การจัดการเรียนรู้เชิงรุก", "การจัดการเรียนรู้เชิงรุก", 18),
    ("ภาวะผู้นำทางวิชาการสำหรับผู้บริหารสถานศึกษา", "ภาวะผู้นำ", 30),
    ("การดูแลช่วยเหลือนักเรียนกลุ่มเปราะบาง", "การดูแลช่วยเหลือนักเรียน", 12),
    ("หลักสูตรท้องถิ่นและแหล่งเรียนรู้ชุมชน", "หลักสูตรชุมชน", 20),
)
SKILL_AREAS = tuple(dict.fromkeys(c[1] for c in COURSES))
# What schools in each province most often need (the rest is spread evenly).
PROVINCE_NEEDS: dict[str, dict[str, float]] = {
    "yala": {"การอ่านออกเขียนได้": 0.5, "ทวิภาษาและพหุภาษา": 0.2},
    "satun": {"หลักสูตรฐานสมรรถนะ": 0.5, "การวัดและประเมินผล": 0.15},
    "mae_hong_son": {"ทวิภาษาและพหุภาษา": 0.35, "การอ่านออกเขียนได้": 0.3},
    "sukhothai": {"หลักสูตรชุมชน": 0.4, "การจัดการเรียนรู้เชิงรุก": 0.2},
}


@dataclass
class Staff:
    person_id: np.ndarray
    school: np.ndarray
    position: np.ndarray  # int8 index into TEACHER_POSITIONS
    sex: np.ndarray  # 0 male, 1 female
    subject: np.ndarray  # object, None when not recorded
    standing: np.ndarray  # object, None when none
    first_name: np.ndarray
    last_name: np.ndarray
    years_in_post: np.ndarray

    def __len__(self) -> int:
        return len(self.person_id)

    def take(self, rows: np.ndarray) -> Staff:
        return Staff(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Staff]) -> Staff:
        return Staff(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Staff)})


class StaffModel:
    def __init__(self, rng: np.random.Generator, province: str, schools: SchoolTable, scale: float,
                 allocator: SerialAllocator, dominant_group: np.ndarray) -> None:
        self.province = province
        self.schools = schools
        self.scale = scale
        self.allocator = allocator
        self.dominant_group = dominant_group
        n = len(schools)
        onie = schools.frame["affiliation"].to_numpy() == AFF_ONIE
        self.pupils_per_teacher = np.where(onie, 45.0, rng.uniform(14.0, 24.0, n))
        self.training_rate = rng.uniform(0.4, 0.7, n)
        needs = PROVINCE_NEEDS[province]
        p = np.array([needs.get(a, 0.0) for a in SKILL_AREAS])
        p += (1 - p.sum()) / len(p)
        self.need = rng.choice(len(SKILL_AREAS), size=n, p=p)
        self.islamic = schools.frame["islamic"].to_numpy(dtype=bool)
        self.kindergarten_only_share = np.where(schools.offers[:, P1] & ~schools.offers[:, M1], 0.15, 0.05)
        self.district_codes = np.array([int(d.code) for d in province_districts(PROVINCES[province])])
        self.staff: Staff | None = None

    def targets(self, students_per_school: np.ndarray) -> np.ndarray:
        """schools × positions headcount: deputies follow the real school size (students ÷ scale)."""
        real_size = students_per_school / max(self.scale, 1e-9)
        teachers = np.round(students_per_school / self.pupils_per_teacher)
        teachers = np.where(students_per_school > 0, np.maximum(teachers, 1), 0)
        deputies = (real_size >= 600).astype(int) + (real_size >= 1500) + (real_size >= 2500)
        assistants = np.round(teachers * 0.1)
        return np.stack([np.ones(len(teachers)), deputies, teachers, assistants], axis=1).astype(np.int64)

    def _hire(self, rng: np.random.Generator, school: np.ndarray, position: np.ndarray) -> Staff:
        n = len(school)
        admin = position <= DEPUTY
        sex = (rng.random(n) < np.where(admin, 0.38, 0.66)).astype(np.int8)
        group = self.dominant_group[school]
        group = np.where(group == NAME_GROUPS.index("hill"), 0, group)  # most hill-area teachers are Thai
        group = np.where(rng.random(n) < 0.5, group, 0)
        first, last = draw_names(rng, sex, group)
        older = rng.random(n) < np.where(admin, 0.9, 0.35)  # born before 1984: ID starts with 3
        serial = rng.permutation(self.allocator.take(n))
        office = self.district_codes[rng.integers(0, len(self.district_codes), n)]
        person_id = citizen_ids(serial, office, np.where(older, 3, 1))
        subject = np.array(SUBJECTS, dtype=object)[rng.choice(len(SUBJECTS), size=n, p=SUBJECT_WEIGHTS)]
        subject[rng.random(n) < self.kindergarten_only_share[school]] = EARLY_CHILDHOOD
        subject[self.islamic[school] & (rng.random(n) < 0.25)] = ISLAMIC_STUDIES
        subject[admin] = ADMINISTRATION
        standing = np.array(STANDINGS, dtype=object)[rng.choice(3, size=n, p=[0.55, 0.4, 0.05])]
        standing[(position == TEACHER) & (rng.random(n) < 0.45)] = None
        standing[position == ASSISTANT] = None
        public = np.isin(self.schools.frame["affiliation"].to_numpy()[school], ("10", "30"))
        standing[~public] = None  # academic standing is a civil-service grade
        return Staff(person_id=person_id, school=school.astype(np.int32), position=position.astype(np.int8),
                     sex=sex, subject=subject, standing=standing, first_name=first, last_name=last,
                     years_in_post=np.zeros(n, dtype=np.int16))

    def year(self, rng: np.random.Generator, students_per_school: np.ndarray) -> Staff:
        """This year's staff: last year's minus leavers, trimmed or topped up to the targets."""
        targets = self.targets(students_per_school)
        if self.staff is None:
            current = self._hire(rng, *_cells(targets))
        else:
            current = self.staff
            leave = rng.random(len(current)) < np.where(current.position == DIRECTOR, 0.08, 0.06)
            current = current.take(np.flatnonzero(~leave))
            promoted = (current.position == ASSISTANT) & (rng.random(len(current)) < 0.4)
            current.position = np.where(promoted, TEACHER, current.position).astype(np.int8)
            current.years_in_post = current.years_in_post + 1
            key = current.school.astype(np.int64) * 4 + current.position
            order = np.lexsort((rng.random(len(current)), key))
            sorted_key = key[order]
            group_start = np.searchsorted(sorted_key, sorted_key, side="left")
            rank = np.empty(len(current), dtype=np.int64)
            rank[order] = np.arange(len(current)) - group_start
            keep = rank < targets.ravel()[key]
            current = current.take(np.flatnonzero(keep))
            have = np.bincount(current.school.astype(np.int64) * 4 + current.position, minlength=targets.size)
            missing = np.maximum(targets.ravel() - have, 0).reshape(targets.shape)
            current = Staff.concat([current, self._hire(rng, *_cells(missing))])
        order = np.lexsort((current.position, current.school))
        self.staff = current.take(order)
        return self.staff

    def training(self, rng: np.random.Generator, staff: Staff, year_be: int,
                 sandbox: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(staff row, course index, completion date) per completed course, unique per person/course/date."""
        rate = np.minimum(self.training_rate[staff.school] + 0.1 * sandbox[staff.school], 0.9)
        trained = np.flatnonzero(rng.random(len(staff)) < rate)
        courses_each = 1 + np.minimum(rng.poisson(0.4, len(trained)), 2)
        person = np.repeat(trained, courses_each)
        need = self.need[staff.school[person]]
        own_need = rng.random(len(person)) < 0.6
        course_area = np.where(own_need, need, rng.integers(0, len(SKILL_AREAS), len(person)))
        area_of_course = np.array([SKILL_AREAS.index(c[1]) for c in COURSES])
        course = np.empty(len(person), dtype=np.int64)
        for a in range(len(SKILL_AREAS)):
            rows = np.flatnonzero(course_area == a)
            options = np.flatnonzero(area_of_course == a)
            course[rows] = options[rng.integers(0, len(options), len(rows))]
        start = np.datetime64(f"{year_be - 543:04d}-05-16")
        completed = start + rng.integers(0, 300, len(person)).astype("timedelta64[D]")
        key = np.stack([person, course, completed.astype(np.int64)], axis=1)
        _, first = np.unique(key, axis=0, return_index=True)
        first.sort()
        return person[first], course[first], completed[first]


def _cells(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    flat = counts.ravel()
    cells = np.repeat(np.arange(flat.size), flat)
    return cells // counts.shape[1], cells % counts.shape[1]
