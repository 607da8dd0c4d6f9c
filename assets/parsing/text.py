"""Text clean-up shared by every adapter: Thai digits, stray whitespace, decomposed Thai vowels."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

THAI_DIGITS: dict[int, int] = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
"""str.translate table: Thai digits ๐–๙ → 0–9."""

# Invisible or non-breaking characters that Excel exports and web forms leave in cells. `\s` already covers
# NBSP in Python's re, but not the zero-width family, so they are listed explicitly. Control characters
# (C0 and C1, DEL) count as whitespace too: they carry no text, and downstream they break XML-based exports
# (XLSX refuses them) and hide in pages.
_INVISIBLE = "\u00a0\u200b\u200c\u200d\u2060\ufeff\x00-\x08\x0e-\x1f\x7f-\x9f"
_WHITESPACE_RUN = f"[\\s{_INVISIBLE}]+"
_SARA_AM = "\u0e33"
_NIKHAHIT_SARA_AA = "\u0e4d\u0e32"  # ํ + า typed instead of ำ on some keyboards and OCR output
_NIKHAHIT_TONE_SARA_AA = "\u0e4d([\u0e48-\u0e4b])\u0e32"  # ํ + tone mark + า: tone must precede ำ
_THAI_DIGIT = re.compile("[\u0e50-\u0e59]")
# Whitespace other than a single plain space, or two spaces in a row: the rows the whitespace rewrite changes.
_UNUSUAL_SPACE = re.compile(f"[^\\S ]|  |[{_INVISIBLE}]")
_NIKHAHIT = re.compile("\u0e4d")
JOINER = "\uffff"
"""Joins a column into one string for a single search: a noncharacter, never in text, matched by no pattern
here (not whitespace, not a control character, not a digit)."""


SHOWN_CHARACTERS = 60
"""How much of a delivered value a reason quotes: the whole value stays in the reject's record."""


def shorten(value: str, limit: int = SHOWN_CHARACTERS) -> str:
    """A value as a reason quotes it: a 1 MB cell must not make a 1 MB reason."""
    return value if len(value) <= limit else f"{value[:limit]}… ({len(value):,} characters)"


def thai_digits_to_arabic(s: str) -> str:
    return s.translate(THAI_DIGITS)


def thai_digits_to_arabic_series(s: pd.Series) -> pd.Series:
    text = as_text_series(s)
    joined = JOINER.join(text.to_numpy(dtype=object, na_value=""))
    return _rewrite_where(text, joined, _THAI_DIGIT, lambda t: t.str.translate(THAI_DIGITS))


def as_text_series(s: pd.Series) -> pd.Series:
    """The series as pandas' string dtype, missing values kept missing (numbers from JSON become text)."""
    if isinstance(s.dtype, pd.StringDtype):
        return s
    return s.astype("str")


