"""generate_landing: the whole demo landing zone, written province by province and year by year.

Each province is generated on its own (`generate_province`), so provinces can be written in parallel
processes: its own files, and its chunk of each national file (followed by a few rows of a neighbouring
province) in a part file beside it. `join_provinces` then writes each national file as its header and the
parts in the fixed PROVINCE_ORDER, so the files are the same whatever ran in parallel. Only one
province-year is in memory per process at a time (plus that province's schools and the cohort carried to
the next year).
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from assets.contract.entities import NATIONAL
from assets.contract.landing import SOURCE_FILES, SourceFile, source_files
from assets.parsing.pseudonym import load_pseudonym_key
from assets.sources.national import province_code_field
from pipelines.demo_data.config import AFF_OBEC, PROVINCE_ORDER
from pipelines.demo_data.formatting import BE_OFFSET, STYLES
from pipelines.demo_data.mess import Spoiled, field_roles, inject, inject_emis, thai_digit_habit
from pipelines.demo_data.national import NATIONAL_BUILDERS, other_province_rows
from pipelines.demo_data.schools import REGISTRY_FILE
from pipelines.demo_data.simulation import (
    MESS_STREAM,
    SMALL_SCHOOL_MAX,
    ProvinceSimulation,
    YearState,
    check_years,
    province_number,
    stream,
)
from pipelines.demo_data.tables import AGENCY, BUILDERS, EMIS_GRADE_ROWS_PER_SCHOOL, emis_table
from pipelines.demo_data.writers import write_csv, write_delimited, write_jsonl, write_xlsx
from pipelines.demo_defaults import DEFAULT_ERROR_RATE, DEFAULT_SCALE, DEFAULT_YEARS, DEMO_SEED
from pipelines.settings import shared_data_dir

MAX_ERROR_RATE = 0.4
"""Rejected and benign mess take rate × rows each, on different rows."""


@dataclass
class DemoSummary:
    """What was written. Paths in the dictionaries are relative to `out`, with '/' separators."""

    out: Path
    seed: int
    scale: float
    years: tuple[int, ...]
    error_rate: float
    files_written: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    """Records per file as the adapters count them: EMIS grade rows (not subtotals), national rows of the
    four provinces (not the out-of-scope ones), duplicates included."""
    injected: dict[str, dict[str, int]] = field(default_factory=dict)
    """File → mess kind (mess.REJECTED_KINDS, mess.BENIGN_KINDS) → injections."""
    expected_rejects: dict[str, int] = field(default_factory=dict)
    """File → rows the adapter must reject (one per rejected injection; an EMIS subtotal mismatch rejects
    all grade rows of its school)."""
    out_of_scope: dict[str, int] = field(default_factory=dict)
    """National file → rows of other provinces (neither read nor rejected by the national adapter)."""
    students: dict[str, dict[int, int]] = field(default_factory=dict)
    """Province → academic year → students on the roster."""
    schools: dict[str, dict[str, int]] = field(default_factory=dict)
    """Province → affiliation code → schools."""
    small_school_share: dict[str, float] = field(default_factory=dict)
    """Province → share of OBEC schools with at most 120 students in the first year."""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def relative(self, path: Path) -> str:
        return path.relative_to(self.out).as_posix()

    def wrote(self, path: Path) -> None:
        if path not in self.files_written:
            self.files_written.append(path)

    def record(self, path: Path, rows: int, spoiled: Spoiled) -> None:
        key = self.relative(path)
        self.rows[key] = self.rows.get(key, 0) + rows
        kinds = self.injected.setdefault(key, {})
        for kind, count in spoiled.injected.items():
            kinds[kind] = kinds.get(kind, 0) + count
        self.expected_rejects[key] = self.expected_rejects.get(key, 0) + spoiled.expected_rejects


def _file_number(source: SourceFile, agency_index: int = 0) -> int:
    return SOURCE_FILES.index(source) * 8 + agency_index


def _delivered_on(year_be: int) -> dt.datetime:
    """Deliveries are made at the end of the academic year (31 March of its second calendar year)."""
    return dt.datetime(year_be - BE_OFFSET + 1, 3, 31, 9, 0, 0)


@dataclass
class _Run:
    """One generation: where it writes, how much mess, and what it has written so far."""

    out: Path
    error_rate: float
    summary: DemoSummary

    def mess_rng(self, state: YearState, source: SourceFile, agency_index: int = 0) -> np.random.Generator:
        """Each file's own stream: its mess does not depend on the files written before it."""
        return stream(state.seed, province_number(state.province), MESS_STREAM, state.year_be,
                      _file_number(source, agency_index))

    def path(self, state: YearState, name: str, province: str | None = None) -> Path:
        return self.out / (province or state.province) / str(state.year_be) / name


def _write(path: Path, source: SourceFile, frame: pd.DataFrame, year_be: int) -> None:
    if source.format == "jsonl":
        write_jsonl(path, frame, source.headers)
    elif source.format == "xlsx":
        write_xlsx(path, source, frame, _delivered_on(year_be))
    else:
        write_delimited(path, source, frame)


