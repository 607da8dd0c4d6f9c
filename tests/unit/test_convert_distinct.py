"""The adapters judge each distinct delivered value once (assets/parsing/text.py DistinctValues): every row's
result must be what judging the rows themselves gives, and duplicates found on integer codes must be the
ones pandas finds on the values."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from assets.contract.entities import ENTITIES, NATIONAL, PROVINCES
from assets.contract.landing import SOURCE_FILES
from assets.parsing.text import DistinctValues
from assets.sources.common import _convert_distinct, _one_code_per_key, _repeated
from assets.sources.readers import FIELD_TO_COLUMN, NEVER_LOADED, PERSON_ID, delivered_fields
from tests.fuzzing import valid_rows

SOURCES = [s for s in SOURCE_FILES if s.format != "emis_csv"]
MESSY = ["", " ", "\u00a0", None, "abc", "1-2345-67890-12-3", "๑๒", "12.5", "-3", "99999999",
         "31/02/2560", "2010-01-01", "ใช่", "  ชาย ", "ม.๓", "1095420001", "1064010001", "1,234"]


def _fields(source_index: int) -> list[tuple[str, list[object]]]:
    """(field, values seen in valid rows of the source) for every judged field but the person ID."""
    source = SOURCES[source_index]
    rows = valid_rows(source, 12, 1)
    return [(f, [r.get(f) for r in rows]) for f in delivered_fields(source)
            if f not in NEVER_LOADED and f != PERSON_ID]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_each_field_judged_per_distinct_value_equals_judging_every_row(data: st.DataObject) -> None:
    source_index = data.draw(st.integers(0, len(SOURCES) - 1), label="source")
    source = SOURCES[source_index]
    entity = ENTITIES[source.entity]
    expected_code = None if source.province == NATIONAL else PROVINCES[source.province]
    for field, seen in _fields(source_index):
        pool = [v if v is None or isinstance(v, str) else str(v) for v in seen] + MESSY
        values = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=30), label=field)
        text = pd.Series(values, dtype="str")
        column = entity.column(FIELD_TO_COLUMN.get(field, field))
        each_row = _convert_distinct(field, column, text, expected_code)
        delivered = DistinctValues.of(text)
        distinct = _convert_distinct(field, column, delivered.values, expected_code)
        for per_row, per_distinct in zip(each_row, distinct, strict=True):
            spread = delivered.with_values(per_distinct).rows()
            pd.testing.assert_series_equal(spread, per_row.reset_index(drop=True), check_names=False,
                                           obj=f"{source.province}/{source.entity}.{field} {values}")


def _key_frame(draw: st.DrawFn, rows: int, columns: int) -> pd.DataFrame:
    return pd.DataFrame({f"k{c}": draw(st.lists(st.sampled_from(["a", "b", None, "ข"]), min_size=rows,
                                                 max_size=rows)) for c in range(columns)}, dtype="str")


@given(st.data())
def test_repeated_keys_found_on_codes_are_pandas_duplicates(data: st.DataObject) -> None:
    rows = data.draw(st.integers(1, 40), label="rows")
    keys = _key_frame(data.draw, rows, data.draw(st.integers(1, 4), label="columns"))
    codes = _one_code_per_key([DistinctValues.of(keys[c]) for c in keys.columns])
    assert _repeated(codes).tolist() == keys.duplicated(keep=False).tolist()
    for i in range(rows):
        for j in range(rows):
            assert (codes[i] == codes[j]) == keys.iloc[i].equals(keys.iloc[j])


def test_codes_of_many_key_columns_stay_exact_past_64_bits() -> None:
    """22 key columns of 10 distinct values each make 10^22 combinations, more than an int64 holds. Rows 0-9
    make each column's codes its digits; rows 10 and 11 then read as the 22-digit numbers 10^21 + 2^64 and
    10^21, equal modulo 2^64: codes wrapped round instead of renumbered on the way would call them equal."""
    digits = [[str(r)] * 22 for r in range(10)]
    digits += [list(str(10**21 + 2**64)), list(str(10**21))]
    keys = pd.DataFrame(digits, columns=[f"k{c}" for c in range(22)], dtype="str")
    codes = _one_code_per_key([DistinctValues.of(keys[c]) for c in keys.columns])
    assert len(set(codes.tolist())) == 12
    assert _repeated(codes).tolist() == keys.duplicated(keep=False).tolist() == [False] * 12
    repeated = pd.concat([keys, keys.iloc[[10]]], ignore_index=True)
    codes = _one_code_per_key([DistinctValues.of(repeated[c]) for c in repeated.columns])
    assert codes[12] == codes[10] and _repeated(codes).tolist() == [False] * 10 + [True, False, True]
