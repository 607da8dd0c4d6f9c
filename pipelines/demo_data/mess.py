"""The real mess of delivered files, injected at a stated rate, deterministically, and counted.

Two families, each on round(rate × rows) rows of a file, on disjoint rows chosen at random:
- rejected mess, which the adapters must reject, one rejected row per injection: an exact duplicate row
  right after its original, a citizen ID failing its check digit, a Common-Era year in a Buddhist-Era
  date, a blank required cell;
- benign mess, which must parse to the same values as the clean cell: Thai digits, stray spaces (trailing,
  doubled, a non-breaking space), kindergarten written อ.1 instead of อบ.1.
EMIS enrolment files get a subtotal that no longer adds up instead of the rejected row mess: the adapter then
rejects every grade row of that school, so `Spoiled.expected_rejects` counts rows, not injections.

Mae Hong Son also types some IDs, numbers and dates with Thai digits as a matter of course (Style
.thai_digit_share); that habit is applied before the mess and is not counted as mess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from assets.contract.entities import ENTITIES
from assets.contract.landing import NEVER_LOADED, SourceFile
from assets.sources.readers import FIELD_TO_COLUMN, PERSON_ID, delivered_fields, required_fields
from pipelines.demo_data.formatting import GRADE_LABELS, SHORT_KINDERGARTEN_PREFIX, Style, to_thai_digits
from pipelines.demo_data.identities import bad_check_digit
from pipelines.demo_data.tables import EMIS_GRADE_ROWS_PER_SCHOOL, SUBTOTAL

DUPLICATE_ROW = "duplicate_row"
BAD_CHECK_DIGIT = "bad_check_digit"
COMMON_ERA_YEAR = "common_era_year"
BLANK_REQUIRED = "blank_required"
SUBTOTAL_MISMATCH = "subtotal_mismatch"
THAI_DIGITS = "thai_digits"
EXTRA_SPACES = "extra_spaces"
SHORT_KINDERGARTEN_LABEL = "short_kindergarten_label"
REJECTED_KINDS = (DUPLICATE_ROW, BAD_CHECK_DIGIT, COMMON_ERA_YEAR, BLANK_REQUIRED, SUBTOTAL_MISMATCH)
BENIGN_KINDS = (THAI_DIGITS, EXTRA_SPACES, SHORT_KINDERGARTEN_LABEL)

_CODE_FIELDS = frozenset({"school_id", "district_code", "subdistrict_code", "area_code", "affiliation",
                          "space_id"})
_LONG, _SHORT = SHORT_KINDERGARTEN_PREFIX
_DATE_TEXT = r"\S*\d{4}\S*"
"""A delivered date or month: its year is the four-digit group Style.common_era rewrites."""
_NBSP = "\u00a0"
KINDERGARTEN_LABELS = frozenset(label for label in GRADE_LABELS if label.startswith(_LONG))


@dataclass(frozen=True)
class FieldRoles:
    """What each delivered field of a source can be spoiled with."""

    loaded: tuple[str, ...]
    """Fields the adapter reads (names are dropped at the door): two rows alike on these are duplicates."""
    required: tuple[str, ...]
    """Blank → the row is rejected ('required value missing')."""
    dates: tuple[str, ...]
    digits: tuple[str, ...]
    """IDs, codes, numbers and dates: Thai digits parse the same."""
    labels: tuple[str, ...]
    """Thai text: stray spaces are cleaned away."""
    grade: str | None
    person: bool


def _column_type(source: SourceFile, name: str) -> str:
    if name == PERSON_ID:
        return "person"
    return ENTITIES[source.entity].column(FIELD_TO_COLUMN.get(name, name)).type


def field_roles(source: SourceFile, protected: tuple[str, ...] = ()) -> FieldRoles:
    """Roles of the source's fields. `protected` fields are never blanked (the national files' province
    code: a row without it is out of scope, not rejected)."""
    fields = tuple(f for f in delivered_fields(source) if f not in NEVER_LOADED)
    types = {f: _column_type(source, f) for f in fields}
    return FieldRoles(
        loaded=fields,
        required=tuple(f for f in required_fields(source) if f not in protected),
        dates=tuple(f for f in fields if types[f] == "date"),
        digits=tuple(f for f in fields if types[f] in {"person", "integer", "double", "date"}
                     or f in _CODE_FIELDS),
        labels=tuple(f for f in fields if types[f] == "text" and f not in _CODE_FIELDS),
        grade=next((f for f in fields if FIELD_TO_COLUMN.get(f, f) == "grade"), None),
        person=PERSON_ID in fields,
    )


EMIS_ROLES = FieldRoles(loaded=(), required=(), dates=(), digits=("male", "female", "total", "classrooms"),
                        labels=("grade_or_subtotal",), grade="grade_or_subtotal", person=False)


@dataclass
class Spoiled:
    """A file's rows after injection, what was injected, and how many rows the adapter must reject."""

    frame: pd.DataFrame
    injected: dict[str, int] = field(default_factory=dict)
    expected_rejects: int = 0


