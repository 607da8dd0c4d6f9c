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

import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import re
import unicodedata
import warnings
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from assets.contract.entities import ENTITIES
from assets.contract.landing import NEVER_LOADED, THAI_HEADERS, SourceFile
from assets.parsing.encoding import (
    UTF8_BOM,
    FileChangedWhileRead,
    NotDecodableInBlocks,
    decode_delivery,
    decode_in_blocks,
    single_byte_codec,
)
from assets.parsing.errors import ParseError
from assets.parsing.text import shorten
from assets.sources.base import DeliveryError
from assets.sources.sheet_xml import Cells, plain_sheet_rows, row_number_of

# EMIS enrolment files are not in the landing FIELDS table (their rows are grades, not records of one
# entity field each): these are their delivered fields, in file order.
EMIS_FIELDS: tuple[str, ...] = ("school_id", "grade_or_subtotal", "male", "female", "total", "classrooms")

# Delivered fields that feed a contract column under another name.
PERSON_ID = "person_id"
FIELD_TO_COLUMN: dict[str, str] = {"grade_or_subtotal": "grade"}


@dataclass
class RawFile:
    """The bytes of one delivered file, read once (a JSON Lines reader frees them and reads the file again in
    blocks, `release`), with the content address the lineage columns carry."""

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

    def without_bytes(self) -> RawFile:
        """The same file's name and content address, its bytes released (empty)."""
        return RawFile(self.path, b"", self.sha256)

    def release(self) -> None:
        """Frees the bytes here (for everyone holding this RawFile) while a reader reads the file again."""
        self.data = b""

    def with_bytes_again(self) -> RawFile:
        """This file with its bytes, read again from disk after `release` (as they are when not released):
        a DeliveryError if they are no longer the bytes first read."""
        if self.data:
            return self
        again = RawFile.read(self.path)
        if again.sha256 != self.sha256:
            raise DeliveryError(self.path, "the file changed while it was being read: deliver it again")
        return again


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

    def release_fields(self) -> None:
        """Frees the delivered text, keeping the rows' index: the adapters' conversion (to_contract) releases
        it before it makes the typed rows, its last use being the rejects' records (an NT/O-NET file's 6.6 M
        rows of text had been held beside the typed rows while they were made)."""
        self.fields = pd.DataFrame(index=self.fields.index)

    def keep_only(self, keep: np.ndarray) -> None:
        """`subset` in place: the rows left out are freed now, where a subset would leave the whole table to
        whoever still holds it (an adapter's caller does, until the adapter returns)."""
        kept = self.subset(keep)
        self.fields, self.source_row, self.agency = kept.fields, kept.source_row, kept.agency
        self.sheet, self.row_problems = kept.sheet, kept.row_problems


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
    return pd.DataFrame(out, index=pd.RangeIndex(n_rows), copy=False)  # not the whole table copied again


MAX_CELL_CHARACTERS = 32_767
"""Excel's own limit for a cell: no value typed into a spreadsheet or form is longer. A longer one is damage
(a runaway quote, a pasted file): its row is rejected and the value kept only in short."""


LINE_SCAN_BYTES = 16 * 2**20
"""Bytes scanned for line feeds at a time: one flag per byte of a whole file would be its size again."""


def _longest_line_bytes(data: bytes, block: int = LINE_SCAN_BYTES) -> int:
    """Length of the longest LF-terminated line, found with numpy over the bytes (no text pass)."""
    view = np.frombuffer(data, dtype=np.uint8)
    longest, previous_break = 0, -1
    for offset in range(0, len(view), block):
        breaks = offset + np.flatnonzero(view[offset:offset + block] == 0x0A)
        if len(breaks):
            longest = max(longest, int(np.diff(breaks, prepend=previous_break).max()) - 1)
            previous_break = int(breaks[-1])
    return max(longest, len(view) - previous_break - 1)


def reject_overlong_cells(table: DeliveredTable, data: bytes | None = None, *,
                          longest_line: int | None = None) -> DeliveredTable:
    """Rows with a value longer than MAX_CELL_CHARACTERS get a row problem; the value is shortened.

    With `data` (a text file's bytes), or the length in bytes of its `longest_line`, the common case costs
    one numpy pass: no line longer than the limit, no cell longer either.
    """
    if longest_line is None and data is not None:
        longest_line = _longest_line_bytes(data)
    if longest_line is not None and longest_line <= MAX_CELL_CHARACTERS:
        return table
    problems = pd.Series(None, index=table.fields.index, dtype="str")
    for name in table.fields.columns:
        lengths = table.fields[name].str.len()
        overlong = (lengths > MAX_CELL_CHARACTERS).fillna(False).to_numpy(dtype=bool)
        if not overlong.any():
            continue
        message = (name + ": value of " + lengths[overlong].map("{:,}".format)
                   + " characters, longer than any spreadsheet cell")
        problems[overlong] = problems[overlong].fillna("").str.cat(message, sep="; ").str.lstrip("; ")
        table.fields.loc[overlong, name] = table.fields.loc[overlong, name].map(lambda v: shorten(v, 200))
    if problems.isna().all():
        return table
    if table.row_problems is not None:  # a problem found while reading the line comes first
        problems = table.row_problems.where(table.row_problems.notna(), problems)
    table.notes.append(f"{int(problems.notna().sum())} rows with values too long for a cell rejected")
    table.row_problems = problems
    return table


