"""Validation of one delivered file with GX: severities, quarantine, nothing lost, reports, suites, province
additions and reference data (school registry, DOPA codes)."""

from __future__ import annotations

import json
import time
from html.parser import HTMLParser
from pathlib import Path

import great_expectations.expectations as gxe
import numpy as np
import pandas as pd
import pytest

from assets.checks import distinct_values, make_suites, synthetic
from assets.checks.derived import (
    AGE_MINUS_OFFICIAL_AGE,
    IS_G_CODE,
    MALE_PLUS_FEMALE,
    REGISTRY_KEY,
    official_age_range,
)
from assets.checks.reference import (
    SCHOOL_IDS,
    Reference,
    geography_reference,
    reference_from_warehouse,
    registry_year,
)
from assets.checks.suites import (
    CROSS_DIR_NAME,
    SuiteError,
    label_of,
    load_cross_suite,
    load_suite,
    province_additions,
    severity_of,
)
from assets.checks.validation import ValidationOutcome, validate_delivery
from assets.contract.entities import ENTITIES, PROVINCES
from assets.contract.landing import SOURCE_FILES
from assets.file_reading import FileOutcome
from assets.ingest_assets import validate_files
from assets.sources.base import AdapterResult
from assets.sources.common import REJECT_COLUMNS
from pipelines.resources.warehouse import DELIVERIES, QUARANTINE, Warehouse
from pipelines.settings import EXPECTATIONS_DIR

YALA_SCHOOL = "1095000001"
SATUN_SCHOOL = "1091000001"
KEY = "0123456789abcdef0123456789abcdef"

GRADE_RULE = "expect_column_values_to_be_in_set(grade)"
SEX_RULE = "expect_column_values_to_be_in_set(sex)"
YALA_SCHOOL_FORMAT = "expect_column_values_to_match_regex(school_id) where province == 'yala'"
IN_REGISTRY = f"expect_column_values_to_be_in_set({REGISTRY_KEY}, ${SCHOOL_IDS})"
AGE_RULE = f"expect_column_values_to_be_between({AGE_MINUS_OFFICIAL_AGE})"