def _province_file(run: _Run, state: YearState, source: SourceFile, frame: pd.DataFrame,
                   agency_index: int = 0) -> None:
    """One delivered file: the province's habits, then the mess, then the format."""
    style = STYLES[state.province]
    rng = run.mess_rng(state, source, agency_index)
    roles = field_roles(source)
    if source.format == "xlsx" and style.thai_digit_share:
        frame = thai_digit_habit(frame, roles.digits, style.thai_digit_share, rng)
    spoiled = inject(frame, roles, style, rng, run.error_rate)
    path = run.path(state, source.file_names()[agency_index])
    _write(path, source, spoiled.frame, state.year_be)
    run.summary.wrote(path)
    run.summary.record(path, len(spoiled.frame), spoiled)


def _emis_file(run: _Run, state: YearState, source: SourceFile) -> None:
    spoiled = inject_emis(emis_table(state), run.mess_rng(state, source), run.error_rate)
    path = run.path(state, source.file_name)
    write_delimited(path, source, spoiled.frame)
    run.summary.wrote(path)
    schools = spoiled.frame["school_id"].nunique()
    run.summary.record(path, schools * EMIS_GRADE_ROWS_PER_SCHOOL, spoiled)


def write_province_year(run: _Run, state: YearState) -> None:
    """Every contract file of one province and year (one file per agency where the contract says so)."""
    run.path(state, "").mkdir(parents=True, exist_ok=True)
    style = STYLES[state.province]
    for source in source_files(state.province):
        if source.format == "emis_csv":
            _emis_file(run, state, source)
            continue
        frame = BUILDERS[source.entity](state, style)
        if "{agency}" not in source.file_name:
            _province_file(run, state, source, frame)
            continue
        agency = frame[AGENCY].to_numpy(dtype=object)
        for index, name in enumerate(source.agencies):
            part = frame[agency == name].reset_index(drop=True)
            if part.empty:  # an empty JSON Lines file would not be a readable delivery
                run.summary.notes.append(f"{state.province}/{state.year_be}/{source.file_names()[index]}: "
                                         "no rows, not written")
                continue
            _province_file(run, state, source, part, index)


PART_SUFFIX = ".part"
GENERATION_ORDER = ("mae_hong_son", "yala", "sukhothai", "satun")
"""Longest first (alone, at the default scale: 2.4, 2.6, 1.0 and 0.9 s; Mae Hong Son writes workbooks), so
that two worker processes finish together. Any order writes the same files."""


def national_part(path: Path, province: str) -> Path:
    """Where a province's chunk of the national file `path` waits to be joined."""
    return path.with_name(f"{path.name}.{province}{PART_SUFFIX}")


class NationalChunks:
    """One province's chunks of the national CSVs, one part file per year and file; counted under the
    national file's own name."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.sources = source_files(NATIONAL)

    def append(self, state: YearState) -> None:
        """The province's chunk (with its mess), then a few rows of a neighbouring province."""
        style = STYLES[NATIONAL]
        (self.run.out / NATIONAL / str(state.year_be)).mkdir(parents=True, exist_ok=True)
        summary = self.run.summary
        for source in self.sources:
            frame = NATIONAL_BUILDERS[source.entity](state, style)
            scope_field, _ = province_code_field(source.entity)
            roles = field_roles(source, protected=(scope_field,))
            spoiled = inject(frame, roles, style, self.run.mess_rng(state, source), self.run.error_rate)
            others = other_province_rows(source.entity, state, style)
            path = self.run.path(state, source.file_name, province=NATIONAL)
            part = national_part(path, state.province)
            part.unlink(missing_ok=True)  # a part left by an interrupted generation
            write_csv(part, pd.concat([spoiled.frame, others], ignore_index=True), source.headers,
                      source.encoding, append=True)
            summary.record(path, len(spoiled.frame), spoiled)
            key = summary.relative(path)
            summary.out_of_scope[key] = summary.out_of_scope.get(key, 0) + len(others)


def _describe_province(summary: DemoSummary, simulation: ProvinceSimulation, first: YearState) -> None:
    frame = simulation.schools.frame
    summary.schools[simulation.province] = {
        str(k): int(v) for k, v in frame["affiliation"].value_counts().sort_index().items()}
    obec = frame["affiliation"].to_numpy() == AFF_OBEC
    sizes = first.students_per_school()[obec]
    summary.small_school_share[simulation.province] = float(np.mean(sizes <= SMALL_SCHOOL_MAX))


def _check_arguments(scale: float, error_rate: float) -> None:
    if not scale > 0:
        raise ValueError(f"scale must be positive; got {scale}")
    if not 0 <= error_rate <= MAX_ERROR_RATE:
        raise ValueError(f"error_rate must be between 0 and {MAX_ERROR_RATE}; got {error_rate}")


