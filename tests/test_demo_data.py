"""The demo-delivery generator: determinism, the landing contract, readability by the adapters, the injected
mess against what the adapters reject, and the realism the monitors rely on (flows, G-codes, school counts).

Generation runs once per session per configuration (small scale, two years): a messy landing (5 % mess) and
a clean one (no mess), each read once by the adapters.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import stat
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from assets.checks.validation import validate_delivery
from assets.contract.entities import GRADES, NATIONAL, PROVINCES
from assets.contract.landing import MHS_HEADER_GROUPS, MHS_SHEETS, SOURCE_FILES, THAI_HEADERS
from assets.parsing.ids import is_valid_g_code, make_citizen_id
from assets.sources import discover_deliveries, read_delivery
from assets.sources.base import AdapterResult
from pipelines.demo_data import DEFAULT_SCALE, DemoSummary, generate_landing
from pipelines.demo_data.config import AFF_OBEC, MALAY
from pipelines.demo_data.generate import national_part
from pipelines.demo_data.identities import check_digits, citizen_ids, g_codes
from pipelines.demo_data.mess import BENIGN_KINDS, REJECTED_KINDS
from pipelines.demo_data.render import csv_lines, json_lines
from pipelines.demo_data.simulation import SMALL_SCHOOL_MAX, ProvinceSimulation
from pipelines.demo_data.xlsx import Sheet, write_workbook
from pipelines.settings import shared_data_dir
from tests.fixtures.deliveries.builders import pseudonymiser

SCALE = 0.05
YEARS = (2565, 2566)
RATE = 0.05
SEED = 11
REGISTRY = shared_data_dir() / "reference" / "obec_schools_4provinces_2022-09.csv"
README_OBEC_COUNTS = {"mae_hong_son": 319, "sukhothai": 323, "satun": 171, "yala": 223}
"""OBEC schools per province in the September 2022 registry, as /work/shared/data/README.md states them."""

# How the adapters word the rejection each rejected kind must cause.
REJECT_WORDING = {
    "duplicate_row": ("duplicate of row",),
    "bad_check_digit": ("citizen ID fails its check digit",),
    "common_era_year": ("Common-Era year",),
    "blank_required": ("required value missing", "person_id: missing"),
    "subtotal_mismatch": ("subtotal ",),
}


@dataclass
class Landing:
    root: Path
    summary: DemoSummary
    results: dict[str, AdapterResult]
    """Relative path → what the adapter read."""

    def rows(self, province: str, entity: str, year: int) -> pd.DataFrame:
        """The typed rows of the province's files, text as "string" (adapters may give categoricals)."""
        parts = [r.rows for key, r in self.results.items()
                 if key.startswith(f"{province}/{year}/") and r.entity == entity]
        rows = pd.concat(parts, ignore_index=True)
        return rows.astype({c: "string" for c, t in rows.dtypes.items() if t in ("category", "object")})


def read_landing(root: Path, summary: DemoSummary) -> Landing:
    results = {}
    for province in (*PROVINCES, NATIONAL):
        for year in summary.years:
            for source, path, agency in discover_deliveries(root, province, year):
                results[path.relative_to(root).as_posix()] = read_delivery(
                    source, path, province=province, academic_year=year, pseudonymiser=pseudonymiser(),
                    agency=agency)
    return Landing(root, summary, results)


@pytest.fixture(scope="session")
def messy(tmp_path_factory: pytest.TempPathFactory) -> Landing:
    root = tmp_path_factory.mktemp("demo_messy") / "landing"
    summary = generate_landing(root, seed=SEED, scale=SCALE, years=YEARS, error_rate=RATE)
    return read_landing(root, summary)


@pytest.fixture(scope="session")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Landing:
    root = tmp_path_factory.mktemp("demo_clean") / "landing"
    summary = generate_landing(root, seed=SEED, scale=SCALE, years=YEARS, error_rate=0.0)
    return read_landing(root, summary)


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- determinism and the contract ------------------------------------------------------------------

def test_same_arguments_give_byte_identical_files(messy: Landing, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_landing(again, seed=SEED, scale=SCALE, years=YEARS, error_rate=RATE)
    first, second = files_under(messy.root), files_under(again)
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert different == []
    other_seed = tmp_path / "other_seed"
    generate_landing(other_seed, seed=SEED + 1, scale=SCALE, years=YEARS[:1], error_rate=RATE)
    students = f"satun/{YEARS[0]}/students.csv"
    assert (other_seed / students).read_bytes() != first[students]


def _in_two_processes(function: Callable[..., DemoSummary],
                      calls: list[tuple[object, ...]]) -> list[DemoSummary]:
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(function, *zip(*calls, strict=True)))