def _guard_binary(raw: RawFile) -> None:
    if not raw.data or raw.data.isspace():  # not strip(): a copy of the whole file
        raise DeliveryError(raw.path, "empty file")
    # The whole file, not just its start: a NUL deep inside would reach the warehouse, where PostgreSQL
    # refuses it in text and the whole load fails. bytes.find is a memchr, cheap even on large files.
    nul = raw.data.find(b"\x00")
    if nul >= 0:
        line = raw.data.count(b"\n", 0, nul) + 1
        raise DeliveryError(
            raw.path, f"contains NUL bytes (first on line {line}, byte offset {nul}): UTF-16 or binary, "
                      "not UTF-8 or cp874/TIS-620 text as expected"
        )


def decode_text(raw: RawFile, expected: str) -> tuple[str, str, list[str]]:
    """(text, encoding used, notes): decoded with the contract's encoding, falling back to detection
    (noted). Raises if nothing decodes."""
    _guard_binary(raw)
    try:
        text, used = decode_delivery(raw.data, expected)
    except ParseError as err:
        problem = f"not decodable as {expected} or any supported encoding: {err}"
        raise DeliveryError(raw.path, problem) from err
    return text, used, _encoding_notes(used, expected)


def _encoding_notes(used: str, expected: str) -> list[str]:
    notes = [f"encoding {used}"]
    if used.replace("-sig", "") != expected.replace("-sig", ""):
        notes.append(f"encoding {used} detected where the contract says {expected}")
    return notes


def read_csv_table(raw: RawFile, source: SourceFile) -> DeliveredTable:
    """A delimited text file with one header line: decode, then one pandas pass with every value as text.

    A line with more fields than the header cannot be split reliably: it becomes a reject (its values are
    not kept, as they may be shifted into the wrong columns) instead of failing the whole file. So does a
    last line cut short where the file ends without a line break (a truncated file).
    """
    data, codec, notes = _parser_input(raw, source.encoding)
    try:
        header, frame, caught = _parse_csv(raw, data, codec)
    except UnicodeDecodeError:  # a byte cp874 leaves undefined: the whole file's detection decides
        data, codec, notes = _whole_text_input(raw, source.encoding)
        header, frame, caught = _parse_csv(raw, data, codec)
    try:
        positions = resolve_headers(source, header, raw.path)
    except DeliveryError as err:
        raise DeliveryError(raw.path, err.problem + _delimiter_hint(header)) from None
    skipped = _skipped_records(caught)
    spanning = _has_spanning_fields(data, frame, skipped)
    line, bad_lines = _physical_lines(header, frame, skipped, spanning=spanning)
    problems = _truncated_last_line(data, codec, frame, line, bad_lines)
    # Blank lines came through as all-empty rows (so line numbers stay physical); drop them now.
    blank = (frame == "").all(axis=1).to_numpy() if len(frame.columns) else np.zeros(len(frame), dtype=bool)
    frame = frame[~blank]
    columns = {name: frame.iloc[:, pos] for pos, name in positions.items()}
    fields = _table_from_columns(source, columns, len(frame), notes)
    row_problems = pd.Series(line[~blank]).map(problems).astype("str") if problems else None
    table = DeliveredTable(fields.mask(fields == ""), line[~blank], notes=notes, row_problems=row_problems)
    if problems:
        notes.append("last line cut short where the file ends: rejected (truncated file?)")
    table = reject_overlong_cells(table, raw.data)
    return _with_bad_lines(table, bad_lines) if bad_lines else table


