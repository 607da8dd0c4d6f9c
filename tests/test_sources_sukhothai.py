"""Sukhothai: UTF-8-with-BOM CSV (saved from Excel), including the social protection network's cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.sources import DeliveryError, read_delivery
from tests.fixtures.deliveries.builders import (
    check_result,
    citizen_id,
    csv_text,
    pseudonymiser,
    reasons_by_row,
    spec,
    write_csv,
)

SCHOOL = "1064010001"
CASES = spec("sukhothai", "protection_cases")


def case(n: int, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = dict(
        person_id=citizen_id(n),
        school_id=SCHOOL,
        disadvantage_type="ยากจนพิเศษ",
        support_given="ทุนเสมอภาค",
        follow_up_status="กำลังติดตาม",
    )
    row.update(overrides)
    return row


def read(source, path: Path):
    return read_delivery(
        source, path, province="sukhothai", academic_year=2566, pseudonymiser=pseudonymiser()
    )


def test_protection_cases_with_bom(tmp_path: Path) -> None:
    rows = [
        case(1),
        case(1, disadvantage_type="เด็กพิการ", support_given="", follow_up_status="ปิดเคส  "),
        case(2, follow_up_status="เปิดเคส"),
        case(3, follow_up_status="รอ"),
        case(1, support_given="อาหารกลางวัน"),
    ]  # same student and disadvantage as line 2
    path = write_csv(tmp_path / "social_protection_cases.csv", CASES, rows)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    result = read(CASES, path)

    check_result(result, raw_ids=[citizen_id(1)])
    assert result.rows["follow_up_status"].tolist() == ["in_progress", "closed", "open"]
    assert result.rows["support_given"].isna().tolist() == [False, True, False]
    assert reasons_by_row(result) == {5: "follow_up_status: unknown value 'รอ'", 6: "duplicate of row 2"}
    assert "encoding utf-8-sig" in result.notes


def test_same_file_without_bom_reads_the_same(tmp_path: Path) -> None:
    with_bom = read(CASES, write_csv(tmp_path / "a" / "social_protection_cases.csv", CASES, [case(1)]))
    without = read(
        CASES, write_csv(tmp_path / "b" / "social_protection_cases.csv", CASES, [case(1)], encoding="utf-8")
    )
    columns = [c for c in with_bom.rows.columns if c != "source_sha256"]
    assert with_bom.rows[columns].equals(without.rows[columns])
    assert with_bom.source_sha256 != without.source_sha256


def test_students_with_trailing_spaces_and_short_labels(tmp_path: Path) -> None:
    source = spec("sukhothai", "students")
    rows = [
        dict(
            person_id=f" {citizen_id(1)} ",
            school_id=f"{SCHOOL} ",
            grade="ม. 3 ",
            sex="ช ",
            birth_date=" 7/7/2552",
            status="จบการศึกษา ",
        )
    ]
    result = read(source, write_csv(tmp_path / "students.csv", source, rows))
    check_result(result, raw_ids=[citizen_id(1)])
    assert result.rows[["school_id", "grade", "sex", "status"]].values.tolist() == [
        [SCHOOL, "M3", "M", "graduated"]
    ]
    assert result.rows["student_key"][0] == pseudonymiser().key_for(citizen_id(1))


def test_cp874_bytes_where_utf8_bom_promised_are_detected(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "social_protection_cases.csv", CASES, [case(1)], encoding="cp874")
    result = read(CASES, path)
    assert len(result.rows) == 1
    assert any("cp874 detected where the contract says utf-8-sig" in n for n in result.notes)


def test_malformed_csv_is_structural(tmp_path: Path) -> None:
    path = tmp_path / "social_protection_cases.csv"
    text = csv_text(CASES, [case(1)]) + '"unterminated,' + "x" * 10 + "\n"
    path.write_bytes(text.encode("utf-8-sig"))
    with pytest.raises(DeliveryError, match="malformed CSV"):
        read(CASES, path)
