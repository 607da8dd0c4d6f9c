"""The DuckDB-SQL baseline: delivered files → the indicator marts, by hand, in one DuckDB process.

    python -m bench.baseline --landing DIR --years 2567 --out baseline.duckdb [--workdir DIR] [--timings F]

It reads the delivered files itself, the way a data engineer with only DuckDB would:
- JSON Lines and UTF-8 / UTF-8-with-BOM CSV (EMIS included) straight into DuckDB (`read_json`, `read_csv`);
- cp874 CSV decoded to UTF-8 by Python first, and XLSX sheets turned into CSV by the small streaming reader
  below: DuckDB's `encodings` and `excel` extensions need a download that this machine cannot make. That
  conversion time is part of the baseline's time (`convert_seconds`).
Then bench/baseline.sql computes the indicators of marts.fct_province_indicators and
fct_district_indicators from the same definitions as the dbt models (see the comments there), and the two
tables are written to `--out` (table `province_indicators`, `district_indicators`).

The landing contract (file names, headers, value labels) and the dbt seeds and vars are read from the
project, so the baseline and the pipeline agree on what the files and the codes are; the parsing and the
arithmetic are its own. Rejection rules are not replicated: compare on `--error-rate 0` deliveries.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import html
import json
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import yaml

from assets.contract.landing import (
    FOLLOW_UP_LABELS,
    POSITION_LABELS,
    POVERTY_LABELS,
    SEX_LABELS,
    SOURCE_FILES,
    STATUS_LABELS,
    THAI_HEADERS,
    YES_NO_LABELS,
    SourceFile,
)
from assets.sources.common import SKILL_LABELS, TEST_LABELS
from pipelines.settings import DBT_PROJECT_DIR

SQL_FILE = Path(__file__).with_name("baseline.sql")
SEEDS = ("grades", "affiliations", "school_size_bands", "geo_provinces", "geo_districts",
         "indicator_definitions")
OUTPUT_TABLES = ("province_indicators", "district_indicators")

# The delivered fields each entity needs for the indicators (names are never read).
NEEDED_FIELDS: dict[str, tuple[str, ...]] = {
    "schools": ("school_id", "district_code"),
    "students": ("person_id", "school_id", "grade", "sex", "birth_date", "status"),
    "teachers": ("person_id", "school_id", "position", "sex"),
    "training": ("person_id",),
    "literacy": ("person_id", "school_id", "grade", "skill", "passed"),
    "assessments": ("person_id", "school_id", "test", "grade", "subject", "score"),
    "learning_spaces": ("district_code", "visitors", "visitors_applying"),
    "protection_cases": ("person_id", "school_id", "follow_up_status"),
    "population": ("district_code", "age", "sex", "population"),
    "poverty": ("person_id", "school_id", "poverty_status"),
    "enrolment_counts": ("school_id", "grade_or_subtotal", "male", "female"),
}
# Label macros `<name>_value(text)`: delivered label (or the contract value itself) → contract value.
LABEL_MACROS: dict[str, dict[str, str]] = {
    "sex": SEX_LABELS, "status": STATUS_LABELS, "position": POSITION_LABELS, "poverty_status": POVERTY_LABELS,
    "follow_up_status": FOLLOW_UP_LABELS, "skill": SKILL_LABELS, "test": TEST_LABELS,
    "passed": {label: str(flag).lower() for label, flag in YES_NO_LABELS.items()},
}


@dataclass(frozen=True)
class StagedFile:
    """One delivered file (or XLSX sheet) as DuckDB will read it."""

    entity: str
    province: str
    academic_year: int
    source_file: str
    agency: str | None
    path: Path
    """The delivered file itself, or its UTF-8 CSV conversion under the work folder."""
    kind: Literal["csv", "jsonl"]
    columns: dict[str, str]
    """Delivered field → column (CSV header or JSON key) in `path`."""


@dataclass
class BaselineTimings:
    convert_seconds: float = 0.0
    sql_seconds: float = 0.0
    write_seconds: float = 0.0
    files: int = 0
    rows_read: dict[str, int] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return self.convert_seconds + self.sql_seconds + self.write_seconds


# --- staging: find the files, convert what DuckDB cannot read -------------------------------------------


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def header_candidates(source: SourceFile, name: str) -> tuple[str, ...]:
    """How a field's column may be headed: the contract's header (Thai, or Yala's key) or the field name
    itself (the real EMIS export heads its school column `school_id`)."""
    contract = source.headers.get(name) or THAI_HEADERS.get(name)
    return tuple(h for h in (contract, name) if h)


def _resolve_columns(source: SourceFile, header: list[str], where: Path) -> dict[str, str]:
    cleaned = {h.replace("\ufeff", "").strip(): h for h in header}
    columns: dict[str, str] = {}
    for name in NEEDED_FIELDS[source.entity]:
        found = next((cleaned[c] for c in header_candidates(source, name) if c in cleaned), None)
        if found is None:
            raise ValueError(f"{where}: no column for {name} (headers: {', '.join(header)})")
        columns[name] = found.replace("\ufeff", "")
    return columns


def _csv_header(path: Path, encoding: str) -> list[str]:
    with path.open(encoding=encoding, newline="") as handle:
        return next(csv.reader(handle))


def decode_to_utf8(path: Path, target: Path, encoding: str) -> None:
    """Re-encode a text file to UTF-8 in 16 MiB chunks (DuckDB reads UTF-8 only without extensions)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as out:
        while chunk := source.read(1 << 24):
            out.write(decoder.decode(chunk))
        out.write(decoder.decode(b"", final=True))


_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')
_VALUE = re.compile(rb"<v>(.*?)</v>", re.S)
_TEXT = re.compile(rb"<t(?:\s[^>]*)?>(.*?)</t>", re.S)
_SHEET = re.compile(rb"<sheet\b[^>]*>")
_RELATION = re.compile(rb"<Relationship\b[^>]*>")
_SHARED_ITEM = re.compile(rb"<si>(.*?)</si>", re.S)
_HEADER_ROWS = 5


def _attribute(element: bytes, name: bytes) -> str:
    found = re.search(rb"\b" + re.escape(name) + rb'="([^"]*)"', element)
    return html.unescape(found.group(1).decode("utf-8")) if found else ""


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _text(raw: bytes) -> str:
    text = raw.decode("utf-8")
    return html.unescape(text) if "&" in text else text


def xlsx_sheet_members(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → zip member of its XML, from the workbook and its relationships."""
    targets = {}
    for element in _RELATION.findall(archive.read("xl/_rels/workbook.xml.rels")):
        target = _attribute(element, b"Target").lstrip("/")
        targets[_attribute(element, b"Id")] = target if target.startswith("xl/") else f"xl/{target}"
    return {_attribute(e, b"name"): targets[_attribute(e, b"r:id")]
            for e in _SHEET.findall(archive.read("xl/workbook.xml"))}


def xlsx_shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    data = archive.read("xl/sharedStrings.xml")
    return [_text(b"".join(_TEXT.findall(item))) for item in _SHARED_ITEM.findall(data)]


def xlsx_rows(archive: zipfile.ZipFile, member: str,
              strings: list[str]) -> Iterator[tuple[int, dict[int, str]]]:
    """(sheet row number, column number → text) for every non-empty row, streamed in 16 MiB blocks."""
    row_number, cells = 0, {}
    with archive.open(member) as xml:
        rest = b""
        while True:
            block = xml.read(1 << 24)
            data = rest + block
            last_row_end = data.rfind(b"</row>")
            cut = len(data) if not block else (last_row_end + len(b"</row>") if last_row_end >= 0 else 0)
            rest = data[cut:]
            for match in _CELL.finditer(data, 0, cut):
                letters, number, attributes, body = match.groups()
                if not body:
                    continue
                number = int(number)
                if number != row_number:
                    if cells:
                        yield row_number, cells
                    row_number, cells = number, {}
                cells[_column_number(letters)] = _cell_text(attributes, body, strings)
            if not block:
                break
    if cells:
        yield row_number, cells


def _cell_text(attributes: bytes, body: bytes, strings: list[str]) -> str:
    kind = _CELL_TYPE.search(attributes)
    kind_name = kind.group(1) if kind else b"n"
    if kind_name == b"inlineStr":
        return _text(b"".join(_TEXT.findall(body)))
    value = _VALUE.search(body)
    text = _text(value.group(1)) if value else ""
    if kind_name == b"s":
        return strings[int(text)]
    if kind_name == b"b":
        return "true" if text == "1" else "false"
    return text[:-2] if kind_name == b"n" and text.endswith(".0") else text


def xlsx_sheet_to_csv(archive: zipfile.ZipFile, member: str, source: SourceFile, target: Path,
                      strings: list[str]) -> dict[str, str]:
    """Write one sheet's data rows as a UTF-8 CSV headed by field names; the header row is the first of the
    top rows that names the needed fields (one or two header rows both work)."""
    rows = xlsx_rows(archive, member, strings)
    wanted = NEEDED_FIELDS[source.entity]
    positions: dict[str, int] | None = None
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(wanted)
        for number, cells in rows:
            if positions is None:
                found = {v.strip(): c for c, v in cells.items()}
                positions = {n: next((found[h] for h in header_candidates(source, n) if h in found), 0)
                             for n in wanted}
                if not all(positions.values()):
                    if number >= _HEADER_ROWS:
                        raise ValueError(f"{target.name}: header row not found in the first rows")
                    positions = None
                continue
            writer.writerow([cells.get(positions[n], "") for n in wanted])
    return {n: n for n in wanted}


def _year_folders(landing: Path, folder: str, years: tuple[int, ...]) -> list[tuple[int, Path]]:
    return [(y, landing / folder / str(y)) for y in years if (landing / folder / str(y)).is_dir()]


def stage_landing(landing: Path, years: tuple[int, ...], workdir: Path) -> list[StagedFile]:
    """Every delivered file of `years` as something DuckDB reads, converting cp874 CSV and XLSX sheets."""
    workdir.mkdir(parents=True, exist_ok=True)
    staged: list[StagedFile] = []
    for source in SOURCE_FILES:
        if source.entity not in NEEDED_FIELDS:
            continue
        for year, folder in _year_folders(landing, source.province, years):
            agencies: list[str | None] = list(source.agencies) if "{agency}" in source.file_name else [None]
            for agency, name in zip(agencies, source.file_names(), strict=True):
                path = folder / name
                if path.is_file():
                    staged.extend(_stage_file(source, path, year, agency, workdir))
    return staged


def _stage_file(source: SourceFile, path: Path, year: int, agency: str | None,
                workdir: Path) -> list[StagedFile]:
    def staged(kind: Literal["csv", "jsonl"], readable: Path, columns: dict[str, str],
               file_agency: str | None = agency) -> StagedFile:
        return StagedFile(source.entity, source.province, year, path.name, file_agency, readable, kind,
                          columns)

    converted = workdir / f"{source.province}_{year}_{path.stem}"
    if source.format == "jsonl":
        return [staged("jsonl", path, {n: source.headers[n] for n in NEEDED_FIELDS[source.entity]})]
    if source.format == "xlsx":
        with zipfile.ZipFile(path) as archive:
            members, strings = xlsx_sheet_members(archive), xlsx_shared_strings(archive)
            sheets = source.sheets or {agency: next(iter(members))}
            out = []
            for index, (sheet_agency, sheet) in enumerate(sheets.items()):
                target = converted.with_name(f"{converted.name}_{index}.csv")
                columns = xlsx_sheet_to_csv(archive, members[sheet], source, target, strings)
                out.append(staged("csv", target, columns, sheet_agency))
            return out
    readable = path
    if source.encoding.removesuffix("-sig") not in ("utf-8", "utf8"):
        readable = converted.with_suffix(".csv")
        decode_to_utf8(path, readable, source.encoding)
    header = _csv_header(readable, "utf-8-sig")
    return [staged("csv", readable, _resolve_columns(source, header, path))]


# --- SQL ----------------------------------------------------------------------------------------------------


def file_select(staged: StagedFile) -> str:
    """SELECT of one staged file: lineage columns plus the needed fields as text."""
    fields = NEEDED_FIELDS[staged.entity]
    values = ", ".join(f"{_identifier(staged.columns[n])} as {n}" for n in fields)
    path = _sql_text(str(staged.path))
    if staged.kind == "jsonl":
        types = ", ".join(f"{_sql_text(staged.columns[n])}: 'VARCHAR'" for n in fields)
        reader = f"read_json({path}, format='newline_delimited', columns={{{types}}})"
    else:
        reader = f"read_csv({path}, header=true, all_varchar=true, delim=',', quote='\"', escape='\"')"
    agency = "null" if staged.agency is None else _sql_text(staged.agency)
    return (f"select {_sql_text(staged.province)} as province, {staged.academic_year} as academic_year, "
            f"{_sql_text(staged.source_file)} as source_file, {agency} as agency, {values} from {reader}")


def delivered_view(entity: str, files: list[StagedFile]) -> str:
    if not files:
        columns = ", ".join(f"null::varchar as {n}" for n in NEEDED_FIELDS[entity])
        return (f"create view d_{entity} as select null::varchar as province, "
                f"null::integer as academic_year, null::varchar as source_file, null::varchar as agency, "
                f"{columns} where false")
    return f"create view d_{entity} as " + "\nunion all by name\n".join(file_select(f) for f in files)


def label_macro(name: str, labels: dict[str, str]) -> str:
    """CASE over the delivered labels and the contract values themselves, compared without case."""
    lookup = {v.casefold(): v for v in labels.values()} | {k.casefold(): v for k, v in labels.items()}
    cases = " ".join(f"when {_sql_text(k)} then {_sql_text(v)}" for k, v in lookup.items())
    return f"create macro {name}_value(x) as case lower(trim(x)) {cases} end"


def dbt_vars() -> dict[str, object]:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return project.get("vars", {})


def prepare(con: duckdb.DuckDBPyConnection, staged: list[StagedFile]) -> None:
    """Views over the staged files, label macros, seeds and dbt vars: everything baseline.sql expects."""
    for entity in NEEDED_FIELDS:
        con.execute(delivered_view(entity, [f for f in staged if f.entity == entity]))
    for name, labels in LABEL_MACROS.items():
        con.execute(label_macro(name, labels))
    for seed in SEEDS:
        path = _sql_text(str(DBT_PROJECT_DIR / "seeds" / f"{seed}.csv"))
        con.execute(f"create table seed_{seed} as "
                    f"select * from read_csv({path}, header=true, all_varchar=true)")
    variables = dbt_vars()
    for name in ("min_denominator", "minimum_proficiency_score"):
        con.execute(f"set variable {name} = {float(variables[name])}")  # type: ignore[arg-type]


def sql_statements(text: str) -> list[str]:
    """baseline.sql split at the semicolons that end a line (none appears inside a statement)."""
    return [s.strip() for s in re.split(r";\s*$", text, flags=re.M) if s.strip()]


def run_baseline(landing: Path, years: tuple[int, ...], out: Path, workdir: Path,
                 threads: int | None = None) -> BaselineTimings:
    """Stage, compute, write. `out` (a DuckDB file) is replaced."""
    timings = BaselineTimings()
    started = time.perf_counter()
    staged = stage_landing(landing, years, workdir / "converted")
    timings.convert_seconds = time.perf_counter() - started
    timings.files = len({(f.province, f.academic_year, f.source_file) for f in staged})

    started = time.perf_counter()
    con = duckdb.connect(config={"temp_directory": str(workdir / "duckdb_tmp")})
    if threads:
        con.execute(f"set threads = {int(threads)}")
    prepare(con, staged)
    for statement in sql_statements(SQL_FILE.read_text(encoding="utf-8")):
        con.execute(statement)
    timings.sql_seconds = time.perf_counter() - started

    started = time.perf_counter()
    timings.rows_read = _rows_read(con)
    out.unlink(missing_ok=True)
    con.execute(f"attach {_sql_text(str(out))} as result")
    for table in OUTPUT_TABLES:
        con.execute(f"create table result.{table} as select * from {table}")
    con.execute("detach result")
    con.close()
    timings.write_seconds = time.perf_counter() - started
    return timings


def _rows_read(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Delivered records per entity, counted on the tables the SQL materialised (or one scan of the view)."""
    counted = {"students": "delivered_students", "enrolment_counts": "emis"}
    rows = {}
    for entity in NEEDED_FIELDS:
        table = counted.get(entity, f"d_{entity}")
        rows[entity] = int(con.execute(f"select count(*) from {table}").fetchone()[0])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--years", type=int, nargs="+", required=True, help="academic years BE, e.g. 2567")
    parser.add_argument("--out", type=Path, required=True, help="DuckDB file for the two result tables")
    parser.add_argument("--workdir", type=Path, required=True, help="scratch folder for converted files")
    parser.add_argument("--timings", type=Path, help="write the timings here as JSON")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    args = parser.parse_args(argv)
    timings = run_baseline(args.landing, tuple(args.years), args.out, args.workdir, args.threads)
    report = {"convert_seconds": timings.convert_seconds, "sql_seconds": timings.sql_seconds,
              "write_seconds": timings.write_seconds, "files": timings.files, "rows_read": timings.rows_read}
    if args.timings:
        args.timings.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

