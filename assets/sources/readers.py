"""Format readers shared by every province adapter: bytes of one delivered file → a table of delivered fields.

Each reader returns a `DeliveredTable`: one text column per delivered field (named by the landing contract's
field names, e.g. `person_id`, `grade`), the 1-based `source_row` of every record, and an optional per-row
`agency` (XLSX sheets). Values are raw text as delivered (missing → NA); cleaning and typing happen later in
`assets.sources.common`. Anything that makes the whole file unreadable raises `DeliveryError` naming the
file and the problem; nothing of such a file is returned.

XLSX date cells are true dates (Common Era, whatever era Excel displays): they are written out as BE text
so the one BE date parser handles every format; a date cell whose year was typed in BE (≥ 2400) stays as is.

Row numbering (`source_row`): CSV → physical line number with the header line as 1, so the first data row
is 2 (blank lines are skipped but keep their numbers; quoted fields spanning lines are not expected in
these deliveries); JSONL → line number; XLSX → sheet row number (data from row 3 under two header rows).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from assets.contract.entities import ENTITIES
from assets.contract.landing import NEVER_LOADED, THAI_HEADERS, SourceFile
from assets.parsing.encoding import decode_delivery
from assets.parsing.errors import ParseError
from assets.sources.base import DeliveryError

# EMIS enrolment files are not in the landing FIELDS table (their rows are grades, not records of one
# entity field each): these are their delivered fields, in file order.
EMIS_FIELDS: tuple[str, ...] = ("school_id", "grade_or_subtotal", "male", "female", "total", "classrooms")

# Delivered fields that feed a contract column under another name.
PERSON_ID = "person_id"
FIELD_TO_COLUMN: dict[str, str] = {"grade_or_subtotal": "grade"}


@dataclass(frozen=True)
class RawFile:
    """The bytes of one delivered file, read once, with the content address the lineage columns carry."""

    path: Path
    data: bytes
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name

    @classmethod
    def read(cls, path: Path) -> RawFile:
        try:
            data = path.read_bytes()
        except OSError as err:
            raise DeliveryError(path, f"cannot read file ({err.strerror or err})") from err
        return cls(path, data, hashlib.sha256(data).hexdigest())


@dataclass
class DeliveredTable:
    """Delivered fields as text (NA when blank or absent), one row per record, in file order."""

    fields: pd.DataFrame
    source_row: np.ndarray
    agency: pd.Series | None = None
    """Per-row agency when the file carries several (XLSX sheet → agency); None otherwise."""
    sheet: pd.Series | None = None
    """Per-row sheet name for XLSX, so rejects from different sheets can be told apart."""
    notes: list[str] = field(default_factory=list)
    row_problems: pd.Series | None = None
    """Per-row reason found while reading (a CSV line with too many fields), missing elsewhere."""

    def __len__(self) -> int:
        return len(self.fields)

    def subset(self, keep: np.ndarray) -> DeliveredTable:
        """Rows where `keep` is True (boolean array), renumbered 0..n-1; notes are shared."""
        return DeliveredTable(
            self.fields[keep].reset_index(drop=True),
            self.source_row[keep],
            None if self.agency is None else self.agency[keep].reset_index(drop=True),
            None if self.sheet is None else self.sheet[keep].reset_index(drop=True),
            self.notes,
            None if self.row_problems is None else self.row_problems[keep].reset_index(drop=True),
        )


def delivered_fields(source: SourceFile) -> tuple[str, ...]:
    """Delivered fields of a source, in file order."""
    if source.format == "emis_csv":
        return EMIS_FIELDS
    return tuple(source.headers)


def required_fields(source: SourceFile) -> tuple[str, ...]:
    """Fields whose header must be present: those feeding a non-nullable contract column.

    Name fields are never loaded and optional (nullable) columns may be absent from a delivery; an absent
    optional column is loaded as all-missing with a note.
    """
    entity = ENTITIES[source.entity]
    required = []
    for name in delivered_fields(source):
        if name in NEVER_LOADED:
            continue
        if name == PERSON_ID:
            required.append(name)
            continue
        column = FIELD_TO_COLUMN.get(name, name)
        if not entity.column(column).nullable:
            required.append(name)
    return tuple(required)


def header_label(source: SourceFile, name: str) -> str:
    """How a field's header is spelled in this source (Thai header, Yala JSON key), for messages."""
    return source.headers.get(name) or THAI_HEADERS.get(name, name)


def _header_key(text: object) -> str:
    """Compare headers ignoring case, stray spaces, BOMs and Unicode composition differences."""
    cleaned = unicodedata.normalize("NFC", str(text)).replace("\ufeff", "")
    return " ".join(cleaned.split()).casefold()


