"""How each province writes values: dates (Buddhist Era, ISO or dd/mm/BBBB), yes/no, Thai labels, digits.

Labels come from the landing contract (value → first Thai label) and grade labels from the parsing
helpers, so the generator and the adapters read the same tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assets.contract.entities import GRADES
from assets.contract.landing import (
    FOLLOW_UP_LABELS,
    POSITION_LABELS,
    POVERTY_LABELS,
    SEX_LABELS,
    STATUS_LABELS,
    YES_NO_LABELS,
)
from assets.parsing.grades import GRADE_LABELS_TH

BE_OFFSET = 543
ARABIC_TO_THAI = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def first_label(labels: dict[str, str]) -> dict[str, str]:
    """Contract value → the first (canonical) Thai label that maps to it."""
    reverse: dict[str, str] = {}
    for label, value in labels.items():
        reverse.setdefault(value, label)
    return reverse


SEX_LABEL = first_label(SEX_LABELS)  # 'M' → 'ชาย'
STATUS_LABEL = first_label(STATUS_LABELS)
POSITION_LABEL = first_label(POSITION_LABELS)
POVERTY_LABEL = first_label(POVERTY_LABELS)
FOLLOW_UP_LABEL = first_label(FOLLOW_UP_LABELS)
YES_LABEL, NO_LABEL = "ใช่", "ไม่ใช่"
PASS_LABEL, FAIL_LABEL = "ผ่าน", "ไม่ผ่าน"  # literacy screening result
for _label, _value in ((YES_LABEL, True), (NO_LABEL, False), (PASS_LABEL, True), (FAIL_LABEL, False)):
    assert YES_NO_LABELS[_label] is _value, f"{_label} no longer in landing.YES_NO_LABELS"

GRADE_LABELS = np.array([GRADE_LABELS_TH[g] for g in GRADES], dtype=object)
SHORT_KINDERGARTEN_PREFIX = ("อบ.", "อ.")
"""Older systems write kindergarten as อ.1–3 instead of อบ.1–3 (the parsing helpers accept both)."""


def to_thai_digits(text: str) -> str:
    return text.translate(ARABIC_TO_THAI)


@dataclass(frozen=True)
class Style:
    """One province's way of writing values."""

    date: str  # "iso": BBBB-mm-dd / BBBB-mm; "dmy": dd/mm/BBBB / mm/BBBB
    labels_for_booleans: bool  # False: JSON true/false
    thai_digit_share: float = 0.0
    """Share of ID and number cells typed with Thai digits as a matter of course (not an error)."""

    def yes_no(self, values: np.ndarray) -> np.ndarray:
        if not self.labels_for_booleans:
            return values.astype(bool).astype(object)
        return np.where(values, YES_LABEL, NO_LABEL).astype(object)

    def dates(self, days: np.ndarray) -> np.ndarray:
        """datetime64[D] (CE) → delivered strings; formats each distinct date once (there are few)."""
        if len(days) == 0:
            return np.array([], dtype=object)
        unique, inverse = np.unique(days.astype("datetime64[D]"), return_inverse=True)
        texts = np.array([self._date(d.item()) for d in unique], dtype=object)
        return texts[inverse]

    def months(self, days: np.ndarray) -> np.ndarray:
        unique, inverse = np.unique(days.astype("datetime64[M]"), return_inverse=True)
        texts = np.array([self._month(d.item()) for d in unique], dtype=object)
        return texts[inverse]

    def _date(self, d: object) -> str:
        y, m, day = d.year + BE_OFFSET, d.month, d.day  # type: ignore[attr-defined]
        return f"{y:04d}-{m:02d}-{day:02d}" if self.date == "iso" else f"{day:02d}/{m:02d}/{y:04d}"

    def _month(self, d: object) -> str:
        y, m = d.year + BE_OFFSET, d.month  # type: ignore[attr-defined]
        return f"{y:04d}-{m:02d}" if self.date == "iso" else f"{m:02d}/{y:04d}"

    def common_era(self, text: str) -> str:
        """The same date with its year written in the Common Era (the 'CE year' mistake)."""
        if self.date == "iso":
            return f"{int(text[:4]) - BE_OFFSET:04d}{text[4:]}"
        return f"{text[:-4]}{int(text[-4:]) - BE_OFFSET:04d}"


STYLES: dict[str, Style] = {
    "yala": Style(date="iso", labels_for_booleans=False),
    "satun": Style(date="dmy", labels_for_booleans=True),
    "mae_hong_son": Style(date="dmy", labels_for_booleans=True, thai_digit_share=0.12),
    "sukhothai": Style(date="dmy", labels_for_booleans=True),
    "national": Style(date="dmy", labels_for_booleans=True),
}
