"""No delivered citizen ID, G-code or person name, nor the pseudonymisation key, anywhere a run leaves data.

The identities are collected from the demo landing files themselves (CSV in cp874 and UTF-8 with BOM, JSON
Lines, XLSX sheets with two header rows): every delivered value shaped like a citizen ID or G-code, whatever
column it sits in, and every person's first and last name from the roster and staff files. Then the reference
run of the pipeline is scanned: every table and view of every warehouse schema (raw may hold pseudonymised
keys, never the IDs), the published site (HTML, JSON, CSV, CSS/JS, and the XML inside every XLSX), every log
and report under EDUSANDBOX_HOME, and every event of the Dagster run with all its metadata. An ID is found in
any spelling a person would type (Thai digits, 1-2345-67890-12-3); beyond the delivered ones, any valid
citizen ID or G-code shape is reported too. The git-tracked and untracked-but-not-ignored files of the repo
are scanned for the key. Each finding says where it was.

Out of scope, by design: the landing folder and the archive (EDUSANDBOX_ARCHIVE), which keep every delivered
file as received for lineage and re-processing; protect them as the source data they are.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import subprocess
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster._serdes import serialize_value

from assets.contract.landing import THAI_HEADERS, YALA_KEYS
from assets.parsing import decode_delivery, is_valid_citizen_id, normalise_person_id
from assets.parsing.pseudonym import KEY_ENV, KEY_FILE_ENV, default_key_file, load_pseudonym_key
from pipelines.settings import REPO_ROOT
from tests.reliability_helpers import Home, reference_run, tables_in

ID_HEADERS = {THAI_HEADERS["person_id"], YALA_KEYS["person_id"]}
FIRST_NAME_HEADERS = {THAI_HEADERS["first_name"], YALA_KEYS["first_name"]}
LAST_NAME_HEADERS = {THAI_HEADERS["last_name"], YALA_KEYS["last_name"]}
DIGIT = "[0-9\u0e50-\u0e59]"
# An ID as people write it: 13 digits (Arabic or Thai), bare or grouped by single dashes or spaces, or G + 12
# digits; not part of a longer run of letters or digits (a 32-hex pseudonym can hold 13 digits in a row) nor
# the decimals of a number (1115.8715379997375).
ID_SHAPE = re.compile(rf"(?<![0-9A-Za-z.\u0e50-\u0e59])(?:[Gg]{DIGIT}{{12}}|{DIGIT}(?:[- ]?{DIGIT}){{12}})"
                      rf"(?![0-9A-Za-z\u0e50-\u0e59])")
PERSON_ID = re.compile("[0-9]{13}|G[0-9]{12}")  # after normalise_person_id
PSEUDONYM = re.compile("(?<![0-9a-f-])(?:[0-9a-f]{32}|"
                       "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![0-9a-f-])")
"""A pseudonymised key as the pipeline writes it (32 hex digits) or as a UUID column prints it."""
KEY_ASSIGNMENT = re.compile(rb"PSEUDONYM_KEY\s*[=:]\s*[\"']?[0-9a-fA-F]{32,}")
THAI_WORD = re.compile("[\u0e00-\u0e4f\u0e5a-\u0e7f]+")  # Thai letters and marks, not Thai digits
SCANNED_SUFFIXES = {".html", ".json", ".csv", ".css", ".js", ".txt", ".log", ".md", ".yaml", ".yml", ".xml"}
MAX_FINDINGS_SHOWN = 20


# -- what was delivered --------------------------------------------------------------------------------------

@dataclass
class Delivered:
    ids: set[str] = field(default_factory=set)
    """Normalised citizen IDs and G-codes, valid or not, from any column of any delivered file."""
    names: dict[str, set[str]] = field(default_factory=dict)
    """First name → the last names delivered with it (one entry per person)."""
    formats: set[str] = field(default_factory=set)

    def add_row(self, header: list[str], row: list[object]) -> None:
        cells = ["" if v is None else str(v).strip() for v in row]
        for cell in cells:
            if PERSON_ID.fullmatch(value := normalise_person_id(cell)):
                self.ids.add(value)
        first = _cell_under(header, cells, FIRST_NAME_HEADERS)
        last = _cell_under(header, cells, LAST_NAME_HEADERS)
        if first and last:
            self.names.setdefault(first, set()).add(last)


def _cell_under(header: list[str], cells: list[str], names: set[str]) -> str:
    return next((cells[i] for i, h in enumerate(header) if h in names and i < len(cells)), "")


def _csv_rows(path: Path) -> Iterator[list[str]]:
    text, _ = decode_delivery(path.read_bytes())
    yield from csv.reader(io.StringIO(text))


def _jsonl_rows(path: Path) -> Iterator[list[object]]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    header = list(dict.fromkeys(k for r in records for k in r))
    yield header
    yield from ([r.get(k) for k in header] for r in records)


def _xlsx_sheets(path: Path) -> Iterator[list[list[object]]]:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            yield [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _add_table(delivered: Delivered, rows: list[list[object]]) -> None:
    """The header is the first row naming a delivered field (an XLSX has a group-title row above it)."""
    known = ID_HEADERS | FIRST_NAME_HEADERS | LAST_NAME_HEADERS
    start = next((i for i, r in enumerate(rows) if known & {str(v) for v in r}), 0)
    header = [str(v) for v in rows[start]] if rows else []
    for row in rows[start + 1:] if rows else []:
        delivered.add_row(header, row)


def collect_delivered(landing: Path) -> Delivered:
    delivered = Delivered()
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        if path.suffix == ".csv":
            _add_table(delivered, list(_csv_rows(path)))
        elif path.suffix == ".jsonl":
            _add_table(delivered, list(_jsonl_rows(path)))
        elif path.suffix == ".xlsx":
            for rows in _xlsx_sheets(path):
                _add_table(delivered, rows)
        else:
            continue
        delivered.formats.add(path.suffix)
    return delivered


# -- scanning ------------------------------------------------------------------------------------------------

@dataclass
class Scanner:
    delivered: Delivered
    key_spellings: list[str]
    findings: list[str] = field(default_factory=list)

    def scan(self, where: str, text: str, any_id_shape: bool = True) -> None:
        """Delivered IDs, names and the key; with `any_id_shape`, any valid citizen ID or G-code too."""
        for match in ID_SHAPE.finditer(text):
            value = normalise_person_id(match.group())
            if value in self.delivered.ids:
                self.findings.append(f"{where}: delivered person ID {_masked(value)}")
            elif any_id_shape and (is_valid_citizen_id(value) or value.startswith("G")):
                self.findings.append(f"{where}: a citizen ID or G-code shaped value {_masked(value)}")
        words = THAI_WORD.findall(text)
        for first, last in zip(words, words[1:], strict=False):
            if last in self.delivered.names.get(first, ()):
                self.findings.append(f"{where}: delivered name {first} {last[:1]}…")
        for word in words:  # first and last name written together
            for cut in range(2, len(word) - 1):
                if word[cut:] in self.delivered.names.get(word[:cut], ()):
                    self.findings.append(f"{where}: delivered name {word[:cut]}{word[cut]}…")
        lowered = text.lower()
        if any(k.lower() in lowered for k in self.key_spellings):
            self.findings.append(f"{where}: the pseudonymisation key")

    def report(self) -> str:
        shown = self.findings[:MAX_FINDINGS_SHOWN]
        more = len(self.findings) - len(shown)
        return "\n".join(shown) + (f"\n… and {more} more" if more > 0 else "")


def _masked(value: str) -> str:
    return value[:4] + "…"


def _spellings(key: bytes, text: str = "") -> list[str]:
    """A key as hex (what key files and the variable hold), base64, and its text when it is not hex."""
    return [key.hex(), base64.b64encode(key).decode("ascii"), *([text] if text and text != key.hex() else [])]


def key_spellings() -> list[str]:
    """The key the runs used (the test session's, from the environment)."""
    return _spellings(load_pseudonym_key(), os.environ.get(KEY_ENV, "").strip())


def stored_key_spellings() -> list[str]:
    """Keys kept on this machine (default key file, $EDUSANDBOX_PSEUDONYM_KEY_FILE): must not be in git."""
    files = {default_key_file(), *([Path(f)] if (f := os.environ.get(KEY_FILE_ENV)) else [])}
    found = []
    for path in files:
        if path.is_file() and (text := path.read_text(encoding="utf-8").strip()):
            found += _spellings(bytes.fromhex(text) if re.fullmatch("[0-9a-fA-F]+", text) else text.encode(),
                                text)
    return found


def file_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(name, text) of a file to scan: an XLSX gives each XML part; binary files give nothing."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as workbook:
            for part in workbook.namelist():
                yield f"{path}!{part}", workbook.read(part).decode("utf-8", errors="replace")
    elif path.suffix in SCANNED_SUFFIXES:
        yield str(path), path.read_text(encoding="utf-8", errors="replace")


def warehouse_texts(home: Home) -> Iterator[tuple[str, str]]:
    """Every row of every table and view in every schema, one tab-joined line per row."""
    wh = home.warehouse
    schemas = wh.read_frame("select distinct table_schema from information_schema.tables")["table_schema"]
    for schema in sorted(s for s in schemas if s not in {"information_schema", "pg_catalog"}):
        for table in tables_in(wh, schema):
            frame = wh.read_frame(f'select * from "{schema}"."{table}"')
            yield f"warehouse {schema}.{table}", frame.to_csv(sep="\t", index=False, lineterminator="\n")


def event_log_texts(home: Home) -> Iterator[tuple[str, str]]:
    """Every event of every run in the home's Dagster instance (metadata included), and the run records."""
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home.dagster_home))) as instance:
        for run in instance.get_runs():
            yield f"dagster run {run.run_id} record", serialize_value(run)
            for entry in instance.all_logs(run.run_id):
                kind = entry.dagster_event_type or "log"
                yield f"dagster run {run.run_id} event {kind}", serialize_value(entry)