def test_provinces_generated_in_parallel_give_the_same_files_and_summary(messy: Landing,
                                                                        tmp_path: Path) -> None:
    """`edusandbox run` generates the provinces in its worker processes; the national files are joined from
    their parts in the fixed province order, so the files are those of a generation in one process. A part
    left behind by an interrupted generation is replaced, not joined."""
    parallel = tmp_path / "parallel"
    stale = national_part(parallel / NATIONAL / str(YEARS[0]) / "nt_onet_results.csv", "yala")
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left by an interrupted generation\n")
    summary = generate_landing(parallel, seed=SEED, scale=SCALE, years=YEARS, error_rate=RATE,
                               run_all=_in_two_processes)
    first, second = files_under(messy.root), files_under(parallel)
    assert sorted(second) == sorted(first)  # no part file left
    assert [name for name in first if first[name] != second[name]] == []
    for name in ("files_written", "rows", "injected", "expected_rejects", "out_of_scope", "students",
                 "schools", "small_school_share", "notes"):
        ours, theirs = getattr(summary, name), getattr(messy.summary, name)
        if name == "files_written":
            ours, theirs = [summary.relative(p) for p in ours], [messy.summary.relative(p) for p in theirs]
        assert ours == theirs, name
        assert list(ours) == list(theirs), name  # the same order too (the run prints and reports them)


def test_every_contract_file_is_written_for_every_province_and_year(messy: Landing) -> None:
    expected = {f"{s.province}/{year}/{name}"
                for s in SOURCE_FILES for year in YEARS for name in s.file_names()}
    on_disk = set(files_under(messy.root))
    assert on_disk == expected
    assert {messy.summary.relative(p) for p in messy.summary.files_written} == expected
    assert set(messy.results) == expected  # discover_deliveries finds every one of them


def test_every_file_reads_with_its_rows_accounted_for(messy: Landing) -> None:
    for key, result in messy.results.items():
        assert result.rows_read == len(result.rows) + len(result.rejects), key
        assert result.rows_read == messy.summary.rows[key], key
        assert len(result.rows) > 0, key


def test_clean_generation_is_read_without_a_single_reject(clean: Landing) -> None:
    rejected = {key: r.rejects["reason"].head(3).tolist()
                for key, r in clean.results.items() if len(r.rejects)}
    assert rejected == {}
    assert all(count == 0 for kinds in clean.summary.injected.values() for count in kinds.values())
    assert sum(clean.summary.expected_rejects.values()) == 0


def test_clean_files_pass_their_validation_suites(clean: Landing) -> None:
    """The contract's GX suites (baseline plus province additions) accept every row of a clean year."""
    failing = {}
    for key, result in clean.results.items():
        province, year, _ = key.split("/")
        if int(year) != YEARS[-1]:
            continue
        outcome = validate_delivery(result.entity, province, result.rows)
        if outcome.blocking_failures or len(outcome.quarantined):
            failing[key] = outcome.blocking_failures[:1] or outcome.quarantined["reason"].head(2).tolist()
    assert failing == {}


# --- injected mess ---------------------------------------------------------------------------------

def test_adapters_reject_exactly_the_injected_mess(messy: Landing) -> None:
    for key, result in messy.results.items():
        injected = messy.summary.injected[key]
        assert len(result.rejects) == messy.summary.expected_rejects[key], (key, injected)
        reasons = result.rejects["reason"].tolist()
        for kind, wording in REJECT_WORDING.items():
            if kind not in injected:
                continue
            matching = sum(any(w in reason for w in wording) for reason in reasons)
            rows_per_injection = 18 if kind == "subtotal_mismatch" else 1  # a bad subtotal rejects the school
            assert matching == injected[kind] * rows_per_injection, (key, kind)


def test_rejected_share_is_the_requested_rate(messy: Landing) -> None:
    rejected = sum(len(r.rejects) for r in messy.results.values())
    read = sum(r.rows_read for r in messy.results.values())
    # rate × rows rejected, over rows that now include the duplicate copies: rate / (1 + rate / 4) ≈ 0.049
    assert rejected / read == pytest.approx(RATE, abs=0.003)
    for key, result in messy.results.items():
        if result.rows_read >= 2000:
            assert len(result.rejects) / result.rows_read == pytest.approx(RATE, abs=0.01), key


