"""Stable person identifiers for demo people: Thai citizen IDs with a valid check digit, and OBEC G-codes.

Every person gets a serial number within the province, once; the ID is a pure function of that serial, so
the same person carries the same ID every year. Serials are scrambled by a bijection modulo 10^k, which
makes IDs look random while staying unique without a lookup set. The check digit is computed here with
numpy for millions of IDs at once; it is the same rule as `assets.parsing.ids.make_citizen_id` (the tests
compare the two).
"""

from __future__ import annotations

import numpy as np

_BODY_DIGITS = 7  # citizen ID: type (1) + registration office (4) + body (7) + check (1)
_BODY_MULTIPLIER = 7_654_321  # odd and not a multiple of 5: a bijection modulo 10^7
_G_DIGITS = 10  # G-code: 'G' + province (2) + 10 digits
_G_MULTIPLIER = 3_141_592_653
_CHECK_WEIGHTS = np.arange(13, 1, -1, dtype=np.int64)
MAX_SERIALS = 10**_BODY_DIGITS


def check_digits(first12: np.ndarray) -> np.ndarray:
    """Mod-11 check digit of 12-digit integers: (11 − Σ digit_i·(13 − i) mod 11) mod 10."""
    powers = 10 ** np.arange(11, -1, -1, dtype=np.int64)
    digits = (first12[:, None] // powers[None, :]) % 10
    return (11 - (digits @ _CHECK_WEIGHTS) % 11) % 10


def citizen_ids(serial: np.ndarray, office_code: np.ndarray, type_digit: np.ndarray | int = 1) -> np.ndarray:
    """13-digit citizen IDs (as str) for serials; office_code is the 4-digit DOPA district of registration."""
    if len(serial) and int(serial.max()) >= MAX_SERIALS:
        raise ValueError("more people than citizen-ID bodies in one province; lower the scale")
    body = (serial.astype(np.int64) * _BODY_MULTIPLIER + 1_234_567) % MAX_SERIALS
    first12 = (np.asarray(type_digit, dtype=np.int64) * 10**11 + office_code.astype(np.int64) * 10**7 + body)
    full = first12 * 10 + check_digits(first12)
    return full.astype("U13").astype(object)


def g_codes(serial: np.ndarray, province_code: str) -> np.ndarray:
    """'G' + province code + 10 scrambled digits (OBEC's code for children without a citizen ID)."""
    body = (serial.astype(np.int64) * _G_MULTIPLIER + 271_828) % 10**_G_DIGITS
    digits = np.strings.zfill(body.astype(f"U{_G_DIGITS}"), _G_DIGITS)
    return np.strings.add(f"G{province_code}", digits).astype(object)


def bad_check_digit(person_id: str, rng: np.random.Generator) -> str:
    """The same ID with a wrong last digit (what a typo in the last position looks like)."""
    wrong = (int(person_id[12]) + int(rng.integers(1, 10))) % 10
    return person_id[:12] + str(wrong)


class SerialAllocator:
    """Hands out consecutive person serials within one province (students and staff share the space)."""

    def __init__(self) -> None:
        self.next = 0

    def take(self, n: int) -> np.ndarray:
        serials = np.arange(self.next, self.next + n, dtype=np.int64)
        self.next += n
        return serials