def home_files(home: Home) -> Iterable[Path]:
    """Logs, validation reports and anything else under the home, except what has its own scan (warehouse,
    Dagster storage, the published site) and the archive of deliveries as received (out of scope)."""
    skipped = {home.root / "archive", home.dagster_home, home.root / ".publish.versions"}
    return [p for p in home.root.rglob("*") if p.is_file() and not p.is_symlink()
            and not any(p.is_relative_to(s) for s in skipped) and p.suffix != ".duckdb"]


# -- fixtures ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reference(demo_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Home:
    return reference_run(tmp_path_factory.getbasetemp(), demo_landing)


@pytest.fixture(scope="module")
def delivered(demo_landing: Path) -> Delivered:
    return collect_delivered(demo_landing)


@pytest.fixture()
def scanner(delivered: Delivered) -> Scanner:
    return Scanner(delivered, key_spellings())


# -- the scanner can fail ------------------------------------------------------------------------------------

def test_the_identities_of_every_delivery_format_are_collected(delivered: Delivered) -> None:
    assert delivered.formats == {".csv", ".jsonl", ".xlsx"}
    citizen = [i for i in delivered.ids if not i.startswith("G")]
    assert len(citizen) > 1000 and sum(map(is_valid_citizen_id, citizen)) > 1000
    assert sum(i.startswith("G") for i in delivered.ids) > 50  # Mae Hong Son's students without a citizen ID
    assert sum(len(lasts) for lasts in delivered.names.values()) > 1000


