"""Per-value expectations checked once per distinct value instead of once per row.

Whether a row passes `expect_column_values_to_match_regex(school_id) where province == 'yala'` depends only
on that row's school_id and province. A 2.2M-row O-NET file holds 1,200 school IDs, one source_sha256 and
four grades, so GX can check the distinct combinations and the verdict goes back to every row holding one:
the same failing rows as checking each row (tests/test_validation.py runs every validation test both ways),
for a fraction of the time (expectations/README.md).

Columns with many distinct values (person keys) stay with the whole frame: factorising them costs about as
much as checking them. Whole-frame checking also stays for small files (one GX call per column group costs
a few milliseconds, more than a small file's checks) and for anything not decided by the row's own values:
uniqueness, `mostly`, pass-through row conditions.

A compound key's uniqueness is checked part by part instead (`uniqueness_parts`): rows sharing a key share
its columns with few distinct values (year, test, subject), so the rows of each combination of those are
checked apart, with the same duplicates. GX's check of the 6.6 M NT/O-NET rows at once held 520 MiB more
than the rows in the run's process, while a worker read the next file. Before either, a key no two rows
share is found so by hashing it (`key_surely_unique`), without GX reading the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.row_conditions import (
    AndCondition,
    ComparisonCondition,
    NullityCondition,
    OrCondition,
)

from assets.parsing.text import factorize, narrowed_codes

PER_VALUE_TYPES = frozenset({
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_values_to_match_regex_list",
    "expect_column_values_to_not_match_regex_list",
    "expect_column_value_lengths_to_be_between",
    "expect_column_value_lengths_to_equal",
    "expect_column_values_to_match_strftime_format",
})
"""Map expectations whose verdict on a row is a function of that row's value alone."""

MIN_ROWS = 20_000
"""Files smaller than this are checked row by row (as cheap, and one GX call fewer per column group)."""
SAMPLE_ROWS = 10_000
MAX_DISTINCT_SHARE = 0.25
"""Column groups with more distinct combinations than this share of the first SAMPLE_ROWS rows are checked
row by row: factorising a column of person keys takes as long as checking it."""


UNIQUENESS = "expect_compound_columns_to_be_unique"
MAX_PART_VALUES = 64
"""A key column with at most this many distinct values (in the first SAMPLE_ROWS rows and in all) splits the
rows into parts for the key's uniqueness check."""

Factorised = dict[str, tuple[np.ndarray, pd.Index]]
"""Column → (per row: the code of its value, the distinct values)."""


@dataclass(frozen=True)
class DistinctRows:
    """The distinct combinations of some columns' values, and which one each row holds."""

    frame: pd.DataFrame
    """One row per distinct combination (index 0..k-1), columns as in the original frame, same dtypes."""
    codes: np.ndarray
    """Per original row: the position in `frame` of its combination."""

    def rows_with(self, distinct_positions: np.ndarray) -> np.ndarray:
        """Positions of the original rows holding any of these combinations, ascending."""
        return np.flatnonzero(np.isin(self.codes, distinct_positions))


def value_columns(expectation: Expectation) -> tuple[str, ...] | None:
    """The columns whose values alone decide whether a row passes (the expectation's column, then those its
    row condition names), or None when the verdict depends on more than the row (or cannot be told)."""
    if expectation.expectation_type not in PER_VALUE_TYPES:
        return None
    kwargs = expectation.configuration.kwargs
    if kwargs.get("mostly", 1) != 1:  # success compares a share of all rows
        return None
    condition_columns = _condition_columns(getattr(expectation, "row_condition", None))
    if condition_columns is None:
        return None
    return tuple(dict.fromkeys([kwargs["column"], *condition_columns]))


def _condition_columns(condition: object) -> list[str] | None:
    """The columns a row condition reads; None for a pass-through (pandas query) condition."""
    if condition is None:
        return []
    if isinstance(condition, ComparisonCondition | NullityCondition):
        return [condition.column.name]
    if isinstance(condition, AndCondition | OrCondition):
        columns: list[str] = []
        for part in condition.conditions:
            found = _condition_columns(part)
            if found is None:
                return None
            columns += found
        return columns
    return None


def group_by_distinct_values(
    frame: pd.DataFrame, expectations: Iterable[Expectation],
) -> tuple[list[tuple[DistinctRows, list[Expectation]]], list[Expectation]]:
    """([(distinct rows, the expectations to check on them)], the expectations to check on the whole frame).

    Expectations sharing their value columns share one DistinctRows.
    """
    groups: dict[tuple[str, ...], list[Expectation]] = {}
    whole: list[Expectation] = []
    for expectation in expectations:
        columns = value_columns(expectation) if len(frame) >= MIN_ROWS else None
        if columns is None or not all(c in frame.columns for c in columns):
            whole.append(expectation)
        else:
            groups.setdefault(columns, []).append(expectation)
    projected: list[tuple[DistinctRows, list[Expectation]]] = []
    factorised: Factorised = {}  # a column shared by groups is factorised once
    for columns, members in groups.items():
        distinct = distinct_rows(frame, columns, factorised)
        if distinct is None:
            whole += members
        else:
            projected.append((distinct, members))
    return projected, whole