def test_every_kind_of_mess_is_injected_somewhere(messy: Landing) -> None:
    totals = {kind: sum(kinds.get(kind, 0) for kinds in messy.summary.injected.values())
              for kind in (*REJECTED_KINDS, *BENIGN_KINDS)}
    assert all(total > 0 for total in totals.values()), totals


def test_benign_mess_is_in_the_files_and_parses(messy: Landing, clean: Landing) -> None:
    emis = f"yala/{YEARS[0]}/emis_enrolment.csv"
    messy_text = (messy.root / emis).read_text(encoding="utf-8")
    clean_text = (clean.root / emis).read_text(encoding="utf-8")
    short_label = ",อ.1,"
    assert short_label not in clean_text and short_label in messy_text
    assert any(c in messy_text for c in "๐๑๒๓๔๕๖๗๘๙")
    assert " ," in messy_text or "\u00a0," in messy_text or "  " in messy_text
    # Parsed, the benign cells give the same grades and counts as the clean file.
    clean_rows = clean.results[emis].rows
    messy_rows = messy.results[emis].rows
    kept = messy_rows["school_id"].isin(clean_rows["school_id"])
    columns = ["school_id", "grade", "male", "female", "total", "classrooms"]
    merged = messy_rows.loc[kept, columns].merge(clean_rows[columns], on=["school_id", "grade"],
                                                  suffixes=("", "_clean"))
    assert len(merged) == kept.sum()
    for measure in ("male", "female", "total", "classrooms"):
        assert (merged[measure] == merged[f"{measure}_clean"]).all()


# --- formats ---------------------------------------------------------------------------------------

