"""Satun: cp874 CSV, Thai headers, dd/mm/BBBB dates; the row-level and structural rules of all adapters."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from assets.sources import DeliveryError, read_delivery
from tests.fixtures.deliveries.builders import (
    bad_check_digit,
    check_result,
    citizen_id,
    csv_text,
    pseudonymiser,
    reasons_by_row,
    spec,
    write_csv,
)

SCHOOL = "1091010001"
STUDENTS = spec("satun", "students")


def student(n: int, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = dict(
        person_id=citizen_id(n),
        first_name="สมชาย",
        last_name="ใจดี",
        school_id=SCHOOL,
        grade="ป.1",
        sex="ชาย",
        birth_date="14/03/2558",
        status="เลื่อนชั้น",
        dropout_reason="",
        home_language="มลายู",
    )
    row.update(overrides)
    return row


def read(path: Path, source=STUDENTS, year: int = 2566):
    return read_delivery(source, path, province="satun", academic_year=year, pseudonymiser=pseudonymiser())


def test_cp874_students_are_typed_with_lineage(tmp_path: Path) -> None:
    rows = [
        student(1),
        student(2, grade="อ.1 ", sex=" หญิง", birth_date="1/6/2561", status="กำลังศึกษา"),
        student(
            3,
            person_id="G123456789012",
            grade="อบ.2",
            birth_date="๐๒/๑๑/๒๕๖๐",
            status="ออกกลางคัน",
            dropout_reason="ย้ายตามผู้ปกครอง",
        ),
    ]
    path = write_csv(tmp_path / "students.csv", STUDENTS, rows)
    assert "ป.1".encode("cp874") in path.read_bytes()  # really TIS-620 bytes on disk

    result = read(path)

    check_result(result, raw_ids=[citizen_id(1), citizen_id(2), "G123456789012"])
    assert result.rows_read == 3 and result.rejects.empty
    r = result.rows
    assert r["grade"].tolist() == ["P1", "K1", "K2"]
    assert r["sex"].tolist() == ["M", "F", "M"]
    assert r["id_kind"].tolist() == ["citizen_id", "citizen_id", "g_code"]
    assert r["birth_date"].tolist() == [
        pd.Timestamp(2015, 3, 14),
        pd.Timestamp(2018, 6, 1),
        pd.Timestamp(2017, 11, 2),
    ]
    assert r["status"].tolist() == ["promoted", "studying", "dropped_out"]
    assert r["dropout_reason"].tolist()[2] == "ย้ายตามผู้ปกครอง" and pd.isna(r["dropout_reason"][0])
    assert r["source_row"].tolist() == [2, 3, 4]
    assert set(r["province"]) == {"satun"} and set(r["academic_year"]) == {2566}
    assert set(r["source_file"]) == {"students.csv"}
    import hashlib

    assert set(r["source_sha256"]) == {hashlib.sha256(path.read_bytes()).hexdigest()}
    assert result.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # the same ID always gives the same key, and the key is not the ID
    again = read(path)
    assert again.rows["student_key"].tolist() == r["student_key"].tolist()
    assert r["student_key"].str.len().eq(32).all()


def test_row_problems_go_to_rejects_with_reasons(tmp_path: Path) -> None:
    rows = [
        student(1),  # line 2: fine
        student(2, birth_date="14/03/2012"),  # line 3: CE year
        student(3, person_id=bad_check_digit(3)),  # line 4: check digit
        student(4, sex="ไม่ระบุ"),  # line 5: unknown label
        student(5, school_id=""),  # line 6: required blank
        student(6, birth_date="31/02/2560"),  # line 7: impossible date
        student(1),  # line 8: identical to line 2
        student(7, person_id=citizen_id(1), grade="ป.2"),  # line 9: same student key as line 2
        student(8, school_id="1095010001"),  # line 10: a Yala school in Satun's file
        student(9, school_id="109101001"),  # line 11: 9 digits
        student(10, grade="ป.9"),  # line 12: no such grade
    ]
    path = write_csv(tmp_path / "students.csv", STUDENTS, rows)

    result = read(path)

    check_result(result, raw_ids=[bad_check_digit(3), citizen_id(1)])
    reasons = reasons_by_row(result)
    assert result.rows["source_row"].tolist() == [2]
    assert reasons == {
        3: "birth_date: Common-Era year 2012 where Buddhist Era expected",
        4: "person_id: citizen ID fails its check digit",
        5: "sex: unknown value 'ไม่ระบุ'",
        6: "school_id: required value missing",
        7: "birth_date: invalid date 31/02/2560",
        8: "duplicate of row 2",
        9: "duplicate of row 2",
        10: "school_id: school ID 1095010001 is in province 95, not the delivering province 91",
        11: "school_id: invalid school ID '109101001'",
        12: "grade: unknown grade 'ป.9'",
    }
    # the failing ID is in the reject record only as its pseudonym
    record = json.loads(result.rejects.set_index("source_row").at[4, "record"])
    assert record["person_id"] == pseudonymiser().key_for(bad_check_digit(3))
    assert "first_name" not in record and record["grade"] == "ป.1"


def test_identical_rows_are_duplicates_even_when_their_key_is_unusable(tmp_path: Path) -> None:
    """Whole rows are compared only where a key repeats (assets/sources/common.py): rows whose person ID
    fails have no key, and two such identical rows must still be told apart from two different ones."""
    rows = [
        student(1),  # line 2
        student(2, person_id=bad_check_digit(2)),  # line 3: no usable key
        student(2, person_id=bad_check_digit(2)),  # line 4: identical to line 3
        student(3, person_id=bad_check_digit(3)),  # line 5: no usable key either, other content
        student(1, grade="ป.2"),  # line 6: line 2's key, other content
    ]
    result = read(write_csv(tmp_path / "students.csv", STUDENTS, rows))
    check_result(result, raw_ids=[bad_check_digit(2), bad_check_digit(3)])
    assert result.rows["source_row"].tolist() == [2]
    assert reasons_by_row(result) == {
        3: "person_id: citizen ID fails its check digit",
        4: "duplicate of row 3",
        5: "person_id: citizen ID fails its check digit",
        6: "duplicate of row 2",
    }


def test_several_problems_in_one_row_are_all_named(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "students.csv", STUDENTS, [student(1, sex="x", birth_date="2012-01-01", status="?")]
    )
    reason = reasons_by_row(read(path))[2]
    assert reason.split("; ") == [
        "sex: unknown value 'x'",
        "birth_date: Common-Era year 2012 where Buddhist Era expected",
        "status: unknown value '?'",
    ]


def test_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    text = (
        csv_text(STUDENTS, [student(1)])
        + "\r\n"
        + csv_text(STUDENTS, [student(2, sex="?")]).split("\r\n", 1)[1]
    )
    path = tmp_path / "students.csv"
    path.write_bytes(text.encode("cp874"))
    result = read(path)
    assert result.rows_read == 2
    assert result.rows["source_row"].tolist() == [2]
    assert list(reasons_by_row(result)) == [4]


def test_utf8_file_where_cp874_promised_is_read_and_noted(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "students.csv", STUDENTS, [student(1)], encoding="utf-8")
    result = read(path)
    assert len(result.rows) == 1 and result.rows["sex"].tolist() == ["M"]
    assert any("utf-8 detected where the contract says cp874" in n for n in result.notes)


def test_utf16_file_is_a_delivery_error_naming_file_and_problem(tmp_path: Path) -> None:
    path = tmp_path / "students.csv"
    path.write_bytes(csv_text(STUDENTS, [student(1)]).encode("utf-16"))
    with pytest.raises(DeliveryError) as err:
        read(path)
    assert err.value.path == str(path)
    assert "UTF-16" in err.value.problem


def test_undecodable_bytes_are_a_delivery_error(tmp_path: Path) -> None:
    path = tmp_path / "students.csv"
    path.write_bytes(csv_text(STUDENTS, []).encode("cp874") + b"\xfc\xfd\xfe\xff,\x80\n")
    with pytest.raises(DeliveryError, match="not decodable"):
        read(path)


def test_missing_required_column_names_thai_and_english(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "students.csv", STUDENTS, [student(1)], drop=["birth_date", "sex"])
    # birth_date is optional in the contract, sex is not
    with pytest.raises(DeliveryError) as err:
        read(path)
    assert "'เพศ' (sex)" in err.value.problem and "birth_date" not in err.value.problem
    assert str(path) in str(err.value)


def test_optional_column_absent_is_loaded_as_missing(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "students.csv", STUDENTS, [student(1)], drop=["home_language", "first_name"])
    result = read(path)
    assert result.rows["home_language"].isna().all() and len(result.rows) == 1
    assert any("home_language" in n for n in result.notes)


def test_empty_file_is_a_delivery_error(tmp_path: Path) -> None:
    path = tmp_path / "students.csv"
    path.write_bytes(b"")
    with pytest.raises(DeliveryError, match="empty file"):
        read(path)


def test_header_only_file_reads_as_no_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "students.csv", STUDENTS, [])
    result = read(path)
    check_result(result)
    assert result.rows_read == 0 and result.rows.empty


def test_training_hours_dates_and_staff_ids(tmp_path: Path) -> None:
    source = spec("satun", "training")
    rows = [
        dict(
            person_id=citizen_id(1),
            school_id=SCHOOL,
            course_name="Active Learning",
            skill_area="การสอน",
            hours="12.5",
            completed_on="03/08/2566",
        ),
        dict(
            person_id="G123456789012", school_id=SCHOOL, course_name="x", hours="6", completed_on="03/08/2566"
        ),
        dict(
            person_id=citizen_id(2), school_id=SCHOOL, course_name="y", hours="-3", completed_on="03/08/2566"
        ),
        dict(person_id=citizen_id(3), school_id=SCHOOL, course_name="z", hours="สิบ", completed_on=""),
    ]
    result = read(write_csv(tmp_path / "training.csv", source, rows), source)
    check_result(result, raw_ids=[citizen_id(1)])
    assert result.rows["hours"].tolist() == [12.5]
    assert result.rows["completed_on"].tolist() == [pd.Timestamp(2023, 8, 3)]
    assert reasons_by_row(result) == {
        3: "person_id: G-code where a staff citizen ID is expected",
        4: "hours: -3.0 outside 0–1000",
        5: "hours: not a number 'สิบ'; completed_on: required value missing",
    }


def test_learning_spaces_months_and_counts(tmp_path: Path) -> None:
    source = spec("satun", "learning_spaces")
    rows = [
        dict(
            space_id="LS01",
            space_name="ศูนย์เรียนรู้ป่าชายเลน",
            district_code="9101",
            month="06/2566",
            visitors="1,234",
            visitors_applying="400",
            income_baht="15000.50",
        ),
        dict(
            space_id="LS01",
            space_name="ศูนย์เรียนรู้ป่าชายเลน",
            district_code="9101",
            month="07/2023",
            visitors="10",
            visitors_applying="1",
            income_baht="0",
        ),
        dict(
            space_id="LS02",
            space_name="x",
            district_code="91",
            month="07/2566",
            visitors="2.5",
            visitors_applying="1",
            income_baht="0",
        ),
    ]
    result = read(write_csv(tmp_path / "learning_spaces.csv", source, rows), source)
    check_result(result)
    assert result.rows["month"].tolist() == [pd.Timestamp(2023, 6, 1)]
    assert result.rows["visitors"].tolist() == [1234]
    assert result.rows["income_baht"].tolist() == [15000.5]
    assert reasons_by_row(result) == {
        3: "month: Common-Era year 2023 where Buddhist Era expected",
        4: "district_code: a district code is 4 digits '91'; visitors: not a whole number '2.5'",
    }


def test_competency_assessments(tmp_path: Path) -> None:
    source = spec("satun", "assessments")
    rows = [
        dict(
            person_id=citizen_id(1),
            school_id=SCHOOL,
            test="สมรรถนะ",
            grade="ป.3",
            subject="การอ่าน",
            score="78.5",
        ),
        dict(
            person_id=citizen_id(1),
            school_id=SCHOOL,
            test="COMPETENCY",
            grade="ป.3",
            subject="การอ่าน",
            score="80",
        ),
        dict(
            person_id=citizen_id(2),
            school_id=SCHOOL,
            test="COMPETENCY",
            grade="ป.3",
            subject="คณิต",
            score="101",
        ),
    ]
    result = read(write_csv(tmp_path / "competency_assessments.csv", source, rows), source)
    check_result(result)
    assert result.rows[["test", "grade", "score"]].values.tolist() == [["COMPETENCY", "P3", 78.5]]
    assert reasons_by_row(result) == {3: "duplicate of row 2", 4: "score: 101.0 outside 0–100"}


def test_schools_registry(tmp_path: Path) -> None:
    source = spec("satun", "schools")
    rows = [
        dict(
            school_id=SCHOOL,
            school_name="บ้านควนโดน ๒",
            affiliation="10",
            area_code="9101",
            district_code="9102",
            subdistrict_code="910201",
            levels_offered="อ.1-ป.6",
            sandbox_member="ใช่",
        ),
        dict(
            school_id="1191010002",
            school_name="อิสลามศึกษา",
            affiliation="11",
            district_code="9102",
            sandbox_member="ไม่ใช่",
        ),
        dict(
            school_id="1091010003",
            school_name="x",
            affiliation="99",
            district_code="9102",
            sandbox_member="บางที",
        ),
    ]
    result = read(write_csv(tmp_path / "schools.csv", source, rows), source)
    check_result(result)
    assert result.rows["sandbox_member"].tolist() == [True, False]
    assert result.rows["affiliation"].tolist() == ["10", "11"]
    assert result.rows["school_name"].tolist()[0] == "บ้านควนโดน 2"  # Thai digits normalised everywhere
    assert pd.isna(result.rows["subdistrict_code"][1])
    assert reasons_by_row(result) == {
        4: "affiliation: unknown affiliation code '99'; sandbox_member: not a yes/no value 'บางที'"
    }


def test_academic_year_comes_from_the_caller(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "students.csv", STUDENTS, [student(1)])
    assert read(path, year=2565).rows["academic_year"].tolist() == [2565]
    assert dt.date(2015, 3, 14) == read(path).rows["birth_date"][0].date()


def test_line_with_too_many_fields_is_a_reject_not_a_failure(tmp_path: Path) -> None:
    lines = csv_text(STUDENTS, [student(1), student(2), student(3)]).split("\r\n")
    lines[2] = lines[2] + ",เกิน"  # line 3: one field too many
    lines[3] = lines[3] + ",เกิน,เกิน"  # line 4: two too many (not a 'duplicate' of line 3)
    path = tmp_path / "students.csv"
    path.write_bytes("\r\n".join(lines).encode("cp874"))
    result = read(path)
    check_result(result, raw_ids=[citizen_id(2)])
    assert result.rows["source_row"].tolist() == [2]
    assert reasons_by_row(result) == {
        3: "line has 11 fields where the header has 10",
        4: "line has 12 fields where the header has 10",
    }
    assert json.loads(result.rejects["record"][0])["person_id"] is None  # shifted values are not kept
