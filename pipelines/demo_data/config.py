"""Province profiles and rates behind the demo deliveries: sizes, languages, flows, poverty.

Figures are rounded public orders of magnitude for the four sandbox provinces (student totals across
affiliations, share of private Islamic schools in the deep south, hill-tribe and migrant children without
citizen IDs in Mae Hong Son); rates are typical of Thai school statistics, not measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assets.contract.entities import GRADES, PROVINCES

GRADE_INDEX: dict[str, int] = {g: i for i, g in enumerate(GRADES)}
N_GRADES = len(GRADES)
K1, K3, P1, P3, P6, M1, M3, M4, M6, V1, V3 = (
    GRADE_INDEX[g] for g in ("K1", "K3", "P1", "P3", "P6", "M1", "M3", "M4", "M6", "V1", "V3"))
TERMINAL_GRADES = (P6, M3, M6, V3)
"""Grades that end a level: a pass there is 'graduated' and the next level may be at another school."""

# Relative size of each grade in a province: few children start kindergarten at K1 (age 3), older birth
# cohorts are slightly larger, upper secondary loses students to vocational colleges (OVEC, not delivered).
GRADE_PROFILE = np.array([0.35, 0.90, 0.95, 1.00, 1.00, 1.01, 1.02, 1.03, 1.04,
                          0.97, 0.95, 0.93, 0.74, 0.71, 0.68, 0.14, 0.13, 0.12])
# Non-formal education (กศน.) enrols mostly youths and adults at lower and upper secondary level.
ONIE_PROFILE = np.array([0, 0, 0, 0.04, 0.04, 0.04, 0.04, 0.04, 0.04,
                         0.55, 0.55, 0.55, 1.0, 1.0, 1.0, 0, 0, 0])

# Level names as OBEC's registry writes them (column levels_offered) → the grades they cover.
LEVEL_GRADES: dict[str, tuple[int, int]] = {
    "อนุบาล": (K1, K3),
    "ประถมศึกษา": (P1, P6),
    "มัธยมศึกษาตอนต้น": (M1, M3),
    "มัธยมศึกษาตอนปลาย": (M4, M6),
    "ประกาศนียบัตรวิชาชีพ": (V1, V3),
}

AFF_OBEC, AFF_PRIVATE, AFF_ONIE, AFF_LAO = "10", "11", "12", "30"
AFFILIATION_AGENCY = {AFF_OBEC: "obec", AFF_PRIVATE: "opec", AFF_ONIE: "onie", AFF_LAO: "lao"}


@dataclass(frozen=True)
class ProvinceProfile:
    slug: str
    students_at_scale_1: int
    affiliation_share: dict[str, float]
    """Share of students per affiliation code."""
    synthetic_schools: dict[str, int]
    """Affiliation → number of synthetic (non-OBEC) schools; ONIE gets one centre per district on top."""
    islamic_private_share: float
    languages: dict[str, float]
    """Home language label → share of students."""
    g_code_by_language: dict[str, float]
    """Probability that a child speaking this language has a G-code instead of a citizen ID."""
    dropout_multiplier: float
    p6_to_m1: float
    m3_to_m4: float
    poor_share: float
    """Share of EEF-screened students found poor or extremely poor."""
    disadvantage_shift: float
    learning_space_visitors: int
    """Visitors to all learning spaces of the province in the first demo year."""
    literacy_penalty: float = 0.0
    """Score points lost by children whose home language is not Thai (screening is in Thai)."""


THAI = "ไทย"
MALAY = "มลายูถิ่น"

PROFILES: dict[str, ProvinceProfile] = {
    "mae_hong_son": ProvinceProfile(
        slug="mae_hong_son", students_at_scale_1=55_000,
        affiliation_share={AFF_OBEC: 0.90, AFF_ONIE: 0.10},
        synthetic_schools={},  # the workbook has no sheet for private or local-government schools
        islamic_private_share=0.0,
        languages={THAI: 0.18, "ไทใหญ่": 0.28, "กะเหรี่ยง": 0.38, "ลาหู่": 0.07, "ลีซู": 0.03, "ม้ง": 0.03,
                   "ลัวะ": 0.03},
        g_code_by_language={THAI: 0.05, "ไทใหญ่": 0.45, "กะเหรี่ยง": 0.40, "ลาหู่": 0.40, "ลีซู": 0.35,
                            "ม้ง": 0.20, "ลัวะ": 0.30},
        dropout_multiplier=1.6, p6_to_m1=0.91, m3_to_m4=0.80, poor_share=0.45, disadvantage_shift=0.12,
        learning_space_visitors=7_500, literacy_penalty=8.0,
    ),
    "sukhothai": ProvinceProfile(
        slug="sukhothai", students_at_scale_1=75_000,
        affiliation_share={AFF_OBEC: 0.78, AFF_PRIVATE: 0.10, AFF_ONIE: 0.06, AFF_LAO: 0.06},
        synthetic_schools={AFF_PRIVATE: 22, AFF_LAO: 16},
        islamic_private_share=0.0,
        languages={THAI: 0.98, "พม่า": 0.02},
        g_code_by_language={THAI: 0.004, "พม่า": 0.6},
        dropout_multiplier=0.8, p6_to_m1=0.96, m3_to_m4=0.88, poor_share=0.30, disadvantage_shift=0.0,
        learning_space_visitors=12_500,
    ),
    "satun": ProvinceProfile(
        slug="satun", students_at_scale_1=60_000,
        affiliation_share={AFF_OBEC: 0.66, AFF_PRIVATE: 0.20, AFF_ONIE: 0.07, AFF_LAO: 0.07},
        synthetic_schools={AFF_PRIVATE: 35, AFF_LAO: 8},
        islamic_private_share=0.7,
        languages={THAI: 0.75, MALAY: 0.22, "พม่า": 0.03},
        g_code_by_language={THAI: 0.005, MALAY: 0.03, "พม่า": 0.6},
        dropout_multiplier=1.0, p6_to_m1=0.95, m3_to_m4=0.86, poor_share=0.35, disadvantage_shift=0.04,
        learning_space_visitors=9_000, literacy_penalty=4.0,
    ),
    "yala": ProvinceProfile(
        slug="yala", students_at_scale_1=110_000,
        affiliation_share={AFF_OBEC: 0.50, AFF_PRIVATE: 0.38, AFF_ONIE: 0.05, AFF_LAO: 0.07},
        synthetic_schools={AFF_PRIVATE: 75, AFF_LAO: 14},
        islamic_private_share=0.8,
        languages={MALAY: 0.72, THAI: 0.26, "จีน": 0.02},
        g_code_by_language={MALAY: 0.02, THAI: 0.005, "จีน": 0.01},
        dropout_multiplier=1.2, p6_to_m1=0.94, m3_to_m4=0.84, poor_share=0.42, disadvantage_shift=0.08,
        learning_space_visitors=11_000, literacy_penalty=12.0,
    ),
}
assert set(PROFILES) == set(PROVINCES)

PROVINCE_ORDER: tuple[str, ...] = tuple(sorted(PROVINCES))
"""Fixed processing order (national files are appended province by province in this order)."""

# Yearly rates per grade (index as GRADES).
REPEAT_RATE = np.array([0.005, 0.005, 0.005, 0.045, 0.03, 0.025, 0.02, 0.02, 0.015,
                        0.035, 0.03, 0.025, 0.03, 0.025, 0.02, 0.03, 0.03, 0.02])
DROPOUT_RATE = np.array([0.004, 0.004, 0.004, 0.004, 0.004, 0.005, 0.006, 0.007, 0.008,
                         0.028, 0.030, 0.026, 0.030, 0.020, 0.012, 0.040, 0.030, 0.020])
ONIE_DROPOUT_RATE = 0.09
TRANSFER_RATE = 0.02
M3_TO_V1 = 0.03
"""Share of M3 graduates continuing to private vocational grades (most vocational students go to OVEC)."""
INTAKE_TREND = 0.98
"""Each new intake cohort is ~2 % smaller: Thai births have fallen every year since the 2010s."""
SANDBOX_SHARE = (0.62, 0.80)
"""Share of schools in the sandbox in the first and the last demo year (schools join, never leave)."""

DROPOUT_REASONS = ("ฐานะยากจน", "ต้องช่วยครอบครัวประกอบอาชีพ", "มีปัญหาในการปรับตัว", "สมรสแล้ว",
                   "อพยพตามผู้ปกครอง", "หาตัวไม่พบ", "เจ็บป่วยหรืออุบัติเหตุ", "ปัญหาครอบครัว")
DROPOUT_REASON_WEIGHTS = np.array([0.26, 0.16, 0.16, 0.06, 0.14, 0.10, 0.04, 0.08])