def test_each_province_writes_its_own_format(clean: Landing) -> None:
    year = YEARS[0]
    satun = (clean.root / f"satun/{year}/students.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        satun.decode("utf-8")
    assert satun.decode("cp874").splitlines()[0].split(",")[0] == THAI_HEADERS["person_id"]
    assert (clean.root / f"sukhothai/{year}/students.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    lines = (clean.root / f"yala/{year}/students_opec.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert {"cid", "class", "dob"} <= set(first) and first["dob"][:2] == "25"  # BE ISO date
    nt_onet = (clean.root / f"national/{year}/nt_onet_results.csv").read_bytes()
    assert nt_onet.decode("cp874").startswith(THAI_HEADERS["person_id"])
    emis = (clean.root / f"mae_hong_son/{year}/emis_enrolment.csv").read_text(encoding="utf-8")
    assert emis.splitlines()[0] == "school_id,ชั้น/เพศ,ชาย,หญิง,รวม,ห้องเรียน"


def test_mae_hong_son_workbook_has_agency_sheets_and_two_header_rows(messy: Landing) -> None:
    workbook = openpyxl.load_workbook(messy.root / f"mae_hong_son/{YEARS[0]}/students.xlsx")
    assert workbook.sheetnames == list(MHS_SHEETS.values())
    sheet = workbook[MHS_SHEETS["obec_primary_1"]]
    groups = MHS_HEADER_GROUPS["students"]
    assert sorted(str(r) for r in sheet.merged_cells.ranges) == ["A1:C1", "D1:G1", "H1:J1"]
    assert [c.value for c in sheet[1] if c.value] == list(groups)
    assert [c.value for c in sheet[2]] == [THAI_HEADERS[f] for fields in groups.values() for f in fields]
    ids = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert all(isinstance(v, str) for v in ids if v is not None)  # IDs stay text, never numbers
    assert any(v and v[0] in "๐๑๒๓๔๕๖๗๘๙" for v in ids)  # typed with Thai digits now and then
    assert workbook.properties.created.year == YEARS[0] - 543 + 1


def test_national_files_carry_other_provinces_out_of_scope(messy: Landing) -> None:
    for source in (s for s in SOURCE_FILES if s.province == NATIONAL):
        key = f"{NATIONAL}/{YEARS[0]}/{source.file_name}"
        text = (messy.root / key).read_bytes().decode(source.encoding)
        data_lines = len(text.splitlines()) - 1
        assert messy.summary.out_of_scope[key] > 0
        assert data_lines == messy.summary.rows[key] + messy.summary.out_of_scope[key]
        assert messy.results[key].rows_read == messy.summary.rows[key]


def test_names_are_delivered_but_never_loaded(messy: Landing) -> None:
    with (messy.root / f"satun/{YEARS[0]}/students.csv").open(encoding="cp874", newline="") as handle:
        header = next(csv.reader(handle))
    assert THAI_HEADERS["first_name"] in header and THAI_HEADERS["last_name"] in header
    result = messy.results[f"satun/{YEARS[0]}/students.csv"]
    assert not {"first_name", "last_name"} & set(result.rows.columns)


# --- realism ---------------------------------------------------------------------------------------

def test_g_code_share_is_highest_in_mae_hong_son(clean: Landing) -> None:
    share = {p: (clean.rows(p, "students", YEARS[0])["id_kind"] == "g_code").mean() for p in PROVINCES}
    others = [share[p] for p in PROVINCES if p != "mae_hong_son"]
    assert share["mae_hong_son"] > 0.2
    assert share["mae_hong_son"] > 5 * max(others)


def test_malay_is_spoken_at_home_in_yala_and_satun_only(clean: Landing) -> None:
    share = {p: (clean.rows(p, "students", YEARS[0])["home_language"] == MALAY).mean() for p in PROVINCES}
    assert share["yala"] > 0.5 and share["satun"] > 0.1
    assert share["mae_hong_son"] == 0 and share["sukhothai"] == 0


def following(students: pd.DataFrame, next_year: pd.DataFrame) -> pd.DataFrame:
    """The students found next year (same student_key), next year's columns suffixed '_next'."""
    return students.merge(next_year, left_index=True, right_index=True, suffixes=("", "_next"))


def test_students_keep_their_id_and_move_on_consistently(clean: Landing) -> None:
    first, second = YEARS
    for province in PROVINCES:
        before = clean.rows(province, "students", first).set_index("student_key")
        after = clean.rows(province, "students", second).set_index("student_key")
        grade = {g: i for i, g in enumerate(GRADES)}
        assert after.index.isin(before.index).mean() > 0.8, province  # one new intake cohort a year
        dropped = before.index[before["status"] == "dropped_out"]
        assert len(dropped) > 0 and not after.index.isin(dropped).any(), province
        promoted = before[before["status"] == "promoted"]
        found = following(promoted, after)
        assert len(found) / len(promoted) > 0.98, province
        assert (found["grade_next"].map(grade) == found["grade"].map(grade) + 1).all(), province
        assert (found["school_id_next"] == found["school_id"]).all(), province
        repeated = following(before[before["status"] == "repeated"], after)
        assert (repeated["grade_next"] == repeated["grade"]).all(), province
        moved = following(before[before["status"] == "transferred_out"], after)
        assert len(moved) > 0 and (moved["school_id_next"] != moved["school_id"]).all(), province


def test_emis_counts_agree_with_the_roster(clean: Landing) -> None:
    for province in PROVINCES:
        roster = clean.rows(province, "students", YEARS[0])
        roster = roster[roster["school_id"].str[:2] == AFF_OBEC]
        counted = roster.groupby(["school_id", "grade", "sex"]).size()
        emis = clean.rows(province, "enrolment_counts", YEARS[0]).set_index(["school_id", "grade"])
        emis = pd.concat({"M": emis["male"], "F": emis["female"]}, names=["sex"]).reorder_levels(
            ["school_id", "grade", "sex"])
        both = pd.concat({"emis": emis, "roster": counted}, axis=1).fillna(0)
        assert (both["emis"] <= both["roster"]).all(), province  # 10 June: a few leavers already gone
        assert both["emis"].sum() >= 0.99 * both["roster"].sum(), province


def test_obec_school_counts_match_the_registry(clean: Landing) -> None:
    if not REGISTRY.exists():
        pytest.skip(f"reference data absent ({REGISTRY}): the registry comparison needs ../shared/data")
    registry = pd.read_csv(REGISTRY, dtype=str)
    for province, code in PROVINCES.items():
        schools = clean.rows(province, "schools", YEARS[0])
        obec = schools[schools["affiliation"] == AFF_OBEC]
        real = registry[registry["school_id_10"].str[2:4] == code]
        assert len(obec) == len(real) == README_OBEC_COUNTS[province]
        assert set(obec["school_id"]) == set(real["school_id_10"])
        assert schools["district_code"].str[:2].eq(code).all()


def test_default_scale_gives_many_but_not_all_small_schools() -> None:
    for province in PROVINCES:
        simulation = ProvinceSimulation(province, seed=2566, scale=DEFAULT_SCALE, years=(2566,))
        year = next(simulation.run())
        obec = simulation.schools.frame["affiliation"].to_numpy() == AFF_OBEC
        small = (year.students_per_school()[obec] <= SMALL_SCHOOL_MAX).mean()
        assert 0.4 <= small <= 0.9, (province, small)


def test_without_reference_data_obec_schools_are_synthetic_in_real_numbers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDUSANDBOX_SHARED_DATA", str(tmp_path / "absent"))
    summary = generate_landing(tmp_path / "landing", seed=SEED, scale=0.01, years=(2566,), error_rate=0.0)
    assert {p: kinds[AFF_OBEC] for p, kinds in summary.schools.items()} == README_OBEC_COUNTS
    assert any("registry not found" in note for note in summary.notes)


def test_generation_makes_sure_a_pseudonym_key_exists(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "config" / "pseudonym.key"
    monkeypatch.delenv("EDUSANDBOX_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("EDUSANDBOX_PSEUDONYM_KEY_FILE", str(key_file))
    generate_landing(tmp_path / "landing", seed=SEED, scale=0.01, years=(2566,), error_rate=0.0)
    assert len(bytes.fromhex(key_file.read_text().strip())) == 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_years_must_be_consecutive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="consecutive"):
        generate_landing(tmp_path, years=(2564, 2566))
    with pytest.raises(ValueError, match="error_rate"):
        generate_landing(tmp_path, error_rate=0.9)


# --- building blocks -------------------------------------------------------------------------------

def test_vectorised_ids_follow_the_parsing_helpers() -> None:
    rng = np.random.default_rng(3)
    first12 = rng.integers(10**11, 10**12, 500)
    expected = [int(make_citizen_id(str(n))[12]) for n in first12]
    assert check_digits(first12).tolist() == expected
    ids = citizen_ids(np.arange(1000), np.full(1000, 9501))
    assert len(set(ids)) == 1000
    assert all(make_citizen_id(i[:12]) == i and i.startswith("19501") for i in ids)
    assert all(is_valid_g_code(g) and g.startswith("G58") for g in g_codes(np.arange(100), "58"))


def test_text_renderers_round_trip_awkward_values() -> None:
    frame = pd.DataFrame({"a": pd.Series(['say "hi", ok', "ไทย ๑", None, "x\\y"], dtype=object),
                          "b": pd.Series([1, 2.5, True, None], dtype=object)})
    rows = list(csv.reader("".join(csv_lines(frame, "\r\n")).splitlines()))
    assert rows == [['say "hi", ok', "1"], ["ไทย ๑", "2.5"], ["", "True"], ["x\\y", ""]]
    parsed = [json.loads(line) for line in "".join(json_lines(frame, ["k", "v"])).splitlines()]
    assert parsed == [{"k": 'say "hi", ok', "v": 1}, {"k": "ไทย ๑", "v": 2.5}, {"k": None, "v": True},
                      {"k": "x\\y", "v": None}]


def test_streamed_workbook_reads_back_cell_for_cell(tmp_path: Path) -> None:
    values = [["<tag> & co", " padded ", 7, 2.25, None, True], ["๑๒๓", "plain", 0, -1.5, "last", False]]
    frame = pd.DataFrame(values, dtype=object)

    def headers(workbook: object, sheet: object) -> int:
        sheet.write_string(0, 0, "หัว")  # type: ignore[attr-defined]
        return 1

    path = tmp_path / "book.xlsx"
    write_workbook(path, [Sheet("หนึ่ง", headers, frame), Sheet("empty", headers, frame.iloc[:0])],
                   {"created": pd.Timestamp("2024-03-31").to_pydatetime()})
    for read_only in (True, False):
        book = openpyxl.load_workbook(path, read_only=read_only)
        rows = [list(r) for r in book["หนึ่ง"].iter_rows(values_only=True)]
        assert rows[0][0] == "หัว"
        assert rows[1:] == values
        assert [list(r) for r in book["empty"].iter_rows(values_only=True)] == [["หัว"]]
        book.close()


# --- scale -----------------------------------------------------------------------------------------

@pytest.mark.long
def test_a_larger_year_is_written_vectorised_and_reads(tmp_path: Path) -> None:
    started = time.perf_counter()
    summary = generate_landing(tmp_path, seed=SEED, scale=3.0, years=(2566,), error_rate=0.01)
    assert time.perf_counter() - started < 300
    assert sum(summary.students[p][2566] for p in PROVINCES) > 800_000
    landing = read_landing(tmp_path, summary)
    for key, result in landing.results.items():
        assert len(result.rejects) == summary.expected_rejects[key], key
