"""Grade labels as Thai systems write them → normalised grade codes (K1–K3, P1–P6, M1–M6, V1–V3)."""

from __future__ import annotations

import re

import pandas as pd

from assets.contract.entities import GRADES
from assets.parsing.text import clean_text, per_distinct

# Level prefix (after spaces are removed) → grade letter. Longest prefixes are tried first by the regex.
_LEVEL_PREFIXES: dict[str, str] = {
    "อ": "K", "อบ": "K", "อนุบาล": "K", "อนุบาลปีที่": "K",
    "ป": "P", "ประถม": "P", "ประถมศึกษา": "P", "ประถมศึกษาปีที่": "P",
    "ม": "M", "มัธยม": "M", "มัธยมศึกษา": "M", "มัธยมศึกษาปีที่": "M",
    "ปวช": "V", "ประกาศนียบัตรวิชาชีพ": "V", "ประกาศนียบัตรวิชาชีพปีที่": "V",
    "K": "K", "P": "P", "M": "M", "V": "V",
}
_PREFIX_ALTERNATIVES = "|".join(sorted(map(re.escape, _LEVEL_PREFIXES), key=len, reverse=True))
_GRADE_LABEL = re.compile(rf"({_PREFIX_ALTERNATIVES})\.?([0-9])", re.IGNORECASE)

GRADE_LABELS_TH: dict[str, str] = {
    grade: {"K": "อบ.", "P": "ป.", "M": "ม.", "V": "ปวช."}[grade[0]] + grade[1:] for grade in GRADES
}
"""Normalised grade → the canonical Thai label (as OBEC EMIS writes it): 'K1' → 'อบ.1', 'V1' → 'ปวช.1'."""

SUBTOTAL_LABELS: dict[str, tuple[str, ...]] = {
    "รวม อบ.": ("K1", "K2", "K3"),
    "รวมประถม": ("P1", "P2", "P3", "P4", "P5", "P6"),
    "รวมมัธยมต้น": ("M1", "M2", "M3"),
    "รวมมัธยมปลายและเทียบเท่า": ("M4", "M5", "M6", "V1", "V2", "V3"),
    "รวมทั้งหมด": GRADES,
}
"""OBEC EMIS subtotal row labels (column ชั้น/เพศ) → the grades whose rows each one sums."""

# Subtotal labels compared without spaces, so 'รวมอบ.' and 'รวม  อบ.' are recognised too.
_SUBTOTAL_KEYS: dict[str, str] = {label.replace(" ", ""): label for label in SUBTOTAL_LABELS}


def normalise_grade(label: str) -> str | None:
    """'อ.1'/'อบ.1'/'อนุบาล 1' → 'K1', 'ป. 1'/'ประถมศึกษาปีที่ 1' → 'P1', 'ม.1' → 'M1', 'ปวช.1' → 'V1'.

    Already normalised codes ('P1', 'p1') pass through; Thai digits are fine. None for anything else,
    including out-of-range grades such as 'ป.7'.
    """
    text = clean_text(label)
    if text is None:
        return None
    match = _GRADE_LABEL.fullmatch(text.replace(" ", "").removeprefix("ชั้น"))  # 'ชั้นประถมศึกษาปีที่ 1' too
    if match is None:
        return None
    prefix = match.group(1)
    letter = _LEVEL_PREFIXES.get(prefix) or _LEVEL_PREFIXES[prefix.upper()]
    grade = letter + match.group(2)
    return grade if grade in GRADES else None


def normalise_grade_series(s: pd.Series) -> pd.Series:
    """Vectorised normalise_grade, missing where unknown (each distinct label is parsed once)."""
    (grades,) = per_distinct(s, lambda labels: (pd.Series(map(normalise_grade, labels), dtype="str"),))
    return grades.astype("str")


def subtotal_label(label: str) -> str | None:
    """The canonical SUBTOTAL_LABELS key for a delivered subtotal label, or None if it is not one."""
    text = clean_text(label)
    return None if text is None else _SUBTOTAL_KEYS.get(text.replace(" ", ""))


def is_subtotal_label(label: str) -> bool:
    return subtotal_label(label) is not None