def resolve_headers(source: SourceFile, found: Iterable[object], path: Path) -> dict[int, str]:
    """Position of each delivered header in the file → field name. Raises if a required one is missing.

    A header may be spelled as the source's contract header (Thai, or the Yala key) or as the English
    field name itself (the real EMIS export uses `school_id`).
    """
    wanted: dict[str, str] = {}
    for name in delivered_fields(source):
        wanted.setdefault(_header_key(name), name)
        wanted[_header_key(header_label(source, name))] = name
    positions: dict[int, str] = {}
    seen: set[str] = set()
    for position, header in enumerate(found):
        name = wanted.get(_header_key(header)) if header is not None else None
        if name is not None and name not in seen:  # first of repeated headers wins
            positions[position] = name
            seen.add(name)
    missing = [name for name in required_fields(source) if name not in seen]
    if missing:
        listed = ", ".join(f"'{header_label(source, m)}' ({m})" for m in missing)
        raise DeliveryError(path, f"required column{'s' if len(missing) > 1 else ''} missing: {listed}")
    return positions


def _table_from_columns(
    source: SourceFile, columns: Mapping[str, pd.Series], n_rows: int, notes: list[str]
) -> pd.DataFrame:
    """All delivered fields as text columns; fields absent from the file become all-missing (with a note)."""
    out: dict[str, pd.Series] = {}
    absent = []
    for name in delivered_fields(source):
        if name in NEVER_LOADED:
            continue  # names are dropped at the door: never kept in memory past the reader
        if name in columns:
            out[name] = columns[name].astype("str").reset_index(drop=True)
        else:
            absent.append(name)
            out[name] = pd.Series(np.full(n_rows, None, dtype=object), dtype="str")
    if absent:
        notes.append("optional columns absent, loaded as missing: " + ", ".join(absent))
    return pd.DataFrame(out, index=pd.RangeIndex(n_rows))


def _guard_binary(raw: RawFile) -> None:
    if not raw.data.strip():
        raise DeliveryError(raw.path, "empty file")
    if b"\x00" in raw.data[:65536]:
        raise DeliveryError(
            raw.path, "contains NUL bytes: UTF-16 or binary, not UTF-8 or cp874/TIS-620 text as expected"
        )


def decode_text(raw: RawFile, expected: str) -> tuple[str, list[str]]:
    """Decode with the contract's encoding, falling back to detection (noted). Raises if nothing decodes."""
    _guard_binary(raw)
    try:
        text, used = decode_delivery(raw.data, expected)
    except ParseError as err:
        problem = f"not decodable as {expected} or any supported encoding: {err}"
        raise DeliveryError(raw.path, problem) from err
    notes = [f"encoding {used}"]
    if used.replace("-sig", "") != expected.replace("-sig", ""):
        notes.append(f"encoding {used} detected where the contract says {expected}")
    return text, notes


def read_csv_table(raw: RawFile, source: SourceFile) -> DeliveredTable:
    """A delimited text file with one header line: decode, then one pandas pass with every value as text.

    A line with more fields than the header cannot be split reliably: it becomes a reject (its values are
    not kept, as they may be shifted into the wrong columns) instead of failing the whole file.
    """
    text, notes = decode_text(raw, source.encoding)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            # Bytes, not StringIO: pandas' C parser reads a text buffer through a slow chunked re-encoding.
            frame = pd.read_csv(
                io.BytesIO(text.encode("utf-8")), encoding="utf-8", dtype=str, keep_default_na=False,
                na_filter=False, skip_blank_lines=False, quoting=csv.QUOTE_MINIMAL, on_bad_lines="warn",
            )
    except pd.errors.EmptyDataError as err:
        raise DeliveryError(raw.path, "empty file (no header line)") from err
    except pd.errors.ParserError as err:
        raise DeliveryError(raw.path, f"malformed CSV: {err}") from err
    positions = resolve_headers(source, frame.columns, raw.path)
    bad_lines = _skipped_lines(caught)
    line = _line_numbers(len(frame), bad_lines)
    # Blank lines came through as all-empty rows (so line numbers stay physical); drop them now.
    blank = (frame == "").all(axis=1).to_numpy() if len(frame.columns) else np.zeros(len(frame), dtype=bool)
    frame = frame[~blank]
    columns = {name: frame.iloc[:, pos] for pos, name in positions.items()}
    fields = _table_from_columns(source, columns, len(frame), notes)
    table = DeliveredTable(fields.mask(fields == ""), line[~blank], notes=notes)
    return _with_bad_lines(table, bad_lines) if bad_lines else table


