"""Delivered values → contract values: Thai labels, yes/no, integers and decimals with Thai digits.

Every function returns (values, reasons): a reason is text where the value could not be parsed (so the
adapter can reject the row) and missing where it parsed or where the input itself was missing. Each distinct
delivered value is parsed once (see text.per_distinct): columns repeat a few labels over millions of rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.contract.landing import YES_NO_LABELS
from assets.parsing.text import clean_text_series, per_distinct, shorten

_INTEGER = r"[+-]?[0-9]+(?:\.0*)?"  # '12.0' from spreadsheets is an integer
_DECIMAL = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)"
_THOUSANDS = r"(?<=\d)[, ](?=\d{3}(?:\D|$))"  # '1,234' and '1 234', not '1,5'
_LARGEST_EXACT = 2**53  # float64 holds every whole number below this (and Int64 far beyond)

_BOOL_WORDS: dict[str, bool] = {
    **{k.casefold(): v for k, v in YES_NO_LABELS.items()},
    "yes": True, "no": False, "y": True, "n": False, "t": True, "f": False,
    "มี": True, "ไม่มี": False, "เข้าร่วม": True, "ไม่เข้าร่วม": False,
    "1.0": True, "0.0": False,
}


def _no_reasons(s: pd.Series) -> pd.Series:
    return pd.Series(None, index=s.index, dtype="str")


def _reasons(field: str, text: pd.Series, failed: pd.Series, what: str) -> pd.Series:
    """"field: <what> 'value'" on failed rows, missing elsewhere."""
    reasons = pd.Series(None, index=text.index, dtype="str")
    if failed.any():
        reasons[failed] = [f"{field}: {what} {shorten(v)!r}" for v in text[failed]]
    return reasons


def map_labels_series(s: pd.Series, labels: dict[str, str], field: str) -> tuple[pd.Series, pd.Series]:
    """Thai value labels → contract values via `labels` (e.g. SEX_LABELS, STATUS_LABELS).

    Values that are already contract values ('M', 'promoted') are accepted; Latin text is matched without
    regard to case. Unknown labels give "sex: unknown value 'x'".
    """
    lookup = {str(v).casefold(): v for v in labels.values()}
    lookup.update({k.casefold(): v for k, v in labels.items()})

    def parse(values: pd.Series) -> tuple[pd.Series, pd.Series]:
        text = clean_text_series(values)
        mapped = text.str.casefold().map(lookup).astype("str")
        return mapped, _reasons(field, text, text.notna() & mapped.isna(), "unknown value")

    mapped, reasons = per_distinct(s, parse)
    return mapped.astype("str"), reasons.astype("str")


def parse_bool_series(s: pd.Series, field: str) -> tuple[pd.Series, pd.Series]:
    """Yes/no labels (landing.YES_NO_LABELS plus yes/no, true/false, 1/0) → pandas 'boolean'."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean"), _no_reasons(s)

    def parse(values: pd.Series) -> tuple[pd.Series, pd.Series]:
        text = clean_text_series(values)
        mapped = text.str.casefold().map(_BOOL_WORDS)
        flags = pd.Series(pd.array(mapped.to_numpy(dtype=object, na_value=None), dtype="boolean"))
        return flags, _reasons(field, text, text.notna() & mapped.isna(), "not a yes/no value")

    flags, reasons = per_distinct(s, parse)
    return flags.astype("boolean"), reasons.astype("str")


def _numbers(s: pd.Series, field: str, pattern: str, what: str) -> tuple[pd.Series, pd.Series]:
    """Shared text → float64 step: Thai digits, thousands separators, then a strict full match."""

    def parse(values: pd.Series) -> tuple[pd.Series, pd.Series]:
        text = clean_text_series(values)
        if text.str.contains(r"\d[, ]\d", regex=True).any():
            text = text.str.replace(_THOUSANDS, "", regex=True)
        ok = text.str.fullmatch(pattern).fillna(False).astype(bool)
        numbers = pd.Series(pd.to_numeric(text.where(ok), errors="coerce"), dtype="Float64")
        # Hundreds of digits parse to infinity, and from 2**53 a float no longer holds every whole number:
        # such a value is a typo or garbage, never a count or an amount.
        too_large = (numbers.abs() >= _LARGEST_EXACT).fillna(False).astype(bool)
        reasons = _reasons(field, text, text.notna() & ~ok, what)
        reasons = reasons.where(~too_large, _reasons(field, text, too_large, "number too large"))
        return numbers.mask(too_large), reasons

    numbers, reasons = per_distinct(s, parse)
    return numbers.astype("Float64"), reasons.astype("str")


def parse_int_series(s: pd.Series, field: str) -> tuple[pd.Series, pd.Series]:
    """'1,234', '๑๒', '12.0' → pandas nullable Int64; fractions and text give a reason."""
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.astype("Int64"), _no_reasons(s)
    if pd.api.types.is_float_dtype(s.dtype):
        whole = s.isna() | (np.floor(s) == s)
        values = s.where(whole).astype("Float64").astype("Int64")
        return values, _reasons(field, s.astype("str"), ~whole, "not a whole number")
    numbers, reasons = _numbers(s, field, _INTEGER, "not a whole number")
    return numbers.astype("Int64"), reasons


def parse_float_series(s: pd.Series, field: str) -> tuple[pd.Series, pd.Series]:
    """'1,234.5', '๑๒.๕' → pandas nullable Float64; text gives a reason."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("Float64"), _no_reasons(s)
    return _numbers(s, field, _DECIMAL, "not a number")
