"""Thai person and school identifiers: citizen-ID check digits, G-codes, 10-digit school IDs.

A Thai citizen ID is 13 digits; the last is a mod-11 check digit over the first 12 (weights 13 down to 2).
Students without Thai citizenship get a 'G-code' from OBEC: the letter G and 12 digits (no check digit).
"""

from __future__ import annotations

import re
from functools import cache

import geothai
import numpy as np
import pandas as pd

from assets.contract.entities import AFFILIATIONS
from assets.parsing.errors import ParseError
from assets.parsing.text import (
    JOINER,
    THAI_DIGITS,
    as_text_series,
    clean_text_series,
    per_distinct,
    thai_digits_to_arabic_series,
)

_CHECK_WEIGHTS = np.arange(13, 1, -1, dtype=np.int64)  # 13, 12, ..., 2 for digits 0..11
_CITIZEN_ID = re.compile(r"[1-9][0-9]{12}")
_G_CODE = re.compile(r"G[0-9]{12}")
_ID_SEPARATORS = r"[\s\-\u00a0\u200b]+"  # '1-2345-67890-12-3', '1 2345 67890 12 3'
_ID_CHARACTERS = b"0123456789G"  # anything else the rewrite could change (the common case is plain digits)
_SPREADSHEET_FLOAT_TAIL = r"\.0+$"  # '1101700203450.0': an ID column read as numbers from a workbook


def citizen_id_check_digit(first12: str) -> int:
    """Mod-11 check digit: (11 − Σ digit_i·(13 − i) mod 11) mod 10, over the first 12 digits."""
    if len(first12) != 12 or not first12.isascii() or not first12.isdigit():
        raise ParseError(f"{first12!r}: expected the first 12 digits of a citizen ID")
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


def make_citizen_id(first12: str) -> str:
    """The first 12 digits plus their check digit (the demo generator builds valid IDs with this)."""
    return first12 + str(citizen_id_check_digit(first12))


def is_valid_citizen_id(s: str) -> bool:
    """13 ASCII digits, first not 0, check digit correct."""
    return bool(_CITIZEN_ID.fullmatch(s)) and citizen_id_check_digit(s[:12]) == int(s[12])


def is_valid_g_code(s: str) -> bool:
    """'G' + 12 digits; uppercase only (normalise first)."""
    return bool(_G_CODE.fullmatch(s))


def normalise_person_id(value: str) -> str:
    """Scalar twin of normalise_person_id_series."""
    text = re.sub(_ID_SEPARATORS, "", value.translate(THAI_DIGITS)).replace("g", "G")
    return re.sub(_SPREADSHEET_FLOAT_TAIL, "", text)


def normalise_person_id_series(s: pd.Series) -> pd.Series:
    """Thai digits → Arabic, spaces and dashes removed, lowercase g → G, a spreadsheet '.0' tail dropped.

    Blank → missing.
    """
    text = as_text_series(s)
    if not _only_id_characters(_joined(text)):  # the common case: nothing to rewrite, not even Thai digits
        text = thai_digits_to_arabic_series(text)
        if not _only_id_characters(_joined(text)):
            text = text.str.replace(_ID_SEPARATORS, "", regex=True).str.replace("g", "G", regex=False)
            text = text.str.replace(_SPREADSHEET_FLOAT_TAIL, "", regex=True)
    return text.mask(text == "")


def _joined(text: pd.Series) -> str:
    return "".join(text.to_numpy(dtype=object, na_value=""))


def _only_id_characters(text: str) -> bool:
    """Whether every character of `text` is an ASCII digit or "G": bytes.translate, in C, where a pattern's
    search per ID took a quarter of judging a national file's 4.3 M IDs."""
    return text.isascii() and not text.encode("ascii").translate(None, _ID_CHARACTERS)


def _digit_rows(ids: np.ndarray) -> np.ndarray:
    """13-character ASCII IDs as one (n, 13) array of bytes: a digit's byte minus 48 is its value."""
    return np.frombuffer("".join(ids).encode("ascii"), dtype=np.uint8).reshape(len(ids), 13)