def _parse_csv(
    raw: RawFile, data: bytes, codec: str
) -> tuple[list[str], pd.DataFrame, list[warnings.WarningMessage]]:
    """(header cells, data rows with columns 0..n-1, pandas' warnings), from `data` in `codec`
    (`_parser_input`).

    The header line is read as a data row (header=None) so that it alone fixes the number of fields: with
    pandas' own header handling a first data line longer than the header turns its leading fields into an
    index and shifts every column of every row, and later lines up to that width are truncated silently.
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            # Bytes, not StringIO: pandas' C parser reads a text buffer through a slow chunked re-encoding.
            frame = pd.read_csv(
                io.BytesIO(data), encoding=codec, dtype=str, keep_default_na=False,
                na_filter=False, skip_blank_lines=False, quoting=csv.QUOTE_MINIMAL, on_bad_lines="warn",
                header=None,
            )
    except pd.errors.EmptyDataError as err:
        raise DeliveryError(raw.path, "empty file (no header line)") from err
    except pd.errors.ParserError as err:
        raise DeliveryError(raw.path, f"malformed CSV: {err}") from err
    header = frame.iloc[0].tolist()
    return header, frame.iloc[1:].reset_index(drop=True), caught


def _parser_input(raw: RawFile, expected: str) -> tuple[bytes, str, list[str]]:
    """(bytes for pandas' parser, the codec it decodes them with, the encoding notes), without the whole
    text ever held beside them. cp874 bytes are parsed as delivered: pandas decodes them as it reads
    (`single_byte_codec`). UTF-8 bytes with no BOM past the start are parsed as delivered too; other UTF-8
    is decoded a block at a time and encoded anew without its stray BOMs. Decoded whole, the text had been
    held through the parse (650 MiB for the 6.6 M rows of a national-scale NT/O-NET file, cp874, Thai at two
    bytes a character); encoded anew as UTF-8 a block at a time, that file still took 2.8 s and 500 MiB
    more than pandas decoding it as it reads.

    A file that does not decode so with the contract's encoding is decoded whole (`_whole_text_input`): the
    encoding it falls back to, or the problem reported, is then exactly the whole file's."""
    _guard_binary(raw)
    data = raw.data
    direct = single_byte_codec(data, expected)
    if direct is not None:
        codec, used = direct
        return data, codec, _encoding_notes(used, expected)
    try:
        used, blocks = decode_in_blocks(data, expected)
        if _is_the_text_already(data, used):
            for _ in blocks:  # checked to decode throughout
                pass
            return data, UTF8_WITH_BOM_OR_NOT, _encoding_notes(used, expected)
        utf8 = b"".join(block.encode("utf-8") for block in blocks)
        return utf8, UTF8_WITH_BOM_OR_NOT, _encoding_notes(used, expected)
    except NotDecodableInBlocks:
        return _whole_text_input(raw, expected)


UTF8_WITH_BOM_OR_NOT = "utf-8-sig"
"""pandas' codec for UTF-8 bytes: a BOM at the start is read through."""


def _whole_text_input(raw: RawFile, expected: str) -> tuple[bytes, str, list[str]]:
    """`_parser_input` for a file that does not decode with its promised encoding: the whole file decoded
    with the encoding `decode_delivery` falls back to, as UTF-8."""
    text, used, notes = decode_text(raw, expected)
    data = raw.data if _is_the_text_already(raw.data, used) else text.encode("utf-8")
    return data, UTF8_WITH_BOM_OR_NOT, notes


def _is_the_text_already(data: bytes, used: str) -> bool:
    """Whether bytes that decoded with `used` are their text as UTF-8: UTF-8 with no BOM past the start (the
    decoded text has none: stray ones are removed)."""
    after_leading_bom = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    return codecs.lookup(used).name in ("utf-8", "utf-8-sig") and data.find(UTF8_BOM, after_leading_bom) < 0


def _delimiter_hint(header: list[str]) -> str:
    """When the header did not split at commas, say which delimiter the file seems to use instead."""
    if len(header) != 1:
        return ""
    for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
        if delimiter in str(header[0]):
            return f" (the header line has no commas but {name}: the file is not comma-separated)"
    return ""


_SKIPPED_LINE = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")
_LINE_BREAK = r"\r\n|\r|\n"
_LINE_BREAK_PATTERN = re.compile(_LINE_BREAK)


def _skipped_records(caught: list[warnings.WarningMessage]) -> dict[int, str]:
    """pandas' 'Skipping line N' counts records (header = 1), which are lines unless a field spans lines."""
    found: dict[int, str] = {}
    for warning in caught:
        for number, expected, saw in _SKIPPED_LINE.findall(str(warning.message)):
            found[int(number)] = f"line has {saw} fields where the header has {expected}"
    return found


def _has_spanning_fields(data: bytes, frame: pd.DataFrame, skipped: dict[int, str]) -> bool:
    """Whether a quoted field holds a line break: more physical lines than records (three C-speed counts
    over the UTF-8 bytes, where a line break's byte is never part of another character)."""
    if b'"' not in data:
        return False
    breaks = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    lines = breaks + (0 if data.endswith((b"\n", b"\r")) else 1)
    return lines != 1 + len(frame) + len(skipped)


def _physical_lines(
    header: list[str], frame: pd.DataFrame, skipped: dict[int, str], *, spanning: bool
) -> tuple[np.ndarray, dict[int, str]]:
    """Physical line numbers of the parsed rows and of the skipped records (2, 3, ... in a plain file).

    A quoted field may hold line breaks (a cell typed with Alt+Enter in Excel): its record then spans several
    lines and every later line number shifts. A skipped record's own extra lines are unknown (its fields are
    not kept): it is counted as one line.
    """
    records = np.arange(2, 2 + len(frame) + len(skipped), dtype=np.int64)
    parsed = ~np.isin(records, list(skipped)) if skipped else np.ones(len(records), dtype=bool)
    if not spanning:
        return records[parsed], skipped
    header_extra = sum(len(re.findall(_LINE_BREAK, str(c))) for c in header)
    spans = np.ones(len(records), dtype=np.int64)
    spans[parsed] += _embedded_line_breaks(frame)
    starts = 2 + header_extra + np.cumsum(spans) - spans
    skipped_lines = {int(starts[r - 2]): problem for r, problem in skipped.items()}
    return starts[parsed], skipped_lines


def _embedded_line_breaks(frame: pd.DataFrame) -> np.ndarray:
    extra = np.zeros(len(frame), dtype=np.int64)
    for position in range(len(frame.columns)):
        column = frame.iloc[:, position]
        if column.str.contains(_LINE_BREAK, regex=True).any():
            extra += column.str.count(_LINE_BREAK).to_numpy(dtype=np.int64)
    return extra


def _truncated_last_line(
    data: bytes, codec: str, frame: pd.DataFrame, line: np.ndarray, bad_lines: dict[int, str]
) -> dict[int, str]:
    """{line: problem} for a last line with fewer fields than the header in a file without a final line
    break: a file cut off mid-line. (pandas pads short lines with blanks, which would load half a row.)
    `data`: the file as parsed, in `codec` (`_parser_input`)."""
    if not len(frame) or data.endswith((b"\n", b"\r")) or (bad_lines and max(bad_lines) > line[-1]):
        return {}
    # without splitting the whole file; after a line break, so neither a BOM nor half a character
    last_line = data[max(data.rfind(b"\n"), data.rfind(b"\r")) + 1:].decode(codec)
    fields = next(csv.reader([last_line]), [])
    if not any(f.strip() for f in fields) or len(fields) >= len(frame.columns):
        return {}
    return {int(line[-1]): f"line has {len(fields)} fields where the header has {len(frame.columns)} and "
                           "the file ends there: cut short (truncated file?)"}


def _with_bad_lines(table: DeliveredTable, bad_lines: dict[int, str]) -> DeliveredTable:
    """Add the skipped lines as all-missing rows carrying their problem, in line order."""
    bad = pd.DataFrame(index=range(len(bad_lines)), columns=table.fields.columns, dtype="str")
    fields = pd.concat([table.fields, bad], ignore_index=True)
    rows = np.concatenate([table.source_row, np.fromiter(bad_lines, dtype=np.int64)])
    own = [None] * len(table) if table.row_problems is None else list(table.row_problems)
    problems = pd.Series(own + list(bad_lines.values()), dtype="str")
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


def _json_texts(column: pd.Series) -> pd.Series:
    """`column.map(_json_text)`, told by pandas' type inference (in C) instead of each value's type in Python
    (a 2.7 M-line file's eight columns: ~2 s): text with missing values is the text dtype that mapping makes
    of it, and only other columns (booleans, arrays, objects) are mapped value by value."""
    if pd.api.types.infer_dtype(column, skipna=False) == "string":
        return column
    if pd.api.types.infer_dtype(column, skipna=True) == "string":
        return column.astype("str")
    return column.map(_json_text)


# Numbers stay as their literal text: a citizen ID sent as a JSON number must not become a float; NaN and
# Infinity too, so they are judged as the text they are instead of vanishing as missing. One decoder for all
# lines: json.loads with these options builds a new decoder per call, half the time of a roster's parsing.
_JSON_DECODER = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)


