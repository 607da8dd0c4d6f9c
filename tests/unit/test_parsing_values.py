"""Thai value labels, yes/no, integers and decimals → contract values, with reasons for the failures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.contract.entities import SEXES, STUDENT_STATUSES
from assets.contract.landing import POVERTY_LABELS, SEX_LABELS, STATUS_LABELS
from assets.parsing import map_labels_series, parse_bool_series, parse_float_series, parse_int_series


def test_sex_labels() -> None:
    raw = pd.Series(["ชาย", "หญิง", "ช", "ญ", " ชาย ", "M", "f", None, "x"], dtype=object)
    values, reasons = map_labels_series(raw, SEX_LABELS, "sex")
    assert values.fillna("-").tolist() == ["M", "F", "M", "F", "M", "M", "F", "-", "-"]
    assert reasons.iloc[:8].isna().all()
    assert reasons.iloc[8] == "sex: unknown value 'x'"
    assert set(values.dropna()) <= set(SEXES)


def test_status_labels_accept_contract_values_and_decomposed_sara_am() -> None:
    raw = pd.Series(["เลื่อนชั้น", "promoted", "ซ\u0e4d\u0e49\u0e32ชั้น", "ออกกลางคัน", "ลาออก"])
    values, reasons = map_labels_series(raw, STATUS_LABELS, "status")
    assert values.fillna("-").tolist() == ["promoted", "promoted", "repeated", "dropped_out", "-"]
    assert reasons.iloc[4] == "status: unknown value 'ลาออก'"
    assert set(values.dropna()) <= set(STUDENT_STATUSES)


def test_every_label_maps_to_its_value() -> None:
    labels = pd.Series(list(POVERTY_LABELS))
    values, reasons = map_labels_series(labels, POVERTY_LABELS, "poverty_status")
    assert values.tolist() == list(POVERTY_LABELS.values())
    assert reasons.isna().all()


def test_label_results_keep_the_index() -> None:
    raw = pd.Series(["ชาย", "?"], index=[7, 3])
    values, reasons = map_labels_series(raw, SEX_LABELS, "sex")
    assert values.index.tolist() == reasons.index.tolist() == [7, 3]
    assert values[7] == "M" and reasons[3] == "sex: unknown value '?'"


def test_booleans() -> None:
    raw = pd.Series(["ใช่", "ไม่ใช่", "ผ่าน", "ไม่ผ่าน", "TRUE", "false", "1", "0", " Yes ", None, "maybe", True],
                    dtype=object)
    values, reasons = parse_bool_series(raw, "sandbox_member")
    assert str(values.dtype) == "boolean"
    assert values.iloc[:9].tolist() == [True, False, True, False, True, False, True, False, True]
    assert pd.isna(values.iloc[9]) and pd.isna(values.iloc[10])
    assert values.iloc[11]
    assert reasons.iloc[10] == "sandbox_member: not a yes/no value 'maybe'"
    assert reasons.drop(index=10).isna().all()


def test_boolean_dtype_passes_through() -> None:
    values, reasons = parse_bool_series(pd.Series([True, False]), "passed")
    assert values.tolist() == [True, False] and reasons.isna().all()


def test_integers_with_thai_digits_and_thousands_separators() -> None:
    raw = pd.Series(["1,234", "๑๒", "12.0", "1,234,567", "-3", "๑,๐๐๐", "1 234", None, "12.5", "x", "1,5"],
                    dtype=object)
    values, reasons = parse_int_series(raw, "population")
    assert str(values.dtype) == "Int64"
    assert values.iloc[:7].tolist() == [1234, 12, 12, 1234567, -3, 1000, 1234]
    assert values.iloc[7:].isna().all()
    assert reasons.iloc[:8].isna().all()
    assert reasons.iloc[8] == "population: not a whole number '12.5'"
    assert reasons.iloc[9] == "population: not a whole number 'x'"
    assert reasons.iloc[10] == "population: not a whole number '1,5'"


def test_integers_from_numeric_columns() -> None:
    values, reasons = parse_int_series(pd.Series([1, 2, 3]), "total")
    assert str(values.dtype) == "Int64" and values.tolist() == [1, 2, 3] and reasons.isna().all()
    values, reasons = parse_int_series(pd.Series([1.0, np.nan, 2.5]), "total")
    assert values.iloc[0] == 1 and pd.isna(values.iloc[1]) and pd.isna(values.iloc[2])
    assert pd.isna(reasons.iloc[1])
    assert reasons.iloc[2] == "total: not a whole number '2.5'"


def test_floats() -> None:
    raw = pd.Series(["1,234.5", "๑๒.๕", ".5", "-0.25", "7", None, "x", "1.2.3"], dtype=object)
    values, reasons = parse_float_series(raw, "score")
    assert str(values.dtype) == "Float64"
    assert values.iloc[:5].tolist() == [1234.5, 12.5, 0.5, -0.25, 7.0]
    assert values.iloc[5:].isna().all()
    assert reasons.iloc[:6].isna().all()
    assert reasons.iloc[6] == "score: not a number 'x'"
    assert reasons.iloc[7] == "score: not a number '1.2.3'"


def test_floats_from_numeric_columns() -> None:
    values, reasons = parse_float_series(pd.Series([1, 2]), "hours")
    assert str(values.dtype) == "Float64" and values.tolist() == [1.0, 2.0] and reasons.isna().all()


def test_repeated_values_are_parsed_consistently_over_many_rows() -> None:
    raw = pd.Series(["ชาย", "หญิง", None, "x"] * 25_000)
    values, reasons = map_labels_series(raw, SEX_LABELS, "sex")
    assert (values == "M").sum() == 25_000 and (values == "F").sum() == 25_000
    assert reasons.notna().sum() == 25_000
    assert values.index.equals(raw.index)


def test_digits_of_other_scripts_are_reported_not_silently_lost() -> None:
    myanmar_twelve = "\u1041\u1042"
    values, reasons = parse_int_series(pd.Series([myanmar_twelve]), "visitors")
    assert pd.isna(values.iloc[0])
    assert reasons.iloc[0] == f"visitors: not a whole number {myanmar_twelve!r}"