@dataclass(frozen=True)
class DemoRequest:
    """What to generate: the landing folder and the demo's parameters (checked when made)."""

    out: Path
    seed: int = DEMO_SEED
    scale: float = DEFAULT_SCALE
    years: tuple[int, ...] = DEFAULT_YEARS
    error_rate: float = DEFAULT_ERROR_RATE

    def __post_init__(self) -> None:
        _check_arguments(self.scale, self.error_rate)
        object.__setattr__(self, "out", Path(self.out))
        object.__setattr__(self, "years", check_years(tuple(self.years)))

    def summary(self) -> DemoSummary:
        return DemoSummary(out=self.out, seed=self.seed, scale=self.scale, years=self.years,
                           error_rate=self.error_rate)


def generate_province(request: DemoRequest, province: str) -> DemoSummary:
    """Every file of one province and its chunks of the national files (part files, for join_provinces).
    Module-level and independent of the other provinces, so that a worker process can run it."""
    summary = request.summary()
    run = _Run(request.out, request.error_rate, summary)
    national = NationalChunks(run)
    simulation = ProvinceSimulation(province, seed=request.seed, scale=request.scale, years=request.years)
    summary.students[province] = {}
    for state in simulation.run():
        if state.index == 0:
            _describe_province(summary, simulation, state)
        summary.students[province][state.year_be] = len(state.cohort)
        write_province_year(run, state)
        national.append(state)
    return summary


def join_provinces(request: DemoRequest, provinces: Mapping[str, DemoSummary]) -> DemoSummary:
    """The national files (header, then each province's part in PROVINCE_ORDER) and one summary of it all.
    `provinces`: province → its generate_province summary, for every province."""
    summary = request.summary()
    registry = shared_data_dir() / REGISTRY_FILE
    if not registry.exists():
        summary.notes.append(f"OBEC registry not found at {registry}: OBEC schools are synthetic "
                             "(same counts per province)")
    for year in request.years:
        for source in source_files(NATIONAL):
            path = request.out / NATIONAL / str(year) / source.file_name
            path.parent.mkdir(parents=True, exist_ok=True)
            header_only = pd.DataFrame(columns=list(source.headers))
            write_csv(path, header_only, source.headers, source.encoding)
            with path.open("ab") as joined:
                for province in PROVINCE_ORDER:
                    part = national_part(path, province)
                    with part.open("rb") as chunk:
                        shutil.copyfileobj(chunk, joined)
                    part.unlink()
            summary.wrote(path)
            summary.record(path, 0, Spoiled(header_only))
            summary.out_of_scope[summary.relative(path)] = 0
    for province in PROVINCE_ORDER:
        _add(summary, provinces[province])
    load_pseudonym_key(create_if_missing=True)
    return summary


def _add(summary: DemoSummary, part: DemoSummary) -> None:
    """One province's summary added to the whole's (counts of the national files summed)."""
    for path in part.files_written:
        summary.wrote(path)
    for key, rows in part.rows.items():
        summary.rows[key] = summary.rows.get(key, 0) + rows
        summary.expected_rejects[key] = summary.expected_rejects.get(key, 0) + part.expected_rejects[key]
        kinds = summary.injected.setdefault(key, {})
        for kind, count in part.injected[key].items():
            kinds[kind] = kinds.get(kind, 0) + count
    for key, rows in part.out_of_scope.items():
        summary.out_of_scope[key] = summary.out_of_scope.get(key, 0) + rows
    summary.students.update(part.students)
    summary.schools.update(part.schools)
    summary.small_school_share.update(part.small_school_share)
    summary.notes.extend(part.notes)


RunAll = Callable[[Callable[..., DemoSummary], list[tuple[object, ...]]], list[DemoSummary]]


def _one_after_another(function: Callable[..., DemoSummary],
                       calls: list[tuple[object, ...]]) -> list[DemoSummary]:
    return [function(*args) for args in calls]


def generate_landing(out: Path, *, seed: int = DEMO_SEED, scale: float = DEFAULT_SCALE,
                     years: tuple[int, ...] = DEFAULT_YEARS, error_rate: float = DEFAULT_ERROR_RATE,
                     run_all: RunAll = _one_after_another) -> DemoSummary:
    """Write every file of the landing contract for the four provinces and `years` under `out`.

    Same arguments → byte-identical files, whether `run_all` generates the provinces one after another (the
    default) or in parallel processes (assets.read_ahead.ReadAhead.run_all). Files already in `out` are
    overwritten, never deleted. Also makes sure a pseudonymisation key exists
    (load_pseudonym_key(create_if_missing=True): the environment's key if set, else the key file, created
    once outside the repository), so `edusandbox run` can ingest.
    """
    started = time.perf_counter()
    request = DemoRequest(Path(out), seed=seed, scale=scale, years=years, error_rate=error_rate)
    request.out.mkdir(parents=True, exist_ok=True)
    summaries = run_all(generate_province, [(request, province) for province in GENERATION_ORDER])
    summary = join_provinces(request, dict(zip(GENERATION_ORDER, summaries, strict=True)))
    summary.seconds = time.perf_counter() - started
    return summary