_PLAIN_JSON_VALUES = frozenset({str, bool, type(None)})
"""Values that come out of orjson as they do out of the decoder above: numbers must stay their literal text,
which orjson does not keep, and arrays and objects may hold numbers."""


class _RecordDecoder:
    """json.loads(line) with the decoder above (and json.loads's own refusal of a byte-order mark), one file's
    lines after another.

    orjson parses a line first, in about half the time: a roster's lines hold text and nulls only. The
    decoder above parses any line orjson refuses or whose values are not all text, booleans and nulls, so
    what is accepted, what is refused and the message it gets stay the decoder's own. A file whose lines
    mostly need the decoder (scores as numbers on every line) stops trying orjson after ORJSON_TRIAL_LINES:
    parsing each line twice made the literacy screening 7 % slower."""

    ORJSON_TRIAL_LINES = 1_000

    def __init__(self) -> None:
        self.tried = 0
        self.kept = 0

    def decode(self, line: str) -> object:
        if line.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", line, 0)
        if self.tried < self.ORJSON_TRIAL_LINES or 2 * self.kept > self.tried:
            self.tried += 1
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                return _JSON_DECODER.decode(line)
            if type(record) is dict and set(map(type, record.values())) <= _PLAIN_JSON_VALUES:
                self.kept += 1
                return record
        return _JSON_DECODER.decode(line)


JSONL_CHUNK_LINES = 20_000
"""Lines parsed into dicts before they become a frame: a whole file's dicts at once took ~1.6 KB a row
(875 MiB of a worker's 1.6 GiB for a 549,000-line roster), a chunk's a few tens of MiB."""


def _lines(text: str) -> Iterator[str]:
    """re.split(_LINE_BREAK, text) one line at a time: the whole list would be a second copy of the file."""
    start = 0
    for match in _LINE_BREAK_PATTERN.finditer(text):
        yield text[start:match.start()]
        start = match.end()
    yield text[start:]


def read_jsonl_table(raw: RawFile, source: SourceFile) -> DeliveredTable:
    """JSON Lines: one object per line. A line that is not a JSON object makes the file unreadable.

    Lines end at LF, CRLF or CR only: str.splitlines would also split at U+2028 and other separators that
    JSON allows unescaped inside strings, breaking valid lines apart. Records become a frame every
    JSONL_CHUNK_LINES lines (the same columns, in order of first appearance, and values as one frame of all).

    The text is decoded a block at a time (a 455 MB roster's text decoded whole was 642 MiB). A file that
    does not decode so with the contract's encoding, or that is unreadable, is read again decoded whole: the
    encoding it falls back to and the problem reported are then exactly the whole file's.
    """
    _guard_binary(raw)
    longest_line = _longest_line_bytes(raw.data)
    try:
        used, blocks = decode_in_blocks(raw.data, source.encoding, again_from=raw.path, sha256=raw.sha256)
        # The blocks are read from the file again as they are wanted: a 424 MB file's bytes were held beside
        # every record parsed from them (Yala's literacy file read alone peaked at 1,000 MiB, now 750 MiB).
        raw.release()
        notes = _encoding_notes(used, source.encoding)
        return _jsonl_table(raw, source, _lines_of_blocks(blocks), notes, longest_line)
    except (NotDecodableInBlocks, DeliveryError, FileChangedWhileRead):
        raw = raw.with_bytes_again()
        text, _, notes = decode_text(raw, source.encoding)
        return _jsonl_table(raw, source, _lines(text), notes, longest_line)