_SKIPPED_LINE = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


def _skipped_lines(caught: list[warnings.WarningMessage]) -> dict[int, str]:
    found: dict[int, str] = {}
    for warning in caught:
        for number, expected, saw in _SKIPPED_LINE.findall(str(warning.message)):
            found[int(number)] = f"line has {saw} fields where the header has {expected}"
    return found


def _line_numbers(n_rows: int, skipped: dict[int, str]) -> np.ndarray:
    """Physical line numbers of the parsed rows: 2, 3, ... with the skipped lines left out."""
    lines = np.arange(2, 2 + n_rows + len(skipped), dtype=np.int64)
    return lines[~np.isin(lines, list(skipped))] if skipped else lines


def _with_bad_lines(table: DeliveredTable, bad_lines: dict[int, str]) -> DeliveredTable:
    """Add the skipped lines as all-missing rows carrying their problem, in line order."""
    bad = pd.DataFrame(index=range(len(bad_lines)), columns=table.fields.columns, dtype="str")
    fields = pd.concat([table.fields, bad], ignore_index=True)
    rows = np.concatenate([table.source_row, np.fromiter(bad_lines, dtype=np.int64)])
    problems = pd.Series([None] * len(table) + list(bad_lines.values()), dtype="str")
    order = np.argsort(rows, kind="stable")
    table.notes.append(f"{len(bad_lines)} lines with too many fields rejected")
    return DeliveredTable(fields.iloc[order].reset_index(drop=True), rows[order], notes=table.notes,
                          row_problems=problems.iloc[order].reset_index(drop=True))


def _json_text(value: object) -> object:
    """JSON scalars as delivered text: numbers were kept as their literal text by the parser, so a float
    here is pandas' fill for a key absent from that line."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def read_jsonl_table(raw: RawFile, source: SourceFile) -> DeliveredTable:
    """JSON Lines: one object per line. A line that is not a JSON object makes the file unreadable."""
    text, notes = decode_text(raw, source.encoding)
    records: list[dict[str, object]] = []
    line_numbers: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            # Numbers stay as their literal text: a citizen ID sent as a JSON number must not become a float.
            record = json.loads(line, parse_int=str, parse_float=str)
        except json.JSONDecodeError as err:
            raise DeliveryError(raw.path, f"line {number} is not valid JSON ({err.msg})") from err
        if not isinstance(record, dict):
            raise DeliveryError(raw.path, f"line {number} is not a JSON object")
        records.append(record)
        line_numbers.append(number)
    if not records:
        raise DeliveryError(raw.path, "empty file (no JSON lines)")
    frame = pd.DataFrame.from_records(records)
    positions = resolve_headers(source, frame.columns, raw.path)
    columns = {}
    for pos, name in positions.items():
        column = frame.iloc[:, pos]
        if column.map(type).ne(str).any():
            column = column.map(_json_text)
        columns[name] = column
    fields = _table_from_columns(source, columns, len(frame), notes)
    return DeliveredTable(fields.mask(fields == ""), np.asarray(line_numbers, dtype=np.int64), notes=notes)


def _cell_text(value: object) -> str | None:
    """An XLSX cell as delivered text: whole floats without '.0', dates as ISO (years stay as typed, BE)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return _date_cell_text(value)
    return str(value)


_BE_OFFSET = 543
_MIN_BE_YEAR = 2400


def _date_cell_text(value: dt.date) -> str:
    """A real Excel date cell → BE ISO text. Excel stores Common-Era dates whatever era it displays (Thai
    locales show BE), so a year below 2400 is a true CE date and is shifted; a larger year was typed in BE."""
    day = value.date() if isinstance(value, dt.datetime) else value
    year = day.year + _BE_OFFSET if day.year < _MIN_BE_YEAR else day.year
    text = f"{year:04d}-{day.month:02d}-{day.day:02d}"
    if isinstance(value, dt.datetime) and value.time() != dt.time():
        text += " " + value.time().isoformat()
    return text


# Damaged workbooks surface as zip, XML or key errors from openpyxl; all mean "cannot read this file".
_XLSX_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, TypeError, IndexError, AttributeError,
)
_HEADER_SEARCH_ROWS = 5  # header row is looked for among the first few rows


def _xlsx_error(path: Path, err: BaseException) -> DeliveryError:
    detail = str(err) or type(err).__name__
    return DeliveryError(path, f"not a readable XLSX workbook (truncated or corrupt: {detail})")


