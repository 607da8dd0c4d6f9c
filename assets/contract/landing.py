"""The landing contract: which files each province delivers, in which format, with which headers.

Deliveries land under `<landing>/<province>/<academic_year_BE>/<file>` (and `<landing>/national/<year>/`).
Each `SourceFile` names one delivered file, the contract entity it feeds, and how its fields are spelled.
Delivered *fields* are what a province sends before ingest: `person_id` is the raw citizen ID or G-code
(pseudonymised at ingest into `student_key` / `teacher_key`), dates are Buddhist Era, and sex, grade and
status are Thai labels. Name fields are delivered but never loaded. The demo generator writes these files and
the adapters read them, both from this one table. docs/landing-contract.md explains it for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FileFormat = Literal["jsonl", "csv", "xlsx", "emis_csv"]

# Delivered field → Thai header, shared by the provinces that use Thai headers (Satun, Mae Hong Son,
# Sukhothai, EMIS, national CSVs).
THAI_HEADERS: dict[str, str] = {
    "person_id": "เลขประจำตัวประชาชน",
    "first_name": "ชื่อ",
    "last_name": "นามสกุล",
    "school_id": "รหัสโรงเรียน",
    "school_name": "ชื่อโรงเรียน",
    "affiliation": "รหัสสังกัด",
    "area_code": "รหัสเขตพื้นที่",
    "district_code": "รหัสอำเภอ",
    "subdistrict_code": "รหัสตำบล",
    "levels_offered": "ระดับที่เปิดสอน",
    "sandbox_member": "เข้าร่วมพื้นที่นวัตกรรม",
    "grade": "ชั้น",
    "sex": "เพศ",
    "birth_date": "วันเกิด",
    "status": "สถานะสิ้นปีการศึกษา",
    "dropout_reason": "สาเหตุการออกกลางคัน",
    "home_language": "ภาษาที่ใช้ที่บ้าน",
    "position": "ตำแหน่ง",
    "subject": "วิชาเอก",
    "academic_standing": "วิทยฐานะ",
    "course_name": "หลักสูตร",
    "skill_area": "ด้านทักษะ",
    "hours": "จำนวนชั่วโมง",
    "completed_on": "วันที่สำเร็จ",
    "space_id": "รหัสแหล่งเรียนรู้",
    "space_name": "ชื่อแหล่งเรียนรู้",
    "month": "เดือน",
    "visitors": "ผู้ใช้บริการ (คน)",
    "visitors_applying": "ผู้นำความรู้ไปใช้ (คน)",
    "income_baht": "รายได้ (บาท)",
    "test": "การทดสอบ",
    "score": "คะแนน",
    "disadvantage_type": "ประเภทความด้อยโอกาส",
    "support_given": "การช่วยเหลือที่ได้รับ",
    "follow_up_status": "สถานะการติดตาม",
    "age": "อายุ",
    "population": "จำนวนประชากร",
    "poverty_status": "ผลการคัดกรอง",
    "male": "ชาย",
    "female": "หญิง",
    "total": "รวม",
    "classrooms": "ห้องเรียน",
    "grade_or_subtotal": "ชั้น/เพศ",
}

# Yala's linked information system exports English-ish JSON keys.
YALA_KEYS: dict[str, str] = {
    "person_id": "cid",
    "first_name": "fname",
    "last_name": "lname",
    "school_id": "school_code",
    "school_name": "school_name_th",
    "affiliation": "affiliation_code",
    "area_code": "area_code",
    "district_code": "amphoe_code",
    "subdistrict_code": "tambon_code",
    "levels_offered": "levels",
    "sandbox_member": "in_sandbox",
    "grade": "class",
    "sex": "gender",
    "birth_date": "dob",
    "status": "status_end",
    "dropout_reason": "leave_reason",
    "home_language": "home_lang",
    "position": "position",
    "subject": "major",
    "academic_standing": "standing",
    "course_name": "course",
    "skill_area": "skill",
    "hours": "hours",
    "completed_on": "completed_date",
    "space_id": "space_code",
    "space_name": "space_name",
    "month": "month",
    "visitors": "visitors",
    "visitors_applying": "applied",
    "income_baht": "income",
    "score": "score",
    "skill": "domain",
    "passed": "result",
    "screened_on": "screen_date",
}

# Delivered fields per entity (before ingest). Order is the order of columns in a delivered file.
FIELDS: dict[str, tuple[str, ...]] = {
    "schools": ("school_id", "school_name", "affiliation", "area_code", "district_code", "subdistrict_code",
                "levels_offered", "sandbox_member"),
    "students": ("person_id", "first_name", "last_name", "school_id", "grade", "sex", "birth_date", "status",
                 "dropout_reason", "home_language"),
    "teachers": ("person_id", "first_name", "last_name", "school_id", "position", "subject",
                 "academic_standing", "sex"),
    "training": ("person_id", "school_id", "course_name", "skill_area", "hours", "completed_on"),
    "literacy": ("person_id", "school_id", "grade", "skill", "score", "passed", "screened_on"),
    "assessments": ("person_id", "school_id", "test", "grade", "subject", "score"),
    "learning_spaces": ("space_id", "space_name", "district_code", "month", "visitors", "visitors_applying",
                        "income_baht"),
    "protection_cases": ("person_id", "school_id", "disadvantage_type", "support_given", "follow_up_status"),
    "population": ("district_code", "age", "sex", "population"),
    "poverty": ("person_id", "school_id", "poverty_status"),
}
NEVER_LOADED: frozenset[str] = frozenset({"first_name", "last_name"})

# Thai value labels as delivered → contract values. Parsing helpers apply these; the generator writes them.
SEX_LABELS: dict[str, str] = {"ชาย": "M", "หญิง": "F", "ช": "M", "ญ": "F", "M": "M", "F": "F"}
STATUS_LABELS: dict[str, str] = {
    "กำลังศึกษา": "studying",
    "เลื่อนชั้น": "promoted",
    "ซ้ำชั้น": "repeated",
    "จบการศึกษา": "graduated",
    "ย้ายออก": "transferred_out",
    "ออกกลางคัน": "dropped_out",
}
POSITION_LABELS: dict[str, str] = {
    "ผู้อำนวยการโรงเรียน": "director",
    "รองผู้อำนวยการโรงเรียน": "deputy_director",
    "ครู": "teacher",
    "ครูผู้ช่วย": "teacher_assistant",
}
POVERTY_LABELS: dict[str, str] = {"ไม่ยากจน": "not_poor", "ยากจน": "poor", "ยากจนพิเศษ": "extremely_poor"}
YES_NO_LABELS: dict[str, bool] = {"ใช่": True, "ไม่ใช่": False, "ผ่าน": True, "ไม่ผ่าน": False,
                                  "true": True, "false": False, "1": True, "0": False}
FOLLOW_UP_LABELS: dict[str, str] = {"เปิดเคส": "open", "กำลังติดตาม": "in_progress", "ปิดเคส": "closed"}


@dataclass(frozen=True)
class SourceFile:
    """One delivered file (or one file per agency when `file_name` contains `{agency}`)."""

    province: str
    entity: str
    file_name: str
    format: FileFormat
    encoding: str = "utf-8"
    agencies: tuple[str, ...] = ()
    sheets: dict[str, str] = field(default_factory=dict)
    """XLSX: agency → sheet name (one sheet per agency)."""
    header_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """XLSX with two header rows: merged group title (row 1) → the fields beneath it (row 2)."""

    @property
    def headers(self) -> dict[str, str]:
        table = YALA_KEYS if self.format == "jsonl" else THAI_HEADERS
        return {f: table[f] for f in FIELDS[self.entity]} if self.entity in FIELDS else {}

    def file_names(self) -> list[str]:
        if "{agency}" in self.file_name:
            return [self.file_name.format(agency=a) for a in self.agencies]
        return [self.file_name]


YALA_AGENCIES = ("obec", "opec", "onie", "lao")
MHS_SHEETS = {
    "obec_primary_1": "สพป.แม่ฮ่องสอน เขต 1",
    "obec_primary_2": "สพป.แม่ฮ่องสอน เขต 2",
    "obec_secondary": "สพม.แม่ฮ่องสอน",
    "onie": "สกร.แม่ฮ่องสอน",
    "special_ed": "ศูนย์การศึกษาพิเศษ",
}
MHS_HEADER_GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "students": {
        "ข้อมูลนักเรียน": ("person_id", "first_name", "last_name"),
        "การศึกษา": ("school_id", "grade", "status", "dropout_reason"),
        "ข้อมูลส่วนบุคคล": ("sex", "birth_date", "home_language"),
    },
    "teachers": {
        "ข้อมูลบุคลากร": ("person_id", "first_name", "last_name", "sex"),
        "การปฏิบัติงาน": ("school_id", "position", "subject", "academic_standing"),
    },
}

EMIS = "emis_enrolment.csv"


def _emis(province: str, encoding: str) -> SourceFile:
    return SourceFile(province, "enrolment_counts", EMIS, "emis_csv", encoding)


SOURCE_FILES: tuple[SourceFile, ...] = (
    # Yala: linked information system, JSON Lines, one file per entity and agency.
    SourceFile("yala", "schools", "schools.jsonl", "jsonl"),
    SourceFile("yala", "students", "students_{agency}.jsonl", "jsonl", agencies=YALA_AGENCIES),
    SourceFile("yala", "teachers", "teachers_{agency}.jsonl", "jsonl", agencies=YALA_AGENCIES),
    SourceFile("yala", "training", "training.jsonl", "jsonl"),
    SourceFile("yala", "literacy", "literacy_screening.jsonl", "jsonl"),
    SourceFile("yala", "learning_spaces", "learning_spaces.jsonl", "jsonl"),
    _emis("yala", "utf-8"),
    # Satun: self-management system, CSV in TIS-620 (cp874), Thai headers, dates dd/mm/BBBB.
    SourceFile("satun", "schools", "schools.csv", "csv", "cp874"),
    SourceFile("satun", "students", "students.csv", "csv", "cp874"),
    SourceFile("satun", "teachers", "teachers.csv", "csv", "cp874"),
    SourceFile("satun", "training", "training.csv", "csv", "cp874"),
    SourceFile("satun", "assessments", "competency_assessments.csv", "csv", "cp874"),
    SourceFile("satun", "learning_spaces", "learning_spaces.csv", "csv", "cp874"),
    _emis("satun", "cp874"),
    # Mae Hong Son: XLSX workbooks, one sheet per agency, two header rows with merged group cells.
    SourceFile("mae_hong_son", "schools", "schools.xlsx", "xlsx"),
    SourceFile("mae_hong_son", "students", "students.xlsx", "xlsx", agencies=tuple(MHS_SHEETS),
               sheets=MHS_SHEETS, header_groups=MHS_HEADER_GROUPS["students"]),
    SourceFile("mae_hong_son", "teachers", "teachers.xlsx", "xlsx", agencies=tuple(MHS_SHEETS),
               sheets=MHS_SHEETS, header_groups=MHS_HEADER_GROUPS["teachers"]),
    SourceFile("mae_hong_son", "training", "training.xlsx", "xlsx"),
    SourceFile("mae_hong_son", "learning_spaces", "learning_spaces.xlsx", "xlsx"),
    _emis("mae_hong_son", "utf-8"),
    # Sukhothai: CSV UTF-8 with BOM (saved from Excel).
    SourceFile("sukhothai", "schools", "schools.csv", "csv", "utf-8-sig"),
    SourceFile("sukhothai", "students", "students.csv", "csv", "utf-8-sig"),
    SourceFile("sukhothai", "protection_cases", "social_protection_cases.csv", "csv", "utf-8-sig"),
    SourceFile("sukhothai", "teachers", "teachers.csv", "csv", "utf-8-sig"),
    SourceFile("sukhothai", "training", "training.csv", "csv", "utf-8-sig"),
    SourceFile("sukhothai", "learning_spaces", "community_learning_spaces.csv", "csv", "utf-8-sig"),
    _emis("sukhothai", "utf-8-sig"),
    # National sources, one folder per academic year.
    SourceFile("national", "population", "dopa_population.csv", "csv", "utf-8"),
    SourceFile("national", "assessments", "nt_onet_results.csv", "csv", "cp874"),
    SourceFile("national", "poverty", "eef_poverty_screening.csv", "csv", "utf-8"),
)


def source_files(province: str) -> list[SourceFile]:
    return [s for s in SOURCE_FILES if s.province == province]