def clean_text(value: object) -> str | None:
    """Scalar twin of clean_text_series: None for missing or blank values."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return None
    result = clean_text_series(pd.Series([str(value)], dtype="str")).iloc[0]
    return None if pd.isna(result) else str(result)


def clean_text_series(s: pd.Series) -> pd.Series:
    """Thai digits → Arabic, whitespace runs (incl. NBSP, zero-width space, control characters) → one space,
    trimmed.

    Also recomposes sara am (ํา → ำ) so Thai labels compare equal however they were typed.
    Blank strings become missing. The result has pandas' string dtype.
    """
    text = as_text_series(s)
    # Each rewrite runs only on the rows that need it: one regex search over the whole column joined into a
    # single string is far cheaper than a per-row rewrite on millions of rows that are almost all clean.
    joined = JOINER.join(text.to_numpy(dtype=object, na_value=""))
    text = _rewrite_where(text, joined, _THAI_DIGIT, lambda t: t.str.translate(THAI_DIGITS))
    text = _rewrite_where(text, joined, _UNUSUAL_SPACE,
                          lambda t: t.str.replace(_WHITESPACE_RUN, " ", regex=True))
    text = _rewrite_where(text, joined, _NIKHAHIT, _recompose_sara_am)
    text = text.str.strip()
    return text.mask(text == "")


def _rewrite_where(text: pd.Series, joined: str, needs: re.Pattern[str],
                   rewrite: Callable[[pd.Series], pd.Series]) -> pd.Series:
    if not needs.search(joined):
        return text
    rows = text.str.contains(needs.pattern, regex=True).fillna(False).astype(bool)
    result = text.copy()
    result[rows] = rewrite(text[rows])
    return result


def _recompose_sara_am(text: pd.Series) -> pd.Series:
    text = text.str.replace(_NIKHAHIT_SARA_AA, _SARA_AM, regex=False)
    return text.str.replace(_NIKHAHIT_TONE_SARA_AA, "\\1" + _SARA_AM, regex=True)


def per_distinct(s: pd.Series, parse: Callable[[pd.Series], tuple[pd.Series, ...]]) -> tuple[pd.Series, ...]:
    """Run `parse` once per distinct value of `s` and spread its result Series back over all rows.

    Delivered columns repeat a handful of labels (grades, sexes, schools, birth dates) over millions of rows,
    so parsing the distinct values costs a fraction of parsing every row. Missing input rows get missing
    results of each result's dtype; `parse` sees only non-missing values.
    """
    codes, uniques = factorize(s, use_na_sentinel=True)
    results = parse(pd.Series(uniques))
    return tuple(pd.Series(r.array.take(codes, allow_fill=True), index=s.index) for r in results)


FACTORIZE_CHUNK_ROWS = 1 << 18
MANY_VALUES_SHARE = 16
MAX_CHUNKED_VALUES = FACTORIZE_CHUNK_ROWS


def factorize(values: pd.Series | pd.api.extensions.ExtensionArray | np.ndarray, *,
              use_na_sentinel: bool = True, chunk_rows: int = FACTORIZE_CHUNK_ROWS) -> tuple[np.ndarray, Any]:
    """`pd.factorize(values, use_na_sentinel=...)`: the same codes (in order of first appearance) and distinct
    values, found a chunk of rows at a time. pandas sizes its hash table for every row whatever the number of
    distinct values (200 MB for the one academic year of 6.6 M NT/O-NET rows); here it is sized for a chunk,
    and each chunk's distinct values are looked up among those found before by an Index, which takes values
    as equal exactly as factorising does (missing equal to missing, NaN to NaN, -0.0 to 0.0). Values that are
    mostly distinct (more than one in MANY_VALUES_SHARE of the first chunk, or more than MAX_CHUNKED_VALUES
    in all) are factorised whole."""
    if len(values) <= chunk_rows or isinstance(values.dtype, pd.CategoricalDtype):
        return pd.factorize(values, use_na_sentinel=use_na_sentinel)  # a categorical's: its integer codes'
    array = _array_of(values)
    codes = np.empty(len(array), dtype=np.intp)
    distinct: Any = None
    known: pd.Index | None = None
    for start in range(0, len(array), chunk_rows):
        chunk_codes, found = pd.factorize(array[start:start + chunk_rows], use_na_sentinel=use_na_sentinel)
        if known is None:
            if len(found) * MANY_VALUES_SHARE > chunk_rows:  # a hash table as large is needed anyway
                return pd.factorize(values, use_na_sentinel=use_na_sentinel)
            distinct, positions = found, np.arange(len(found), dtype=np.intp)
            known = _lookup(distinct)
        else:
            positions = known.get_indexer(_lookup(found))
            new = positions < 0
            if new.any():
                positions[new] = len(distinct) + np.arange(int(new.sum()), dtype=np.intp)
                distinct = _concatenated(distinct, found[new])
                if len(distinct) > MAX_CHUNKED_VALUES:  # many after all: each lookup would rebuild its table
                    return pd.factorize(values, use_na_sentinel=use_na_sentinel)
                known = _lookup(distinct)
        # a missing value's code -1 takes the -1 appended
        codes[start:start + len(chunk_codes)] = np.append(positions, -1).take(chunk_codes)
    return codes, _lookup(distinct) if isinstance(values, pd.Series) else distinct


def _array_of(values: pd.Series | pd.api.extensions.ExtensionArray | np.ndarray) -> Any:
    """A Series' values as what `pd.factorize` factorises for it (numpy array or extension array)."""
    if not isinstance(values, pd.Series):
        return values
    return values.array if isinstance(values.dtype, pd.api.extensions.ExtensionDtype) else values.to_numpy()


def _lookup(distinct: Any) -> pd.Index:
    return pd.Index(distinct, dtype=distinct.dtype)  # the dtype given: pandas would infer one for objects


def _concatenated(first: Any, second: Any) -> Any:
    if isinstance(first, np.ndarray):
        return np.concatenate([first, second])
    return type(first)._concat_same_type([first, second])


def narrowed_codes(codes: np.ndarray, count: int) -> np.ndarray:
    """Codes 0..count-1 in the smallest unsigned integer type that holds them: a code per row per column is
    kept through a whole check or conversion, and 8 bytes each (pandas' default) is 26 MB per column per
    3.3 M rows."""
    return codes.astype(np.min_scalar_type(max(count - 1, 0)), copy=False)


@dataclass(frozen=True)
class DistinctValues:
    """A column as its distinct values (a missing value among them, once) and each row's position among them.

    The adapters judge each distinct delivered value once and spread the results back over the rows only
    where a whole column is wanted: a national file repeats a few thousand schools, scores and labels over
    millions of rows, and a column judged row by row held a new string object per row (about 60 bytes each).
    """

    values: pd.Series
    """The distinct values, or what was made of each (`with_values`), positions 0..n-1."""
    codes: np.ndarray
    """Per row, the position of its value in `values`."""
    equal: np.ndarray | None = None
    """Per value, an integer equal between two values exactly when they are (missing equal to missing), when
    the caller knows one cheaper than factorising the values (`equality_codes`)."""

    @classmethod
    def of(cls, column: pd.Series) -> DistinctValues:
        codes, values = factorize(column, use_na_sentinel=False)
        return cls(pd.Series(values), narrowed_codes(codes, len(values)))  # held until the rows are typed

    def with_values(self, values: pd.Series, equal: np.ndarray | None = None) -> DistinctValues:
        """The same rows with `values` made of each distinct value (same length and order); `equal` as the
        field of that name."""
        return DistinctValues(values.reset_index(drop=True), self.codes, equal)

    def rows(self, keep: np.ndarray | None = None) -> pd.Series:
        """The values spread over the rows (only those where `keep` is True), positions 0..n-1."""
        codes = self.codes if keep is None else self.codes[keep]
        return pd.Series(self.values.array.take(codes))

    def equality_codes(self) -> np.ndarray:
        """Per row, a number equal between two rows exactly when their values are equal (missing equal to
        missing), as pandas' `duplicated` compares them: integers to compare instead of strings."""
        same = pd.factorize(self.values, use_na_sentinel=False)[0] if self.equal is None else self.equal
        return same.take(self.codes)
