"""The typed contract every province adapter produces: one table per entity in the warehouse `raw` schema.

Adapters turn a delivered file (any province format) into a DataFrame with exactly these columns, in this
order, plus the lineage columns. Student and teacher identifiers are already pseudonymised keys here; raw
citizen IDs and G-codes never pass this boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["text", "integer", "double", "boolean", "date"]
StoredType = ColumnType | Literal["key"]
"""A column's type in the warehouse: its contract type, or `key` for a pseudonymised column (an entity's
`pseudonymised`). A key is 128 bits, 32 hex digits in the contract (assets/parsing/pseudonym.py), stored as
the 128-bit value (a UUID column): at 9 M students dbt's build over UUID keys took 22.4 / 21.3 s against
27.9 / 30.1 s over the text (bench/README.md, nineteenth round)."""

PROVINCES: dict[str, str] = {"mae_hong_son": "58", "sukhothai": "64", "satun": "91", "yala": "95"}
"""Province slug (landing folder name) → DOPA province code."""

PROVINCE_NAMES: dict[str, tuple[str, str]] = {
    "mae_hong_son": ("แม่ฮ่องสอน", "Mae Hong Son"),
    "sukhothai": ("สุโขทัย", "Sukhothai"),
    "satun": ("สตูล", "Satun"),
    "yala": ("ยะลา", "Yala"),
}
NATIONAL = "national"

GRADES: tuple[str, ...] = (
    "K1", "K2", "K3",
    "P1", "P2", "P3", "P4", "P5", "P6",
    "M1", "M2", "M3", "M4", "M5", "M6",
    "V1", "V2", "V3",
)
"""Normalised grade codes: kindergarten อบ.1–3 (also written อ.1–3), primary ป.1–6, secondary ม.1–6,
vocational ปวช.1–3."""

SEXES = ("M", "F")
AFFILIATIONS: dict[str, str] = {
    "10": "OBEC",  # สพฐ.
    "11": "OPEC",  # private schools (สช.), incl. Islamic private schools
    "12": "ONIE",  # non-formal education (กศน.)
    "13": "OVEC",  # vocational
    "30": "LAO",  # local government (อปท.)
    "31": "BMA",  # Bangkok
}
STUDENT_STATUSES = ("studying", "promoted", "repeated", "graduated", "transferred_out", "dropped_out")
ID_KINDS = ("citizen_id", "g_code")
TEACHER_POSITIONS = ("director", "deputy_director", "teacher", "teacher_assistant")
POVERTY_STATUSES = ("not_poor", "poor", "extremely_poor")
LITERACY_SKILLS = ("reading", "writing")
ASSESSMENT_TESTS = ("NT", "ONET", "COMPETENCY")


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None


@dataclass(frozen=True)
class Entity:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    """Columns that identify a row within one (province, academic_year) partition."""
    pseudonymised: tuple[str, ...] = field(default=())

    @property
    def table(self) -> str:
        return f"raw.{self.name}"

    def column(self, name: str) -> Column:
        return next(c for c in self.all_columns if c.name == name)

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return self.columns + LINEAGE_COLUMNS

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.all_columns]

    def stored_type(self, column: Column) -> StoredType:
        return "key" if column.name in self.pseudonymised else column.type


LINEAGE_COLUMNS: tuple[Column, ...] = (
    Column("province", "text", "Province slug of the delivery (landing folder)",
           allowed=(*PROVINCES, NATIONAL)),
    Column("academic_year", "integer", "Academic year, Buddhist Era (2566 = school year 2023-24)",
           min_value=2500, max_value=2700),
    Column("agency", "text", "Delivering agency within the province (e.g. obec, opec, onie, lao)",
           nullable=True),
    Column("source_sha256", "text", "SHA-256 of the delivered file, as archived (content address)"),
    Column("source_file", "text", "File name as delivered, relative to the province/year folder"),
    Column("source_row", "integer", "1-based line (CSV/JSONL) or sheet row (XLSX) of the record in that file",
           min_value=1),
)

_school_id = Column("school_id", "text", "10-digit school ID: affiliation (2) + province (2) + 6 digits")
_student_key = Column("student_key", "text", "Keyed hash (HMAC-SHA256) of the citizen ID or G-code")
_grade = Column("grade", "text", "Normalised grade code", allowed=GRADES)
_sex = Column("sex", "text", "Sex: M or F", allowed=SEXES)

SCHOOLS = Entity(
    "schools",
    "School registry as delivered by the province: one row per school.",
    (
        _school_id,
        Column("school_name", "text", "School name in Thai as delivered"),
        Column("affiliation", "text", "Affiliation code (2 digits)", allowed=tuple(AFFILIATIONS)),
        Column("area_code", "text", "Educational service area office code", nullable=True),
        Column("district_code", "text", "DOPA district (amphoe) code, 4 digits"),
        Column("subdistrict_code", "text", "DOPA subdistrict (tambon) code, 6 digits", nullable=True),
        Column("levels_offered", "text", "Levels the school teaches, as delivered", nullable=True),
        Column("sandbox_member", "boolean", "School has joined the province's education sandbox"),
    ),
    key=("school_id",),
)

STUDENTS = Entity(
    "students",
    "Student roster: one row per student per academic year, with the status at the end of the year.",
    (
        _student_key,
        Column("id_kind", "text", "What the pseudonymised identifier was", allowed=ID_KINDS),
        _school_id,
        _grade,
        _sex,
        Column("birth_date", "date", "Date of birth (Common Era)", nullable=True),
        Column("status", "text", "Status at the end of the academic year", allowed=STUDENT_STATUSES),
        Column("dropout_reason", "text", "Reason given when status is dropped_out", nullable=True),
        Column("home_language", "text", "Language spoken at home, when recorded", nullable=True),
    ),
    key=("student_key",),
    pseudonymised=("student_key",),
)

ENROLMENT_COUNTS = Entity(
    "enrolment_counts",
    "OBEC EMIS per-school enrolment on the 10 June census date: one row per school and grade "
    "(subtotal rows removed after their totals were checked).",
    (
        _school_id,
        _grade,
        Column("male", "integer", "Boys enrolled", min_value=0),
        Column("female", "integer", "Girls enrolled", min_value=0),
        Column("total", "integer", "All enrolled (male + female)", min_value=0),
        Column("classrooms", "integer", "Classrooms for this grade", min_value=0),
    ),
    key=("school_id", "grade"),
)

TEACHERS = Entity(
    "teachers",
    "Teachers and school directors: one row per person per academic year.",
    (
        Column("teacher_key", "text", "Keyed hash of the teacher's citizen ID"),
        _school_id,
        Column("position", "text", "Position", allowed=TEACHER_POSITIONS),
        Column("subject", "text", "Main subject taught", nullable=True),
        Column("academic_standing", "text", "Academic standing (วิทยฐานะ) as delivered", nullable=True),
        _sex,
    ),
    key=("teacher_key",),
    pseudonymised=("teacher_key",),
)

TRAINING = Entity(
    "training",
    "Teacher and director training records: one row per person per completed course.",
    (
        Column("teacher_key", "text", "Keyed hash of the trainee's citizen ID"),
        _school_id,
        Column("course_name", "text", "Course title as delivered"),
        Column("skill_area", "text", "Skill the course develops", nullable=True),
        Column("hours", "double", "Course hours", min_value=0, max_value=1000),
        Column("completed_on", "date", "Completion date (Common Era)"),
    ),
    key=("teacher_key", "course_name", "completed_on"),
    pseudonymised=("teacher_key",),
)

LITERACY = Entity(
    "literacy",
    "Yala literacy screening: Thai reading and writing, P1-P6, one row per student and skill.",
    (
        _student_key,
        _school_id,
        _grade,
        Column("skill", "text", "reading or writing", allowed=LITERACY_SKILLS),
        Column("score", "double", "Screening score, 0-100", min_value=0, max_value=100),
        Column("passed", "boolean", "Met the screening pass mark"),
        Column("screened_on", "date", "Screening date (Common Era)"),
    ),
    key=("student_key", "skill"),
    pseudonymised=("student_key",),
)

ASSESSMENTS = Entity(
    "assessments",
    "Learning assessments: NT (P3), O-NET (P6, M3, M6) and Satun competency assessments, "
    "one row per student, test and subject.",
    (
        _student_key,
        _school_id,
        Column("test", "text", "Assessment", allowed=ASSESSMENT_TESTS),
        _grade,
        Column("subject", "text", "Subject or competency"),
        Column("score", "double", "Score on a 0-100 scale", min_value=0, max_value=100),
    ),
    key=("student_key", "test", "subject"),
    pseudonymised=("student_key",),
)

LEARNING_SPACES = Entity(
    "learning_spaces",
    "Learning-space monthly logs: visitors, people applying what they learned, income generated.",
    (
        Column("space_id", "text", "Learning space identifier, unique within the province"),
        Column("space_name", "text", "Learning space name"),
        Column("district_code", "text", "DOPA district code"),
        Column("month", "date", "First day of the month logged (Common Era)"),
        Column("visitors", "integer", "Distinct people who used the space in the month", min_value=0),
        Column("visitors_applying", "integer", "Of these, people applying what they learned", min_value=0),
        Column("income_baht", "double", "Income attributed to applying it, baht", min_value=0),
    ),
    key=("space_id", "month"),
)

POPULATION = Entity(
    "population",
    "DOPA registered population by district, single year of age and sex (national source).",
    (
        Column("district_code", "text", "DOPA district code"),
        Column("age", "integer", "Age in completed years", min_value=0, max_value=120),
        _sex,
        Column("population", "integer", "Registered persons", min_value=0),
    ),
    key=("district_code", "age", "sex"),
)

POVERTY = Entity(
    "poverty",
    "EEF (กสศ.) poverty screening: one row per screened student (national source).",
    (
        _student_key,
        _school_id,
        Column("poverty_status", "text", "Screening result", allowed=POVERTY_STATUSES),
    ),
    key=("student_key",),
    pseudonymised=("student_key",),
)

PROTECTION_CASES = Entity(
    "protection_cases",
    "Sukhothai social protection network for education: one row per open case per student.",
    (
        _student_key,
        _school_id,
        Column("disadvantage_type", "text", "Type of disadvantage recorded"),
        Column("support_given", "text", "Support given", nullable=True),
        Column("follow_up_status", "text", "Follow-up status", allowed=("open", "in_progress", "closed")),
    ),
    key=("student_key", "disadvantage_type"),
    pseudonymised=("student_key",),
)

ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (SCHOOLS, STUDENTS, ENROLMENT_COUNTS, TEACHERS, TRAINING, LITERACY, ASSESSMENTS,
              LEARNING_SPACES, POPULATION, POVERTY, PROTECTION_CASES)
}
