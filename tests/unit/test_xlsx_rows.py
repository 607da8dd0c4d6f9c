"""The XLSX row reader types every kind of cell exactly as openpyxl's own worksheet parser does: it replaced
that parser for speed (the Mae Hong Son roster), so the two are compared cell for cell here."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.worksheet._reader import WorkSheetParser

from assets.sources.readers import _blank_text, _cell_text, _cell_texts, _sheet_rows

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HAND_WRITTEN_ROWS = (
    # no row or cell references (counted on from the previous ones), an ISO date cell, an error, a formula
    # string, a boolean, rich text with a phonetic run, an empty inline string, "5.0" as a row number
    '<row><c t="inlineStr"><is><t>ก</t></is></c><c t="d"><v>2024-05-16T00:00:00</v></c>'
    '<c t="e"><v>#N/A</v></c></row>'
    '<row r="5.0"><c r="B5" t="str"><f>A1</f><v>1095010001</v></c><c r="D5" t="b"><v>0</v></c>'
    '<c r="E5" t="inlineStr"><is><r><t>ยะ</t></r><r><rPr><b/></rPr><t>ลา</t></r>'
    '<rPh sb="0" eb="1"><t>x</t></rPh></is></c><c r="F5" t="inlineStr"><is><t/></is></c></row>'
    '<row r="9"><c r="aa9"><v>1e3</v></c><c r="AB9" s="1"><v>45000.5</v></c><c r="AC9"><v>-7</v></c>'
    '</row>'
)


def openpyxl_rows(sheet: object) -> Iterator[tuple[int, dict[int, object]]]:
    workbook = sheet.parent  # type: ignore[attr-defined]
    with sheet._get_source() as xml:  # type: ignore[attr-defined]
        parser = WorkSheetParser(xml, sheet._shared_strings, data_only=True,  # type: ignore[attr-defined]
                                 epoch=workbook.epoch, date_formats=workbook._date_formats,
                                 timedelta_formats=workbook._timedelta_formats)
        for number, cells in parser.parse():
            yield number, {cell["column"]: cell["value"] for cell in cells if cell["value"] is not None}


def workbook_bytes(tmp_path: Path, writer: str = "openpyxl") -> bytes:
    """A small workbook as openpyxl writes it (inline strings) or as Excel does (xlsxwriter: shared
    strings)."""
    if writer == "xlsxwriter":
        return excel_like_bytes(tmp_path)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["รหัส", "วันเกิด", "ชาย", "สัดส่วน", "ใช่"])
    sheet.append(["1095010001", dt.date(2011, 5, 16), 12, 0.25, True])
    sheet.append([None, dt.datetime(2567, 1, 2, 8, 30), 3.0, None, False])
    sheet["H3"] = dt.time(7, 45)
    sheet["H3"].number_format = "hh:mm"
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path.read_bytes()


def excel_like_bytes(tmp_path: Path) -> bytes:
    import xlsxwriter

    path = tmp_path / "excel.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("ครู")
    date = book.add_format({"num_format": "d/m/yyyy"})
    sheet.write_row(0, 0, ["รหัส", "วันเกิด", "ชาย", "ใช่"])
    sheet.write_row(1, 0, ["1095010001", 12, 0.25, True])
    sheet.write_datetime(1, 5, dt.datetime(2011, 5, 16), date)
    sheet.write_number(2, 1, 45000.75, date)
    sheet.write_string(2, 0, "ยะลา")
    book.close()
    return path.read_bytes()


def with_hand_written_rows(data: bytes) -> bytes:
    """The same workbook with rows only other writers produce appended to the first sheet."""
    source, target = io.BytesIO(data), io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            content = old.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*"\s*/>', b"", content)
                content = content.replace(b"</sheetData>", HAND_WRITTEN_ROWS.encode() + b"</sheetData>")
            new.writestr(info, content)
    return target.getvalue()


READINGS = pytest.mark.parametrize("plain", [False, True], ids=["parsed", "plain"])
"""Each sheet is read both ways: parsed by ElementTree, and as plain XML (assets/sources/sheet_xml.py)."""


@READINGS
@pytest.mark.parametrize("writer", ["openpyxl", "xlsxwriter"])
def test_cells_are_typed_as_openpyxl_types_them(tmp_path: Path, writer: str, plain: bool) -> None:
    data = workbook_bytes(tmp_path, writer)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    ours = list(_sheet_rows(book.active, plain))
    assert ours == list(openpyxl_rows(book.active))
    assert any(isinstance(value, dt.datetime) for _, cells in ours for value in cells.values())
    assert "รหัส" in [value for _, cells in ours for value in cells.values()]


@READINGS
def test_rows_other_writers_produce_are_typed_as_openpyxl_types_them(tmp_path: Path, plain: bool) -> None:
    data = with_hand_written_rows(workbook_bytes(tmp_path))
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    ours = list(_sheet_rows(book.active, plain))
    assert ours == list(openpyxl_rows(book.active))
    by_row = dict(ours)
    assert by_row[2][2] == dt.datetime(2011, 5, 16)  # a date cell comes back as a date, not a serial number
    assert by_row[5] == {2: "1095010001", 4: False, 5: "ยะลา", 6: ""}
    assert [number for number, _ in ours][-3:] == [4, 5, 9]
    assert by_row[9][27] == 1000.0 and by_row[9][29] == -7
    assert isinstance(by_row[9][28], dt.datetime)  # style 1 is openpyxl's date format


@READINGS
def test_a_bad_cell_reference_or_row_number_is_an_error_not_a_guess(tmp_path: Path, plain: bool) -> None:
    base = workbook_bytes(tmp_path)
    for broken in (b'<row r="7"><c r="7A"><v>1</v></c></row>', b'<row r="7.5"><c r="A7"><v>1</v></c></row>'):
        source, target = io.BytesIO(base), io.BytesIO()
        with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
            for info in old.infolist():
                content = old.read(info)
                if info.filename == "xl/worksheets/sheet1.xml":
                    content = content.replace(b"</sheetData>", broken + b"</sheetData>")
                new.writestr(info, content)
        book = openpyxl.load_workbook(io.BytesIO(target.getvalue()), read_only=True, data_only=True)
        with pytest.raises(Exception) as ours:
            list(_sheet_rows(book.active, plain))
        with pytest.raises(Exception) as theirs:
            list(openpyxl_rows(book.active))
        assert type(ours.value) is type(theirs.value)


cell_values = st.one_of(st.none(), st.text(alphabet=" \t\n\u00a0\u3000abก1", max_size=4), st.integers(-5, 5),
                        st.floats(allow_nan=False, allow_infinity=False, width=32), st.booleans(),
                        st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2600, 1, 1)))


@given(st.lists(cell_values, max_size=12), st.booleans())
def test_a_columns_cells_are_made_text_and_blanks_found_as_one_by_one(values: list[object],
                                                                      text_only: bool) -> None:
    """`_cell_texts` and `_blank_text` judge a column at once (type inference; one search of the column
    joined): each must give what mapping `_cell_text` and stripping each value gave."""
    if text_only:  # a roster's columns: text and empty cells
        values = [v if v is None or isinstance(v, str) else str(v) for v in values]
    column = pd.Series(values, dtype=object)
    texts = _cell_texts(column)
    pd.testing.assert_series_equal(texts, column.map(_cell_text))
    pd.testing.assert_series_equal(_blank_text(texts), texts.str.strip() == "")