def _thirteen_ascii_characters(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which of `values` (str) are 13 ASCII characters long, and those as `_digit_rows`. A citizen ID and a
    G-code are such (`[0-9]` and "G" match ASCII characters only), so their patterns are judged on the bytes
    in numpy instead of by a pattern per ID."""
    fits = np.fromiter(map(len, values), dtype=np.int64, count=len(values)) == 13
    candidates = values[fits]
    joined = "".join(candidates)
    if not joined.isascii():
        ascii_only = np.fromiter(map(str.isascii, candidates), dtype=bool, count=len(candidates))
        fits[fits] = ascii_only
        joined = "".join(candidates[ascii_only])
    return fits, np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, 13)


def _weighted_sum(digits: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ weight × digit value over the columns of `_digit_rows`, one column at a time: the whole (n, 13) array
    widened to int64 at once was 450 MB for the 4.3 M IDs of a national file."""
    total = np.zeros(len(digits), dtype=np.int64)
    for column, weight in zip(digits.T, weights, strict=True):
        total += (column.astype(np.int64) - 48) * weight
    return total


def _check_digits_ok(digits: np.ndarray) -> np.ndarray:
    """Vectorised check of 13-digit IDs given as `_digit_rows`."""
    expected = (11 - _weighted_sum(digits[:, :12], _CHECK_WEIGHTS) % 11) % 10
    return expected == digits[:, 12].astype(np.int64) - 48


G_CODE_NUMBERS_FROM = 10**13
"""`person_id_numbers` of G-codes start here, above every 13-digit citizen ID."""


def person_id_numbers(ids: pd.Series, kind: pd.Series) -> np.ndarray:
    """Per normalised ID, an integer equal for two IDs exactly when they are the same valid ID: a citizen ID
    as its 13 digits, a G-code as G_CODE_NUMBERS_FROM + its 12; -1 for every ID whose `kind` is missing. Read
    off the digits in numpy, where comparing the IDs themselves meant hashing millions of new strings."""
    numbers = np.full(len(ids), -1, dtype=np.int64)
    for name, offset, letters in (("citizen_id", 0, 0), ("g_code", G_CODE_NUMBERS_FROM, 1)):
        these = (kind == name).to_numpy(dtype=bool, na_value=False)
        if these.any():
            digits = _digit_rows(ids.to_numpy(dtype=object)[these])[:, letters:]
            place_values = 10 ** np.arange(12 - letters, -1, -1, dtype=np.int64)
            numbers[these] = offset + _weighted_sum(digits, place_values)
    return numbers


def classify_person_ids(s: pd.Series, field: str = "person_id") -> tuple[pd.Series, pd.Series]:
    """(id_kind: 'citizen_id' / 'g_code' / missing, reason: missing when valid).

    Input is normalised first, so raw delivered values can be passed directly.
    """
    return classify_normalised_ids(normalise_person_id_series(s), field)


def classify_normalised_ids(ids: pd.Series, field: str = "person_id") -> tuple[pd.Series, pd.Series]:
    """classify_person_ids for IDs already through normalise_person_id_series (normalised once per roster
    for both the classification and the pseudonyms)."""
    present = ids.notna().to_numpy()
    fits, rows = _thirteen_ascii_characters(ids.to_numpy(dtype=object, na_value=""))
    is_digit = (rows >= ord("0")) & (rows <= ord("9"))
    then_twelve_digits = is_digit[:, 1:].all(axis=1)
    thirteen_digits, g_code, leading_zero, check_ok = (np.zeros(len(ids), dtype=bool) for _ in range(4))
    thirteen_digits[fits] = is_digit[:, 0] & then_twelve_digits
    g_code[fits] = (rows[:, 0] == ord("G")) & then_twelve_digits
    leading_zero[fits] = (rows[:, 0] == ord("0")) & then_twelve_digits
    candidates = thirteen_digits & ~leading_zero
    check_ok[candidates] = _check_digits_ok(rows[candidates[fits]])

    kind = np.full(len(ids), None, dtype=object)
    kind[check_ok] = "citizen_id"
    kind[g_code] = "g_code"
    reason = np.full(len(ids), None, dtype=object)
    reason[~present] = f"{field}: missing"
    reason[present & ~thirteen_digits & ~g_code] = f"{field}: not a citizen ID or G-code"
    reason[leading_zero] = f"{field}: citizen ID cannot start with 0"
    reason[candidates & ~check_ok] = f"{field}: citizen ID fails its check digit"
    return pd.Series(kind, index=ids.index, dtype="str"), pd.Series(reason, index=ids.index, dtype="str")


_DIGIT = "[0-9\u0e50-\u0e59]"  # Arabic or Thai digit
# A citizen ID as people type it: 13 digits, bare or grouped 1-2345-67890-12-3; or a G-code, 'G' + 12 digits.
_PERSON_ID_IN_TEXT = re.compile(
    rf"(?<!{_DIGIT}){_DIGIT}[-\s]?{_DIGIT}{{4}}[-\s]?{_DIGIT}{{5}}[-\s]?{_DIGIT}{{2}}[-\s]?{_DIGIT}(?!{_DIGIT})"
    rf"|[Gg]{_DIGIT}{{12}}(?!{_DIGIT})"
)
PERSON_ID_PLACEHOLDER = "[person ID removed]"


def redact_person_ids(text: str) -> str:
    """Scalar twin of redact_person_ids_series (for messages)."""
    return _PERSON_ID_IN_TEXT.sub(PERSON_ID_PLACEHOLDER, text)


def redact_person_ids_series(s: pd.Series) -> pd.Series:
    """Citizen IDs and G-codes typed into free text (a note, a reason, a shifted column) → a placeholder.

    Only the person-ID column is pseudonymised; an ID pasted anywhere else would otherwise reach the
    warehouse raw. One search over the column joined into a single string decides whether any row needs it.
    """
    text = as_text_series(s)
    if not _any_person_id(text):
        return text
    return text.str.replace(_PERSON_ID_IN_TEXT, PERSON_ID_PLACEHOLDER, regex=True)


def _any_person_id(text: pd.Series) -> bool:
    return bool(_PERSON_ID_IN_TEXT.search(JOINER.join(text.to_numpy(dtype=object, na_value=""))))


def is_person_id_like_series(s: pd.Series) -> pd.Series:
    """True where the whole (cleaned) value is shaped like a citizen ID or G-code, valid or not."""
    text = as_text_series(s)
    if not _any_person_id(text):  # the common case, one search: no value holds 13 digits in a row
        return pd.Series(False, index=s.index)
    return clean_text_series(text).str.fullmatch(_PERSON_ID_IN_TEXT.pattern).fillna(False).astype(bool)


def school_id_parts(s: str) -> tuple[str, str, str]:
    """'1095420123' → ('10', '95', '420123'): affiliation, DOPA province, sequence."""
    text = s.translate(THAI_DIGITS).strip()
    if len(text) != 10 or not text.isascii() or not text.isdigit():
        raise ParseError(f"{s!r}: a school ID is 10 digits (affiliation 2, province 2, sequence 6)")
    return text[:2], text[2:4], text[4:]


@cache
def dopa_province_codes() -> frozenset[str]:
    """All 2-digit DOPA province codes (77 provinces), from geothai."""
    return frozenset(p.code for p in geothai.provinces())


def is_valid_school_id_series(s: pd.Series) -> pd.Series:
    """True where: 10 digits, affiliation in entities.AFFILIATIONS, and a real DOPA province code."""
    (valid,) = per_distinct(s, lambda ids: (_valid_school_ids(ids),))
    return valid.fillna(False).astype(bool)


def _valid_school_ids(ids: pd.Series) -> pd.Series:
    text = clean_text_series(ids)
    ten_digits = text.str.fullmatch(r"[0-9]{10}").fillna(False).astype(bool)
    affiliation_ok = text.str[:2].isin(list(AFFILIATIONS))
    province_ok = text.str[2:4].isin(list(dopa_province_codes()))
    return (ten_digits & affiliation_ok & province_ok).astype("boolean")
