"""Buddhist-Era dates as Thai systems deliver them → Common-Era dates, scalar and vectorised.

Thai school systems write years in the Buddhist Era (BE = CE + 543). A year below 2400 in a BE field is
almost certainly a Common-Era year typed by mistake (or an export in the wrong locale); converting it would
put births in the 15th century, so it is rejected with a reason rather than silently shifted.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from assets.parsing.errors import ParseError
from assets.parsing.text import clean_text, clean_text_series, per_distinct, shorten

BE_OFFSET = 543
MIN_BE_YEAR = 2400  # 1857 CE: below this the year is taken to be Common Era
MAX_BE_YEAR = 2800  # 2257 CE: keeps results inside datetime64[ns] and rejects typos like 25666

# Thai month names as written in Thai documents (abbreviated and full), → month number.
THAI_MONTHS: dict[str, int] = {}
for _number, (_abbr, _full) in enumerate(
    [("ม.ค.", "มกราคม"), ("ก.พ.", "กุมภาพันธ์"), ("มี.ค.", "มีนาคม"), ("เม.ย.", "เมษายน"),
     ("พ.ค.", "พฤษภาคม"), ("มิ.ย.", "มิถุนายน"), ("ก.ค.", "กรกฎาคม"), ("ส.ค.", "สิงหาคม"),
     ("ก.ย.", "กันยายน"), ("ต.ค.", "ตุลาคม"), ("พ.ย.", "พฤศจิกายน"), ("ธ.ค.", "ธันวาคม")],
    start=1,
):
    THAI_MONTHS[_abbr] = THAI_MONTHS[_abbr.replace(".", "")] = THAI_MONTHS[_full] = _number

_SEP = r"[/.\-]"
_TIME_SUFFIX = r"(?:[ T][0-9]{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"  # "2566-03-15 00:00:00" from Excel/JSON
_DMY = rf"^(?P<d>[0-9]{{1,2}}){_SEP}(?P<m>[0-9]{{1,2}}){_SEP}(?P<y>[0-9]{{4}}){_TIME_SUFFIX}$"
_YMD = rf"^(?P<y>[0-9]{{4}})-(?P<m>[0-9]{{1,2}})-(?P<d>[0-9]{{1,2}}){_TIME_SUFFIX}$"
_MONTH_ALTERNATIVES = "|".join(sorted((m.replace(".", r"\.") for m in THAI_MONTHS), key=len, reverse=True))
_D_THAI_MONTH_Y = rf"^(?P<d>[0-9]{{1,2}}) ?(?P<mname>{_MONTH_ALTERNATIVES}) ?(?:พ\.ศ\. ?)?(?P<y>[0-9]{{4}})$"
_MY = rf"^(?P<m>[0-9]{{1,2}}){_SEP}(?P<y>[0-9]{{4}})$"
_YM = r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})$"
_THAI_MONTH_Y = rf"^(?P<mname>{_MONTH_ALTERNATIVES}) ?(?:พ\.ศ\. ?)?(?P<y>[0-9]{{4}})$"


def be_to_ce_year(y: int) -> int:
    return y - BE_OFFSET


def ce_to_be_year(y: int) -> int:
    return y + BE_OFFSET


def _common_era_message(year: int) -> str:
    return f"Common-Era year {year} where Buddhist Era expected"


def _year_problem(year: int) -> str | None:
    if year < MIN_BE_YEAR:
        return _common_era_message(year)
    if year > MAX_BE_YEAR:
        return f"implausible Buddhist-Era year {year}"
    return None


def parse_be_date(value: str) -> dt.date:
    """'dd/mm/BBBB', 'd/m/BBBB', 'BBBB-mm-dd' or 'd <Thai month> BBBB' (Thai or Arabic digits) → CE date."""
    dates, reasons = _parse_dates(pd.Series([value], dtype="object"), (_DMY, _YMD, _D_THAI_MONTH_Y), "date")
    if pd.isna(dates.iloc[0]):
        reason = reasons.iloc[0]
        raise ParseError(f"{value!r}: {'missing date' if pd.isna(reason) else reason}")
    return dates.iloc[0].date()


def parse_be_dates_series(s: pd.Series, field: str) -> tuple[pd.Series, pd.Series]:
    """Vectorised parse_be_date: (datetime64[ns] dates, NaT on failure or missing; reasons, text or missing).

    A reason reads like 'birth_date: Common-Era year 2010 where Buddhist Era expected'.
    """
    dates, reasons = _parse_dates(s, (_DMY, _YMD, _D_THAI_MONTH_Y), "date")
    return dates, (field + ": " + reasons).astype("str")


def parse_be_month_series(s: pd.Series, field: str) -> tuple[pd.Series, pd.Series]:
    """'mm/BBBB', 'BBBB-mm' or '<Thai month> BBBB' → first day of that month (CE).

    Same (dates, reasons) convention as parse_be_dates_series.
    """
    dates, reasons = _parse_dates(s, (_MY, _YM, _THAI_MONTH_Y), "month")
    return dates, (field + ": " + reasons).astype("str")


def _parse_dates(s: pd.Series, patterns: tuple[str, ...], what: str) -> tuple[pd.Series, pd.Series]:
    """Parse each distinct value once (birth dates repeat a lot over millions of students), then expand."""
    dates, reasons = per_distinct(s, lambda values: _parse_distinct_dates(values, patterns, what))
    return dates.astype("datetime64[ns]"), reasons.astype("str")


def _parse_distinct_dates(
    values: pd.Series, patterns: tuple[str, ...], what: str
) -> tuple[pd.Series, pd.Series]:
    """Try each pattern on the values not yet matched, then validate year and calendar."""
    text = clean_text_series(values)
    n = len(text)
    year = np.zeros(n, dtype=np.int64)
    month = np.zeros(n, dtype=np.int64)
    day = np.ones(n, dtype=np.int64)
    matched = np.zeros(n, dtype=bool)
    present = text.notna().to_numpy()
    for pattern in patterns:
        todo = present & ~matched
        if not todo.any():
            break
        parts = text[todo].str.extract(pattern)
        hit = parts["y"].notna().to_numpy()
        rows = np.flatnonzero(todo)[hit]
        parts = parts[hit]
        year[rows] = parts["y"].astype(np.int64).to_numpy()
        if "mname" in parts:
            month[rows] = parts["mname"].str.replace(" ", "").map(_month_number).astype(np.int64).to_numpy()
        else:
            month[rows] = parts["m"].astype(np.int64).to_numpy()
        if "d" in parts:
            day[rows] = parts["d"].astype(np.int64).to_numpy()
        matched[rows] = True

    reasons = np.full(n, None, dtype=object)
    text_values = text.to_numpy(dtype=object, na_value=None)
    unparseable = present & ~matched
    reasons[unparseable] = [f"unparseable {what} {shorten(v)!r}" for v in text_values[unparseable]]
    common_era = matched & (year < MIN_BE_YEAR)
    reasons[common_era] = [_common_era_message(int(y)) for y in year[common_era]]
    implausible = matched & (year > MAX_BE_YEAR)
    reasons[implausible] = [f"implausible Buddhist-Era year {int(y)}" for y in year[implausible]]

    candidate = matched & ~common_era & ~implausible
    components = pd.DataFrame({
        "year": np.where(candidate, year - BE_OFFSET, 2000),
        "month": np.where(candidate, month, 1),
        "day": np.where(candidate, day, 1),
    })
    dates = pd.to_datetime(components, errors="coerce").astype("datetime64[ns]")
    impossible = candidate & dates.isna().to_numpy()
    reasons[impossible] = [f"invalid {what} {v}" for v in text_values[impossible]]
    return dates.where(candidate & ~impossible), pd.Series(reasons, dtype="str")


def _month_number(name: str) -> int:
    return THAI_MONTHS.get(name, THAI_MONTHS.get(name.replace(".", ""), 0))


def parse_academic_year(value: str) -> int:
    """'2566', '๒๕๖๖', '1/2566' (term/year) or 'ปีการศึกษา 2566' → 2566 (BE). ParseError on a CE year."""
    text = clean_text(value)
    if text is None:
        raise ParseError(f"{value!r}: missing academic year")
    text = text.removeprefix("ปีการศึกษา").strip()
    term, _, year_text = text.rpartition("/")
    if term and term.strip() not in {"1", "2", "3"}:
        raise ParseError(f"{value!r}: unparseable academic year (expected term/year like 1/2566)")
    year_text = year_text.strip()
    if len(year_text) != 4 or not year_text.isascii() or not year_text.isdigit():
        raise ParseError(f"{value!r}: unparseable academic year (expected a 4-digit Buddhist-Era year)")
    year = int(year_text)
    problem = _year_problem(year)
    if problem:
        raise ParseError(f"{value!r}: {problem}")
    return year