class _Cells:
    """Object columns of a frame, edited cell by cell (each touched column copied once)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.columns: dict[str, np.ndarray] = {}

    def column(self, name: str) -> np.ndarray:
        if name not in self.columns:
            self.columns[name] = self.frame[name].to_numpy(dtype=object, copy=True)
        return self.columns[name]

    def get(self, name: str, row: int) -> object:
        return self.column(name)[row]

    def set(self, name: str, row: int, value: object) -> None:
        self.column(name)[row] = value

    def result(self) -> pd.DataFrame:
        out = self.frame.copy(deep=False)
        for name, values in self.columns.items():
            out[name] = pd.Series(values, index=out.index, dtype=object)
        return out


# --- cell tests and changes ------------------------------------------------------------------------

def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and value != value)


def _has_ascii_digit(value: object) -> bool:
    if isinstance(value, bool) or not _present(value):
        return False
    if isinstance(value, int | float | np.integer | np.floating):
        return True
    return any(c.isascii() and c.isdigit() for c in str(value))


def _is_label(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_long_kindergarten(value: object) -> bool:
    return isinstance(value, str) and value.startswith(_LONG)


def _is_citizen_id(value: object) -> bool:
    return isinstance(value, str) and len(value) == 13 and value.isascii() and value.isdigit()


def _is_date_text(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(_DATE_TEXT, value) is not None


def _extra_spaces(value: object, variant: int) -> str:
    """Trailing space, padding on both sides, or a doubled inner space (an NBSP when there is none)."""
    text = str(value)
    if variant == 0:
        return text + " "
    if variant == 1:
        return "  " + text + "  "
    return text.replace(" ", "  ", 1) if " " in text else text + _NBSP


def _split(total: int, kinds: list[str], rng: np.random.Generator) -> dict[str, int]:
    """total spread evenly over kinds, the remainder to kinds drawn at random."""
    if not kinds:
        return {}
    base, extra = divmod(total, len(kinds))
    bonus = set(rng.choice(len(kinds), size=extra, replace=False).tolist()) if extra else set()
    return {kind: base + (i in bonus) for i, kind in enumerate(kinds)}


# --- injection -------------------------------------------------------------------------------------

class _Injector:
    """Chooses disjoint rows per kind from one random order of the rows and applies each kind's change."""

    def __init__(self, frame: pd.DataFrame, rng: np.random.Generator) -> None:
        self.cells = _Cells(frame)
        self.rng = rng
        self.order = rng.permutation(len(frame)).tolist()
        self.used = np.zeros(len(frame), dtype=bool)  # a row gets one kind of mess at most
        self.counts: dict[str, int] = {}

    def take(self, k: int, test: Callable[[int], bool] | None = None) -> np.ndarray:
        """The next k unused rows of the random order passing `test` (all rows when None), now used.

        Walking the order lazily costs about k / (share passing) tests instead of a test of every row."""
        chosen: list[int] = []
        for row in self.order if k else ():
            if len(chosen) == k:
                break
            if not self.used[row] and (test is None or test(row)):
                chosen.append(row)
        rows = np.array(sorted(chosen), dtype=np.int64)
        self.used[rows] = True
        return rows

    def spread(self, total: int, tests: dict[str, Callable[[int], bool] | None]) -> dict[str, np.ndarray]:
        """Rows for each applicable kind (kind → row test, None for any row); the kinds share `total`."""
        return {kind: self.take(k, tests[kind]) for kind, k in _split(total, list(tests), self.rng).items()}

    def passes(self, fields: tuple[str, ...], test: Callable[[object], bool]) -> Callable[[int], bool]:
        """Row test: at least one of `fields` passes the cell test."""
        return lambda row: any(test(self.cells.get(name, row)) for name in fields)

    def any_cell(self, name: str, values: frozenset[str]) -> bool:
        return bool(pd.Series(self.cells.column(name)).isin(values).any())

    def change_one_field(self, kind: str, rows: np.ndarray, fields: tuple[str, ...],
                         test: Callable[[object], bool],
                         change: Callable[[object], object]) -> dict[int, str]:
        """In each row, one of the `fields` passing `test`, chosen at random, is changed; counted as `kind`.
        Returns row → changed field."""
        changed: dict[int, str] = {}
        for row in rows.tolist():
            candidates = [f for f in fields if test(self.cells.get(f, row))]
            if candidates:
                name = candidates[int(self.rng.integers(0, len(candidates)))]
                self.cells.set(name, row, change(self.cells.get(name, row)))
                changed[row] = name
        self.counts[kind] = self.counts.get(kind, 0) + len(changed)
        return changed