def read_xlsx_table(raw: RawFile, source: SourceFile, agency: str | None = None) -> DeliveredTable:
    """XLSX, one sheet per agency when the contract lists sheets (else the first sheet, agency as given).

    With `header_groups` the sheet has two header rows: merged group titles over the field headers; the
    field-header row is found among the first rows, so one- and two-row headers both read correctly.
    """
    import openpyxl  # local: only the XLSX provinces need it

    _guard_empty(raw)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw.data), read_only=True, data_only=True)
    except _XLSX_ERRORS as err:
        raise _xlsx_error(raw.path, err) from err
    try:
        wanted = _sheets_to_read(raw.path, source, workbook.sheetnames, agency)
        parts = [_read_sheet(raw, source, workbook[sheet], sheet, sheet_agency)
                 for sheet_agency, sheet in wanted]
    except DeliveryError:
        raise
    except _XLSX_ERRORS as err:
        raise _xlsx_error(raw.path, err) from err
    finally:
        workbook.close()
    notes = [note for part in parts for note in part.notes]
    return DeliveredTable(
        pd.concat([p.fields for p in parts], ignore_index=True),
        np.concatenate([p.source_row for p in parts]),
        pd.concat([p.agency for p in parts], ignore_index=True) if parts[0].agency is not None else None,
        pd.concat([p.sheet for p in parts], ignore_index=True),
        list(dict.fromkeys(notes)),
    )


def _guard_empty(raw: RawFile) -> None:
    if not raw.data:
        raise DeliveryError(raw.path, "empty file")


def _sheets_to_read(
    path: Path, source: SourceFile, present: list[str], agency: str | None
) -> list[tuple[str | None, str]]:
    """(agency, sheet name) pairs to read; a contract sheet missing from the workbook is structural."""
    if not source.sheets:
        if not present:
            raise DeliveryError(path, "workbook has no sheets")
        return [(agency, present[0])]
    one_sheet = agency is not None and agency in source.sheets
    wanted = {agency: source.sheets[agency]} if one_sheet else source.sheets
    by_key = {_header_key(name): name for name in present}
    pairs = []
    for sheet_agency, sheet in wanted.items():
        found = by_key.get(_header_key(sheet))
        if found is None:
            listed = ", ".join(present) or "none"
            raise DeliveryError(path, f"sheet '{sheet}' ({sheet_agency}) missing; workbook has: {listed}")
        pairs.append((sheet_agency, found))
    return pairs


def _read_sheet(
    raw: RawFile, source: SourceFile, sheet: object, name: str, agency: str | None
) -> DeliveredTable:
    rows = list(sheet.iter_rows(values_only=True))  # type: ignore[attr-defined]
    header_index = _find_header_row(rows, source)
    if header_index is None:
        if not any(any(c is not None for c in r) for r in rows):
            raise DeliveryError(raw.path, f"sheet '{name}' is empty")
        found = rows[1] if source.header_groups and len(rows) > 1 else rows[0]
        resolve_headers(source, found, Path(f"{raw.path} [sheet '{name}']"))  # raises naming the missing one
        raise DeliveryError(raw.path, f"sheet '{name}': header row not found")
    notes = []
    if source.header_groups and header_index == 0:
        notes.append(f"sheet '{name}': no group-title row above the headers")
    positions = resolve_headers(source, rows[header_index], raw.path)
    body = rows[header_index + 1:]
    width = max(positions) + 1
    matrix = [tuple(r[:width]) + (None,) * (width - len(r)) for r in body]
    frame = pd.DataFrame(matrix, columns=range(width), dtype=object)  # object: no type guessing
    columns = {field_name: frame[pos].map(_cell_text) for pos, field_name in positions.items()}
    fields = _table_from_columns(source, columns, len(frame), notes)
    fields = fields.mask(fields.apply(lambda c: c.str.strip() == ""))
    blank = fields.isna().all(axis=1).to_numpy()
    source_row = np.arange(len(fields), dtype=np.int64) + header_index + 2  # sheet rows are 1-based
    table = DeliveredTable(fields, source_row, notes=notes).subset(~blank)
    table.sheet = pd.Series([name] * len(table), dtype="str")
    table.agency = pd.Series([agency] * len(table), dtype="str") if agency is not None else None
    return table


def _find_header_row(rows: list[tuple[object, ...]], source: SourceFile) -> int | None:
    required = set(required_fields(source))
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        try:
            names = set(resolve_headers(source, row, Path("-")).values())
        except DeliveryError:
            continue
        if required <= names:
            return index
    return None


def read_emis_table(raw: RawFile, source: SourceFile) -> DeliveredTable:
    """OBEC EMIS per-school enrolment CSV: grade and subtotal rows under one header line (ชั้น/เพศ, ชาย...)."""
    return read_csv_table(raw, source)
