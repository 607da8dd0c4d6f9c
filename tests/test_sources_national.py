"""National sources: rows attributed to a sandbox province by their codes; other provinces out of scope."""

from __future__ import annotations

from pathlib import Path

from assets.sources import read_delivery
from tests.fixtures.deliveries.builders import (
    check_result,
    citizen_id,
    pseudonymiser,
    reasons_by_row,
    spec,
    write_csv,
)


def read(source, path: Path):
    return read_delivery(source, path, province="national", academic_year=2566, pseudonymiser=pseudonymiser())


def test_population_by_district_keeps_sandbox_provinces(tmp_path: Path) -> None:
    source = spec("national", "population")
    rows = [
        dict(district_code="9501", age="7", sex="ชาย", population="1,204"),
        dict(district_code="1001", age="7", sex="ชาย", population="5000"),  # Bangkok: out of scope
        dict(district_code="5801", age="๗", sex="หญิง", population="310"),
        dict(district_code="9101", age="130", sex="หญิง", population="1"),  # age out of range
        dict(district_code="6401", age="7", sex="F", population="99"),
        dict(district_code="", age="7", sex="F", population="99"),
    ]  # no province: out of scope
    result = read(source, write_csv(tmp_path / "dopa_population.csv", source, rows))

    check_result(result)
    assert result.rows_read == 4  # out-of-scope rows are neither read nor rejected
    assert set(result.rows["province"]) == {"national"}  # lineage: the folder it was delivered in
    assert result.rows["district_code"].str[:2].tolist() == ["95", "58", "64"]  # sandbox provinces only
    assert result.rows["population"].tolist() == [1204, 310, 99]
    assert result.rows["source_row"].tolist() == [2, 4, 6]
    assert reasons_by_row(result) == {5: "age: 130 outside 0–120"}
    assert "1 rows of other provinces out of scope (not counted as read)" in result.notes
    assert any("1 rows with a blank district_code" in n for n in result.notes)


def test_nt_onet_results_cp874(tmp_path: Path) -> None:
    source = spec("national", "assessments")
    assert source.encoding == "cp874"
    rows = [
        dict(
            person_id=citizen_id(1),
            school_id="1095010001",
            test="O-NET",
            grade="ป.6",
            subject="คณิตศาสตร์",
            score="35.5",
        ),
        dict(
            person_id=citizen_id(2),
            school_id="1020080005",
            test="O-NET",
            grade="ป.6",
            subject="คณิตศาสตร์",
            score="40",
        ),
        dict(
            person_id=citizen_id(3),
            school_id="1091010001",
            test="NT",
            grade="ป.3",
            subject="ความสามารถด้านภาษา",
            score="61.25",
        ),
        dict(
            person_id=citizen_id(4),
            school_id="109501000X",
            test="NT",
            grade="ป.3",
            subject="ภาษา",
            score="50",
        ),
    ]
    path = write_csv(tmp_path / "nt_onet_results.csv", source, rows)
    result = read(source, path)

    check_result(result, raw_ids=[citizen_id(1), citizen_id(2)])
    assert result.rows[["school_id", "test", "grade", "score"]].values.tolist() == [
        ["1095010001", "ONET", "P6", 35.5],
        ["1091010001", "NT", "P3", 61.25],
    ]
    # a malformed ID with a sandbox province's digits stays in scope and is rejected, not dropped
    assert reasons_by_row(result) == {5: "school_id: invalid school ID '109501000X'"}
    assert result.rows_read == 3


def test_eef_poverty_screening(tmp_path: Path) -> None:
    source = spec("national", "poverty")
    rows = [
        dict(person_id=citizen_id(1), school_id="1058010001", poverty_status="ยากจนพิเศษ"),
        dict(person_id="G581234567890", school_id="1058010001", poverty_status="ไม่ยากจน"),
        dict(person_id=citizen_id(3), school_id="1064010001", poverty_status="รวย"),
    ]
    result = read(source, write_csv(tmp_path / "eef_poverty_screening.csv", source, rows))
    check_result(result, raw_ids=["G581234567890"])
    assert result.rows["poverty_status"].tolist() == ["extremely_poor", "not_poor"]
    assert result.rows["province"].tolist() == ["national", "national"]
    assert result.rows["school_id"].str[2:4].tolist() == ["58", "58"]
    assert reasons_by_row(result) == {4: "poverty_status: unknown value 'รวย'"}


def test_scope_is_judged_per_distinct_code_as_per_row() -> None:
    """Each distinct code is cleaned and judged once; every row must get its own code's judgement."""
    import numpy as np
    import pandas as pd

    from assets.parsing.text import clean_text_series
    from assets.sources.common import PROVINCE_BY_CODE
    from assets.sources.national import _in_scope_and_blank

    delivered = pd.Series(["1095010001", " 1095010001", "๑๐๙๕๐๑๐๐๐๑", "1020080005", None, "", "  ", "10",
                           "1058\u00a0010001", "1020080005", None, "1095010001"], dtype=object)
    in_scope, blank = _in_scope_and_blank(delivered, slice(2, 4))
    cleaned = clean_text_series(delivered)
    assert in_scope.tolist() == cleaned.str[2:4].map(PROVINCE_BY_CODE).notna().tolist()
    assert blank.tolist() == cleaned.isna().tolist()
    assert np.flatnonzero(in_scope).tolist() == [0, 1, 2, 8, 11]
    assert isinstance(in_scope, np.ndarray) and in_scope.dtype == bool
