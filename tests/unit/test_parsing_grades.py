"""Grade labels: every spelling the provinces use, Thai digits, EMIS subtotal rows."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from assets.contract.entities import GRADES
from assets.parsing import (
    GRADE_LABELS_TH,
    SUBTOTAL_LABELS,
    is_subtotal_label,
    normalise_grade,
    normalise_grade_series,
    subtotal_label,
)
from pipelines.settings import shared_data_dir

EMIS_SAMPLE = shared_data_dir() / "format_samples" / "wevis_obec_emis_student_sample_chonburi.csv"


@pytest.mark.parametrize(
    ("label", "grade"),
    [
        ("อ.1", "K1"), ("อบ.1", "K1"), ("อนุบาล 1", "K1"), ("อนุบาลปีที่ 2", "K2"), ("อบ.๓", "K3"),
        ("ป.1", "P1"), ("ป. 1", "P1"), ("ป1", "P1"), ("ประถมศึกษาปีที่ 1", "P1"), ("ป.๖", "P6"),
        ("ชั้นประถมศึกษาปีที่ 2", "P2"), ("ชั้น ม.3", "M3"),
        ("ม.1", "M1"), ("มัธยมศึกษาปีที่ 1", "M1"), ("ม. 6", "M6"),
        ("ปวช.1", "V1"), ("ปวช. 3", "V3"),
        ("P1", "P1"), ("p1", "P1"), ("K3", "K3"), ("V2", "V2"), (" ม.4\u00a0", "M4"),
    ],
)
def test_known_labels(label: str, grade: str) -> None:
    assert normalise_grade(label) == grade


def test_kindergarten_written_both_ways_agree() -> None:
    # EMIS writes อบ., some provinces อ.: both are kindergarten
    assert normalise_grade("อ.2") == normalise_grade("อบ.2") == "K2"


@pytest.mark.parametrize("label", ["ป.7", "อบ.4", "ม.0", "K4", "ปวช.4", "ม.4/1", "ป.", "x", "", "รวมประถม"])
def test_unknown_labels_give_none(label: str) -> None:
    assert normalise_grade(label) is None


def test_every_canonical_thai_label_normalises_back() -> None:
    assert set(GRADE_LABELS_TH) == set(GRADES)
    assert GRADE_LABELS_TH["K1"] == "อบ.1" and GRADE_LABELS_TH["P1"] == "ป.1"
    assert GRADE_LABELS_TH["M6"] == "ม.6" and GRADE_LABELS_TH["V1"] == "ปวช.1"
    for grade, label in GRADE_LABELS_TH.items():
        assert normalise_grade(label) == grade


def test_series_version() -> None:
    raw = pd.Series(["ป.1", None, "zz", "อ.2", "ป.1", "๓"], index=list("abcdef"), dtype=object)
    result = normalise_grade_series(raw)
    assert result.index.tolist() == list("abcdef")
    assert result.fillna("-").tolist() == ["P1", "-", "-", "K2", "P1", "-"]


@pytest.mark.parametrize(
    ("label", "grades"),
    [
        ("รวม อบ.", ("K1", "K2", "K3")),
        ("รวมประถม", ("P1", "P2", "P3", "P4", "P5", "P6")),
        ("รวมมัธยมต้น", ("M1", "M2", "M3")),
        ("รวมมัธยมปลายและเทียบเท่า", ("M4", "M5", "M6", "V1", "V2", "V3")),
        ("รวมทั้งหมด", GRADES),
    ],
)
def test_every_subtotal_label(label: str, grades: tuple[str, ...]) -> None:
    assert is_subtotal_label(label)
    assert SUBTOTAL_LABELS[label] == grades
    assert normalise_grade(label) is None  # a subtotal row is never mistaken for a grade


def test_subtotal_labels_tolerate_spacing() -> None:
    assert subtotal_label("รวมอบ.") == "รวม อบ."
    assert subtotal_label("  รวม\u00a0อบ. ") == "รวม อบ."
    assert not is_subtotal_label("ป.1")
    assert not is_subtotal_label("รวม")


def test_levels_partition_the_grades() -> None:
    levels = [g for label, grades in SUBTOTAL_LABELS.items() if label != "รวมทั้งหมด" for g in grades]
    assert sorted(levels) == sorted(GRADES)


@pytest.mark.skipif(not EMIS_SAMPLE.exists(), reason="../shared/data is absent on this machine")
def test_every_label_in_the_real_emis_sample_is_a_grade_or_a_subtotal() -> None:
    with EMIS_SAMPLE.open(encoding="utf-8") as handle:
        labels = {row["ชั้น/เพศ"] for row in csv.DictReader(handle)}
    subtotals = {label for label in labels if is_subtotal_label(label)}
    grades = {label for label in labels if normalise_grade(label) is not None}
    assert subtotals == set(SUBTOTAL_LABELS)
    assert not subtotals & grades
    assert subtotals | grades == labels
    assert {normalise_grade(label) for label in grades} == set(GRADES)
