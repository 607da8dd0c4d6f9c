"""Large XLSX sheets, fast: xlsxwriter lays out the workbook, the data rows are streamed in afterwards.

xlsxwriter writes a workbook holding only the header rows (styles, merged group titles, document
properties, sheet order: everything an XLSX needs to be valid). Its sheet XML is then copied into the final
zip with the data rows inserted before `</sheetData>`, as inline-string and number cells, the form
xlsxwriter itself uses in constant-memory mode. Rows are rendered (render.py) and compressed in chunks, so
memory stays bounded, at a fraction of xlsxwriter's per-cell cost (about 7 µs a cell, which made the
default-scale Mae Hong Son workbooks take most of the generation time). Zip members keep xlsxwriter's fixed
1980 timestamps: same rows, same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name

from pipelines.demo_data.render import SEPARATOR, columns_of, plain_texts, rendered, row_chunks

ZIP64_BYTES = 1 << 30
"""Sheets that may exceed this are streamed with Zip64 records (a zip member over 2 GiB needs them)."""
_DIMENSION = re.compile(rb'<dimension ref="([^"]*)"/>')
_SHEET_DATA_END = b"</sheetData>"
_EMPTY_SHEET_DATA = b"<sheetData/>"
_XML_SPECIAL = re.compile(rf"[&<>]|(?:^|{SEPARATOR})\s|\s(?:{SEPARATOR}|$)")
"""XML escapes, or a value starting or ending with white space (needs xml:space="preserve")."""


@dataclass(frozen=True)
class Sheet:
    """One sheet: its name, a function writing its header rows with xlsxwriter (returns the number of
    header rows), and its data rows (columns in sheet order, object values)."""

    name: str
    write_headers: Callable[[xlsxwriter.Workbook, object], int]
    rows: pd.DataFrame


def _cell_body(value: object) -> str:
    """A cell's XML after its reference: text as an inline string (IDs stay text), numbers as numbers,
    booleans as booleans; missing → '' (no cell)."""
    if value is None:
        return ""
    if isinstance(value, str):
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f' t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>'
    if isinstance(value, bool):
        return f' t="b"><v>{int(value)}</v></c>'
    return f"><v>{value}</v></c>"


def _cells(letter: str, numbers: range, values: list[object]) -> list[str]:
    """One column's cells; plain text (no XML escapes, no edge spaces) takes the fast path."""
    if plain_texts(values, _XML_SPECIAL):
        return ["" if v is None else f'<c r="{letter}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
                for r, v in zip(numbers, values, strict=True)]
    return [f'<c r="{letter}{r}"{body}' if body else ""
            for r, body in zip(numbers, rendered(values, _cell_body), strict=True)]


def _row_chunks(rows: pd.DataFrame, first_row: int) -> Iterator[bytes]:
    """<row> elements (1-based sheet rows from first_row + 1), chunk by chunk, UTF-8."""
    letters = [xl_col_to_name(c) for c in range(rows.shape[1])]
    start = first_row + 1
    for chunk in row_chunks(rows):
        numbers = range(start, start + len(chunk))
        start += len(chunk)
        columns = [[f'<row r="{r}">' for r in numbers]]
        columns += [_cells(letter, numbers, values) for letter, values in zip(letters, columns_of(chunk),
                                                                              strict=True)]
        columns.append(["</row>"] * len(chunk))
        yield "".join(map("".join, zip(*columns, strict=True))).encode("utf-8")


def _template(sheets: list[Sheet], properties: dict[str, object]) -> tuple[bytes, list[int]]:
    """The workbook with header rows only (in memory), and each sheet's number of header rows."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties(properties)
    header_rows = []
    for sheet in sheets:
        worksheet = workbook.add_worksheet(sheet.name)
        header_rows.append(sheet.write_headers(workbook, worksheet))
    workbook.close()
    return buffer.getvalue(), header_rows


def _stream_sheet(target: zipfile.ZipFile, info: zipfile.ZipInfo, xml: bytes, sheet: Sheet,
                  header_rows: int) -> None:
    """Copy a template sheet with the data rows inserted at the end of <sheetData>."""
    if len(sheet.rows):  # the used range now reaches the last data row
        found = _DIMENSION.search(xml)
        header_columns = xl_cell_to_rowcol(found.group(1).decode().split(":")[-1])[1] + 1 if found else 1
        columns = max(header_columns, sheet.rows.shape[1])
        last = f"{xl_col_to_name(columns - 1)}{header_rows + len(sheet.rows)}"
        xml = _DIMENSION.sub(f'<dimension ref="A1:{last}"/>'.encode(), xml, count=1)
    if _EMPTY_SHEET_DATA in xml:
        xml = xml.replace(_EMPTY_SHEET_DATA, b"<sheetData>" + _SHEET_DATA_END, 1)
    head, tail = xml.split(_SHEET_DATA_END, 1)
    member = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    member.compress_type = zipfile.ZIP_DEFLATED
    member.external_attr = info.external_attr
    large = sheet.rows.size * 80 > ZIP64_BYTES  # ~80 bytes of XML per cell at most here
    with target.open(member, "w", force_zip64=large) as out:
        out.write(head)
        for chunk in _row_chunks(sheet.rows, header_rows):
            out.write(chunk)
        out.write(_SHEET_DATA_END + tail)


def write_workbook(path: Path, sheets: list[Sheet], properties: dict[str, object]) -> None:
    """Write the workbook: headers by xlsxwriter, data rows streamed into each sheet's XML."""
    template, header_rows = _template(sheets, properties)
    with zipfile.ZipFile(io.BytesIO(template)) as source, \
            zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            xml = source.read(info)
            match = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            if match is None:
                target.writestr(info, xml)
                continue
            index = int(match.group(1)) - 1
            _stream_sheet(target, info, xml, sheets[index], header_rows[index])