def distinct_rows(frame: pd.DataFrame, columns: tuple[str, ...],
                  factorised: Factorised | None = None) -> DistinctRows | None:
    """The distinct combinations of `columns` in `frame` (missing values included, as values), or None when
    there are too many for checking them once each to pay (judged on the first SAMPLE_ROWS rows).

    `factorised` caches each column's (codes, distinct values) between calls on the same frame.
    """
    sample = frame.iloc[:SAMPLE_ROWS]
    if sample.empty:
        return None
    sampled = _combined_codes(sample, columns, {})
    if sampled is None or len(sampled[1]) > MAX_DISTINCT_SHARE * len(sample):
        return None
    combined = _combined_codes(frame, columns, {} if factorised is None else factorised)
    if combined is None:
        return None
    codes, keys, uniques = combined
    # Each key is a mixed-radix number whose digits are the columns' value codes: take them apart again.
    digits: dict[str, np.ndarray] = {}
    rest = keys.copy()
    for column, values in reversed(list(zip(columns, uniques, strict=True))):
        digits[column] = rest % len(values)
        rest //= len(values)
    distinct = pd.DataFrame({c: pd.Series(v.take(digits[c])) for c, v in zip(columns, uniques, strict=True)})
    if any(distinct[c].dtype != frame[c].dtype for c in columns):
        return None  # GX might treat another dtype differently: keep the rows as they are
    return DistinctRows(frame=distinct, codes=codes)


def _combined_codes(frame: pd.DataFrame, columns: tuple[str, ...], factorised: Factorised,
                    ) -> tuple[np.ndarray, np.ndarray, list[pd.Index]] | None:
    """(per row: the code of its combination, per combination: its key, per column: its distinct values), or
    None when the keys would not fit in 63 bits."""
    for column in columns:
        if column not in factorised:
            codes, values = factorize(frame[column], use_na_sentinel=False)
            factorised[column] = (narrowed_codes(codes, len(values)), pd.Index(values))
    parts = [factorised[column] for column in columns]
    if np.prod([float(len(values)) for _, values in parts]) >= 2.0**62:
        return None
    if len(parts) == 1:
        codes, values = parts[0]
        return codes, np.arange(len(values), dtype=np.int64), [values]
    keys = np.zeros(len(frame), dtype=np.int64)
    for column_codes, values in parts:
        keys = keys * len(values) + column_codes
    codes, combination_keys = factorize(keys)
    return (narrowed_codes(codes, len(combination_keys)), np.asarray(combination_keys, dtype=np.int64),
            [values for _, values in parts])


def _uniqueness_key(frame: pd.DataFrame, expectation: Expectation) -> list[str] | None:
    """The key's columns when its uniqueness may be checked outside one GX call over the whole frame: a large
    frame, no `mostly` (a share of all rows), no row condition."""
    kwargs = expectation.configuration.kwargs
    if (expectation.expectation_type != UNIQUENESS or len(frame) < MIN_ROWS or kwargs.get("mostly", 1) != 1
            or getattr(expectation, "row_condition", None) is not None):
        return None
    return list(kwargs["column_list"])


_MIX = np.uint64(0x9E3779B97F4A7C15)
HASH_CHUNK_ROWS = 250_000
"""Text is hashed this many rows at a time: pandas holds every value's UTF-8 bytes while it hashes them
(430 MB for the 6.6 M NT/O-NET person keys at once)."""


def key_surely_unique(frame: pd.DataFrame, expectation: Expectation) -> bool:
    """True only when no two rows of a large frame can share the key: each row's key hashed to 64 bits, no
    two rows share a hash. Equal keys always hash alike, so this never passes a key GX would fail; False when
    unsure (a duplicate, a hash collision, a column missing), and GX decides as before. Factorising 4.3 M
    person keys for GX's check took 3.8 s, their hashes and a sort 0.9 s."""
    key = _uniqueness_key(frame, expectation)
    if key is None or any(c not in frame.columns for c in key):
        return False
    hashes = np.zeros(len(frame), dtype=np.uint64)
    sample = frame.iloc[:SAMPLE_ROWS]
    for column in key:
        hashes *= _MIX
        hashes += _equal_if_equal(frame[column], sample[column].nunique() > MAX_PART_VALUES).view(np.uint64)
    hashes.sort()
    return not bool((hashes[1:] == hashes[:-1]).any())


def _equal_if_equal(column: pd.Series, many_values: bool) -> np.ndarray:
    """64 bits per row, alike for values `DataFrame.duplicated` takes as equal (the converse need not hold):
    text with many distinct values hashed from its UTF-8 bytes (missing hashed as ""), anything else
    factorised, as GX's check does (missing values one code)."""
    if not (many_values and isinstance(column.dtype, pd.StringDtype)):
        codes, _ = factorize(column, use_na_sentinel=False)
        return codes  # 64-bit integers: added to the hashes as they are (`view`), not copied
    hashes = np.empty(len(column), dtype=np.uint64)
    for start in range(0, len(column), HASH_CHUNK_ROWS):
        text = column.iloc[start:start + HASH_CHUNK_ROWS].to_numpy(dtype=object, na_value="")
        hashes[start:start + len(text)] = pd.util.hash_array(text, categorize=False)
    return hashes


def uniqueness_parts(frame: pd.DataFrame, expectation: Expectation) -> Iterator[pd.DataFrame] | None:
    """For a compound key's uniqueness on a large frame: the key's columns, one part per combination of the
    values of its columns with few distinct values (missing among them), each part holding every row that
    could share a key with its rows. None when it would not pay or not hold: a small frame, no such column,
    one part, `mostly` (a share of all rows) or a row condition."""
    key = _uniqueness_key(frame, expectation)
    if key is None:
        return None
    sample = frame.iloc[:SAMPLE_ROWS]
    splitting = [c for c in key if c in frame.columns
                 and sample[c].nunique(dropna=False) <= MAX_PART_VALUES
                 and frame[c].nunique(dropna=False) <= MAX_PART_VALUES]
    if not splitting:
        return None
    parts = frame.groupby(splitting, dropna=False, sort=False, observed=True).indices
    if len(parts) < 2:
        return None
    return (frame[key].take(positions) for positions in parts.values())
