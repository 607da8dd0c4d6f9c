"""Mae Hong Son: XLSX, one sheet per agency, two header rows with merged group cells, Thai digits."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from assets.contract.landing import MHS_SHEETS
from assets.sources import DeliveryError, read_delivery
from tests.fixtures.deliveries.builders import (
    check_result,
    citizen_id,
    pseudonymiser,
    reasons_by_row,
    spec,
    write_xlsx,
)

SCHOOL = "1058010001"
STUDENTS = spec("mae_hong_son", "students")


def thai_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))


def student(n: int, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = dict(
        person_id=citizen_id(n),
        first_name="นาย",
        last_name="ก",
        school_id=SCHOOL,
        grade="ป.2",
        status="กำลังศึกษา",
        dropout_reason=None,
        sex="ญ",
        birth_date="05/01/2558",
        home_language="กะเหรี่ยง",
    )
    row.update(overrides)
    return row


def all_sheets(rows_per_sheet: dict[str, list[dict[str, object]]]) -> dict[str, list[dict[str, object]]]:
    return {MHS_SHEETS[agency]: rows_per_sheet.get(agency, []) for agency in MHS_SHEETS}


def read(source, path: Path, agency: str | None = None):
    return read_delivery(
        source,
        path,
        province="mae_hong_son",
        academic_year=2566,
        pseudonymiser=pseudonymiser(),
        agency=agency,
    )


def test_two_header_rows_several_sheets_thai_digits(tmp_path: Path) -> None:
    sheets = all_sheets(
        {
            "obec_primary_1": [
                student(1),
                student(
                    2,
                    person_id=thai_digits(citizen_id(2)),
                    school_id=thai_digits(SCHOOL),
                    birth_date=thai_digits("๑๒/๐๘/2559"),
                ),
            ],
            "onie": [student(3, person_id="G581234567890", grade="ม.๔", birth_date=dt.datetime(2551, 2, 3))],
            "special_ed": [student(4, grade=" อ.2", sex="ช", school_id=int(SCHOOL))],
        }
    )
    path = write_xlsx(tmp_path / "students.xlsx", STUDENTS, sheets)
    # the file really has merged group titles in row 1
    assert openpyxl.load_workbook(path)[MHS_SHEETS["onie"]].merged_cells.ranges

    result = read(STUDENTS, path)

    check_result(result, raw_ids=[citizen_id(1), citizen_id(2), "G581234567890"])
    assert result.rejects.empty
    r = result.rows
    assert r["agency"].tolist() == ["obec_primary_1", "obec_primary_1", "onie", "special_ed"]
    assert r["source_row"].tolist() == [3, 4, 3, 3]  # data starts under the two header rows
    assert r["grade"].tolist() == ["P2", "P2", "M4", "K2"]
    assert r["sex"].tolist() == ["F", "F", "F", "M"]
    assert r["school_id"].tolist() == [SCHOOL] * 4
    assert r["id_kind"].tolist() == ["citizen_id", "citizen_id", "g_code", "citizen_id"]
    assert r["student_key"][1] == pseudonymiser().key_for(citizen_id(2))
    assert r["birth_date"].tolist() == [
        pd.Timestamp(2015, 1, 5),
        pd.Timestamp(2016, 8, 12),
        pd.Timestamp(2008, 2, 3),
        pd.Timestamp(2015, 1, 5),
    ]


def test_agency_reads_only_its_sheet(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "students.xlsx",
        STUDENTS,
        all_sheets({"obec_primary_1": [student(1)], "obec_secondary": [student(2), student(3)]}),
    )
    result = read(STUDENTS, path, agency="obec_secondary")
    assert result.rows_read == 2 and set(result.rows["agency"]) == {"obec_secondary"}


def test_duplicates_across_sheets_name_the_sheet(tmp_path: Path) -> None:
    sheets = all_sheets(
        {
            "obec_primary_1": [student(1)],
            "obec_primary_2": [student(5), student(1, grade="ป.3", birth_date="2012-01-01")],
            "onie": [student(1)],
        }
    )
    result = read(STUDENTS, write_xlsx(tmp_path / "students.xlsx", STUDENTS, sheets))
    check_result(result)
    assert result.rows_read == 4 and len(result.rows) == 2
    reasons = reasons_by_row(result)
    by_sheet = {
        json.loads(r)["_sheet"]: reason
        for r, reason in zip(result.rejects["record"], result.rejects["reason"], strict=True)
    }
    assert by_sheet == {
        MHS_SHEETS["obec_primary_2"]: "birth_date: Common-Era year 2012 where Buddhist Era expected",
        MHS_SHEETS["onie"]: f"duplicate of row 3 (sheet {MHS_SHEETS['obec_primary_1']})",
    }
    assert sorted(reasons) == [3, 4]
    # rows are numbered per sheet: the sheet's agency is what tells two rejected "row 3"s apart
    assert sorted(zip(result.rejects["agency"], result.rejects["source_row"], strict=True)) == [
        ("obec_primary_2", 4), ("onie", 3)]


def test_single_sheet_workbook_with_one_header_row(tmp_path: Path) -> None:
    source = spec("mae_hong_son", "learning_spaces")
    rows = [
        dict(
            space_id="MHS-01",
            space_name="ศูนย์เรียนรู้บ้านห้วยตองก๊อ",
            district_code="๕๘๐๑",
            month="มิถุนายน ๒๕๖๖",
            visitors=120,
            visitors_applying=45.0,
            income_baht=3500.75,
        )
    ]
    result = read(source, write_xlsx(tmp_path / "learning_spaces.xlsx", source, {"Sheet1": rows}))
    check_result(result)
    assert result.rows[["district_code", "visitors", "visitors_applying", "income_baht"]].values.tolist() == [
        ["5801", 120, 45, 3500.75]
    ]
    assert result.rows["month"].tolist() == [pd.Timestamp(2023, 6, 1)]
    assert result.rows["source_row"].tolist() == [2]
    assert result.rows["agency"].isna().all()


def test_truncated_workbook_is_a_delivery_error(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "students.xlsx", STUDENTS, all_sheets({"onie": [student(1)] * 3}))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DeliveryError) as err:
        read(STUDENTS, path)
    assert "truncated or corrupt" in err.value.problem and err.value.path == str(path)


def test_missing_sheet_is_a_delivery_error(tmp_path: Path) -> None:
    sheets = all_sheets({"onie": [student(1)]})
    del sheets[MHS_SHEETS["special_ed"]]
    with pytest.raises(DeliveryError, match="sheet 'ศูนย์การศึกษาพิเศษ' \\(special_ed\\) missing"):
        read(STUDENTS, write_xlsx(tmp_path / "students.xlsx", STUDENTS, sheets))


def test_missing_required_header_in_a_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "students.xlsx", STUDENTS, all_sheets({"onie": [student(1)]}))
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[MHS_SHEETS["onie"]]
    for cell in sheet[2]:
        if cell.value == "ชั้น":
            cell.value = "ระดับชั้นเรียน"
    workbook.save(path)
    with pytest.raises(DeliveryError) as err:
        read(STUDENTS, path)
    assert "'ชั้น' (grade)" in err.value.problem and MHS_SHEETS["onie"] in str(err.value)


def test_teachers_workbook(tmp_path: Path) -> None:
    source = spec("mae_hong_son", "teachers")
    teacher = dict(
        person_id=citizen_id(9),
        first_name="ก",
        last_name="ข",
        sex="หญิง",
        school_id=SCHOOL,
        position="ครูผู้ช่วย",
        subject="ภาษาไทย",
        academic_standing=None,
    )
    director = dict(
        teacher, person_id=citizen_id(10), position="ผู้อำนวยการโรงเรียน", academic_standing="ชำนาญการพิเศษ"
    )
    result = read(
        source,
        write_xlsx(tmp_path / "teachers.xlsx", source, all_sheets({"obec_primary_2": [teacher, director]})),
    )
    check_result(result, raw_ids=[citizen_id(9)])
    assert result.rows["position"].tolist() == ["teacher_assistant", "director"]
    assert result.rows["academic_standing"].isna().tolist() == [True, False]


def test_excel_date_cells_are_true_dates(tmp_path: Path) -> None:
    """Excel stores CE dates whatever era it displays; a BE year typed into a date cell stays BE."""
    sheets = all_sheets(
        {"onie": [student(1, birth_date=dt.date(2015, 1, 5)), student(2, birth_date=dt.datetime(2558, 1, 6))]}
    )
    result = read(STUDENTS, write_xlsx(tmp_path / "students.xlsx", STUDENTS, sheets))
    assert result.rows["birth_date"].tolist() == [pd.Timestamp(2015, 1, 5), pd.Timestamp(2015, 1, 6)]
    source = spec("mae_hong_son", "learning_spaces")
    row = dict(
        space_id="S1",
        space_name="x",
        district_code="5801",
        month=dt.date(2023, 6, 1),
        visitors=1,
        visitors_applying=0,
        income_baht=0,
    )
    result = read(source, write_xlsx(tmp_path / "learning_spaces.xlsx", source, {"Sheet1": [row]}))
    assert result.rows["month"].tolist() == [pd.Timestamp(2023, 6, 1)]


def test_a_sheets_equal_values_are_one_object_each(tmp_path: Path) -> None:
    """Every cell read from a sheet is a new object; a roster repeats its school, grade and sex on every row
    (at national scale the sheets' fields held 1.2 GB before equal values were shared). Read either way
    (plain XML, or parsed), equal values come out as one object, and the same values as delivered."""
    from assets.sources.readers import RawFile, read_xlsx_table

    rows = [student(n, school_id=thai_digits(SCHOOL) if n % 2 else SCHOOL, birth_date=f"0{1 + n % 9}/01/2558")
            for n in range(1, 41)]
    sheets = all_sheets({"onie": rows, "special_ed": rows[:3]})
    path = write_xlsx(tmp_path / "students.xlsx", STUDENTS, sheets)
    table = read_xlsx_table(RawFile.read(path), STUDENTS)
    fields = table.fields
    assert len(fields) == 43
    in_sheet = fields[(table.sheet == MHS_SHEETS["onie"]).to_numpy()]
    for column in ("school_id", "grade", "sex", "status", "birth_date", "home_language"):
        by_value: dict[str, object] = {}
        for value in in_sheet[column].tolist():  # one object per distinct value in the sheet
            assert by_value.setdefault(value, value) is value, column
    assert fields["school_id"].tolist() == [r["school_id"] for r in rows + rows[:3]]
    assert fields["birth_date"].tolist()[:3] == ["02/01/2558", "03/01/2558", "04/01/2558"]
    assert fields["person_id"].nunique() == 40 and fields["dropout_reason"].isna().all()


def test_a_sheet_read_a_chunk_of_rows_at_a_time_reads_as_in_one(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet's rows are made text and their equal values shared a chunk at a time (a whole national-scale
    sheet's cells, a new string each, were the read's peak): the same table as read in one chunk, a blank row
    and a second sheet included, with each chunk's equal values one object."""
    import assets.sources.readers as readers

    rows = [student(n, grade="ป.1" if n % 3 else "ป.2", sex="ช" if n % 2 else "ญ") for n in range(1, 41)]
    rows[9] = {name: None for name in rows[9]}  # a blank row, skipped but keeping its number
    sheets = all_sheets({"onie": rows, "special_ed": rows[:3]})
    path = write_xlsx(tmp_path / "students.xlsx", STUDENTS, sheets)
    whole = readers.read_xlsx_table(readers.RawFile.read(path), STUDENTS)
    monkeypatch.setattr(readers, "SHEET_CHUNK_ROWS", 7)
    chunked = readers.read_xlsx_table(readers.RawFile.read(path), STUDENTS)

    pd.testing.assert_frame_equal(chunked.fields, whole.fields)
    assert chunked.source_row.tolist() == whole.source_row.tolist()
    assert len(chunked.fields) == 42 and 12 not in chunked.source_row.tolist()  # row 12: the blank one
    assert chunked.notes == whole.notes
    pd.testing.assert_series_equal(chunked.sheet, whole.sheet)
    assert chunked.sheet.value_counts().tolist() == [39, 3]
    assert "first_name" not in chunked.fields.columns  # names are never kept past the reader
    first_chunk = chunked.fields.iloc[:7]
    for column in ("grade", "sex", "school_id", "status"):
        assert len({id(v) for v in first_chunk[column]}) == first_chunk[column].nunique(), column