@pytest.fixture(autouse=True, params=["row by row", "distinct values"])
def row_check_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs twice: as small files are checked (every row) and with per-value rules checked
    on distinct values (as large files are), which must find the same rows with the same reasons."""
    if request.param == "distinct values":
        force_distinct_values(monkeypatch)
    return str(request.param)


def force_distinct_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(distinct_values, "MIN_ROWS", 0)
    monkeypatch.setattr(distinct_values, "MAX_DISTINCT_SHARE", 1.0)


def yala_reference(school_ids: list[str], academic_year: int = 2566) -> Reference:
    geography = geography_reference("yala")
    return Reference("yala", geography.district_codes, geography.subdistrict_codes,
                     registries={academic_year: frozenset(school_ids)})


def reasons_by_source_row(outcome) -> dict[int, str]:  # noqa: ANN001 - ValidationOutcome
    quarantined = outcome.quarantined
    return dict(zip(quarantined["source_row"].astype(int), quarantined["reason"], strict=True))


def assert_nothing_lost(outcome, rows: pd.DataFrame) -> None:  # noqa: ANN001
    assert outcome.rows_read == len(rows)
    assert len(outcome.valid_rows) + len(outcome.quarantined) == len(rows)
    assert outcome.rows_accounted_for
    assert set(outcome.valid_rows["source_row"]).isdisjoint(set(outcome.quarantined["source_row"]))


# -- suites ------------------------------------------------------------------------------------------------

def test_every_suite_loads_and_gx_accepts_every_expectation() -> None:
    for entity in ENTITIES:
        data = json.loads((EXPECTATIONS_DIR / f"{entity}.json").read_text(encoding="utf-8"))
        assert len(load_suite(entity).expectations) == len(data["expectations"]), entity
    additions = province_additions()
    assert {("literacy", "yala"), ("students", "mae_hong_son"), ("assessments", "satun"),
            ("protection_cases", "sukhothai"), ("population", "national"),
            ("assessments", "national")} <= set(additions)
    for (entity, province), path in additions.items():
        added = json.loads(path.read_text(encoding="utf-8"))["expectations"]
        assert added, path
        suite = load_suite(entity, province)
        assert suite.name == f"{entity}.{province}"
        assert len(suite.expectations) == len(load_suite(entity).expectations) + len(added)
        for expectation in suite.expectations[-len(added):]:
            assert expectation.meta.get("rule"), (path, expectation.expectation_type)
    for path in (EXPECTATIONS_DIR / CROSS_DIR_NAME).glob("*.json"):
        assert load_cross_suite(path.stem).expectations


def test_a_suite_file_gx_cannot_read_completely_is_refused(tmp_path: Path) -> None:
    baseline = (EXPECTATIONS_DIR / "students.json").read_text("utf-8")
    (tmp_path / "students.json").write_text(baseline, "utf-8")
    typo = {"expectations": [{"type": "expect_column_values_to_be_in_sett", "kwargs": {"column": "grade"},
                              "meta": {"severity": "row"}}]}
    (tmp_path / "students.yala.json").write_text(json.dumps(typo), encoding="utf-8")
    with pytest.raises(SuiteError, match="GX accepted"):
        load_suite("students", "yala", directory=tmp_path)
    table_level_as_row = {"expectations": [{"type": "expect_table_row_count_to_be_between",
                                            "kwargs": {"min_value": 1}, "meta": {"severity": "row"}}]}
    (tmp_path / "students.yala.json").write_text(json.dumps(table_level_as_row), encoding="utf-8")
    with pytest.raises(SuiteError, match="cannot name failing rows"):
        load_suite("students", "yala", directory=tmp_path)


def test_make_suites_check_passes_and_detects_drift(tmp_path: Path) -> None:
    assert make_suites.main(["--check"]) == 0
    make_suites.write_suites(tmp_path)
    assert make_suites.main(["--check", "--dir", str(tmp_path)]) == 0
    edited = tmp_path / "students.json"
    edited.write_text(edited.read_text("utf-8").replace('"min_value": 1', '"min_value": 0', 1), "utf-8")
    (tmp_path / "teachers.json").unlink()
    assert make_suites.stale_files(tmp_path) == ["students.json", "teachers.json"]
    assert make_suites.main(["--check", "--dir", str(tmp_path)]) == 1


def _kinds(entity: str) -> dict[str, list[gxe.Expectation]]:
    found: dict[str, list[gxe.Expectation]] = {}
    for expectation in load_suite(entity).expectations:
        found.setdefault(expectation.expectation_type, []).append(expectation)
    return found


def _columns_with(kinds: dict[str, list[gxe.Expectation]], kind: str) -> set[str]:
    return {e.configuration.kwargs["column"] for e in kinds.get(kind, [])}


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_baseline_suite_covers_the_contract(entity: str) -> None:
    contract = ENTITIES[entity]
    kinds = _kinds(entity)
    assert kinds["expect_table_columns_to_match_ordered_list"][0].configuration.kwargs["column_list"] == \
        contract.column_names
    assert _columns_with(kinds, "expect_column_values_to_be_in_type_list") == set(contract.column_names)
    required = {c.name for c in contract.all_columns if not c.nullable}
    assert _columns_with(kinds, "expect_column_values_to_not_be_null") == required
    assert _columns_with(kinds, "expect_column_values_to_be_in_set") >= {
        c.name for c in contract.all_columns if c.allowed is not None}
    assert _columns_with(kinds, "expect_column_values_to_be_between") >= {
        c.name for c in contract.all_columns if c.min_value is not None or c.max_value is not None}
    # The key is unique per academic year: several years of one landing folder are validated together.
    compound = kinds["expect_compound_columns_to_be_unique"][0].configuration.kwargs["column_list"]
    assert compound == ["academic_year", *contract.key]
    identifiers = {"school_id", "district_code", "subdistrict_code", "student_key", "teacher_key"}
    ids = identifiers & set(contract.column_names)
    assert ids <= _columns_with(kinds, "expect_column_values_to_match_regex")
    severities = {severity_of(e) for e in load_suite(entity).expectations}
    assert severities <= {"blocking", "row"}


def test_student_suite_checks_age_for_grade_and_school_province_per_folder() -> None:
    kinds = _kinds("students")
    assert AGE_MINUS_OFFICIAL_AGE in _columns_with(kinds, "expect_column_values_to_be_between")
    school_rules = [e for e in kinds["expect_column_values_to_match_regex"]
                    if e.configuration.kwargs["column"] == "school_id"]
    assert len(school_rules) == len(PROVINCES) + 1  # one per province folder, one for national files
    assert any(label_of(e) == YALA_SCHOOL_FORMAT for e in school_rules)
    assert MALE_PLUS_FEMALE in {e.configuration.kwargs["column_B"] for e in
                                _kinds("enrolment_counts")["expect_column_pair_values_to_be_equal"]}


# -- severities ----------------------------------------------------------------------------------------------

def test_valid_synthetic_rows_pass_without_quarantine() -> None:
    rows = synthetic.students(500)
    outcome = validate_delivery("students", "yala", rows)
    assert outcome.passed and outcome.quarantined.empty and not outcome.warnings
    assert len(outcome.valid_rows) == 500
    assert_nothing_lost(outcome, rows)


def test_missing_column_rejects_the_whole_file_naming_the_expectation() -> None:
    rows = synthetic.students(40).drop(columns=["sex"])
    outcome = validate_delivery("students", "yala", rows)
    assert not outcome.passed
    message = next(m for m in outcome.blocking_failures if "match_ordered_list" in m)
    assert message == ("expect_table_columns_to_match_ordered_list: missing columns ['sex'], "
                       "unexpected columns []")
    assert outcome.valid_rows.empty and len(outcome.quarantined) == 40
    assert outcome.quarantined["reason"].str.startswith("file rejected: expect_table_columns").all()
    assert_nothing_lost(outcome, rows)


def test_wrong_dtype_and_empty_file_are_structural() -> None:
    rows = synthetic.students(10)
    rows["academic_year"] = rows["academic_year"].astype("string")
    outcome = validate_delivery("students", "yala", rows)
    assert outcome.blocking_failures == [
        "expect_column_values_to_be_in_type_list(academic_year): dtype string where Int64Dtype expected"]
    assert len(outcome.quarantined) == 10

    empty = validate_delivery("students", "yala", synthetic.students(0))
    assert empty.blocking_failures == [
        "expect_table_row_count_to_be_between: the file has 0 rows (at least 1 expected)"]
    assert empty.rows_accounted_for


def test_row_failures_quarantine_exactly_the_bad_rows_with_their_labels() -> None:
    rows = synthetic.students(30)
    rows.loc[3, "grade"] = "P7"
    rows.loc[7, "sex"] = "X"
    rows.loc[11, "school_id"] = SATUN_SCHOOL  # well-formed, but Satun's in a Yala delivery
    rows.loc[15, ["grade", "sex"]] = ["K9", "?"]
    rows.loc[20, "student_key"] = rows.loc[21, "student_key"]
    outcome = validate_delivery("students", "yala", rows)
    assert outcome.passed
    unique_key = "expect_compound_columns_to_be_unique(academic_year, student_key)"
    # source_row = position + 2 (synthetic rows start at line 2)
    assert reasons_by_source_row(outcome) == {
        5: GRADE_RULE, 9: SEX_RULE, 13: YALA_SCHOOL_FORMAT, 17: f"{GRADE_RULE}; {SEX_RULE}",
        22: unique_key, 23: unique_key,
    }
    record = json.loads(outcome.quarantined.set_index("source_row").loc[9, "record"])
    assert record["sex"] == "X" and record["student_key"] == rows.loc[7, "student_key"]
    assert_nothing_lost(outcome, rows)


def as_categorical_text(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows as adapters give them: text columns categorical over their "string" values."""
    text = [c for c, t in rows.dtypes.items() if isinstance(t, pd.StringDtype)]
    return rows.astype({c: pd.CategoricalDtype(pd.Index(rows[c].dropna().unique(), dtype="string"))
                        for c in text})


