"""Citizen-ID check digits, G-codes, person-ID normalisation and classification, school IDs."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assets.contract.entities import PROVINCES
from assets.parsing import (
    ParseError,
    citizen_id_check_digit,
    classify_person_ids,
    dopa_province_codes,
    is_valid_citizen_id,
    is_valid_g_code,
    is_valid_school_id_series,
    make_citizen_id,
    normalise_person_id,
    normalise_person_id_series,
    school_id_parts,
)
from assets.parsing.ids import classify_normalised_ids
from pipelines.settings import shared_data_dir

SCHOOL_REGISTRY = shared_data_dir() / "reference" / "obec_schools_4provinces_2022-09.csv"

# Hand-computed check digits (weights 13, 12, ..., 2 over the first 12 digits):
#   110170020345: 1·13+1·12+0·11+1·10+7·9+0·8+0·7+2·6+0·5+3·4+4·3+5·2 = 144; 144 mod 11 = 1; (11−1) mod 10 = 0
#   310050012345: 39+12+0+0+45+0+0+6+10+12+12+10 = 146; 146 mod 11 = 3; 11−3 = 8
#   100000000030: 13+3·3 = 22; 22 mod 11 = 0; (11−0) mod 10 = 1  (the "mod 10" case)
HAND_COMPUTED = [("110170020345", 0), ("310050012345", 8), ("100000000030", 1)]

twelve_digits = st.from_regex(r"[1-9][0-9]{11}", fullmatch=True)


@pytest.mark.parametrize(("first12", "check"), HAND_COMPUTED)
def test_check_digit_matches_hand_computation(first12: str, check: int) -> None:
    assert citizen_id_check_digit(first12) == check
    assert make_citizen_id(first12) == first12 + str(check)
    assert is_valid_citizen_id(first12 + str(check))


@pytest.mark.parametrize(("first12", "check"), HAND_COMPUTED)
def test_wrong_check_digit_fails(first12: str, check: int) -> None:
    assert not is_valid_citizen_id(first12 + str((check + 1) % 10))


@pytest.mark.parametrize("bad", ["12345", "11017002034x", "๑๑๐๑๗๐๐๒๐๓๔๕"])
def test_check_digit_needs_twelve_ascii_digits(bad: str) -> None:
    with pytest.raises(ParseError):
        citizen_id_check_digit(bad)


def test_citizen_id_shape_rules() -> None:
    assert not is_valid_citizen_id("0" + make_citizen_id("110170020345")[1:])  # first digit 0
    assert not is_valid_citizen_id("110170020345")  # 12 digits
    assert not is_valid_citizen_id("1-1017-00203-45-0")  # not normalised


@given(twelve_digits)
def test_make_citizen_id_always_validates(first12: str) -> None:
    assert is_valid_citizen_id(make_citizen_id(first12))


def _weighted_sum_mod_11(first12: str) -> int:
    return sum(int(d) * w for d, w in zip(first12, range(13, 1, -1), strict=True)) % 11


@given(twelve_digits, st.integers(min_value=0, max_value=12), st.integers(min_value=1, max_value=9))
def test_changing_one_digit_is_caught_except_for_the_known_blind_spots(
    first12: str, position: int, shift: int
) -> None:
    """A one-digit typo fails validation, with two blind spots of the Thai scheme itself.

    The third digit has weight 11 ≡ 0 (mod 11), so it is not protected at all; and the final `mod 10` maps
    weighted sums ≡ 0 and ≡ 10 (mod 11) to the same check digit 1.
    """
    valid = make_citizen_id(first12)
    changed = valid[:position] + str((int(valid[position]) + shift) % 10) + valid[position + 1:]
    if changed[0] == "0" or position == 12:
        assert not is_valid_citizen_id(changed)
    elif position == 2:
        assert is_valid_citizen_id(changed)
    else:
        folded = {_weighted_sum_mod_11(valid[:12]), _weighted_sum_mod_11(changed[:12])} == {0, 10}
        assert is_valid_citizen_id(changed) == folded


def test_third_digit_blind_spot_example() -> None:
    # 110170020345-0 and 111170020345-0: the third digit (weight 11) does not enter the check
    assert is_valid_citizen_id("1101700203450") and is_valid_citizen_id("1111700203450")


def test_g_codes() -> None:
    assert is_valid_g_code("G123456789012")
    assert not is_valid_g_code("g123456789012")  # normalise first
    assert not is_valid_g_code("G12345678901")
    assert not is_valid_g_code("G1234567890123")
    assert not is_valid_g_code("X123456789012")


def test_normalise_person_id() -> None:
    assert normalise_person_id("1-1017-00203-45-0") == "1101700203450"
    assert normalise_person_id(" ๑ ๑๐๑๗ ๐๐๒๐๓ ๔๕ ๐ ") == "1101700203450"
    assert normalise_person_id("g 1234-5678-9012") == "G123456789012"
    assert normalise_person_id("1101700203450.0") == "1101700203450"  # numeric cell read as float
    raw = pd.Series(["1-1017-00203-45-0", "g123456789012", "1101700203450.0", None, "", " - "], dtype=object)
    result = normalise_person_id_series(raw)
    assert result[:3].tolist() == ["1101700203450", "G123456789012", "1101700203450"]
    assert result[3:].isna().all()


def test_normalise_series_of_plain_digits_is_unchanged() -> None:
    ids = pd.Series(["1101700203450", "3100500123458"])
    assert normalise_person_id_series(ids).tolist() == ids.tolist()


def test_classify_person_ids() -> None:
    good = make_citizen_id("110170020345")
    bad_check = good[:12] + str((int(good[12]) + 1) % 10)
    raw = pd.Series(
        [good, "1-1017-00203-45-0", "G123456789012", "g123456789012", bad_check, "0101700203450", "abc",
         None, "", "G12345"],
        index=range(100, 110),
        dtype=object,
    )
    kind, reason = classify_person_ids(raw)
    assert kind.index.equals(raw.index) and reason.index.equals(raw.index)
    assert kind.fillna("-").tolist() == [
        "citizen_id", "citizen_id", "g_code", "g_code", "-", "-", "-", "-", "-", "-",
    ]
    assert reason.loc[100:103].isna().all()
    assert reason[104] == "person_id: citizen ID fails its check digit"
    assert reason[105] == "person_id: citizen ID cannot start with 0"
    assert reason[106] == "person_id: not a citizen ID or G-code"
    assert reason[107] == reason[108] == "person_id: missing"
    assert reason[109] == "person_id: not a citizen ID or G-code"


def test_classify_accepts_integers_from_json() -> None:
    kind, reason = classify_person_ids(pd.Series([1101700203450, None], dtype=object))
    assert kind[0] == "citizen_id" and pd.isna(reason[0])
    assert reason[1] == "person_id: missing"


@given(st.lists(twelve_digits, min_size=1, max_size=30))
def test_vectorised_check_agrees_with_the_scalar_one(prefixes: list[str]) -> None:
    # half valid, half with the check digit bumped
    ids = [make_citizen_id(p) if i % 2 else p + str((citizen_id_check_digit(p) + 3) % 10)
           for i, p in enumerate(prefixes)]
    kind, _ = classify_person_ids(pd.Series(ids))
    assert (kind == "citizen_id").tolist() == [is_valid_citizen_id(i) for i in ids]


def test_school_id_parts() -> None:
    assert school_id_parts("1095420123") == ("10", "95", "420123")
    assert school_id_parts("๑๐๙๕๔๒๐๑๒๓") == ("10", "95", "420123")
    for bad in ["109542012", "10954201234", "10954201x3", ""]:
        with pytest.raises(ParseError, match="10 digits"):
            school_id_parts(bad)


def test_school_id_series_rules() -> None:
    raw = pd.Series(["1095420123", "1099420123", "9995420123", "109542012", None, "๑๐๙๕๔๒๐๑๒๓", "1191000001"])
    assert is_valid_school_id_series(raw).tolist() == [True, False, False, False, False, True, True]
    # 99 is no province; 99 is no affiliation; 9 digits; missing; Thai digits fine; OPEC in Satun fine


def test_dopa_province_codes() -> None:
    codes = dopa_province_codes()
    assert len(codes) == 77
    assert set(PROVINCES.values()) <= codes


@pytest.mark.skipif(not SCHOOL_REGISTRY.exists(), reason="../shared/data is absent on this machine")
def test_every_real_obec_school_id_is_valid_and_in_a_sandbox_province() -> None:
    registry = pd.read_csv(SCHOOL_REGISTRY, dtype=str, keep_default_na=False)
    ids = registry["school_id_10"]
    assert len(ids) > 1000
    valid = is_valid_school_id_series(ids)
    assert valid.all(), ids[~valid].tolist()[:10]
    assert set(ids.str[2:4]) <= {"58", "64", "91", "95"}
    assert set(ids.str[2:4]) == {"58", "64", "91", "95"}


def test_digits_of_other_scripts_are_not_accepted() -> None:
    # Myanmar digits (used near Mae Hong Son) are \d in Python regex but not Thai ID digits
    myanmar = "".join(chr(0x1040 + int(d)) for d in "1101700203450")
    kind, reason = classify_person_ids(pd.Series([myanmar]))
    assert pd.isna(kind[0]) and reason[0] == "person_id: not a citizen ID or G-code"
    assert not is_valid_citizen_id(myanmar)
    assert not is_valid_school_id_series(pd.Series([myanmar[:10]]))[0]


def test_trailing_newline_is_not_a_valid_id() -> None:
    assert not is_valid_citizen_id("1101700203450\n")
    assert not is_valid_g_code("G123456789012\n")


PERSON_IDS_TO_COMPARE = [make_citizen_id("110170020345"), make_citizen_id("310050012345"),
                         f"1-1017-00203-45-{make_citizen_id('110170020345')[-1]}",  # the first, as typed
                         "G110170020345", "g-1101-7002-0345", "G310050012345", "0123456789012",
                         "12345", None, "", "๑๑๐๑๗๐๐๒๐๓๔๕" + make_citizen_id("110170020345")[-1]]


@given(st.lists(st.sampled_from(PERSON_IDS_TO_COMPARE), min_size=1, max_size=12))
def test_person_id_numbers_are_equal_exactly_for_the_same_valid_id(delivered: list[str | None]) -> None:
    """The adapters compare person keys as these numbers: equal for two IDs exactly when both are valid and
    normalise alike (a citizen ID and a G-code with the same digits differ), -1 for any ID not valid."""
    from assets.parsing.ids import classify_normalised_ids, person_id_numbers

    normalised = normalise_person_id_series(pd.Series(delivered, dtype="str"))
    kind, _ = classify_normalised_ids(normalised)
    numbers = person_id_numbers(normalised, kind)
    for i in range(len(delivered)):
        assert (numbers[i] == -1) == pd.isna(kind[i])
        for j in range(len(delivered)):
            same_valid = pd.notna(kind[i]) and pd.notna(kind[j]) and normalised[i] == normalised[j]
            assert (numbers[i] == numbers[j] and numbers[i] != -1) == same_valid, (delivered[i], delivered[j])


_ID_LIKE_CHARACTERS = "0123456789Gg -.\u00a0\n๐๑๕๙ก\u1041é"
id_like_texts = st.one_of(
    st.none(),
    st.text(alphabet=_ID_LIKE_CHARACTERS, max_size=16),
    st.text(alphabet=_ID_LIKE_CHARACTERS, min_size=13, max_size=13),
    st.text(alphabet="0123456789G", min_size=13, max_size=13),  # "0…G…": 13 characters, not 13 digits
    st.builds(lambda p, g: f"G{p}" if g else make_citizen_id(p), twelve_digits, st.booleans()),
)


@given(st.lists(id_like_texts, min_size=1, max_size=40))
def test_ids_are_judged_in_numpy_as_their_patterns_judge_them_one_by_one(delivered: list[str | None]) -> None:
    """normalise_person_id_series and classify_normalised_ids judge a column's bytes at once; each ID must
    come out as the scalar normalisation and the patterns (13 ASCII digits, not starting with 0, check digit;
    or G and 12 ASCII digits) judge it alone, whatever other IDs (Thai, Myanmar or accented characters, 13
    characters of several bytes, separators) share the column."""
    normalised = normalise_person_id_series(pd.Series(delivered, dtype=object))
    kind, reason = classify_normalised_ids(normalised)
    for i, value in enumerate(delivered):
        one = normalise_person_id(value) if value is not None else ""
        assert (normalised[i] if pd.notna(normalised[i]) else "") == one, value
        if not one:
            expected_kind, expected_reason = None, "person_id: missing"
        elif is_valid_citizen_id(one):
            expected_kind, expected_reason = "citizen_id", None
        elif is_valid_g_code(one):
            expected_kind, expected_reason = "g_code", None
        elif re.fullmatch("0[0-9]{12}", one):
            expected_kind, expected_reason = None, "person_id: citizen ID cannot start with 0"
        elif re.fullmatch("[0-9]{13}", one):
            expected_kind, expected_reason = None, "person_id: citizen ID fails its check digit"
        else:
            expected_kind, expected_reason = None, "person_id: not a citizen ID or G-code"
        assert (None if pd.isna(kind[i]) else kind[i]) == expected_kind, value
        assert (None if pd.isna(reason[i]) else reason[i]) == expected_reason, value
