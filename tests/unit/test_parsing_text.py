"""Text clean-up: Thai digits, invisible whitespace, sara am, blanks → missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.parsing import clean_text, clean_text_series, thai_digits_to_arabic, thai_digits_to_arabic_series
from assets.parsing.text import factorize, per_distinct


def test_thai_digits_become_arabic() -> None:
    assert thai_digits_to_arabic("๐๑๒๓๔๕๖๗๘๙") == "0123456789"
    assert thai_digits_to_arabic("ป.๓/๒๕๖๖") == "ป.3/2566"


def test_thai_digits_series_keeps_missing_and_other_text() -> None:
    result = thai_digits_to_arabic_series(pd.Series(["๑x", None, "2"], dtype=object))
    assert result.iloc[0] == "1x"
    assert pd.isna(result.iloc[1])
    assert result.iloc[2] == "2"


def test_clean_collapses_whitespace_including_nbsp_and_zero_width_space() -> None:
    raw = pd.Series(["  โรงเรียน\u00a0\u00a0บ้าน\u200bนา  ", "a\t\tb", "a  b", "plain"])
    assert clean_text_series(raw).tolist() == ["โรงเรียน บ้าน นา", "a b", "a b", "plain"]


def test_clean_blank_and_invisible_only_become_missing() -> None:
    result = clean_text_series(pd.Series(["", "   ", "\u200b", "\u00a0", None, "x"], dtype=object))
    assert result.isna().tolist() == [True, True, True, True, True, False]


def test_clean_keeps_a_string_dtype_and_the_index() -> None:
    result = clean_text_series(pd.Series([" a ", None], index=[10, 20], dtype=object))
    assert pd.api.types.is_string_dtype(result.dtype)
    assert result.index.tolist() == [10, 20]


def test_clean_turns_numbers_from_json_into_text() -> None:
    assert clean_text_series(pd.Series([5, "๖"], dtype=object)).tolist() == ["5", "6"]


def test_clean_recomposes_sara_am_typed_as_nikhahit_plus_sara_aa() -> None:
    composed = "ซ้ำชั้น"  # ซ + ไม้โท + สระอำ
    typed_two_ways = pd.Series(["ซ\u0e4d\u0e49\u0e32ชั้น", "ซ\u0e49\u0e4d\u0e32ชั้น", composed])
    assert clean_text_series(typed_two_ways).tolist() == [composed] * 3


def test_clean_text_scalar() -> None:
    assert clean_text("  ม.๑ ") == "ม.1"
    assert clean_text("   ") is None
    assert clean_text(None) is None
    assert clean_text(float("nan")) is None


@given(st.lists(st.text(alphabet="ab ๑\u00a0\u200b\t", max_size=8), max_size=20))
def test_clean_is_idempotent_and_leaves_no_edge_or_double_spaces(values: list[str]) -> None:
    once = clean_text_series(pd.Series(values, dtype=object))
    twice = clean_text_series(once)
    assert once.fillna("<NA>").tolist() == twice.fillna("<NA>").tolist()
    for value in once.dropna():
        assert value == value.strip() and "  " not in value and "\u200b" not in value and "๑" not in value


def test_per_distinct_spreads_results_back_and_keeps_missing() -> None:
    calls: list[int] = []

    def parse(values: pd.Series) -> tuple[pd.Series]:
        calls.append(len(values))
        return (values.str.upper(),)

    (result,) = per_distinct(pd.Series(["a", "b", None, "a", "b"], index=list("vwxyz")), parse)
    assert calls == [2]  # each distinct non-missing value once
    assert result.index.tolist() == list("vwxyz")
    assert result.fillna("-").tolist() == ["A", "B", "-", "A", "B"]


_FACTORIZE_VALUES = {
    "string": st.sampled_from(["a", "b", "", "ก", "a ", None]),
    "Int64": st.sampled_from([0, 1, -1, 2**40, None]),
    "float64": st.sampled_from([0.0, -0.0, 1.5, float("nan"), float("inf"), float("-inf")]),
    "Float64": st.sampled_from([0.0, -0.0, 1.5, None]),
    "boolean": st.sampled_from([True, False, None]),
    "object": st.sampled_from([1, "1", True, None, 2.5, "ก"]),
}


@settings(max_examples=300, deadline=None)
@given(dtype=st.sampled_from(list(_FACTORIZE_VALUES)), data=st.data(), chunk_rows=st.integers(1, 7),
       use_na_sentinel=st.booleans(), shape=st.sampled_from(["series", "array"]))
def test_factorize_in_chunks_gives_what_pandas_gives_at_once(dtype: str, data: st.DataObject, chunk_rows: int,
                                                             use_na_sentinel: bool, shape: str) -> None:
    """Codes, distinct values and their types as `pd.factorize` over all rows, whatever the chunk size:
    missing values, NaN, -0.0 and values equal across types (1, True) fall in chunks apart."""
    values = data.draw(st.lists(_FACTORIZE_VALUES[dtype], min_size=0, max_size=40))
    series = pd.Series(values, dtype=dtype)
    given_values = series if shape == "series" else series.array if dtype != "float64" else series.to_numpy()
    expected_codes, expected_values = pd.factorize(given_values, use_na_sentinel=use_na_sentinel)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr("assets.parsing.text.MANY_VALUES_SHARE", 0)  # never factorised whole
        patched.setattr("assets.parsing.text.MAX_CHUNKED_VALUES", 1_000)
        codes, distinct = factorize(given_values, use_na_sentinel=use_na_sentinel, chunk_rows=chunk_rows)
    np.testing.assert_array_equal(codes, expected_codes)
    assert type(distinct) is type(expected_values)
    pd.testing.assert_series_equal(pd.Series(distinct), pd.Series(expected_values))


def test_factorize_sizes_its_hash_table_for_a_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """pandas' hash table is sized for the rows it is given: each call here gets at most a chunk."""
    sizes: list[int] = []
    real = pd.factorize

    def recording(values: object, **kwargs: object) -> object:
        sizes.append(len(values))  # type: ignore[arg-type]
        return real(values, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pd, "factorize", recording)
    year = pd.Series([2567] * 1_000 + [2568] * 1_000, dtype="Int64")
    codes, years = factorize(year, use_na_sentinel=False, chunk_rows=256)
    assert max(sizes) == 256 and len(sizes) == 8
    assert list(years) == [2567, 2568] and codes[999] == 0 and codes[1000] == 1
    sizes.clear()
    factorize(pd.Series(np.arange(2_000)), chunk_rows=256)  # mostly distinct: one call over all rows
    assert sizes[-1] == 2_000