def test_the_scanner_finds_an_id_in_any_spelling_a_name_and_the_key(delivered: Delivered,
                                                                    scanner: Scanner) -> None:
    citizen = sorted(i for i in delivered.ids if is_valid_citizen_id(i))[0]
    thai_digits = citizen.translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    grouped = f"{citizen[0]}-{citizen[1:5]}-{citizen[5:10]}-{citizen[10:12]}-{citizen[12]}"
    first, lasts = sorted(delivered.names.items())[0]
    g_code = sorted(i for i in delivered.ids if i.startswith("G"))[0]
    last = sorted(lasts)[0]
    planted = [("plain", f"id {citizen}."), ("thai", f"<td>{thai_digits}</td>"), ("grouped", grouped),
               ("g", f'"{g_code}"'), ("name", f"{first} {last}"), ("joined", f"{first}{last}"),
               ("key", scanner.key_spellings[0].upper())]
    for where, text in planted:
        scanner.findings.clear()
        scanner.scan(where, text)
        assert scanner.findings, f"the scanner missed the {where} case"
    scanner.findings.clear()
    scanner.scan("pseudonym", "student_key 0123456789012345678901234567abcd, school 1095440001, year 2567")
    assert scanner.findings == []


# -- the scans -----------------------------------------------------------------------------------------------

