"""Delivered tables → files in each province's real format: JSON Lines, CSV (cp874, UTF-8 with or without a
BOM), XLSX with one sheet per agency and two header rows, and the OBEC EMIS CSV.

Every writer is deterministic: the same table gives the same bytes (XLSX: fixed document dates, and the zip
members keep xlsxwriter's fixed 1980 date; see xlsx.py).
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd
import xlsxwriter

from assets.contract.landing import THAI_HEADERS, SourceFile
from assets.sources.readers import EMIS_FIELDS
from pipelines.demo_data.render import csv_field, csv_lines, json_lines
from pipelines.demo_data.tables import AGENCY, EMIS_SCHOOL_HEADER, HELPER_COLUMNS
from pipelines.demo_data.xlsx import Sheet, write_workbook

EXCEL_MAX_ROWS = 1_048_576
CRLF_PROVINCES = frozenset({"sukhothai"})
"""Files saved from Excel on Windows end lines with CR LF; the provinces' own systems write LF."""
SINGLE_SHEET_NAMES = {"schools": "โรงเรียน", "training": "การอบรม", "learning_spaces": "แหล่งเรียนรู้"}
WORKBOOK_AUTHOR = "ศธจ.แม่ฮ่องสอน"


def fields_only(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in HELPER_COLUMNS if c in frame.columns])


def write_jsonl(path: Path, frame: pd.DataFrame, keys: Mapping[str, str]) -> None:
    """One JSON object per line, the source's keys, UTF-8; missing values are null."""
    if frame.empty:
        raise ValueError(f"{path.name}: no rows (an empty JSON Lines file is not a readable delivery)")
    data = fields_only(frame)
    with path.open("wb") as handle:
        for text in json_lines(data, [keys[c] for c in data.columns]):
            handle.write(text.encode("utf-8"))


def write_csv(path: Path, frame: pd.DataFrame, headers: Mapping[str, str], encoding: str,
              lineterminator: str = "\n", *, append: bool = False) -> None:
    """CSV with a header line (unless appending), in the given encoding: cp874 fails loudly on a character
    it lacks, utf-8-sig starts the file with a byte-order mark."""
    data = fields_only(frame)
    codec = encoding.removesuffix("-sig")
    with path.open("ab" if append else "wb") as handle:
        if not append:
            header = ",".join(csv_field(headers[c]) for c in data.columns) + lineterminator
            handle.write((codecs.BOM_UTF8 if encoding.endswith("-sig") else b"") + header.encode(codec))
        for text in csv_lines(data, lineterminator):
            handle.write(text.encode(codec))


def emis_headers() -> dict[str, str]:
    headers = {name: THAI_HEADERS[name] for name in EMIS_FIELDS}
    headers["school_id"] = EMIS_SCHOOL_HEADER
    return headers


def line_end(province: str) -> str:
    return "\r\n" if province in CRLF_PROVINCES else "\n"


def write_delimited(path: Path, source: SourceFile, frame: pd.DataFrame) -> None:
    """CSV and EMIS CSV sources (national CSVs included)."""
    headers = emis_headers() if source.format == "emis_csv" else source.headers
    write_csv(path, frame, headers, source.encoding, line_end(source.province))


def _field_order(source: SourceFile) -> list[str]:
    if source.header_groups:
        return [name for names in source.header_groups.values() for name in names]
    return list(source.headers)


def _header_writer(source: SourceFile) -> Callable[[xlsxwriter.Workbook, object], int]:
    """Writes the header rows of a sheet: merged group titles over the field headers when the source has
    header groups (Mae Hong Son's students and teachers), else one header row; returns how many rows."""

    def write(workbook: xlsxwriter.Workbook, sheet: object) -> int:
        bold = workbook.add_format({"bold": True})
        title = workbook.add_format({"bold": True, "align": "center"})
        row = 0
        if source.header_groups:
            column = 0
            for group, names in source.header_groups.items():
                if len(names) > 1:
                    sheet.merge_range(0, column, 0, column + len(names) - 1, group, title)  # type: ignore[attr-defined]
                else:
                    sheet.write_string(0, column, group, title)  # type: ignore[attr-defined]
                column += len(names)
            row = 1
        for column, name in enumerate(_field_order(source)):
            sheet.write_string(row, column, THAI_HEADERS[name], bold)  # type: ignore[attr-defined]
        sheet.set_column(0, len(_field_order(source)) - 1, 16)  # type: ignore[attr-defined]
        return row + 1

    return write


def sheets_of(source: SourceFile, frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Sheet name → its rows: one sheet per agency when the contract lists sheets (every one written, even
    empty, as the adapter requires them all), else a single sheet."""
    if not source.sheets:
        return {SINGLE_SHEET_NAMES.get(source.entity, source.entity): frame}
    unknown = set(frame[AGENCY].dropna()) - set(source.sheets)
    if unknown:
        raise ValueError(f"{source.file_name}: rows of agencies without a sheet: {sorted(unknown)}")
    agency = frame[AGENCY].to_numpy(dtype=object)
    return {sheet: frame[agency == name] for name, sheet in source.sheets.items()}


def write_xlsx(path: Path, source: SourceFile, frame: pd.DataFrame, created: dt.datetime) -> None:
    """The source's workbook (fixed document dates, so the same rows give the same bytes)."""
    order = _field_order(source)
    sheets = []
    for name, rows in sheets_of(source, frame).items():
        if len(rows) + 2 > EXCEL_MAX_ROWS:
            raise ValueError(f"{path.name}: sheet {name!r} would have {len(rows)} rows, more than Excel "
                             f"allows ({EXCEL_MAX_ROWS}); lower the scale")
        sheets.append(Sheet(name, _header_writer(source), fields_only(rows)[order]))
    write_workbook(path, sheets, {"created": created, "author": WORKBOOK_AUTHOR, "title": source.file_name})
