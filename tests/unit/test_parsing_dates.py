"""Buddhist-Era dates: formats, Thai digits, Common-Era rejection, impossible dates, months, years."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assets.parsing import (
    BE_OFFSET,
    ParseError,
    be_to_ce_year,
    ce_to_be_year,
    parse_academic_year,
    parse_be_date,
    parse_be_dates_series,
    parse_be_month_series,
)


def test_year_conversion() -> None:
    assert BE_OFFSET == 543
    assert be_to_ce_year(2566) == 2023
    assert ce_to_be_year(2023) == 2566


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("15/03/2566", dt.date(2023, 3, 15)),
        ("5/3/2566", dt.date(2023, 3, 5)),
        ("2566-03-15", dt.date(2023, 3, 15)),
        ("๑๕/๐๓/๒๕๖๖", dt.date(2023, 3, 15)),
        ("๒๕๖๖-๐๓-๑๕", dt.date(2023, 3, 15)),
        (" 15/03/2566 ", dt.date(2023, 3, 15)),
        ("2566-03-15 00:00:00", dt.date(2023, 3, 15)),  # a BE datetime cell read from a workbook
        ("15 มี.ค. 2566", dt.date(2023, 3, 15)),
        ("15 มีนาคม พ.ศ. 2566", dt.date(2023, 3, 15)),
        ("29/02/2567", dt.date(2024, 2, 29)),  # 2567 BE = 2024 CE, a leap year
    ],
)
def test_parse_be_date_formats(value: str, expected: dt.date) -> None:
    assert parse_be_date(value) == expected


def test_common_era_year_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ParseError, match="Common-Era year 2023 where Buddhist Era expected"):
        parse_be_date("15/03/2023")
    with pytest.raises(ParseError, match="Common-Era year 2010 where Buddhist Era expected"):
        parse_be_date("2010-01-31")


@pytest.mark.parametrize("value", ["31/02/2566", "29/02/2566", "31/04/2566", "00/01/2566", "15/13/2566"])
def test_impossible_dates_are_rejected(value: str) -> None:
    # 2566 BE = 2023 CE is not a leap year, so 29/02/2566 does not exist
    with pytest.raises(ParseError, match=f"invalid date {value}"):
        parse_be_date(value)


@pytest.mark.parametrize("value", ["abc", "15/03/66", "2566/03", "", "15-03"])
def test_unparseable_dates_are_rejected(value: str) -> None:
    with pytest.raises(ParseError):
        parse_be_date(value)


def test_implausibly_late_year_is_rejected() -> None:
    with pytest.raises(ParseError, match="implausible"):
        parse_be_date("01/01/2999")


def test_series_dates_and_reasons() -> None:
    raw = pd.Series(
        ["15/03/2556", None, "15/03/2010", "31/02/2566", "x", "", "๑/๑/๒๕๕๐", "15/03/2556"],
        index=[10, 11, 12, 13, 14, 15, 16, 17],
        dtype=object,
    )
    dates, reasons = parse_be_dates_series(raw, "birth_date")
    assert dates.dtype == "datetime64[ns]"
    assert dates.index.equals(raw.index) and reasons.index.equals(raw.index)
    assert dates[10] == pd.Timestamp(2013, 3, 15) and dates[17] == pd.Timestamp(2013, 3, 15)
    assert dates[16] == pd.Timestamp(2007, 1, 1)
    assert dates[[11, 12, 13, 14, 15]].isna().all()
    assert reasons[12] == "birth_date: Common-Era year 2010 where Buddhist Era expected"
    assert reasons[13] == "birth_date: invalid date 31/02/2566"
    assert reasons[14] == "birth_date: unparseable date 'x'"
    # missing input and good values have no reason
    assert reasons[[10, 11, 15, 16, 17]].isna().all()


def test_series_of_only_missing_values() -> None:
    dates, reasons = parse_be_dates_series(pd.Series([None, None], dtype=object), "completed_on")
    assert dates.isna().all() and reasons.isna().all()
    assert dates.dtype == "datetime64[ns]"


def test_empty_series() -> None:
    dates, reasons = parse_be_dates_series(pd.Series([], dtype="str"), "completed_on")
    assert len(dates) == 0 and len(reasons) == 0


def test_month_series() -> None:
    raw = pd.Series(["03/2566", "2566-3", "มี.ค. 2566", "๐๓/๒๕๖๖", "13/2566", "03/2023", None])
    dates, reasons = parse_be_month_series(raw, "month")
    assert dates[:4].tolist() == [pd.Timestamp(2023, 3, 1)] * 4
    assert reasons[4] == "month: invalid month 13/2566"
    assert reasons[5] == "month: Common-Era year 2023 where Buddhist Era expected"
    assert pd.isna(dates[6]) and pd.isna(reasons[6])
    assert reasons[:4].isna().all()


@pytest.mark.parametrize("value", ["2566", "๒๕๖๖", "1/2566", "2/๒๕๖๖", " 2566 ", "ปีการศึกษา 2566"])
def test_academic_year(value: str) -> None:
    assert parse_academic_year(value) == 2566


def test_academic_year_rejects_common_era() -> None:
    with pytest.raises(ParseError, match="Common-Era year 2023 where Buddhist Era expected"):
        parse_academic_year("2023")


@pytest.mark.parametrize("value", ["", "66", "25666", "9/2566", "abcd"])
def test_academic_year_rejects_garbage(value: str) -> None:
    with pytest.raises(ParseError):
        parse_academic_year(value)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_any_date_written_in_buddhist_era_round_trips(day: dt.date) -> None:
    be_year = ce_to_be_year(day.year)
    assert parse_be_date(f"{day.day}/{day.month}/{be_year}") == day
    assert parse_be_date(f"{be_year}-{day.month:02d}-{day.day:02d}") == day