def test_text_given_as_categoricals_is_validated_as_the_same_text() -> None:
    rows = synthetic.students(30)
    rows.loc[3, "grade"] = "P7"
    rows.loc[11, "school_id"] = SATUN_SCHOOL
    rows.loc[20, "student_key"] = rows.loc[21, "student_key"]
    categorical = as_categorical_text(rows)
    assert isinstance(categorical["student_key"].dtype, pd.CategoricalDtype)
    as_text = validate_delivery("students", "yala", rows)
    as_categories = validate_delivery("students", "yala", categorical)
    assert as_categories.passed and reasons_by_source_row(as_categories) == reasons_by_source_row(as_text)
    assert len(reasons_by_source_row(as_categories)) == 4
    assert as_categories.valid_rows.astype(str).equals(as_text.valid_rows.astype(str))
    assert_nothing_lost(as_categories, categorical)


def test_a_categorical_over_anything_but_text_fails_the_type_check() -> None:
    rows = as_categorical_text(synthetic.students(10))
    rows["school_id"] = rows["school_id"].astype("int64").astype("category")
    outcome = validate_delivery("students", "yala", rows)
    assert outcome.blocking_failures == [
        "expect_column_values_to_be_in_type_list(school_id): dtype int64 where StringDtype expected"]
    assert len(outcome.quarantined) == 10


