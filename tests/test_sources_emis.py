"""OBEC EMIS enrolment CSV: grade rows with subtotal rows that are checked, then dropped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assets.contract.landing import EMIS, source_files
from assets.parsing.grades import SUBTOTAL_LABELS
from assets.sources import DeliveryError, read_delivery
from pipelines.settings import shared_data_dir
from tests.fixtures.deliveries.builders import (
    check_result,
    emis_school,
    emis_text,
    pseudonymiser,
    reasons_by_row,
)

GOOD = "1095010001"
BAD = "1095010002"
COUNTS = {"อบ.2": (6, 3, 1), "ป.1": (4, 2, 1), "ป.2": (2, 5, 1), "ม.1": (10, 12, 2)}


def emis_spec(province: str):
    return next(s for s in source_files(province) if s.file_name == EMIS)


def read(path: Path, province: str = "yala"):
    return read_delivery(
        emis_spec(province), path, province=province, academic_year=2566, pseudonymiser=pseudonymiser()
    )


def write(path: Path, rows: list[list[object]], encoding: str = "utf-8", **kwargs: str) -> Path:
    path.write_bytes(emis_text(rows, **kwargs).encode(encoding))
    return path


def test_correct_subtotals_are_checked_and_dropped(tmp_path: Path) -> None:
    rows = emis_school(GOOD, COUNTS)
    result = read(write(tmp_path / EMIS, rows))

    check_result(result)
    assert result.rejects.empty
    assert result.rows_read == 18 and len(result.rows) == 18  # one row per grade, subtotals gone
    by_grade = result.rows.set_index("grade")
    assert by_grade.loc["K2", ["male", "female", "total", "classrooms"]].tolist() == [6, 3, 9, 1]
    assert by_grade.loc["M1", "total"] == 22 and by_grade.loc["V3", "total"] == 0
    assert result.rows["source_row"].tolist()[:4] == [2, 3, 4, 6]  # line 5 was the รวม อบ. subtotal
    assert any(f"{len(SUBTOTAL_LABELS)} subtotal rows checked" in n for n in result.notes)


def test_wrong_subtotal_sends_that_schools_rows_to_rejects(tmp_path: Path) -> None:
    bad = emis_school(BAD, COUNTS)
    primary = next(r for r in bad if r[1] == "รวมประถม")
    assert primary[2] == 6
    primary[2] = 7  # boys in primary: 4 + 2 = 6, stated 7
    primary[4] = 14  # keep the subtotal row itself consistent (7 + 7)
    result = read(write(tmp_path / EMIS, emis_school(GOOD, COUNTS) + bad))

    check_result(result)
    assert set(result.rows["school_id"]) == {GOOD} and len(result.rows) == 18
    assert len(result.rejects) == 18
    # the grand total was built from the true grade counts, so only the edited subtotal is named
    assert set(result.rejects["reason"]) == {
        "subtotal รวมประถม male 7 ≠ sum of rows 6; subtotal รวมประถม total 14 ≠ sum of rows 13"
    }


def test_row_must_add_up_and_labels_must_be_known(tmp_path: Path) -> None:
    rows = emis_school(GOOD, COUNTS)
    k2 = next(r for r in rows if r[1] == "อบ.2")
    k2[4] = 10  # 6 + 3 ≠ 10: the row is rejected; the subtotal รวม อบ. total (9) now disagrees too
    rows.insert(3, [GOOD, "ป.7", 1, 1, 2, 1])
    result = read(write(tmp_path / EMIS, rows))
    reasons = reasons_by_row(result)
    assert result.rows.empty  # the subtotal mismatch rejects the whole school
    assert reasons[3] == (
        "male 6 + female 3 ≠ total 10; subtotal รวม อบ. total 9 ≠ sum of rows 10; "
        "subtotal รวมทั้งหมด total 44 ≠ sum of rows 45"
    )
    assert "grade_or_subtotal: unknown grade 'ป.7'" in reasons[5].split("; ")
    assert result.rows_read == 19


def test_unparseable_subtotal_rejects_the_school(tmp_path: Path) -> None:
    rows = emis_school(GOOD, COUNTS)
    next(r for r in rows if r[1] == "รวมมัธยมต้น")[3] = "สิบสอง"
    result = read(write(tmp_path / EMIS, rows))
    assert result.rows.empty
    assert set(result.rejects["reason"]) == {"subtotal รวมมัธยมต้น: female: not a whole number 'สิบสอง'"}


def test_cp874_emis_with_english_school_header(tmp_path: Path) -> None:
    rows = emis_school("1091010001", COUNTS)
    result = read(write(tmp_path / EMIS, rows, encoding="cp874", school_header="school_id"), "satun")
    check_result(result)
    assert len(result.rows) == 18 and result.rejects.empty and set(result.rows["province"]) == {"satun"}


def test_missing_count_column_is_structural(tmp_path: Path) -> None:
    path = tmp_path / EMIS
    path.write_text("รหัสโรงเรียน,ชั้น/เพศ,ชาย,หญิง,รวม\n1095010001,ป.1,1,1,2\n", encoding="utf-8")
    with pytest.raises(DeliveryError, match=r"'ห้องเรียน' \(classrooms\)"):
        read(path)


def test_duplicate_grade_row_is_rejected(tmp_path: Path) -> None:
    rows = emis_school(GOOD, {"ป.1": (1, 1, 1)})
    rows.insert(5, [GOOD, "ป. 1", 1, 1, 2, 1])  # same key (school, P1), spelled differently
    result = read(write(tmp_path / EMIS, rows))
    reasons = reasons_by_row(result)
    # the extra P1 row also breaks รวมประถม and รวมทั้งหมด, which rejects the school
    assert reasons[7].startswith("subtotal รวมประถม male 1 ≠ sum of rows 2")
    assert result.rows_read == len(result.rows) + len(result.rejects) == 19


@pytest.mark.skipif(
    not (shared_data_dir() / "format_samples").is_dir(),
    reason="../shared/data is absent: the real EMIS sample cannot be read",
)
def test_real_emis_sample_adds_up(tmp_path: Path) -> None:
    """The real Chonburi export: every subtotal must check out; its schools are outside the sandbox, so the
    only rejects are the province check."""
    sample = shared_data_dir() / "format_samples" / "wevis_obec_emis_student_sample_chonburi.csv"
    path = tmp_path / EMIS
    os.symlink(sample, path)
    result = read(path)
    check_result(result)
    assert result.rows.empty and result.rows_read > 0
    assert all(
        r.startswith("school_id: school ID 10200800") and r.endswith("not the delivering province 95")
        for r in result.rejects["reason"]
    )
    assert not any("subtotal" in r or "≠" in r for r in result.rejects["reason"])
