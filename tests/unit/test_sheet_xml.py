"""The plain-XML row reader (assets/sources/sheet_xml.py) against ElementTree's reading of the same sheet.

The property that matters: whenever the plain reader finishes a sheet, it gave exactly the rows the parser
gives (values and their types), and it never finishes a sheet the parser refuses. Rows it does not take on
are parsed alone; sheets it cannot split with certainty raise NotPlainSheet and are read by the parser.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import assets.sources.sheet_xml as sheet_xml
from assets.contract.landing import SOURCE_FILES
from assets.sources.base import DeliveryError
from assets.sources.readers import RawFile, _read_sheet, _read_sheet_plain_or_parsed, _sheet_rows
from assets.sources.sheet_xml import NotPlainSheet

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROOT = (f'<worksheet xmlns="{NS}" xmlns:r="urn:relationships" '
        'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">')
DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHARED = ["ชื่อ", "ยะลา", "A&B"]


def _base_workbook() -> bytes:
    """A one-sheet workbook with three shared strings and a date style (style 1), as Excel lays it out."""
    import xlsxwriter

    target = io.BytesIO()
    book = xlsxwriter.Workbook(target, {"in_memory": True})
    sheet = book.add_worksheet("Sheet1")
    for column, text in enumerate(SHARED):
        sheet.write_string(0, column, text)
    sheet.write_datetime(1, 0, dt.datetime(2011, 5, 16), book.add_format({"num_format": "d/m/yyyy"}))
    book.close()
    return target.getvalue()


BASE = _base_workbook()


def _workbook(sheet_xml_text: str | bytes) -> bytes:
    source, target = io.BytesIO(BASE), io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            content = old.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = sheet_xml_text.encode() if isinstance(sheet_xml_text, str) else sheet_xml_text
            new.writestr(info, content)
    return target.getvalue()


def _sheet(rows: str, *, head: str = DECLARATION + ROOT, tail: str = "</worksheet>") -> str:
    """With a dimension, as writers put one: openpyxl then stops reading there when it opens the workbook, and
    the rows are read by the reader under test only."""
    return f'{head}<dimension ref="A1:AC9"/><sheetData>{rows}</sheetData>{tail}'


def _outcome(data: bytes, plain: bool) -> Any:
    """The rows read one way, or the exception's type and text."""
    try:  # openpyxl reads each sheet's dimension when it opens the workbook: a damaged one may fail there
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = list(_sheet_rows(book.active, plain))
    except Exception as err:  # noqa: BLE001 - the outcome compared
        return type(err), str(err)
    return [(number, {column: (type(value), value) for column, value in cells.items()})
            for number, cells in rows]


def _assert_never_other_rows(data: bytes) -> tuple[Any, Any]:
    """Plain and parsed readings of `data`; the plain one is either the parsed rows or an exception."""
    plain, parsed = _outcome(data, True), _outcome(data, False)
    if isinstance(plain, list):
        assert plain == parsed
    return plain, parsed