def test_no_warehouse_table_or_view_in_any_schema_holds_an_id_a_name_or_the_key(reference: Home,
                                                                                 scanner: Scanner) -> None:
    for where, text in warehouse_texts(reference):
        scanner.scan(where, text)
    assert scanner.findings == [], scanner.report()


def _key_digits(value: object) -> str:
    """A key's 32 hex digits, whether it comes as uuid.UUID (DuckDB), UUID text (PostgreSQL) or hex."""
    return value.hex if isinstance(value, uuid.UUID) else str(value).replace("-", "")


def test_no_person_key_reaches_the_published_site_and_no_student_key_the_marts(reference: Home) -> None:
    wh = reference.warehouse

    def values(sql: str) -> set[str]:
        return {_key_digits(v) for v in wh.read_frame(sql).to_numpy().ravel()}

    students = values("select distinct student_key from raw.students")
    staff = values("select distinct teacher_key from raw.teachers")
    assert len(students) > 1000 and len(staff) > 100
    assert {len(k) for k in students | staff} == {32}
    leaks = [f"marts.{t}" for t in tables_in(wh, "marts") if students & values(f"select * from marts.{t}")]
    for path in sorted((reference.root / ".publish.versions").rglob("*")):
        for where, text in file_texts(path) if path.is_file() else []:
            if (students | staff) & {_key_digits(k) for k in PSEUDONYM.findall(text)}:
                leaks.append(where)
    assert leaks == [], f"person keys found in {leaks}"


def test_the_published_site_holds_no_id_name_or_key(reference: Home, scanner: Scanner) -> None:
    store = reference.root / ".publish.versions"  # every published version, the current one included
    scanned = [p for p in sorted(store.rglob("*")) if p.is_file()]
    assert {p.suffix for p in scanned} >= {".html", ".json", ".csv", ".xlsx"}
    for path in scanned:
        vendored = path.name.endswith(".min.js")  # third-party code: its numeric constants are not IDs
        for where, text in file_texts(path):
            scanner.scan(where, text, any_id_shape=not vendored)
    assert scanner.findings == [], scanner.report()


def test_logs_and_reports_under_the_home_hold_no_id_name_or_key(reference: Home, scanner: Scanner) -> None:
    files = home_files(reference)
    assert any(p.suffix == ".log" for p in files) and any("validation_reports" in p.parts for p in files)
    for path in files:
        for where, text in file_texts(path):
            scanner.scan(where, text)
    assert scanner.findings == [], scanner.report()


def test_the_dagster_event_log_of_the_run_holds_no_id_name_or_key(reference: Home, scanner: Scanner) -> None:
    scanned = 0
    for where, text in event_log_texts(reference):
        scanner.scan(where, text)
        scanned += 1
    assert scanned > 100  # every step's events, materialisations and check results with their metadata
    assert scanner.findings == [], scanner.report()


def test_the_key_is_in_no_file_of_the_repository(scanner: Scanner) -> None:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO_ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    files = [REPO_ROOT / name for name in listed if name and (REPO_ROOT / name).is_file()]
    assert len(files) > 100
    spellings = [k.lower().encode() for k in scanner.key_spellings + stored_key_spellings()]
    found = [str(p.relative_to(REPO_ROOT)) for p in files
             if any(k in p.read_bytes().lower() for k in spellings)]
    assert found == [], f"a pseudonymisation key is in {found}"
    assigned = [str(p.relative_to(REPO_ROOT)) for p in files if KEY_ASSIGNMENT.search(p.read_bytes())]
    assert assigned == [], f"a key is assigned in {assigned}"
    assert not [p for p in files if p.name.endswith(".key")], "a key file is in the repository"
