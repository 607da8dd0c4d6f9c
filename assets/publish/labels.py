"""Thai-first labels, units, topic sections and programme targets: the vocabulary of the published monitor.

Everything here is a lookup with a generic fallback, because the dbt marts decide the indicator ids; the site
must render any indicator that `dim_indicators` lists, even one this module has never heard of.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from assets.contract.entities import PROVINCE_NAMES, PROVINCES


@dataclass(frozen=True)
class ProgrammeTarget:
    """One programme target (mission: targets 2 and 3) and the indicator that measures it."""

    indicator_id: str
    target: float | None  # None: take dim_indicators.target_value (the programme sets no number)
    label_th: str
    label_en: str


# The ONE mapping from programme targets to indicator ids (also headline columns of mart_province_yearly).
PROGRAMME_TARGETS: tuple[ProgrammeTarget, ...] = (
    ProgrammeTarget("learning_space_users", 10_000, "ผู้ใช้แหล่งเรียนรู้", "Learning-space users"),
    ProgrammeTarget(
        "applying_share", 30.0, "ผู้นำความรู้ไปใช้สร้างมูลค่าเพิ่ม", "People applying what they learned"
    ),
    ProgrammeTarget("trained_teacher_share", None, "ครูที่ได้รับการพัฒนา", "Teachers trained"),
    ProgrammeTarget("trained_director_share", None, "ผู้บริหารที่ได้รับการพัฒนา", "School directors trained"),
)

# Indicators drawn as district choropleths, in order of preference; the first two present are mapped.
MAP_INDICATORS: tuple[str, ...] = (
    "dropout_rate",
    "out_of_school_rate_6_14",
    "small_school_share",
    "literacy_pass_rate",
    "pupil_teacher_ratio",
)
MAX_MAPS = 2

# Topic sections of a province page: (anchor, Thai title, English title, id fragments that belong there).
# The first matching rule wins; unmatched indicators go to the last, catch-all section.
TOPIC_SECTIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("dropout", "การออกกลางคันและเด็กนอกระบบการศึกษา", "Dropout and out-of-school children",
     ("dropout", "out_of_school", "oos", "retention", "progression", "repetition")),
    ("small-schools", "โรงเรียนขนาดเล็ก", "Small schools", ("small_school", "school_size")),
    ("learning", "การอ่านออกเขียนได้และผลสัมฤทธิ์ทางการเรียน", "Literacy and learning outcomes",
     ("literacy", "reading", "writing", "onet", "o_net", "nt_", "assessment", "score", "pass_rate")),
    ("teachers", "ครูและผู้บริหารสถานศึกษา", "Teachers and school directors",
     ("teacher", "director", "staff")),
    ("other", "การเข้าเรียน ความยากจน และตัวชี้วัดอื่น", "Enrolment, poverty and other indicators", ()),
)

UNIT_LABELS: dict[str, tuple[str, str]] = {
    "count": ("จำนวน", "count"),
    "percent": ("ร้อยละ", "percent"),
    "ratio": ("อัตราส่วน", "ratio"),
    "index": ("ดัชนี", "index"),
}

BREAKDOWN_LABELS: dict[str, tuple[str, str]] = {
    "total": ("รวม", "total"),
    "level": ("ระดับชั้น", "level"),
    "grade": ("ชั้นเรียน", "grade"),
    "sex": ("เพศ", "sex"),
    "affiliation": ("สังกัด", "affiliation"),
    "poverty": ("ความยากจน", "poverty"),
    "age_group": ("กลุ่มอายุ", "age group"),
}

# Group values met in breakdowns (contract spellings and common variants), Thai first.
GROUP_LABELS: dict[str, tuple[str, str]] = {
    "all": ("ทั้งหมด", "all"),
    "f": ("หญิง", "female"), "female": ("หญิง", "female"),
    "m": ("ชาย", "male"), "male": ("ชาย", "male"),
    "poor": ("ยากจน", "poor"), "extremely_poor": ("ยากจนพิเศษ", "extremely poor"),
    "not_poor": ("ไม่ยากจน", "not poor"), "non_poor": ("ไม่ยากจน", "not poor"),
    "obec": ("สพฐ.", "OBEC"), "opec": ("สช.", "OPEC"), "onie": ("สกร./กศน.", "ONIE"),
    "ovec": ("สอศ.", "OVEC"), "lao": ("อปท.", "LAO"), "bpp": ("ตชด.", "BPP"),
}

# Parity index = focal group / reference group (1 = parity). Other breakdowns compare each group to the total.
PARITY_PAIRS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sex": (("f", "female"), ("m", "male")),
    "poverty": (("poor", "extremely_poor"), ("not_poor", "non_poor")),
}
EQUITY_BREAKDOWNS: tuple[str, ...] = ("sex", "poverty", "affiliation")

# Thai column headers for exports; unknown columns keep their own name.
COLUMN_LABELS_TH: dict[str, str] = {
    "province": "จังหวัด",
    "province_code": "รหัสจังหวัด",
    "academic_year": "ปีการศึกษา",
    "indicator_id": "รหัสตัวชี้วัด",
    "breakdown_type": "มิติการจำแนก",
    "breakdown_value": "กลุ่ม",
    "value": "ค่า",
    "numerator": "ตัวตั้ง",
    "denominator": "ตัวหาร",
    "value_prev_year": "ค่าปีก่อน",
    "change": "การเปลี่ยนแปลง",
    "suppressed_reason": "เหตุผลที่ปกปิดค่า",
    "unit": "หน่วย",
    "district_code": "รหัสอำเภอ",
    "district_name_th": "ชื่ออำเภอ",
    "district_name_en": "ชื่ออำเภอ (อังกฤษ)",
    "school_id": "รหัสโรงเรียน",
    "school_name": "ชื่อโรงเรียน",
    "affiliation": "สังกัด",
    "size_class": "ขนาดโรงเรียน",
    "students": "จำนวนนักเรียน",
    "teachers": "จำนวนครู",
    "pupil_teacher_ratio": "อัตราส่วนนักเรียนต่อครู",
    "dropout_rate": "อัตราการออกกลางคัน (ร้อยละ)",
    "literacy_pass_rate": "ร้อยละผ่านการอ่านออกเขียนได้",
    "is_small_school": "โรงเรียนขนาดเล็ก",
    "is_high_dropout": "ออกกลางคันสูง",
    "is_low_literacy": "การอ่านออกเขียนได้ต่ำ",
    "is_teacher_shortage": "ขาดแคลนครู",
    "risk_flag_count": "จำนวนสัญญาณความเสี่ยง",
    "name_th": "ชื่อตัวชี้วัด",
    "name_en": "ชื่อตัวชี้วัด (อังกฤษ)",
    "definition": "นิยาม",
    "formula": "สูตรคำนวณ",
    "numerator_definition": "นิยามตัวตั้ง",
    "denominator_definition": "นิยามตัวหาร",
    "source": "แหล่งข้อมูล",
    "reference": "เอกสารอ้างอิง",
    "target_value": "ค่าเป้าหมาย",
    "higher_is_better": "ค่าสูงดีกว่า",
    "total_enrolment": "จำนวนนักเรียนทั้งหมด",
    "out_of_school_rate_6_14": "ร้อยละเด็กอายุ 6-14 ปีนอกระบบการศึกษา",
    "small_school_share": "ร้อยละโรงเรียนขนาดเล็ก",
    "trained_teacher_share": "ร้อยละครูที่ได้รับการพัฒนา",
    "trained_director_share": "ร้อยละผู้บริหารที่ได้รับการพัฒนา",
    "poverty_share": "ร้อยละนักเรียนยากจน",
    "learning_space_users": "จำนวนผู้ใช้แหล่งเรียนรู้",
    "applying_share": "ร้อยละผู้นำความรู้ไปใช้",
}
# English names of headline columns that may not be in dim_indicators.
COLUMN_LABELS_EN: dict[str, str] = {
    "total_enrolment": "Total enrolment",
    "dropout_rate": "Dropout rate (%)",
    "out_of_school_rate_6_14": "Out-of-school children aged 6-14 (%)",
    "small_school_share": "Small schools (%)",
    "pupil_teacher_ratio": "Pupils per teacher",
    "trained_teacher_share": "Teachers trained (%)",
    "trained_director_share": "Directors trained (%)",
    "poverty_share": "Students in poverty (%)",
    "learning_space_users": "Learning-space users",
    "applying_share": "People applying what they learned (%)",
    "literacy_pass_rate": "Literacy pass rate (%)",
}

SIZE_CLASS_LABELS: dict[str, tuple[str, str]] = {
    "small": ("ขนาดเล็ก", "small"),
    "medium": ("ขนาดกลาง", "medium"),
    "large": ("ขนาดใหญ่", "large"),
    "extra_large": ("ขนาดใหญ่พิเศษ", "extra large"),
}

RISK_FLAGS: tuple[tuple[str, str, str], ...] = (
    ("is_small_school", "โรงเรียนขนาดเล็ก", "small school"),
    ("is_high_dropout", "ออกกลางคันสูง", "high dropout"),
    ("is_low_literacy", "อ่านออกเขียนได้ต่ำ", "low literacy"),
    ("is_teacher_shortage", "ขาดแคลนครู", "teacher shortage"),
)


def province_names(slug: str) -> tuple[str, str]:
    """(Thai, English) name of a province slug; unknown slugs fall back to the slug itself."""
    return PROVINCE_NAMES.get(slug, (slug, slug.replace("_", " ").title()))


def province_order(slugs: list[str]) -> list[str]:
    """Provinces in DOPA-code order (north to south), unknown slugs last, alphabetically."""
    return sorted(set(slugs), key=lambda s: (PROVINCES.get(s, "99"), s))


def group_label(value: str) -> tuple[str, str]:
    return GROUP_LABELS.get(str(value).lower(), (str(value), str(value)))


def topic_of(indicator_id: str) -> str:
    """Anchor of the topic section an indicator belongs to (first matching rule, else the catch-all)."""
    lowered = indicator_id.lower()
    for anchor, _th, _en, fragments in TOPIC_SECTIONS:
        if any(fragment in lowered for fragment in fragments):
            return anchor
    return TOPIC_SECTIONS[-1][0]


def guess_unit(column: str) -> str:
    """Unit of a headline column that dim_indicators does not describe, from its name."""
    if column.endswith(("_rate", "_share")) or "_rate_" in column or column.startswith("pct_"):
        return "percent"
    if column.endswith("_ratio"):
        return "ratio"
    if column.endswith("_index"):
        return "index"
    return "count"


def is_missing(value: object) -> bool:
    """None, NaN or pandas.NA (a suppressed or absent value)."""
    return value is None or bool(pd.isna(value))  # type: ignore[arg-type]


def format_value(value: object, unit: str) -> str:
    """A number as shown on a page: thousands separators for counts, one decimal for percentages."""
    if is_missing(value):
        return "–"
    number = float(value)  # type: ignore[arg-type]
    if unit == "count":
        return f"{number:,.0f}"
    if unit == "percent":
        return f"{number:,.1f}%"
    if unit == "index":
        return f"{number:.2f}"
    return f"{number:,.1f}"


def format_change(change: object, unit: str) -> str:
    """A year-on-year change with an explicit sign; percentages change in percentage points."""
    if is_missing(change):
        return "–"
    number = float(change)  # type: ignore[arg-type]
    sign = "+" if number > 0 else ("−" if number < 0 else "±")
    magnitude = abs(number)
    if unit == "count":
        return f"{sign}{magnitude:,.0f}"
    if unit == "percent":
        return f"{sign}{magnitude:,.1f} จุด (pp)"
    if unit == "index":
        return f"{sign}{magnitude:.2f}"
    return f"{sign}{magnitude:,.1f}"