def _content_clashes(injector: _Injector, loaded: tuple[str, ...], rows: list[int]) -> list[int]:
    """Of the blanked `rows`, those now alike another of them on every loaded field (the adapter would call
    the later one a duplicate). Clean rows have their required cells filled, so a row with a blank can
    only be alike another row with the same blank: comparing the blanked rows among themselves suffices."""
    if len(rows) < 2 or not loaded:
        return []
    content = pd.DataFrame({name: [injector.cells.get(name, row) for row in rows] for name in loaded})
    alike = content.astype("str").duplicated(keep=False).to_numpy()
    return [row for row, clash in zip(rows, alike, strict=True) if clash]


def _blank_required(injector: _Injector, rows: np.ndarray, roles: FieldRoles) -> None:
    """Blank one required cell per row. A blank can leave a row identical to another blanked row (two poor
    children of one school without IDs; two age groups of a district with the same count): then the
    cell is restored and another required cell blanked instead, so the adapter reports the blank, not a
    duplicate. A row that cannot be made distinct is left clean."""
    blanked = injector.change_one_field(BLANK_REQUIRED, rows, roles.required, _present, lambda v: None)
    tried = {row: {name} for row, name in blanked.items()}
    while clashes := _content_clashes(injector, roles.loaded, sorted(blanked)):
        for row in clashes:
            name = blanked.pop(row)
            injector.cells.set(name, row, injector.cells.frame[name].iat[row])
            injector.counts[BLANK_REQUIRED] -= 1
            others = tuple(f for f in roles.required if f not in tried[row])
            again = injector.change_one_field(BLANK_REQUIRED, np.array([row]), others, _present,
                                              lambda v: None)
            blanked.update(again)  # nothing left to try: the row stays clean and leaves the loop
            tried[row].update(again.values())


def _apply_rejected(injector: _Injector, roles: FieldRoles, style: Style, total: int) -> np.ndarray:
    """Rejected mess in place; returns the rows to duplicate."""
    tests: dict[str, Callable[[int], bool] | None] = {DUPLICATE_ROW: None}
    if roles.person:
        tests[BAD_CHECK_DIGIT] = injector.passes((PERSON_ID,), _is_citizen_id)
    if roles.dates:
        tests[COMMON_ERA_YEAR] = injector.passes(roles.dates, _is_date_text)
    if roles.required:
        tests[BLANK_REQUIRED] = None  # required cells are filled in clean rows
    rows = injector.spread(total, tests)
    if BAD_CHECK_DIGIT in rows:
        injector.change_one_field(BAD_CHECK_DIGIT, rows[BAD_CHECK_DIGIT], (PERSON_ID,), _is_citizen_id,
                                  lambda v: bad_check_digit(str(v), injector.rng))
    if COMMON_ERA_YEAR in rows:
        injector.change_one_field(COMMON_ERA_YEAR, rows[COMMON_ERA_YEAR], roles.dates, _is_date_text,
                                  lambda v: style.common_era(str(v)))
    if BLANK_REQUIRED in rows:
        _blank_required(injector, rows[BLANK_REQUIRED], roles)
    duplicates = rows[DUPLICATE_ROW]
    injector.counts[DUPLICATE_ROW] = len(duplicates)
    return duplicates