def test_the_same_student_in_two_academic_years_is_not_a_duplicate() -> None:
    first = synthetic.students(20, academic_year=2566)
    second = synthetic.students(20, academic_year=2567)
    second["student_key"] = first["student_key"].to_numpy()  # the same children a year later
    second.loc[4, "student_key"] = second.loc[5, "student_key"]  # but twice in one year's roster
    outcome = validate_delivery("students", "yala", pd.concat([first, second], ignore_index=True))
    assert outcome.passed
    positions = sorted(outcome.quarantined_positions.tolist())
    assert positions == [24, 25]
    assert (set(outcome.quarantined["reason"])
            == {"expect_compound_columns_to_be_unique(academic_year, student_key)"})


def test_birth_date_must_fit_the_grade() -> None:
    # P1 official age 6 on 16 May; accepted 4..10. Academic year 2566 starts in 2023.
    assert official_age_range("P1") == (4, 10)
    rows = synthetic.students(4)
    rows["grade"] = pd.array(["P1"] * 4, dtype="string")
    rows["birth_date"] = pd.to_datetime(["2012-05-16", "2012-05-17", "2019-05-16", "2019-05-17"]).astype(
        "datetime64[ns]")  # ages 11 (too old), 10, 4, 3 (too young)
    outcome = validate_delivery("students", "yala", rows)
    assert reasons_by_source_row(outcome) == {2: AGE_RULE, 5: AGE_RULE}


def test_warnings_are_reported_but_do_not_block_or_quarantine() -> None:
    rows = synthetic.students(200, province="mae_hong_son")
    rows["agency"] = pd.array(["obec_primary_1"] * 200, dtype="string")
    rows["id_kind"] = pd.array(["citizen_id"] * 200, dtype="string")  # no G-codes at all
    outcome = validate_delivery("students", "mae_hong_son", rows)
    assert outcome.passed and outcome.quarantined.empty
    assert outcome.warnings == ["expect_column_distinct_values_to_contain_set(id_kind)",
                                f"expect_column_mean_to_be_between({IS_G_CODE})"]


def test_nothing_lost_when_a_known_fraction_is_spoiled() -> None:
    rows = synthetic.students(3000, seed=7)
    spoiled, positions = synthetic.spoil_students(rows, 0.05, seed=3)
    outcome = validate_delivery("students", "yala", spoiled)
    assert_nothing_lost(outcome, spoiled)
    assert sorted(outcome.quarantined["source_row"].astype(int)) == sorted((positions + 2).tolist())
    assert len(outcome.quarantined) == 150


# -- report --------------------------------------------------------------------------------------------------

class _TextAndTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.open: list[str] = []
        self.void = {"meta", "br", "hr", "img", "link", "input"}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.void:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, (tag, self.open[-5:])
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_report_is_written_and_names_the_failures(tmp_path: Path) -> None:
    rows = synthetic.students(50)
    registry = yala_reference(sorted(set(rows["school_id"])))
    rows.loc[4, "grade"] = "P7"
    rows.loc[9, "school_id"] = "1095999999"
    outcome = validate_delivery("students", "yala", rows, reference=registry)
    path = tmp_path / "students.html"
    path.write_text(outcome.report_html, encoding="utf-8")

    parser = _TextAndTags()
    parser.feed(path.read_text(encoding="utf-8"))
    assert parser.open == []  # every tag closed: a well-formed page
    text = " ".join(parser.text)
    assert "Validation: students — yala" in text
    assert GRADE_RULE in text and IN_REGISTRY in text
    assert "LOADED with quarantined rows or warnings" in text
    assert "school_id" in text and "P7" in text
    assert outcome.report_html.count('<tr class="fail">') == 2


def test_report_lists_what_was_not_evaluated_and_rejections() -> None:
    outcome = validate_delivery("students", "yala", synthetic.students(5))
    # a rule for another province's rows meets no row of Yala's file: listed, not run
    other_provinces = [f"expect_column_values_to_match_regex(school_id) where province == '{p}': "
                       "not evaluated (no row meets its condition)"
                       for p in ("mae_hong_son", "sukhothai", "satun", "national")]
    assert outcome.skipped == [f"{IN_REGISTRY}: not evaluated (no school registry given: school-in-registry "
                               "rules not evaluated)", *other_provinces]
    evaluated = {r["label"] for r in outcome.expectation_results}
    assert YALA_SCHOOL_FORMAT in evaluated and not evaluated & {s.split(": not")[0] for s in other_provinces}
    assert "Not evaluated" in outcome.report_html and "no school registry given" in outcome.report_html
    rejected = validate_delivery("students", "yala", synthetic.students(5).drop(columns=["grade"]))
    assert "REJECTED: blocking failure" in rejected.report_html
    assert "missing columns [&#x27;grade&#x27;]" in rejected.report_html