def _lines_of_blocks(blocks: Iterator[str]) -> Iterator[str]:
    """`_lines` of the blocks' text joined: every block but the last ends with a line break, whose empty
    remainder is not a line of its own."""
    ahead = next(blocks, None)
    while ahead is not None:
        block, ahead = ahead, next(blocks, None)
        lines = _block_lines(block)
        del block
        if ahead is not None:
            lines.pop()
        yield from lines


def _block_lines(block: str) -> list[str]:
    """`_lines(block)` as a list. A block without a CR (the usual one) is split at LF by str.split, in C: the
    line-break pattern's matches and one generator step per line were a fifth of a roster's JSON reading."""
    return block.split("\n") if "\r" not in block else list(_lines(block))


class _EqualValuesShared:
    """A chunk's frame with equal values as one object each. JSON decoding makes a new string for every value:
    a roster's 'หญิง', grade and school ID repeated on every line were ~1.1 GB of a 1.65-million-line file's
    strings, ~0.1 GB once shared (pandas' CSV parser shares them the same way). A column with more distinct
    values than half a chunk (an ID) gains nothing: it is only copied from then on. A worksheet's cells are
    read the same way, a new object each (Mae Hong Son's roster at national scale: its sheets' fields held
    1.2 GB before they were shared).

    Every column is a new Series (pandas copies the array it is given): the parsed frame's columns are views
    of one array of all its values, which any one of them left in place would keep alive whole."""

    def __init__(self) -> None:
        self.mostly_distinct: set[object] = set()

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({name: pd.Series(self._one_each(name, column.to_numpy(dtype=object)),
                                             index=column.index, dtype=column.dtype)
                             for name, column in frame.items()}, index=frame.index)

    def _one_each(self, name: object, values: np.ndarray) -> np.ndarray:
        if name not in self.mostly_distinct:
            try:
                codes, distinct = pd.factorize(values)
            except TypeError:  # a JSON array or object (unhashable): left as it is, judged later
                return values
            if len(distinct) > len(values) // 2:
                self.mostly_distinct.add(name)
            elif len(distinct):
                one_each = np.asarray(distinct, dtype=object).take(codes)
                missing = codes < 0  # taken as the last distinct value above: put back as parsed
                one_each[missing] = values[missing]
                return one_each
        return values


def _jsonl_table(raw: RawFile, source: SourceFile, lines: Iterator[str], notes: list[str],
                 longest_line: int) -> DeliveredTable:
    share_equal_values = _EqualValuesShared()
    decoder = _RecordDecoder()
    chunks: list[pd.DataFrame] = []
    records: list[dict[str, object]] = []
    line_numbers: list[int] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = decoder.decode(line)
        except json.JSONDecodeError as err:
            raise DeliveryError(raw.path, f"line {number} is not valid JSON ({err.msg})") from err
        except RecursionError as err:
            raise DeliveryError(raw.path, f"line {number} nests JSON arrays or objects too deeply") from err
        if not isinstance(record, dict):
            raise DeliveryError(raw.path, f"line {number} is not a JSON object")
        records.append(record)
        line_numbers.append(number)
        if len(records) == JSONL_CHUNK_LINES:
            chunks.append(share_equal_values(pd.DataFrame.from_records(records)))
            records = []
    if records:
        chunks.append(share_equal_values(pd.DataFrame.from_records(records)))
    if not chunks:
        raise DeliveryError(raw.path, "empty file (no JSON lines)")
    frame = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True, sort=False)
    del chunks
    positions = resolve_headers(source, frame.columns, raw.path)
    columns = {}
    for pos, name in positions.items():
        columns[name] = _json_texts(frame.iloc[:, pos])
    fields = _table_from_columns(source, columns, len(frame), notes)
    table = DeliveredTable(fields.mask(fields == ""), np.asarray(line_numbers, dtype=np.int64), notes=notes)
    return reject_overlong_cells(table, longest_line=longest_line)


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


# Damaged workbooks surface as zip, zlib, XML, key or value errors from zipfile and openpyxl; all mean
# "cannot read this file". RuntimeError: an encrypted member; NotImplementedError: an unknown compression;
# ArithmeticError: a date serial beyond the calendar.
_XLSX_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, TypeError, IndexError, AttributeError,
    ElementTree.ParseError, zlib.error, RuntimeError, NotImplementedError, ArithmeticError,
)
_HEADER_SEARCH_ROWS = 5  # header row is looked for among the first few rows
_EXCEL_MAX_ROWS = 1_048_576

# Zip-bomb guard, checked on the zip directory before anything is decompressed. Python's zipfile never
# inflates a member past the size the directory declares (it fails the CRC check instead), so the declared
# sizes bound what reading can cost. A province workbook of ~100,000 rows inflates to well under 100 MiB,
# and a sheet at Excel's 1,048,576-row limit to about 1 GiB (Mae Hong Son's roster at national benchmark
# scale: 1.65 M rows, 967 MiB over five sheets); worksheet XML deflates about 10:1, a bomb's zeros about
# 1000:1, so the ratio guard catches bombs and the total only bounds an honest but absurd workbook.
MAX_XLSX_MEMBERS = 10_000
MAX_XLSX_INFLATED_BYTES = 4 * 2**30
MAX_XLSX_RATIO = 200
_RATIO_CHECKED_FROM_BYTES = 8 * 2**20
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted .xlsx and old .xls are OLE files