def _apply_benign(injector: _Injector, roles: FieldRoles, total: int) -> None:
    tests: dict[str, Callable[[int], bool] | None] = {}
    if roles.digits:
        tests[THAI_DIGITS] = None  # every row has an ID or a number
    if roles.labels:
        tests[EXTRA_SPACES] = None
    if roles.grade and injector.any_cell(roles.grade, KINDERGARTEN_LABELS):
        tests[SHORT_KINDERGARTEN_LABEL] = injector.passes((roles.grade,), _is_long_kindergarten)
    rows = injector.spread(total, tests)
    rng = injector.rng
    if THAI_DIGITS in rows:
        injector.change_one_field(THAI_DIGITS, rows[THAI_DIGITS], roles.digits, _has_ascii_digit,
                                  lambda v: to_thai_digits(str(v)))
    if EXTRA_SPACES in rows:
        injector.change_one_field(EXTRA_SPACES, rows[EXTRA_SPACES], roles.labels, _is_label,
                                  lambda v: _extra_spaces(v, int(rng.integers(0, 3))))
    if SHORT_KINDERGARTEN_LABEL in rows and roles.grade:
        injector.change_one_field(SHORT_KINDERGARTEN_LABEL, rows[SHORT_KINDERGARTEN_LABEL], (roles.grade,),
                                  _is_long_kindergarten, lambda v: _SHORT + str(v)[len(_LONG):])


def with_duplicates(frame: pd.DataFrame, originals: np.ndarray) -> pd.DataFrame:
    """Each original row followed by an exact copy (how a double export or a re-pasted block looks)."""
    if len(originals) == 0:
        return frame
    positions = np.concatenate([np.arange(len(frame)), originals])
    rank = np.concatenate([np.arange(len(frame)) * 2, originals * 2 + 1])
    return frame.iloc[positions[np.argsort(rank, kind="stable")]].reset_index(drop=True)


def inject(frame: pd.DataFrame, roles: FieldRoles, style: Style, rng: np.random.Generator,
           rate: float) -> Spoiled:
    """Rejected mess on round(rate × rows) rows and benign mess on as many other rows."""
    total = round(rate * len(frame))
    injector = _Injector(frame, rng)
    duplicates = _apply_rejected(injector, roles, style, total)
    _apply_benign(injector, roles, total)
    spoiled = with_duplicates(injector.cells.result(), duplicates)
    rejected = sum(injector.counts.get(kind, 0) for kind in REJECTED_KINDS)
    return Spoiled(spoiled, dict(injector.counts), rejected)


def inject_emis(frame: pd.DataFrame, rng: np.random.Generator, rate: float) -> Spoiled:
    """EMIS: round(rate × schools) schools get a subtotal off by one (all their grade rows are rejected);
    benign mess on round(rate × rows) rows of the other schools."""
    schools = frame["school_id"].to_numpy(dtype=object)
    unique = np.sort(pd.unique(schools).astype(str))
    n_spoiled = round(rate * len(unique))
    spoiled_schools = np.sort(rng.choice(unique, size=n_spoiled, replace=False)) if n_spoiled else unique[:0]
    injector = _Injector(frame, rng)
    subtotal = frame[SUBTOTAL].to_numpy(dtype=bool)
    for school in spoiled_schools.tolist():
        rows = np.flatnonzero((schools == school) & subtotal)
        row = int(rows[rng.integers(0, len(rows))])
        injector.cells.set("male", row, int(injector.cells.get("male", row)) + 1)  # type: ignore[call-overload]
    injector.counts[SUBTOTAL_MISMATCH] = n_spoiled
    injector.used |= np.isin(schools, spoiled_schools)
    _apply_benign(injector, EMIS_ROLES, round(rate * len(frame)))
    return Spoiled(injector.cells.result(), dict(injector.counts), n_spoiled * EMIS_GRADE_ROWS_PER_SCHOOL)


def thai_digit_habit(frame: pd.DataFrame, fields: tuple[str, ...], share: float,
                     rng: np.random.Generator) -> pd.DataFrame:
    """`share` of the cells of `fields` typed with Thai digits (a province's habit, not a mistake)."""
    if share <= 0 or len(frame) == 0:
        return frame
    cells = _Cells(frame)
    for name in fields:
        values = cells.column(name)
        for row in np.flatnonzero(rng.random(len(values)) < share).tolist():
            value = values[row]
            if value is not None and not isinstance(value, bool):  # text without digits stays as it is
                values[row] = to_thai_digits(str(value))
    return cells.result()

