"""Fuzzed deliveries: every damaged or hostile input either loads with every row accounted for or is refused
with a message naming the file and the problem; never a crash, never a partial load.

- the mutation fuzzer (tests/fuzzing.py) over a valid seed of every contract source: each mutation on each
  format it applies to, a random campaign in the default run, 10,000+ cases with --run-long;
- targeted cases with hand-computed expectations (zip bombs, forged dimensions, rows out of order, CSV
  lines that shift columns, quoted line breaks, truncation, NUL bytes, pasted IDs, huge values);
- Hypothesis properties of the parsing helpers and of small generated deliveries.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.contract.landing import MHS_SHEETS, SOURCE_FILES, SourceFile
from assets.parsing import (
    classify_person_ids,
    clean_text_series,
    make_citizen_id,
    normalise_grade,
    parse_be_dates_series,
    parse_int_series,
    redact_person_ids_series,
)
from assets.sources import AdapterResult, DeliveryError, read_delivery, readers
from tests.fixtures.deliveries.builders import (
    check_result,
    citizen_id,
    csv_text,
    pseudonymiser,
    reasons_by_row,
    spec,
    write_csv,
    write_jsonl,
    write_xlsx,
)
from tests.fuzzing import (
    BAD_DATES,
    FORMULAS,
    HOSTILE_TEXTS,
    MUTATIONS,
    THAI_DIGITS,
    RawMember,
    Sample,
    Seed,
    add_raw_members,
    bomb_member,
    build_seeds,
    describe,
    judge,
    run_campaign,
    run_case,
    run_parallel,
    valid_rows,
    write_excel_like_xlsx,
)

YEAR = 2566


def examples(n: int) -> settings:
    """Hypothesis settings: n examples, no example database written into the repository, no deadline."""
    return settings(max_examples=n, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> list[Seed]:
    return build_seeds(tmp_path_factory.mktemp("seeds"))


def read(source: SourceFile, path: Path, province: str | None = None) -> AdapterResult:
    return read_delivery(source, path, province=province or source.province, academic_year=YEAR,
                         pseudonymiser=pseudonymiser())


def landed(tmp_path: Path, source: SourceFile, name: str | None = None) -> Path:
    path = tmp_path / source.province / str(YEAR) / (name or source.file_names()[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------------------------------------------------
# The fuzzer: seeds, every mutation, random campaigns
# ---------------------------------------------------------------------------------------------------------


def test_every_contract_source_has_a_seed_that_loads_whole(seeds: list[Seed], tmp_path: Path) -> None:
    assert {(s.source.province, s.source.file_name) for s in seeds} == {
        (s.province, s.file_name) for s in SOURCE_FILES}
    assert {s.flavour for s in seeds if s.source.format == "xlsx"} == {"", "excel"}
    for seed in seeds:
        result = run_case(Sample(seed, seed.data, records=seed.records, raw_ids=seed.raw_ids), tmp_path)
        assert isinstance(result, AdapterResult), (seed.label, result)
        check_result(result, raw_ids=seed.raw_ids)
        assert result.rejects.empty, (seed.label, result.rejects["reason"].tolist())
        # EMIS seeds: 2 schools x (18 grade rows + 5 subtotal rows); the subtotals are checked, then dropped
        expected = 2 * 18 if seed.source.format == "emis_csv" else seed.records
        assert len(result.rows) == expected, seed.label


def _seeds_for(seeds: list[Seed], formats: frozenset[str]) -> list[Seed]:
    """One seed per (format, encoding, flavour) the mutation applies to: every format and encoding meets
    every mutation."""
    chosen: dict[tuple[str, str, str], Seed] = {}
    for seed in seeds:
        key = (seed.source.format, seed.source.encoding, seed.flavour)
        if seed.source.format in formats:
            chosen.setdefault(key, seed)
    return list(chosen.values())


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_each_mutation_is_loaded_or_refused_on_every_format(mutation: str, seeds: list[Seed],
                                                             tmp_path: Path) -> None:
    formats, mutate = MUTATIONS[mutation]
    findings = []
    chosen = _seeds_for(seeds, formats)
    assert chosen, mutation
    for k, seed in enumerate(chosen):
        sample = mutate(Sample(seed, seed.data, records=seed.records, raw_ids=seed.raw_ids),
                        random.Random(f"{mutation}:{k}"))
        verdict, detail = judge(sample, run_case(sample, tmp_path))
        if verdict not in ("loaded", "refused"):
            findings.append(f"{seed.label} {sample.steps}: {verdict}: {detail}")
    assert not findings, "\n".join(findings)


def test_random_campaign(seeds: list[Seed], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = run_campaign(seeds, tmp_path, campaign=1, cases=150)
    with capsys.disabled():
        print(f"\n{summary.line()}")
    assert summary.cases == 150
    assert not summary.findings, describe(summary.findings)
    assert summary.verdicts["loaded"] > 0 and summary.verdicts["refused"] > 0
    assert summary.slowest is not None and summary.slowest.seconds < 30


@pytest.mark.long
def test_long_campaign(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = run_parallel(tmp_path, campaign=7, cases=10_200, workers=2)
    with capsys.disabled():
        print(f"\n{summary.line()}")
        print(describe(summary.findings, limit=20))
    assert summary.cases >= 10_000
    assert not summary.findings, describe(summary.findings)
    assert len(summary.by_mutation) >= 60  # the campaign reached (nearly) every mutation kind


# ---------------------------------------------------------------------------------------------------------
# XLSX: zip bombs, forged dimensions, damaged sheets
# ---------------------------------------------------------------------------------------------------------

MHS_SCHOOLS = spec("mae_hong_son", "schools")
MHS_STUDENTS = spec("mae_hong_son", "students")


def forbid_decompression(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, opening any zip member fails the test: a refusal must come from the directory alone."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a zip member was opened (decompression attempted)")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


def _schools_workbook(path: Path) -> bytes:
    write_excel_like_xlsx(path, MHS_SCHOOLS, {"ข้อมูล": valid_rows(MHS_SCHOOLS, 3, 1)})
    return path.read_bytes()


def test_real_zip_bomb_is_refused_before_decompressing(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = landed(tmp_path, MHS_SCHOOLS)
    deflated, crc = bomb_member(1024)  # 1 GiB of zeros in ~1 MB
    members = [RawMember(f"xl/media/image{i}.png", deflated, crc, 2**30) for i in range(4)]
    path.write_bytes(add_raw_members(_schools_workbook(path), members))
    assert path.stat().st_size < 6 * 2**20  # a few MB on disk, 4 GiB inflated
    forbid_decompression(monkeypatch)

    started = time.perf_counter()
    with pytest.raises(DeliveryError) as refused:
        read(MHS_SCHOOLS, path)
    assert time.perf_counter() - started < 2
    message = str(refused.value)
    assert "schools.xlsx" in message and "refused before decompressing" in message
    assert "zip bomb" in message and "1.0 GiB" in message  # the first member: 1 GiB at ~1000:1


def test_zip_bomb_member_is_genuine(tmp_path: Path) -> None:
    """The bomb above is a valid archive: its member really inflates (read here in bounded chunks)."""
    deflated, crc = bomb_member(16)
    member = RawMember("x.bin", deflated, crc, 16 * 2**20)
    data = add_raw_members(_schools_workbook(tmp_path / "s.xlsx"), [member])
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("x.bin") as member:
        total = sum(len(chunk) for chunk in iter(lambda: member.read(2**20), b""))
    assert total == 16 * 2**20  # and the CRC matched, or zipfile would have raised


def test_lying_directory_and_total_size_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = landed(tmp_path, MHS_SCHOOLS)
    base = _schools_workbook(path)
    deflated, crc = bomb_member(1)
    lying = add_raw_members(base, [RawMember("xl/media/a.png", deflated, crc, 0xFFFF_FFF0)])
    noise = random.Random(3).randbytes(2**20)  # incompressible: each member is modest at 1:1
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, content in [*_parts(base).items(), ("xl/media/a.bin", noise), ("xl/media/b.bin", noise)]:
            archive.writestr(name, content)
    forbid_decompression(monkeypatch)

    path.write_bytes(lying)
    with pytest.raises(DeliveryError, match=r"would inflate .*4\.0 GiB \(a zip bomb\)"):
        read(MHS_SCHOOLS, path)
    monkeypatch.setattr(readers, "MAX_XLSX_INFLATED_BYTES", 2**20)  # lowered: together over the limit
    path.write_bytes(out.getvalue())
    with pytest.raises(DeliveryError, match=r"it would inflate to 2 MiB \(limit 1 MiB\)"):
        read(MHS_SCHOOLS, path)


@pytest.mark.parametrize(("damage", "problem"), [
    (lambda d: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + d[:512], "password-protected"),
    (lambda d: d[: len(d) // 2], "not a readable XLSX workbook"),
    (lambda d: b"", "empty file"),
    (lambda d: "เลขประจำตัวประชาชน,ชื่อ\r\n".encode("cp874"), "not a readable XLSX workbook"),
])
def test_not_a_workbook_is_refused_with_its_reason(tmp_path: Path, damage, problem: str) -> None:  # noqa: ANN001
    path = landed(tmp_path, MHS_SCHOOLS)
    path.write_bytes(damage(_schools_workbook(path)))
    with pytest.raises(DeliveryError, match=problem) as refused:
        read(MHS_SCHOOLS, path)
    assert "schools.xlsx" in str(refused.value)


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist()}


def _rezipped(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def _students_workbook(path: Path) -> tuple[bytes, list[dict[str, object]]]:
    rows = valid_rows(MHS_STUDENTS, 3, 1)
    sheets = {name: (rows if agency == "obec_primary_1" else []) for agency, name in MHS_SHEETS.items()}
    write_excel_like_xlsx(path, MHS_STUDENTS, sheets)
    return path.read_bytes(), rows


def test_forged_dimension_and_far_cell_read_fast_and_whole(tmp_path: Path) -> None:
    path = landed(tmp_path, MHS_STUDENTS)
    data, rows = _students_workbook(path)
    parts = _parts(data)
    sheet = "xl/worksheets/sheet1.xml"
    forged = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', parts[sheet])
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    parts[sheet] = forged.replace(b"</sheetData>", far)
    path.write_bytes(_rezipped(parts))

    started = time.perf_counter()
    result = read(MHS_STUDENTS, path)
    assert time.perf_counter() - started < 5  # 17 billion declared cells are never materialised
    check_result(result, raw_ids=[str(r["person_id"]) for r in rows])
    assert result.rejects.empty and len(result.rows) == 3
    assert result.rows["source_row"].tolist() == [3, 4, 5]  # two header rows, data from sheet row 3


@pytest.mark.parametrize("renumber", [b'<row r="3"', b'<row r="1"'])
def test_rows_numbered_out_of_order_are_refused_not_dropped(tmp_path: Path, renumber: bytes) -> None:
    path = landed(tmp_path, MHS_STUDENTS)
    data, _ = _students_workbook(path)
    parts = _parts(data)
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b'<row r="5"', renumber, 1)  # the third student's row
    path.write_bytes(_rezipped(parts))
    with pytest.raises(DeliveryError, match=r"sheet 'สพป.แม่ฮ่องสอน เขต 1': row number \d after row 4"):
        read(MHS_STUDENTS, path)


@pytest.mark.parametrize(("prolog", "entity"), [
    (b'<!DOCTYPE s [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10) for i in range(8))
     + b"]>", b"&i;"),
    (b'<!DOCTYPE s [<!ENTITY secret SYSTEM "file:///etc/hostname">]>', b"&secret;"),
])
def test_entity_bombs_and_external_entities_are_refused(tmp_path: Path, prolog: bytes, entity: bytes) -> None:
    path = landed(tmp_path, MHS_STUDENTS)
    data, _ = _students_workbook(path)
    parts = _parts(data)
    strings = re.sub(rb"^<\?xml[^>]*\?>", b"", parts["xl/sharedStrings.xml"])
    parts["xl/sharedStrings.xml"] = prolog + strings.replace(b"<t>", b"<t>" + entity, 1)
    path.write_bytes(_rezipped(parts))
    started = time.perf_counter()
    with pytest.raises(DeliveryError, match="not a readable XLSX workbook"):
        read(MHS_STUDENTS, path)
    assert time.perf_counter() - started < 5


def test_missing_and_empty_sheets_name_the_sheet(tmp_path: Path) -> None:
    path = landed(tmp_path, MHS_STUDENTS)
    data, _ = _students_workbook(path)
    parts = _parts(data)
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace("สพม.แม่ฮ่องสอน".encode(), b"Sheet9", 1)
    path.write_bytes(_rezipped(parts))
    with pytest.raises(DeliveryError, match=r"sheet 'สพม.แม่ฮ่องสอน' \(obec_secondary\) missing"):
        read(MHS_STUDENTS, path)
    parts = _parts(data)
    parts["xl/worksheets/sheet1.xml"] = re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData/>",
                                               parts["xl/worksheets/sheet1.xml"], flags=re.S)
    path.write_bytes(_rezipped(parts))
    with pytest.raises(DeliveryError, match=r"sheet 'สพป.แม่ฮ่องสอน เขต 1' is empty"):
        read(MHS_STUDENTS, path)


def test_broken_shared_strings_are_refused(tmp_path: Path) -> None:
    path = landed(tmp_path, MHS_STUDENTS)
    data, _ = _students_workbook(path)
    parts = _parts(data)
    parts["xl/sharedStrings.xml"] = re.sub(rb"<si>.*?</si>", b"", parts["xl/sharedStrings.xml"], count=5)
    path.write_bytes(_rezipped(parts))
    with pytest.raises(DeliveryError, match="not a readable XLSX workbook"):
        read(MHS_STUDENTS, path)


# ---------------------------------------------------------------------------------------------------------
# Text formats: shifted columns, quoted line breaks, truncation, NUL, BOMs, encodings
# ---------------------------------------------------------------------------------------------------------

SATUN_STUDENTS = spec("satun", "students")
SUKHOTHAI_STUDENTS = spec("sukhothai", "students")


def _students(n: int, first: int = 1) -> list[dict[str, object]]:
    return valid_rows(SATUN_STUDENTS, n, first)


def test_first_data_line_longer_than_header_rejects_that_line_only(tmp_path: Path) -> None:
    """pandas would otherwise take the extra leading fields as an index and shift every column of every
    row."""
    rows = _students(3, first=2)  # n % 5 != 0: citizen IDs
    lines = csv_text(SATUN_STUDENTS, rows).split("\r\n")
    lines[1] += ",x,y"
    path = landed(tmp_path, SATUN_STUDENTS)
    path.write_bytes("\r\n".join(lines).encode("cp874"))

    result = read(SATUN_STUDENTS, path)

    check_result(result, raw_ids=[str(r["person_id"]) for r in rows])
    assert reasons_by_row(result) == {2: "line has 12 fields where the header has 10"}
    assert result.rows["source_row"].tolist() == [3, 4]
    assert result.rows["school_id"].tolist() == [rows[1]["school_id"], rows[2]["school_id"]]
    assert result.rows["grade"].tolist() == ["P6", "P1"]  # ป.6, ป.1: columns in place
    keys = [pseudonymiser().key_for(str(r["person_id"])) for r in rows[1:]]
    assert result.rows["student_key"].tolist() == keys


def test_quoted_line_breaks_keep_physical_line_numbers(tmp_path: Path) -> None:
    rows = _students(4, first=2)
    rows[0]["home_language"] = "มลายู\r\nไทย"  # Alt+Enter in an Excel cell: the record spans two lines
    text = csv_text(SATUN_STUDENTS, rows)
    lines = text.split("\r\n")
    assert lines[2] == 'ไทย"'  # physical line 3 is the rest of record 1
    lines[4] += ",x"  # physical line 5 (the third student) gets a field too many
    path = landed(tmp_path, SATUN_STUDENTS)
    path.write_bytes("\r\n".join(lines).encode("cp874"))

    result = read(SATUN_STUDENTS, path)

    check_result(result)
    assert result.rows["source_row"].tolist() == [2, 4, 6]
    assert result.rows["home_language"].tolist()[0] == "มลายู ไทย"  # line break cleaned to one space
    assert reasons_by_row(result) == {5: "line has 11 fields where the header has 10"}


def test_truncated_csv_rejects_the_cut_line(tmp_path: Path) -> None:
    rows = _students(3, first=2)
    text = csv_text(SATUN_STUDENTS, rows).rstrip("\r\n")
    cut = text[: text.rindex(",", 0, text.rindex(",", 0, len(text) - 30))]  # inside the last line
    path = landed(tmp_path, SATUN_STUDENTS)
    path.write_bytes(cut.encode("cp874"))
    fields_left = len(cut.rsplit("\r\n", 1)[1].split(","))
    assert fields_left < 10

    result = read(SATUN_STUDENTS, path)

    check_result(result)
    assert result.rows["source_row"].tolist() == [2, 3]
    assert reasons_by_row(result) == {
        4: f"line has {fields_left} fields where the header has 10 and the file ends there: cut short "
           "(truncated file?)"}


def test_truncated_utf8_and_jsonl_are_refused(tmp_path: Path) -> None:
    source = spec("yala", "literacy")
    path = write_jsonl(landed(tmp_path, source), source, valid_rows(source, 3, 1))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 10])  # the last JSON line cut open
    with pytest.raises(DeliveryError, match=r"literacy_screening\.jsonl: line 3 is not valid JSON"):
        read(source, path)


def test_nul_byte_deep_in_a_file_is_refused_with_its_line(tmp_path: Path) -> None:
    rows = valid_rows(SUKHOTHAI_STUDENTS, 2, 1)
    text = csv_text(SUKHOTHAI_STUDENTS, rows) + "\r\n" * 40_000 + "ab\x00c\r\n"
    path = landed(tmp_path, SUKHOTHAI_STUDENTS)
    path.write_bytes(text.encode("utf-8-sig"))
    assert path.read_bytes().index(b"\x00") > 65536
    with pytest.raises(DeliveryError, match=r"students\.csv: contains NUL bytes \(first on line 40004, byte"):
        read(SUKHOTHAI_STUDENTS, path)


def test_boms_in_the_middle_and_line_ends_change_nothing(tmp_path: Path) -> None:
    rows = valid_rows(SUKHOTHAI_STUDENTS, 3, 1)
    plain = csv_text(SUKHOTHAI_STUDENTS, rows)
    path = landed(tmp_path, SUKHOTHAI_STUDENTS)
    path.write_bytes(plain.encode("utf-8-sig"))
    expected = read(SUKHOTHAI_STUDENTS, path).rows.drop(columns=["source_sha256"])
    lines = plain.split("\r\n")
    variants = {
        "bom at line starts": "\r\n".join("\ufeff" + line for line in lines),
        "bom inside a value": plain.replace("ใจดี", "ใจ\ufeffดี").replace(",ไทย", ",ไ\ufeffทย"),
        "CR only": plain.replace("\r\n", "\r"),
        "LF only": plain.replace("\r\n", "\n"),
    }
    for name, text in variants.items():
        path.write_bytes(text.encode("utf-8-sig"))
        got = read(SUKHOTHAI_STUDENTS, path)
        assert got.rejects.empty, name
        pd.testing.assert_frame_equal(got.rows.drop(columns=["source_sha256"]), expected, obj=name)


def test_semicolon_file_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = landed(tmp_path, SUKHOTHAI_STUDENTS)
    text = csv_text(SUKHOTHAI_STUDENTS, valid_rows(SUKHOTHAI_STUDENTS, 2, 1)).replace(",", ";")
    path.write_bytes(text.encode("utf-8-sig"))
    with pytest.raises(DeliveryError, match="has no commas but semicolons"):
        read(SUKHOTHAI_STUDENTS, path)


def test_cp874_file_with_bytes_cp874_lacks_is_refused(tmp_path: Path) -> None:
    path = landed(tmp_path, SATUN_STUDENTS)
    data = csv_text(SATUN_STUDENTS, _students(2)).encode("cp874")
    path.write_bytes(data.replace("ใจดี".encode("cp874"), b"\xdb\xfc", 1))  # undefined in TIS-620
    with pytest.raises(DeliveryError, match="not decodable as cp874 or any supported encoding"):
        read(SATUN_STUDENTS, path)


def test_jsonl_nesting_separators_and_constants(tmp_path: Path) -> None:
    source = spec("yala", "literacy")
    rows = valid_rows(source, 3, 1)
    path = write_jsonl(landed(tmp_path, source), source, rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    deep = lines[1].replace("}", ', "extra": ' + "[" * 100_000 + "]" * 100_000 + "}")
    path.write_text("\n".join([lines[0], deep, lines[2]]) + "\n", encoding="utf-8")
    with pytest.raises(DeliveryError, match="line 2 nests JSON arrays or objects too deeply"):
        read(source, path)
    # U+2028 is legal unescaped inside a JSON string: the line must not be split there
    record = json.loads(lines[1]) | {"score": "NaN"}
    record["domain"] = "การ\u2028อ่าน"
    second = json.dumps(record, ensure_ascii=False).replace('"NaN"', "NaN")
    path.write_text("\n".join([lines[0], second, lines[2]]) + "\n", encoding="utf-8")
    result = read(source, path)
    check_result(result)
    assert result.rows_read == 3 and result.rows["source_row"].tolist() == [1, 3]
    assert reasons_by_row(result) == {2: "skill: unknown value 'การ อ่าน'; score: not a number 'NaN'"}


# ---------------------------------------------------------------------------------------------------------
# Cell values: digits, dates, formulas, huge values, pasted IDs
# ---------------------------------------------------------------------------------------------------------


def test_mixed_thai_and_arabic_digits_read_as_arabic(tmp_path: Path) -> None:
    rows = _students(2, first=2)
    mixed = dict(rows[0])
    pid = str(rows[0]["person_id"])
    mixed["person_id"] = pid[:6] + pid[6:].translate(THAI_DIGITS)
    mixed["school_id"] = str(rows[0]["school_id"])[:5].translate(THAI_DIGITS) + str(rows[0]["school_id"])[5:]
    mixed["birth_date"] = "๑๕/0๓/๒๕๕๕"
    path = write_csv(landed(tmp_path, SATUN_STUDENTS), SATUN_STUDENTS, [mixed, rows[1]])
    result = read(SATUN_STUDENTS, path)
    check_result(result, raw_ids=[pid, pid.translate(THAI_DIGITS)])
    assert result.rows["student_key"][0] == pseudonymiser().key_for(pid)
    assert result.rows["school_id"][0] == rows[0]["school_id"]
    assert result.rows["birth_date"][0] == pd.Timestamp(2012, 3, 15)  # 2555 BE = 2012 CE


@pytest.mark.parametrize(("value", "reason"), [
    ("31/02/2566", "birth_date: invalid date 31/02/2566"),
    ("๓๑/๐๒/๒๕๖๖", "birth_date: invalid date 31/02/2566"),
    ("29/02/2565", "birth_date: invalid date 29/02/2565"),  # 2022 CE is no leap year
    ("14/03/2012", "birth_date: Common-Era year 2012 where Buddhist Era expected"),
    ("14/03/25666", "birth_date: unparseable date '14/03/25666'"),
    ("=DATE(2012,3,14)", "birth_date: unparseable date '=DATE(2012,3,14)'"),
])
def test_impossible_dates_are_rejected_with_their_reason(tmp_path: Path, value: str, reason: str) -> None:
    rows = _students(2, first=2)
    rows[1]["birth_date"] = value
    path = write_csv(landed(tmp_path, SATUN_STUDENTS), SATUN_STUDENTS, rows)
    result = read(SATUN_STUDENTS, path)
    check_result(result)
    assert reasons_by_row(result) == {3: reason}


def test_29_february_of_a_leap_year_loads(tmp_path: Path) -> None:
    rows = _students(1, first=2)
    rows[0]["birth_date"] = "29/02/2567"  # 2024 CE
    result = read(SATUN_STUDENTS, write_csv(landed(tmp_path, SATUN_STUDENTS), SATUN_STUDENTS, rows))
    assert result.rows["birth_date"].tolist() == [pd.Timestamp(2024, 2, 29)]


def test_formulas_load_as_inert_text_or_fail_their_type(tmp_path: Path) -> None:
    source = spec("satun", "learning_spaces")
    rows = valid_rows(source, 3, 1)
    rows[0]["space_name"] = "=HYPERLINK(\"http://x.invalid\",\"คลิก\")"
    rows[1]["visitors"] = "=SUM(A1:A9)"
    rows[2]["space_name"] = "@cmd"
    result = read(source, write_csv(landed(tmp_path, source), source, rows))
    check_result(result)
    assert result.rows["space_name"].tolist() == ['=HYPERLINK("http://x.invalid","คลิก")', "@cmd"]
    assert reasons_by_row(result) == {3: "visitors: not a whole number '=SUM(A1:A9)'"}


def test_huge_values_reject_their_row_with_a_short_record(tmp_path: Path) -> None:
    source = spec("sukhothai", "protection_cases")
    rows = valid_rows(source, 3, 1)
    rows[1]["support_given"] = "ทุน" * 200_000  # 600,000 characters
    rows[2]["disadvantage_type"] = "x" * 32_767  # exactly a full Excel cell: fine
    result = read(source, write_csv(landed(tmp_path, source), source, rows))
    check_result(result)
    assert reasons_by_row(result) == {3: "support_given: value of 600,000 characters, longer than any "
                                         "spreadsheet cell"}
    assert len(result.rejects["record"][0]) < 1000
    assert result.rows["disadvantage_type"].str.len().tolist() == [len("ยากจนพิเศษ"), 32_767]


@pytest.mark.parametrize(("value", "reason"), [
    ("9" * 40, "visitors: number too large '" + "9" * 40 + "'"),
    ("9007199254740993", "visitors: number too large '9007199254740993'"),
    ("1-1017-00203-45-0", "visitors: a citizen ID or G-code where a number belongs"),
    ("1101700203450", "visitors: a citizen ID or G-code where a number belongs"),
])
def test_numbers_too_large_or_pasted_ids_never_load(tmp_path: Path, value: str, reason: str) -> None:
    source = spec("satun", "learning_spaces")
    rows = valid_rows(source, 2, 1)
    rows[1]["visitors"] = value
    result = read(source, write_csv(landed(tmp_path, source), source, rows))
    check_result(result, raw_ids=["1101700203450"])
    assert reasons_by_row(result) == {3: reason}
    assert "1101700203450" not in result.rejects["record"][0]


def test_ids_pasted_into_free_text_or_wrong_columns_are_removed(tmp_path: Path) -> None:
    rows = _students(3, first=2)
    other = citizen_id(777)
    grouped = f"{other[:1]}-{other[1:5]}-{other[5:10]}-{other[10:12]}-{other[12]}"
    rows[0]["dropout_reason"] = f"ย้ายตามพี่ เลข {grouped}"
    rows[1]["home_language"] = "G123456789012"
    rows[2]["school_id"] = str(rows[2]["person_id"])  # the ID column copied over the school column
    path = write_csv(landed(tmp_path, SATUN_STUDENTS), SATUN_STUDENTS, rows)

    result = read(SATUN_STUDENTS, path)

    check_result(result, raw_ids=[other, "G123456789012", *(str(r["person_id"]) for r in rows)])
    assert result.rows["dropout_reason"][0] == "ย้ายตามพี่ เลข [person ID removed]"
    assert result.rows["home_language"][1] == "[person ID removed]"
    assert reasons_by_row(result) == {4: "school_id: invalid school ID '[person ID removed]'"}
    assert json.loads(result.rejects["record"][0])["school_id"] == "[person ID removed]"


def test_control_characters_load_as_spaces_and_show_as_replacement_in_rejects(tmp_path: Path) -> None:
    rows = _students(2, first=2)
    rows[0]["home_language"] = "มลา\x01ยู\x1b"
    rows[1]["school_id"] = "109101\x160003"  # JSON would write \u0016: digits running into the ID's own
    path = write_csv(landed(tmp_path, SATUN_STUDENTS), SATUN_STUDENTS, rows)
    result = read(SATUN_STUDENTS, path)
    check_result(result)
    assert result.rows["home_language"].tolist() == ["มลา ยู"]
    assert reasons_by_row(result) == {3: "school_id: invalid school ID '109101 0003'"}
    assert json.loads(result.rejects["record"][0])["school_id"] == "109101\ufffd0003"


# ---------------------------------------------------------------------------------------------------------
# Hypothesis: parsing helpers
# ---------------------------------------------------------------------------------------------------------

DIGIT_PAIRS = [(str(d), str(d).translate(THAI_DIGITS)) for d in range(10)]
ARABIC_OR_THAI = st.sampled_from([c for pair in DIGIT_PAIRS for c in pair])
CONTROL = st.sampled_from([chr(c) for c in (*range(0, 32), 127, 0x85, 0xA0, 0x200B, 0xFEFF, 0x2028)])
ANY_TEXT = st.text(st.one_of(st.characters(exclude_categories=["Cs"]), CONTROL), max_size=40)


def _digits(draw: st.DrawFn, text: str) -> str:
    """The number written with each digit independently Arabic or Thai (both are met in one file)."""
    return "".join(c.translate(THAI_DIGITS) if c.isdigit() and draw(st.booleans()) else c for c in text)


@examples(200)
@given(st.lists(ANY_TEXT, min_size=1, max_size=8))
def test_clean_text_is_idempotent_trimmed_and_free_of_controls(values: list[str]) -> None:
    cleaned = clean_text_series(pd.Series(values, dtype="str"))
    again = clean_text_series(cleaned)
    pd.testing.assert_series_equal(cleaned, again)
    for text in cleaned.dropna():
        assert text == text.strip() and "  " not in text
        assert not re.search(r"[\x00-\x1f\x7f-\x9f\u200b\ufeff๐-๙]", text), repr(text)


@st.composite
def written_integers(draw: st.DrawFn) -> tuple[int, str]:
    value = draw(st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1))
    text = f"{value:,}" if draw(st.booleans()) else str(value)
    if draw(st.booleans()):
        text += ".0"
    padding = draw(st.sampled_from(["", " ", "\u00a0", "\t"]))
    return value, padding + _digits(draw, text) + padding


@examples(200)
@given(written_integers())
def test_integers_in_any_digits_parse_exactly(case: tuple[int, str]) -> None:
    value, text = case
    values, reasons = parse_int_series(pd.Series([text], dtype="str"), "n")
    assert reasons.isna().all(), reasons[0]
    assert values[0] == value


@examples(200)
@given(st.lists(ANY_TEXT, min_size=1, max_size=6))
def test_any_text_gives_a_value_or_a_reason_never_both_never_an_error(values: list[str]) -> None:
    series = pd.Series(values, dtype="str")
    present = clean_text_series(series).notna()
    for parse in (lambda s: parse_int_series(s, "n"), lambda s: parse_be_dates_series(s, "d")):
        parsed, reasons = parse(series)
        assert (parsed.notna() & reasons.notna()).sum() == 0
        assert (present == (parsed.notna() | reasons.notna())).all()


@st.composite
def written_dates(draw: st.DrawFn) -> tuple[dt.date, str]:
    day = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
    year = day.year + 543
    text = draw(st.sampled_from([f"{day.day:02d}/{day.month:02d}/{year}", f"{day.day}/{day.month}/{year}",
                                 f"{year}-{day.month:02d}-{day.day:02d}", f"{day.day}.{day.month}.{year}"]))
    return day, _digits(draw, text)


@examples(200)
@given(written_dates())
def test_buddhist_era_dates_in_any_digits_parse_to_their_day(case: tuple[dt.date, str]) -> None:
    day, text = case
    dates, reasons = parse_be_dates_series(pd.Series([text], dtype="str"), "d")
    assert reasons.isna().all(), reasons[0]
    assert dates[0].date() == day


@examples(150)
@given(st.integers(min_value=2400, max_value=2800), st.integers(1, 12), st.integers(29, 35))
def test_days_past_the_end_of_the_month_are_rejected(year: int, month: int, day: int) -> None:
    ce = year - 543
    last = (dt.date(ce + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    text = f"{day:02d}/{month:02d}/{year}"
    dates, reasons = parse_be_dates_series(pd.Series([text], dtype="str"), "d")
    if day <= last:
        assert dates[0].day == day and reasons.isna().all()
    else:
        assert pd.isna(dates[0]) and reasons[0] == f"d: invalid date {text}"


@examples(150)
@given(st.integers(min_value=1, max_value=2399), st.integers(1, 12), st.integers(1, 28))
def test_common_era_years_are_rejected_not_shifted(year: int, month: int, day: int) -> None:
    dates, reasons = parse_be_dates_series(pd.Series([f"{day}/{month}/{year:04d}"], dtype="str"), "d")
    assert pd.isna(dates[0])
    assert reasons[0] == f"d: Common-Era year {year} where Buddhist Era expected"


@examples(200)
@given(st.integers(min_value=10**11, max_value=10**12 - 1), st.integers(1, 9), st.data())
def test_citizen_ids_in_any_digits_and_a_wrong_check_digit(first12: int, shift: int,
                                                            data: st.DataObject) -> None:
    valid = make_citizen_id(str(first12))
    wrong = valid[:12] + str((int(valid[12]) + shift) % 10)
    written = data.draw(st.sampled_from([valid, valid.translate(THAI_DIGITS),
                                         f"{valid[0]}-{valid[1:5]}-{valid[5:10]}-{valid[10:12]}-{valid[12]}"]))
    kinds, reasons = classify_person_ids(pd.Series([written, wrong], dtype="str"))
    assert kinds.tolist()[0] == "citizen_id" and pd.isna(reasons[0])
    assert reasons[1] == "person_id: citizen ID fails its check digit"
    assert pseudonymiser().key_for(written) == pseudonymiser().key_for(valid)


@examples(200)
@given(st.text(st.characters(exclude_categories=["Cs", "Nd"]), max_size=30),
       st.integers(min_value=10**11, max_value=10**12 - 1), st.data())
def test_person_ids_inside_text_are_always_redacted(text: str, first12: int, data: st.DataObject) -> None:
    raw = make_citizen_id(str(first12))
    shown = data.draw(st.sampled_from([raw, raw.translate(THAI_DIGITS), "G" + raw[:12]]))
    at = data.draw(st.integers(0, len(text)))
    redacted = redact_person_ids_series(pd.Series([text[:at] + shown + text[at:], text], dtype="str"))
    assert redacted[0] == text[:at] + "[person ID removed]" + text[at:]
    assert redacted[1] == text  # text without digits is left alone


@examples(150)
@given(st.sampled_from(["K1", "K2", "K3", "P1", "P4", "P6", "M1", "M3", "M6", "V1", "V3"]), st.data())
def test_every_spelling_of_a_grade_normalises(grade: str, data: st.DataObject) -> None:
    prefixes = {"K": ["อบ.", "อ.", "อนุบาล ", "อนุบาลปีที่ "], "P": ["ป.", "ป. ", "ประถมศึกษาปีที่ ", "ชั้นป."],
                "M": ["ม.", "ม ", "มัธยมศึกษาปีที่ "], "V": ["ปวช.", "ปวช. "]}[grade[0]]
    label = data.draw(st.sampled_from(prefixes)) + _digits(data.draw, grade[1])
    spaced = data.draw(st.sampled_from(["", " ", "\u00a0"])) + label + data.draw(st.sampled_from(["", " "]))
    assert normalise_grade(spaced) == grade


# ---------------------------------------------------------------------------------------------------------
# Hypothesis: small generated deliveries
# ---------------------------------------------------------------------------------------------------------

GENERATED_SOURCES = [
    spec("satun", "students"), spec("sukhothai", "protection_cases"), spec("yala", "literacy"),
    spec("mae_hong_son", "students"), spec("yala", "learning_spaces"),
]
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def cell_texts(encoding: str) -> st.SearchStrategy[str]:
    """Cell text as deliveries bring it: any characters the file's encoding can hold, digits of both
    kinds, whitespace and control characters, formula-like text, impossible dates, CE years."""
    chars = st.characters(codec="cp874", exclude_characters="\x00") if encoding == "cp874" else \
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
    numbers = st.from_regex(r"[0-9๐-๙]{1,4}([.,][0-9๐-๙]{1,3})?", fullmatch=True)
    dates = st.from_regex(r"[0-9๐-๙]{1,2}/[0-9๐-๙]{1,2}/(25|19|20)[0-9๐-๙]{2}", fullmatch=True)
    return st.one_of(st.text(chars, max_size=25), numbers, dates, st.sampled_from(BAD_DATES),
                     st.sampled_from(FORMULAS), st.sampled_from(HOSTILE_TEXTS),
                     st.text(st.sampled_from([" ", "\t", "\r", "\n", "\u00a0", "\u200b", "\x01", "\x1f"]),
                             max_size=4))


Generated = tuple[SourceFile, list[dict[str, object]], set[int], list[str]]
"""(source, rows as delivered, indexes of changed rows, the rows' person IDs before any change)."""


@st.composite
def generated_delivery(draw: st.DrawFn) -> Generated:
    """Valid rows of one province format with some cells replaced by generated text."""
    source = draw(st.sampled_from(GENERATED_SOURCES))
    rows = valid_rows(source, draw(st.integers(1, 6)), draw(st.integers(1, 500)) * 10 + 1)
    original_ids = [str(r["person_id"]) for r in rows if "person_id" in r]
    changed: set[int] = set()
    fields = [f for f in rows[0] if f not in ("first_name", "last_name")]
    for _ in range(draw(st.integers(0, 6))):
        r = draw(st.integers(0, len(rows) - 1))
        text = draw(cell_texts(source.encoding))
        if source.format == "xlsx":
            text = _XML_ILLEGAL.sub("", text)
        rows[r][draw(st.sampled_from(fields))] = text
        changed.add(r)
    return source, rows, changed, original_ids


def _first_lines(source: SourceFile, rows: list[dict[str, object]]) -> list[int]:
    """Where each row starts in the file: a CSV value holding line breaks makes its record span lines."""
    if source.format != "csv":
        return [(3 if source.format == "xlsx" else 1) + i for i in range(len(rows))]
    starts, line = [], 2
    for row in rows:
        starts.append(line)
        line += 1 + sum(len(re.findall(r"\r\n|\r|\n", str(v))) for v in row.values() if v is not None)
    return starts


def _write_generated(path: Path, source: SourceFile, rows: list[dict[str, object]]) -> None:
    if source.format == "jsonl":
        write_jsonl(path, source, rows)
    elif source.format == "xlsx":
        sheets = {name: (rows if agency == "onie" else []) for agency, name in MHS_SHEETS.items()}
        write_xlsx(path, source, sheets)
    else:
        path.write_bytes(csv_text(source, rows).encode(source.encoding, errors="replace"))


@pytest.fixture(scope="module")
def generated_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("generated")


def _check_generated(root: Path, case: Generated) -> None:
    source, rows, changed, original_ids = case
    path = landed(root, source)
    _write_generated(path, source, rows)
    result = read(source, path)
    check_result(result, raw_ids=original_ids)
    assert result.rows_read == len(rows)  # no row lost, whatever its cells hold
    assert (result.rejects["reason"].str.len() > 0).all()
    reasons = reasons_by_row(result)
    starts = _first_lines(source, rows)
    for i in set(range(len(rows))) - changed:  # untouched rows load, unless a changed row now repeats them
        reason = reasons.get(starts[i], "")
        assert not reason or reason.startswith("duplicate of row"), (i, reason)
        assert reason or starts[i] in set(result.rows["source_row"]), (i, starts[i])


@examples(60)
@given(generated_delivery())
def test_generated_deliveries_load_every_row(generated_root: Path, case: Generated) -> None:
    _check_generated(generated_root, case)


@pytest.mark.long
@examples(1500)
@given(generated_delivery())
def test_generated_deliveries_load_every_row_long(generated_root: Path, case: Generated) -> None:
    _check_generated(generated_root, case)