def _xlsx_error(path: Path, err: BaseException) -> DeliveryError:
    detail = str(err) or type(err).__name__
    return DeliveryError(path, f"not a readable XLSX workbook (truncated or corrupt: {detail[:300]})")


def _mebibytes(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def guard_xlsx_archive(raw: RawFile) -> None:
    """Refuse, from the zip directory alone, a workbook that is not a plain zip or would inflate too far."""
    if raw.data.startswith(_OLE_SIGNATURE):
        raise DeliveryError(raw.path, "an encrypted (password-protected) workbook or an old .xls file, not "
                                      ".xlsx: save it as .xlsx without a password")
    try:
        with zipfile.ZipFile(io.BytesIO(raw.data)) as archive:
            members = archive.infolist()
    except _XLSX_ERRORS as err:
        raise _xlsx_error(raw.path, err) from err
    refused = "refused before decompressing"
    if len(members) > MAX_XLSX_MEMBERS:
        raise DeliveryError(raw.path, f"{refused}: {len(members):,} zip members (limit {MAX_XLSX_MEMBERS:,})")
    for member in members:
        if member.flag_bits & 0x1:
            raise DeliveryError(raw.path, f"{refused}: member {member.filename[:80]!r} is encrypted")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise DeliveryError(raw.path, f"{refused}: member {member.filename[:80]!r} uses compression "
                                          f"method {member.compress_type}, not one Excel writes")
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= _RATIO_CHECKED_FROM_BYTES and ratio > MAX_XLSX_RATIO:
            raise DeliveryError(raw.path, f"{refused}: member {member.filename[:80]!r} would inflate "
                                          f"{ratio:,.0f}-fold to {_mebibytes(member.file_size)} (a zip bomb)")
    inflated = sum(m.file_size for m in members)
    if inflated > MAX_XLSX_INFLATED_BYTES:
        raise DeliveryError(raw.path, f"{refused}: it would inflate to {_mebibytes(inflated)} (limit "
                                      f"{_mebibytes(MAX_XLSX_INFLATED_BYTES)}): a zip bomb, not a workbook")


def read_xlsx_table(raw: RawFile, source: SourceFile, agency: str | None = None) -> DeliveredTable:
    """XLSX, one sheet per agency when the contract lists sheets (else the first sheet, agency as given).

    With `header_groups` the sheet has two header rows: merged group titles over the field headers; the
    field-header row is found among the first rows, so one- and two-row headers both read correctly.
    """
    import openpyxl  # local: only the XLSX provinces need it

    _guard_empty(raw)
    guard_xlsx_archive(raw)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw.data), read_only=True, data_only=True)
    except _XLSX_ERRORS as err:
        raise _xlsx_error(raw.path, err) from err
    try:
        wanted = _sheets_to_read(raw.path, source, workbook.sheetnames, agency)
        parts = [_read_sheet_plain_or_parsed(raw, source, workbook[sheet], sheet, sheet_agency)
                 for sheet_agency, sheet in wanted]
    except DeliveryError:
        raise
    except _XLSX_ERRORS as err:
        raise _xlsx_error(raw.path, err) from err
    finally:
        workbook.close()
    notes = [note for part in parts for note in part.notes]
    problems = None
    if any(p.row_problems is not None for p in parts):
        problems = pd.concat([pd.Series(None, index=p.fields.index, dtype="str") if p.row_problems is None
                              else p.row_problems for p in parts], ignore_index=True)
    return DeliveredTable(
        pd.concat([p.fields for p in parts], ignore_index=True),
        np.concatenate([p.source_row for p in parts]),
        pd.concat([p.agency for p in parts], ignore_index=True) if parts[0].agency is not None else None,
        pd.concat([p.sheet for p in parts], ignore_index=True),
        list(dict.fromkeys(notes)),
        problems,
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


def _sheet_rows(sheet: object, plain: bool = False) -> Iterator[tuple[int, Cells]]:
    """(sheet row number, cells) for each row element of the sheet XML, in file order; with `plain`, read by
    assets/sources/sheet_xml.py where the sheet allows (NotPlainSheet where it does not).

    Not openpyxl's `iter_rows`, which pads every row to the sheet's declared dimension (a forged
    A1:XFD1048576 would mean 17 billion cells) and silently drops a row numbered at or below the one before it
    (a damaged sheet would lose rows without a word). Cells are typed as openpyxl's worksheet parser types
    them (shared strings, booleans, numbers, date-formatted numbers as dates, ISO dates, inline strings) but
    only row and cell elements are looked at, without building a cell dict per cell: 2-3x faster on the
    national-scale roster, where this loop is the largest cost of the whole ingest.
    """
    from openpyxl.worksheet._reader import ROW_TAG

    workbook = sheet.parent  # type: ignore[attr-defined]
    typing = _CellTyping(sheet._shared_strings, workbook.epoch, workbook._date_formats,  # type: ignore[attr-defined]
                         workbook._timedelta_formats)
    row_number = 0
    with sheet._get_source() as xml:  # type: ignore[attr-defined]
        if plain:
            yield from plain_sheet_rows(xml, typing)
            return
        for _, element in ElementTree.iterparse(xml):
            if element.tag != ROW_TAG:
                continue
            number = element.get("r")
            row_number = row_number_of(number) if number else row_number + 1
            yield row_number, typing.cells(element)
            element.clear()


_COORDINATE = re.compile(r"([A-Z]{1,3})\d+")


class _CellTyping:
    """Turns the cell elements of one row into {column: value}, typed as openpyxl's parser types them.

    openpyxl's helpers are looked up once per sheet here, not per cell: this loop runs for every cell of a
    national-scale roster."""

    def __init__(self, shared_strings: list[str], epoch: dt.datetime, date_formats: set[int],
                 timedelta_formats: set[int]) -> None:
        from openpyxl.utils.cell import column_index_from_string, coordinate_to_tuple
        from openpyxl.utils.datetime import from_excel, from_ISO8601
        from openpyxl.worksheet._reader import _cast_number
        from openpyxl.xml.constants import SHEET_MAIN_NS

        self.shared_strings = shared_strings
        self.epoch = epoch
        self.date_formats = date_formats
        self.timedelta_formats = timedelta_formats
        self.value_tag, self.inline_tag = f"{{{SHEET_MAIN_NS}}}v", f"{{{SHEET_MAIN_NS}}}is"
        self.text_tag, self.run_tag = f"{{{SHEET_MAIN_NS}}}t", f"{{{SHEET_MAIN_NS}}}r"
        self.column_index, self.coordinate_to_tuple = column_index_from_string, coordinate_to_tuple
        self.cast_number, self.from_excel, self.from_iso = _cast_number, from_excel, from_ISO8601

    def cells(self, row: ElementTree.Element) -> Cells:
        found: Cells = {}
        column = 0
        for element in row:
            coordinate = element.get("r")
            column = self.column_of(coordinate) if coordinate else column + 1
            value = self._value(element)
            if value is not None:
                found[column] = value
        return found

    def column_of(self, coordinate: str) -> int:
        """The column number of a reference such as "AB12", by openpyxl's rules (a bad one raises there)."""
        match = _COORDINATE.fullmatch(coordinate)
        if match is None:
            return self.coordinate_to_tuple(coordinate)[1]
        return self.column_index(match.group(1))

    def _value(self, element: ElementTree.Element) -> object:
        kind = element.get("t", "n")
        if kind == "inlineStr":
            child = element.find(self.inline_tag)
            return self._inline_text(child) if child is not None else None
        text = element.findtext(self.value_tag, None) or None
        if text is None:
            return None
        return self.typed(kind, text, element.get("s"))

    def typed(self, kind: str, text: str, style: str | None) -> object:
        """The value of a cell of type `kind` (the `t` attribute) whose <v> holds `text` (not empty)."""
        if kind == "n":
            return self._number(text, style)
        if kind == "s":
            return self.shared_strings[int(text)]
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            return self.from_iso(text)
        return text  # "str" (a formula's text result), "e" (an error such as #N/A)

    def _inline_text(self, inline: ElementTree.Element) -> str:
        """An inline string's text: its plain text, then each rich-text run's (phonetic runs left out)."""
        plain: list[str] = []
        runs: list[str] = []
        for child in inline:
            if child.tag == self.text_tag and not plain and child.text is not None:
                plain.append(child.text)
            elif child.tag == self.run_tag:
                text = child.find(self.text_tag)
                if text is not None and text.text is not None:
                    runs.append(text.text)
        return "".join(plain + runs)

    def _number(self, text: str, style: str | None) -> object:
        number = self.cast_number(text)
        style_id = int(style) if style else 0
        if style_id not in self.date_formats:
            return number
        try:
            return self.from_excel(number, self.epoch, timedelta=style_id in self.timedelta_formats)
        except (OverflowError, ValueError):  # a date serial beyond the calendar: an error cell, as openpyxl
            return "#VALUE!"


def _ordered_rows(path: Path, name: str, rows: Iterator[tuple[int, Cells]]) -> Iterator[tuple[int, Cells]]:
    """The rows, refusing the sheet when row numbers do not increase (some rows would be lost)."""
    previous = 0
    for number, cells in rows:
        if not previous < number <= _EXCEL_MAX_ROWS:
            problem = (f"sheet '{name}': row number {number} after row {previous} (rows out of order, "
                       f"repeated or beyond Excel's {_EXCEL_MAX_ROWS:,}): a damaged sheet")
            raise DeliveryError(path, problem)
        previous = number
        yield number, cells


def _as_tuple(cells: Cells, width: int | None = None) -> tuple[object, ...]:
    width = max(cells, default=0) if width is None else width
    return tuple(cells.get(column) for column in range(1, width + 1))


def _read_sheet_plain_or_parsed(raw: RawFile, source: SourceFile, sheet: object, name: str,
                                agency: str | None) -> DeliveredTable:
    """The sheet read from its plain XML (assets/sources/sheet_xml.py) when that reads it whole; else, and
    whenever reading it so fails for any reason, parsed by ElementTree, whose reading or refusal decides (the
    plain reader may meet another of a damaged sheet's faults first)."""
    try:
        return _read_sheet(raw, source, sheet, name, agency, plain=True)
    except Exception:  # noqa: BLE001 - NotPlainSheet, or a fault the parser is to report
        return _read_sheet(raw, source, sheet, name, agency, plain=False)


def _read_sheet(
    raw: RawFile, source: SourceFile, sheet: object, name: str, agency: str | None, plain: bool = False
) -> DeliveredTable:
    rows = _ordered_rows(raw.path, name, _sheet_rows(sheet, plain))
    top: dict[int, Cells] = {}
    after_top: list[tuple[int, Cells]] = []
    for number, cells in rows:
        if number > _HEADER_SEARCH_ROWS:
            after_top.append((number, cells))
            break
        top[number] = cells
    candidates = [_as_tuple(top.get(number, {})) for number in range(1, _HEADER_SEARCH_ROWS + 1)]
    header_index = _find_header_row(candidates, source)
    if header_index is None:
        _raise_no_header(raw, source, name, candidates, itertools.chain(after_top, rows))
    notes = []
    if source.header_groups and header_index == 0:
        notes.append(f"sheet '{name}': no group-title row above the headers")
    positions = resolve_headers(source, candidates[header_index], raw.path)
    width = max(positions) + 1
    body = itertools.chain(((n, c) for n, c in top.items() if n > header_index + 1), after_top, rows)
    kept = {pos: name for pos, name in positions.items() if name not in NEVER_LOADED}
    share_equal_values = _EqualValuesShared()
    numbers: list[int] = []
    chunks: list[pd.DataFrame] = []
    matrix: list[tuple[object, ...]] = []
    in_width = range(1, width + 1)
    for number, cells in body:
        values = tuple(map(cells.get, in_width))  # `_as_tuple(cells, width)` without a generator
        if values.count(None) < width:  # blank rows are skipped but keep their numbers
            numbers.append(number)
            matrix.append(values)
            if len(matrix) == SHEET_CHUNK_ROWS:
                chunks.append(_cell_text_chunk(matrix, width, kept, share_equal_values))
                matrix = []
    if matrix or not chunks:
        chunks.append(_cell_text_chunk(matrix, width, kept, share_equal_values))
    del matrix
    texts = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
    del chunks
    fields = _table_from_columns(source, dict(texts.items()), len(texts), notes)
    del texts
    fields = fields.mask(fields.apply(_blank_text))
    blank = fields.isna().all(axis=1).to_numpy()
    table = reject_overlong_cells(DeliveredTable(fields, np.asarray(numbers, dtype=np.int64), notes=notes))
    table = table.subset(~blank)
    table.sheet = pd.Series([name] * len(table), dtype="str")
    table.agency = pd.Series([agency] * len(table), dtype="str") if agency is not None else None
    return table


SHEET_CHUNK_ROWS = 20_000
"""A sheet's rows are made text a chunk at a time, equal values shared (`_EqualValuesShared`) before the next
chunk is read: a cell is a new string each, and made text a whole sheet at a time, Mae Hong Son's
national-scale roster (680,000 rows in its largest sheet) peaked at 1,078 MiB in a fresh process; 772 MiB
a chunk at a time."""


def _cell_text_chunk(matrix: list[tuple[object, ...]], width: int, kept: Mapping[int, str],
                     share_equal_values: _EqualValuesShared) -> pd.DataFrame:
    """Rows of cells → one text column per kept field (`kept`: sheet column position → field name), equal
    values one object each."""
    frame = pd.DataFrame(matrix, columns=range(width), dtype=object)  # object: no type guessing
    texts = pd.DataFrame({name: _cell_texts(frame[pos]) for pos, name in kept.items()}, index=frame.index)
    del frame
    return share_equal_values(texts)


def _cell_texts(column: pd.Series) -> pd.Series:
    """`column.map(_cell_text)`: a column of text and empty cells (most of a roster's) made the text dtype
    that mapping makes of it by pandas' type inference, in C, instead of a call per cell (16 M in Mae Hong
    Son's roster at national scale)."""
    if pd.api.types.infer_dtype(column, skipna=True) == "string":
        return column.astype("str")
    return column.map(_cell_text)


_BLANK_BETWEEN_SEPARATORS = re.compile(r"\x00\s*\x00")


def _blank_text(column: pd.Series) -> pd.Series:
    """`column.str.strip() == ""`. Cell text cannot hold U+0000 (XML does not allow it), so a column joined
    by it has a blank value exactly where two separators enclose only whitespace: one search over the
    column decides whether any value needs stripping (a roster's cells were stripped one by one). A blank
    value is always found; a U+0000 inside a value could only make the search find one where there is none,
    which sends the column to the per-value strip."""
    joined = "\x00".join(column.to_numpy(dtype=object, na_value="-"))
    if _BLANK_BETWEEN_SEPARATORS.search(f"\x00{joined}\x00") is None:
        return pd.Series(False, index=column.index)
    return column.str.strip() == ""


def _raise_no_header(
    raw: RawFile, source: SourceFile, name: str, candidates: list[tuple[object, ...]],
    rest: Iterable[tuple[int, Cells]],
) -> None:
    if not any(any(c is not None for c in row) for row in candidates) and not any(cells for _, cells in rest):
        raise DeliveryError(raw.path, f"sheet '{name}' is empty")
    found = candidates[1] if source.header_groups else candidates[0]
    resolve_headers(source, found, Path(f"{raw.path} [sheet '{name}']"))  # raises naming the missing one
    raise DeliveryError(raw.path, f"sheet '{name}': header row not found")


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