def _count_parsed_rows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = sheet_xml._parsed_row

    def counted(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(sheet_xml, "_parsed_row", counted)
    return calls


PLAIN_ROWS = (
    '<row r="1" spans="1:4" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
    '<c r="C1" s="0" t="s"><v>2</v></c></row>'
    '<row r="2"><c r="A2" s="1"><v>40679</v></c><c r="B2"><v>12</v></c><c r="C2"><v>0.25</v></c>'
    '<c r="D2" t="b"><v>1</v></c><c r="E2" t="e"><v>#N/A</v></c><c r="F2" t="str"><v>x</v></c>'
    '<c r="G2" t="inlineStr"><is><t>  ก ข  </t></is></c><c r="H2" t="inlineStr"><is><t/></is></c>'
    '<c r="I2" t="inlineStr"><v>ignored</v></c><c r="J2"/><c r="K2" s="1"/><c r="AB2"><v>-7</v></c></row>'
    '<row r="4"/>'
    '<row><c t="inlineStr"><is><t xml:space="preserve"> a </t></is></c><c><v>1e3</v></c></row>'
    '<row r="9.0"><c r="C9" t="d"><v>2024-05-16T00:00:00</v></c></row>\n  '
)


def test_plain_rows_are_read_without_the_parser_and_typed_as_it_types_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    parsed_rows = _count_parsed_rows(monkeypatch)
    plain, parsed = _assert_never_other_rows(_workbook(_sheet(PLAIN_ROWS)))
    assert isinstance(plain, list) and parsed_rows == []
    by_row = {number: cells for number, cells in plain}
    assert sorted(by_row) == [1, 2, 4, 5, 9]
    assert by_row[1] == {1: (str, "ชื่อ"), 2: (str, "ยะลา"), 3: (str, "A&B")}
    assert by_row[2][1][0] is dt.datetime and by_row[2][2] == (int, 12) and by_row[2][4] == (bool, True)
    assert by_row[2][7] == (str, "  ก ข  ") and by_row[2][8] == (str, "") and 9 not in by_row[2]
    assert by_row[2][28] == (int, -7) and by_row[4] == {}


@pytest.mark.parametrize(("row", "parsed_alone"), [
    ('<row r="3"><c r="A3" t="inlineStr"><is><t>A &amp; B &#3618;</t></is></c></row>', True),  # entities
    ('<row r="3"><c r="A3" t="inlineStr"><is><t>two\r\nlines</t></is></c></row>', True),  # CR LF: LF
    ('<row r="3"> <c r="A3"> <v>5</v> </c>\n<c r="B3" t="str"><f>A3</f><v>5</v></c></row>', True),  # formula
    ('<row r="3"><c r="A3" t="inlineStr"><is><r><t>ยะ</t></r><r><t>ลา</t></r><rPh><t>x</t></rPh></is></c>'
     "</row>", True),  # rich text with a phonetic run
    ('<row r="3" xmlns:q="urn:q" q:x="1"><c r="A3"><v>5</v></c></row>', True),  # a prefix the row declares
    ("<row r='3'><c  r='A3'\tt='n' ><v>5</v></c><c r=\"B3\" t=\"e\"/></row>", False),  # other quotes, spaces
])
def test_rows_that_are_not_plain_are_parsed_alone_with_the_same_result(
        row: str, parsed_alone: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed_rows = _count_parsed_rows(monkeypatch)
    plain, _ = _assert_never_other_rows(_workbook(_sheet(PLAIN_ROWS + row)))
    assert isinstance(plain, list) and len(parsed_rows) == parsed_alone


ONE_ROW = '<row r="1"><c r="A1"><v>1</v></c></row>'


@pytest.mark.parametrize(("sheet", "refused"), [
    (_sheet('<row r="1"><!-- </row> --><c r="A1"><v>1</v></c></row>'), False),  # comment
    (_sheet('<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[a</row>]]></t></is></c></row>'), False),
    (_sheet('<row r="1"><?pi </row>?><c r="A1"><v>1</v></c></row>'), False),
    (_sheet('<row r="1"><c r="A1"><v>1</v></c></row>', head='<?xml version="1.0" encoding="ISO-8859-1"?>'
            + ROOT), False),
    (_sheet(ONE_ROW, head=ROOT.replace(f'xmlns="{NS}"', 'xmlns="urn:other"')), False),
    (_sheet(ONE_ROW, tail='<extra><row r="7"/></extra></worksheet>'), False),
    (_sheet('<row r="1"><row/></row>'), False),  # a row inside a row
    (DECLARATION + ROOT + '<!-- <sheetData><row r="5"><c r="A5"><v>1</v></c></row></sheetData> -->'
     "<sheetData/></worksheet>", False),  # rows in a comment before the real ones
    (_sheet('<row r="1"><c r="A1" q:x="1"><v>1</v></c></row>'), True),  # an undeclared prefix
    (_sheet('<row r="1"><c r="A1" r="B1"><v>1</v></c></row>'), True),  # an attribute twice
    (_sheet('<row r="1"><c r="A1"><v>1\x01</v></c></row>'), True),  # a character XML does not allow
    (_sheet('<row r="1"><c r="A1"><v>1</v></c></row>', tail=""), True),  # truncated
    (_sheet('<row r="1"><c r="A1"><v>1</v></c></row>', tail="</worksheet><x/>"), True),
    (_sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>a ]]> b</t></is></c></row>'), True),
    (_sheet('<row r="1"><c r="A1"><v>1</v></c>'), True),  # a row that never ends
])
def test_what_cannot_be_split_with_certainty_is_left_to_the_parser(sheet: str, refused: bool) -> None:
    plain, parsed = _assert_never_other_rows(_workbook(sheet))
    assert not isinstance(plain, list)  # the plain reader gave up: the caller parses the sheet
    assert isinstance(parsed, list) != refused


def test_a_workbook_read_either_way_gives_the_parser_reading_or_its_refusal(tmp_path: Path) -> None:
    source = next(s for s in SOURCE_FILES if s.province == "mae_hong_son" and s.entity == "schools")
    book_bytes = _workbook(_sheet(PLAIN_ROWS + '<row r="12"><!-- a comment --></row>'))
    path = tmp_path / "schools.xlsx"
    path.write_bytes(book_bytes)
    raw = RawFile(path, book_bytes, "0" * 64)
    book = openpyxl.load_workbook(io.BytesIO(book_bytes), read_only=True, data_only=True)

    def reading(read: Callable[..., Any], **plain: bool) -> Any:
        try:
            return read(raw, source, book.active, "Sheet1", None, **plain).fields
        except DeliveryError as err:
            return str(err)

    assert reading(_read_sheet_plain_or_parsed) == reading(_read_sheet, plain=False)
    with pytest.raises(NotPlainSheet):
        list(_sheet_rows(book.active, True))


NUMBERS = ["1", "0.5", "-3", "1E+20", "12345678901234567", " 7"]
TEXTS = ["ก", "", " x ", "a&amp;b", "1&lt;2", "ข\tค"]
_CELL_FORMS: list[Callable[[random.Random, str], str]] = [
    lambda rng, ref: f'<c r="{ref}"><v>{rng.choice(NUMBERS)}</v></c>',
    lambda rng, ref: f'<c r="{ref}" s="1"><v>{rng.choice(["40679", "0.5", "45000.25"])}</v></c>',
    lambda rng, ref: f'<c r="{ref}" t="s"><v>{rng.randrange(len(SHARED))}</v></c>',
    lambda rng, ref: f'<c r="{ref}" t="b"><v>{rng.choice("01")}</v></c>',
    lambda rng, ref: f'<c r="{ref}" t="e"><v>#DIV/0!</v></c>',
    lambda rng, ref: f'<c r="{ref}" t="inlineStr"><is><t>{rng.choice(TEXTS)}</t></is></c>',
    lambda rng, ref: f'<c r="{ref}" t="inlineStr"><is><t/></is></c>',
    lambda rng, ref: f'<c r="{ref}" s="0"/>',
    lambda rng, ref: f'<c t="n"><v>{rng.randrange(100)}</v></c>',  # no reference: the next column
    lambda rng, ref: f'<c r="{ref.lower()}"><v>3</v></c>',
    lambda rng, ref: f'<c r="{ref}" t="str"><f>A1</f><v>f</v></c>',
    lambda rng, ref: f'<c r="{ref}" t="d"><v>2024-05-16T08:30:00</v></c>',
    lambda rng, ref: f'<c r="{ref}"><v></v></c>',
    lambda rng, ref: f'<c r="{ref}" x14ac:foo="1"><v>2</v></c>',
]


def _random_sheet(rng: random.Random) -> str:
    rows = []
    number = 0
    for _ in range(rng.randrange(1, 8)):
        number += rng.choice([1, 1, 2, 0]) if number else 1  # 0: a repeated row number, refused by the step
        columns = sorted(rng.sample(range(1, 40), rng.randrange(0, 6)))
        cells = "".join(rng.choice(_CELL_FORMS)(rng, f"{openpyxl.utils.get_column_letter(c)}{number}")
                        for c in columns)
        attributes = rng.choice([f' r="{number}"', f' r="{number}" spans="1:9"', "", f" r='{number}'"])
        empty = not cells and rng.random() < 0.5
        rows.append(f"<row{attributes}/>" if empty else f"<row{attributes}>{cells}</row>")
    text = rng.choice(["", "\n", " "]).join(rows)
    if rng.random() < 0.1:  # damage somewhere
        cut = rng.randrange(len(text) + 1)
        text = text[:cut] + rng.choice(["<", "&", "</row>", "\x02", "<!-- -->", ""]) + text[cut:]
    return _sheet(text)


def test_random_sheets_read_plain_give_the_parser_rows_or_give_up() -> None:
    rng = random.Random(2567)
    finished = 0
    for _ in range(400):
        plain, _ = _assert_never_other_rows(_workbook(_random_sheet(rng)))
        finished += isinstance(plain, list)
    assert finished > 300  # most are plain enough to be read so


def test_block_boundaries_do_not_change_the_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A comment, a row or a UTF-8 character cut between two blocks read from the zip."""
    data = _workbook(_sheet(PLAIN_ROWS * 3))
    expected = _outcome(data, False)
    for size in (1, 7, 64):
        monkeypatch.setattr(sheet_xml, "READ_CHARACTERS", size)
        assert _outcome(data, True) == expected
    commented = _workbook(_sheet(PLAIN_ROWS + "<!-- x -->" + PLAIN_ROWS.replace('r="', 'r="1')))
    monkeypatch.setattr(sheet_xml, "READ_CHARACTERS", 3)
    assert _outcome(commented, True)[0] is NotPlainSheet
    assert re.search("comment", _outcome(commented, True)[1])


def test_text_held_while_looking_for_the_end_of_a_row_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A forged sheet (a giant row, a head or tail of megabytes) is left to the parser, which streams."""
    monkeypatch.setattr(sheet_xml, "READ_CHARACTERS", 16)
    monkeypatch.setattr(sheet_xml, "MAX_PENDING_CHARACTERS", 500)  # longest row above: 366, the head 235
    long_text = "ก" * 600
    long_row = f'<row r="20"><c r="A20" t="inlineStr"><is><t>{long_text}</t></is></c></row>'
    for sheet in (_sheet(PLAIN_ROWS + long_row),
                  _sheet(PLAIN_ROWS, head=DECLARATION + ROOT + f'<sheetPr codeName="{"x" * 600}"/>'),
                  _sheet(PLAIN_ROWS, tail=f'<pageSetup paperSize="{"9" * 600}"/></worksheet>')):
        plain, parsed = _assert_never_other_rows(_workbook(sheet))
        assert plain[0] is NotPlainSheet and "without the end" in plain[1] and isinstance(parsed, list)
        monkeypatch.setattr(sheet_xml, "MAX_PENDING_CHARACTERS", 2000)
        assert _assert_never_other_rows(_workbook(sheet))[0] == parsed
        monkeypatch.setattr(sheet_xml, "MAX_PENDING_CHARACTERS", 500)


ACCEPTED_MARKS = ["a&amp;b", "&#3585;", "x\r\ny", "\r"]  # the parser resolves or normalises these
REFUSED_MARKS = ["\x02", "\ufffe", "]]>", "\x1f"]  # and refuses these


def test_rows_holding_what_the_parser_changes_or_refuses_are_found_across_blocks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader looks for entities, carriage returns, "]]>" and characters XML does not allow once per
    block of text instead of once per row: whatever the blocks' size, exactly the rows holding one are
    parsed alone, and a sheet holding one the parser refuses is never read plain."""
    rng = random.Random(2568)
    monkeypatch.setattr(sheet_xml, "MAX_PENDING_CHARACTERS", 100_000)
    parsed_rows = _count_parsed_rows(monkeypatch)
    for size in (5, 17, 64, 300, 4096):
        monkeypatch.setattr(sheet_xml, "READ_CHARACTERS", size)
        for _ in range(40):
            rows = PLAIN_ROWS * rng.randrange(1, 6)
            marks = ACCEPTED_MARKS if rng.random() < 0.7 else ACCEPTED_MARKS + REFUSED_MARKS
            text_starts = [m.end() for m in re.finditer("<t>", rows)]
            marked = sorted(rng.sample(text_starts, rng.randrange(0, len(text_starts) + 1)), reverse=True)
            for at in marked:
                rows = rows[:at] + rng.choice(marks) + rows[at:]
            parsed_rows.clear()
            plain, parsed = _assert_never_other_rows(_workbook(_sheet(rows)))
            refused = any(mark in rows for mark in REFUSED_MARKS)
            assert isinstance(parsed, list) != refused
            if not refused:
                assert isinstance(plain, list)
                assert len(parsed_rows) == len(marked)