# -- reference data ------------------------------------------------------------------------------------------

def test_school_not_in_registry_is_quarantined_with_the_reference_rule() -> None:
    rows = synthetic.students(40)
    registry = sorted(set(rows["school_id"]) - {rows.loc[6, "school_id"]})
    outcome = validate_delivery("students", "yala", rows, reference=yala_reference(registry))
    bad = rows.index[rows["school_id"] == rows.loc[6, "school_id"]]
    assert reasons_by_source_row(outcome) == {int(i) + 2: IN_REGISTRY for i in bad}
    assert _reference_rules_skipped(outcome) == []


def test_district_and_subdistrict_codes_must_be_real_and_consistent() -> None:
    school = dict(school_name="บ้านทดสอบ", affiliation="10", area_code=None, levels_offered=None,
                  sandbox_member=True)
    rows = synthetic.contract_frame("schools", [
        dict(school, school_id="1095000001", district_code="9501", subdistrict_code="950101"),
        dict(school, school_id="1095000002", district_code="9509", subdistrict_code=None),  # Yala has 8
        dict(school, school_id="1095000003", district_code="9502", subdistrict_code="950101"),  # not in 9502
        dict(school, school_id="1095000004", district_code="9101", subdistrict_code=None),  # Satun's
    ])
    outcome = validate_delivery("schools", "yala", rows)
    district_known = "expect_column_values_to_be_in_set(district_code, $dopa_district_codes)"
    assert reasons_by_source_row(outcome) == {
        3: district_known,
        4: "expect_column_pair_values_to_be_equal(district_code, check__subdistrict_district)",
        5: f"expect_column_values_to_match_regex(district_code) where province == 'yala'; {district_known}",
    }
    assert _reference_rules_skipped(outcome) == []  # the registry rule does not apply to the registry itself


def _reference_rules_skipped(outcome: ValidationOutcome) -> list[str]:
    """What was not evaluated for want of a reference set (other provinces' rules meet no row: not these)."""
    return [note for note in outcome.skipped if not note.endswith("(no row meets its condition)")]


def test_reference_for_another_province_is_refused() -> None:
    with pytest.raises(ValueError, match="satun"):
        validate_delivery("students", "yala", synthetic.students(3), reference=geography_reference("satun"))


def _write_registry(warehouse: Warehouse, province: str, year: int, school_ids: list[str]) -> None:
    school = dict(school_name="โรงเรียน", affiliation="10", area_code=None, district_code="9501",
                  subdistrict_code=None, levels_offered=None, sandbox_member=False)
    records = [dict(school, school_id=s) for s in school_ids]
    rows = synthetic.contract_frame("schools", records, province, year)
    warehouse.ensure_raw_table(ENTITIES["schools"])
    nothing = {t.name: pd.DataFrame({c: [] for c in t.column_names}) for t in (QUARANTINE, DELIVERIES)}
    warehouse.replace_partition(ENTITIES["schools"], province, year, rows, nothing[QUARANTINE.name],
                                nothing[DELIVERIES.name])


def test_reference_from_an_empty_warehouse_skips_the_registry_rule(tmp_path: Path) -> None:
    warehouse = Warehouse.from_url(f"duckdb:///{tmp_path / 'never_written.duckdb'}")
    reference = reference_from_warehouse(warehouse, "yala", 2566)
    assert reference.school_ids is None and "9501" in reference.district_codes
    assert reference.notes == ("no school registry for yala in raw.schools (no year): "
                               "school-in-registry rules not evaluated",)
    assert not (tmp_path / "never_written.duckdb").exists()
    outcome = validate_delivery("students", "yala", synthetic.students(5), reference=reference)
    assert outcome.passed and outcome.skipped and "no school registry for yala" in outcome.skipped[0]


def test_reference_uses_the_years_registry_or_the_nearest_earlier_one(tmp_path: Path) -> None:
    warehouse = Warehouse.from_url(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    _write_registry(warehouse, "yala", 2564, ["1095000001"])
    _write_registry(warehouse, "yala", 2566, ["1095000001", "1095000002"])
    exact = reference_from_warehouse(warehouse, "yala", 2566)
    assert exact.school_ids == {"1095000001", "1095000002"} and exact.notes == ()
    gap = reference_from_warehouse(warehouse, "yala", 2565)
    assert gap.school_ids == {"1095000001"} and gap.registry_years == {"yala": 2564}
    assert gap.notes == ("no school registry for yala 2565: using the 2564 registry",)
    assert reference_from_warehouse(warehouse, "yala", 2563).registry_years == {"yala": 2564}
    assert [registry_year([2564, 2566], y) for y in (2563, 2564, 2565, 2567)] == [2564, 2564, 2564, 2566]


def test_national_reference_needs_all_four_registries(tmp_path: Path) -> None:
    warehouse = Warehouse.from_url(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    for n, (province, code) in enumerate(PROVINCES.items()):
        if province != "sukhothai":
            _write_registry(warehouse, province, 2566, [f"10{code}00000{n}"])
    partial = reference_from_warehouse(warehouse, "national", 2566)
    assert partial.school_ids is None and set(partial.registry_years) == {"yala", "satun", "mae_hong_son"}
    _write_registry(warehouse, "sukhothai", 2566, ["1064000009"])
    full = reference_from_warehouse(warehouse, "national", 2566)
    assert full.school_ids == {"1058000000", "1091000002", "1095000003", "1064000009"}
    assert len(full.district_codes) == 31  # 7 + 9 + 7 + 8 districts in geothai


def test_adapter_rejects_validation_quarantine_and_loaded_rows_add_up(tmp_path: Path) -> None:
    from assets.sources import read_delivery
    from tests.fixtures.deliveries.builders import (
        bad_check_digit,
        citizen_id,
        pseudonymiser,
        spec,
        write_jsonl,
    )

    source = spec("yala", "students")
    base = dict(first_name="อาดีลัน", last_name="ดอเลาะ", school_id=YALA_SCHOOL, grade="ป.4", sex="ชาย",
                birth_date="2556-05-20", status="กำลังศึกษา", dropout_reason=None, home_language="มลายูถิ่น")
    delivered = [
        dict(base, person_id=citizen_id(1)),
        dict(base, person_id=bad_check_digit(2)),  # the adapter rejects it
        dict(base, person_id=citizen_id(3), birth_date="2546-05-20"),  # 20 in P4: GX quarantines it
        dict(base, person_id=citizen_id(4), school_id="1095000002"),  # not in the registry
        dict(base, person_id=citizen_id(5)),
    ]
    path = write_jsonl(tmp_path / "students_obec.jsonl", source, delivered)
    result = read_delivery(source, path, province="yala", academic_year=2566, pseudonymiser=pseudonymiser())
    outcome = validate_delivery("students", "yala", result.rows, reference=yala_reference([YALA_SCHOOL]))
    assert result.rows_read == 5 and len(result.rejects) == 1
    assert result.rows_read == len(outcome.valid_rows) + len(result.rejects) + len(outcome.quarantined)
    assert reasons_by_source_row(outcome) == {3: AGE_RULE, 4: IN_REGISTRY}  # JSON Lines: line = record


# -- province additions ------------------------------------------------------------------------------------

def _literacy(score: float, passed: bool, grade: str = "P2", n: int = 0) -> dict[str, object]:
    return dict(student_key=f"{n:032x}", school_id=YALA_SCHOOL, grade=grade, skill="reading",
                score=score, passed=passed, screened_on="2023-07-03")


def test_yala_literacy_grades_and_pass_consistent_with_score() -> None:
    rows = synthetic.contract_frame("literacy", [
        _literacy(72.0, True, n=1), _literacy(72.0, False, n=2), _literacy(30.0, True, n=3),
        _literacy(50.0, True, n=4), _literacy(49.9, False, n=5), _literacy(60.0, True, "M1", n=6),
        _literacy(101.0, True, n=7),
    ])
    outcome = validate_delivery("literacy", "yala", rows)
    pass_rule = "expect_column_values_to_be_in_set(passed) where score >= 50"
    fail_rule = "expect_column_values_to_be_in_set(passed) where score < 50"
    assert reasons_by_source_row(outcome) == {
        3: pass_rule, 4: fail_rule, 7: GRADE_RULE,
        8: "expect_column_values_to_be_between(score)",  # the baseline's 0-100 range
    }
    assert outcome.warnings == ["expect_column_distinct_values_to_equal_set(skill)"]  # reading only


def test_province_additions_apply_only_to_their_province() -> None:
    rows = synthetic.contract_frame("literacy", [_literacy(60.0, False, "M1", n=1)], province="satun")
    rows["school_id"] = pd.array([SATUN_SCHOOL], dtype="string")
    assert validate_delivery("literacy", "satun", rows).quarantined.empty
    assert load_suite("literacy", "satun").name == "literacy"
    assert len(load_suite("literacy", "yala").expectations) > len(load_suite("literacy").expectations)
    mhs_only = "expect_column_values_to_be_in_set(agency)"
    yala_students = validate_delivery("students", "yala", synthetic.students(20))
    assert mhs_only not in {r["label"] for r in yala_students.expectation_results}


def _assessment(test: str, grade: str, subject: str, n: int, school: str) -> dict[str, object]:
    return dict(student_key=f"{n:032x}", school_id=school, test=test, grade=grade, subject=subject,
                score=55.0)


def test_satun_competency_only_in_its_grades_and_national_tests_in_theirs() -> None:
    competency = "การสื่อสาร"
    satun = synthetic.contract_frame("assessments", [
        _assessment("COMPETENCY", "P3", competency, 1, SATUN_SCHOOL),
        _assessment("ONET", "P6", competency, 2, SATUN_SCHOOL),
        _assessment("COMPETENCY", "P4", competency, 3, SATUN_SCHOOL),
        _assessment("COMPETENCY", "M3", "ดนตรี", 4, SATUN_SCHOOL),
    ], province="satun")
    outcome = validate_delivery("assessments", "satun", satun)
    assert reasons_by_source_row(outcome) == {3: "expect_column_values_to_be_in_set(test)", 4: GRADE_RULE}
    assert outcome.warnings == ["expect_column_values_to_be_in_set(subject)"]

    national = synthetic.contract_frame("assessments", [
        _assessment("NT", "P3", "ภาษาไทย", 1, YALA_SCHOOL),
        _assessment("NT", "P6", "ภาษาไทย", 2, SATUN_SCHOOL),
        _assessment("ONET", "M6", "ภาษาไทย", 3, "1058000001"),
        _assessment("ONET", "P3", "ภาษาไทย", 4, "1064000001"),
        _assessment("COMPETENCY", "P3", competency, 5, "1064000001"),
        _assessment("NT", "P3", "ภาษาไทย", 6, "1010000001"),  # a Bangkok school: not a sandbox province
    ], province="national")
    outcome = validate_delivery("assessments", "national", national)
    assert reasons_by_source_row(outcome) == {
        3: "expect_column_values_to_be_in_set(grade) where test == 'NT'",
        5: "expect_column_values_to_be_in_set(grade) where test == 'ONET'",
        6: "expect_column_values_to_be_in_set(test)",
        7: "expect_column_values_to_match_regex(school_id) where province == 'national'",
    }


def test_sukhothai_closed_cases_without_support_warn() -> None:
    def case(n: int, status: str, support: str | None) -> dict[str, object]:
        return dict(student_key=f"{n:032x}", school_id="1064000001", disadvantage_type="ความยากจน",
                    support_given=support, follow_up_status=status)

    recorded = [case(n, "closed", "ทุนการศึกษา") for n in range(8)]
    fine = synthetic.contract_frame("protection_cases", [*recorded, case(8, "closed", None),
                                                         case(9, "open", None)], province="sukhothai")
    assert validate_delivery("protection_cases", "sukhothai", fine).warnings == []  # 1 of 9 closed: 11 %
    lax = synthetic.contract_frame("protection_cases", [*recorded[:6], case(6, "closed", None),
                                                        case(7, "closed", None)], province="sukhothai")
    outcome = validate_delivery("protection_cases", "sukhothai", lax)  # 2 of 8 closed: 25 %
    assert outcome.warnings == [
        "expect_column_values_to_not_be_null(support_given) where follow_up_status == 'closed'"]
    assert outcome.quarantined.empty


def test_national_population_districts_of_the_four_provinces() -> None:
    reference = geography_reference("national")
    records = [dict(district_code=d, age=a, sex=s, population=100)
               for d in sorted(reference.district_codes) for a in (0, 17) for s in ("M", "F")]
    complete = synthetic.contract_frame("population", records, province="national")
    outcome = validate_delivery("population", "national", complete)
    assert outcome.passed and outcome.quarantined.empty and outcome.warnings == []

    partial = synthetic.contract_frame("population", [*records[4:], dict(district_code="1001", age=5, sex="M",
                                                                         population=3)], province="national")
    outcome = validate_delivery("population", "national", partial)
    assert outcome.warnings == ["expect_column_distinct_values_to_contain_set(district_code, "
                                "$dopa_district_codes)"]
    assert reasons_by_source_row(outcome) == {len(records) - 2: (
        "expect_column_values_to_match_regex(district_code) where province == 'national'; "
        "expect_column_values_to_be_in_set(district_code, $dopa_district_codes)")}


def test_counts_and_learning_spaces_multi_column_rules() -> None:
    counts = synthetic.contract_frame("enrolment_counts", [
        dict(school_id=YALA_SCHOOL, grade="P1", male=10, female=12, total=22, classrooms=1),
        dict(school_id=YALA_SCHOOL, grade="P2", male=10, female=12, total=23, classrooms=1),
        dict(school_id=YALA_SCHOOL, grade="P3", male=-1, female=12, total=11, classrooms=1),
    ])
    outcome = validate_delivery("enrolment_counts", "yala", counts)
    assert reasons_by_source_row(outcome) == {
        3: f"expect_column_pair_values_to_be_equal(total, {MALE_PLUS_FEMALE})",
        4: "expect_column_values_to_be_between(male)"}
    spaces = synthetic.contract_frame("learning_spaces", [
        dict(space_id="S1", space_name="ห้องสมุด", district_code="9501", month="2023-07-01", visitors=40,
             visitors_applying=40, income_baht=0.0),
        dict(space_id="S2", space_name="ห้องสมุด", district_code="9501", month="2023-07-01", visitors=40,
             visitors_applying=41, income_baht=0.0),
    ])
    outcome = validate_delivery("learning_spaces", "yala", spaces)
    assert reasons_by_source_row(outcome) == {
        3: "expect_column_pair_values_a_to_be_greater_than_b(visitors, visitors_applying)"}


# -- several files of one step, validated together (assets.ingest_assets.validate_files) ---------------------

def _delivered(rows: pd.DataFrame, name: str) -> FileOutcome:
    source = next(s for s in SOURCE_FILES if s.province == "yala" and s.entity == "students")
    rows = rows.assign(source_file=pd.array([name] * len(rows), dtype="string"))
    rejects = pd.DataFrame(columns=list(REJECT_COLUMNS))  # the adapter found nothing to reject
    outcome = FileOutcome(source, Path(name), "obec", 2566, "a" * 64, rows_read=len(rows))
    outcome.adapted = AdapterResult("students", name, "a" * 64, rows, rejects, len(rows))
    return outcome


def test_files_validated_together_each_keep_their_own_rows_as_views_of_one_frame(tmp_path: Path) -> None:
    files = [synthetic.students(n, seed=n) for n in (30, 40, 25)]
    files[0].loc[3, "grade"] = "P7"
    files[1].loc[[0, 17, 39], "sex"] = "X"  # the middle file's first and last rows among them
    outcomes = [_delivered(rows, f"students_{i}.jsonl") for i, rows in enumerate(files)]
    reference = yala_reference(sorted(set(pd.concat(files)["school_id"])))
    assert validate_files(outcomes, "students", "yala", reference, tmp_path / "report.html") == []
    expected_bad = [{5}, {2, 19, 41}, set()]
    for outcome, rows, bad in zip(outcomes, files, expected_bad, strict=True):
        kept = [r for r in rows["source_row"].astype(int) if r not in bad]
        assert outcome.rows["source_row"].astype(int).tolist() == kept
        assert set(outcome.rows["source_file"]) == {outcome.path.name}
        assert outcome.rows.index.tolist() == list(range(len(kept)))
        assert set(outcome.quarantine["source_row"].astype(int)) == bad
        assert set(outcome.quarantine["source_file"]) <= {outcome.path.name}
        assert outcome.adapted.rows.empty  # handed over to the combined frame: no second copy kept
    # every file's rows are a slice of the one validated frame, not a copy of their part of it
    bases = {id(_base_of(o.rows["birth_date"].to_numpy())) for o in outcomes}
    assert len(bases) == 1


def _base_of(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


# -- performance ---------------------------------------------------------------------------------------------

@pytest.mark.long
def test_one_million_students_validate_in_reasonable_time() -> None:
    rows = synthetic.students(1_000_000)
    spoiled, positions = synthetic.spoil_students(rows, 0.01)
    reference = yala_reference(sorted(set(rows["school_id"])))
    started = time.perf_counter()
    outcome = validate_delivery("students", "yala", spoiled, reference=reference)
    seconds = time.perf_counter() - started
    print(f"1M students, 1 % spoiled: {seconds:.1f} s {outcome.seconds}")
    assert outcome.rows_accounted_for and len(outcome.quarantined) == len(positions)
    assert np.array_equal(np.sort(outcome.quarantined["source_row"].to_numpy(dtype=np.int64)), positions + 2)
    assert seconds < 60
