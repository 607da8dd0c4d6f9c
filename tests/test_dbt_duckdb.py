"""`dbt build` on DuckDB over the hand-made raw fixture (tests/dbt_fixtures.py), and the marts checked against
values worked out by hand from that fixture, with the UIS / OBEC / EEF definitions in dim_indicators.

Fixture facts used below (academic year 2566 = school year starting 16 May 2023 unless said otherwise):
  Yala roster 2566, 37 students. S1 (OBEC, district 9501): P1 girls a01-a10 (age 6, promoted), P1 boys
  b01-b08 (6, promoted), b09 (6, repeated), b10 (7, dropped out); P6 girls c01-c05 (11, graduated) and c06
  (11, repeated). S2 (OBEC, 9501): M3 boys d01-d03 (14, promoted), d04 (14, transferred out). S3 (OPEC,
  9502): P3 girls e01-e05 (8, promoted), e06 (8, dropped out), h01 (8, transferred out).
  Yala roster 2567, 36 students: a01-a10, b01-b08 in P2 at S1; b09 P1 at S1; c06 P6 at S1; g01-g03 new P1
  at S1; c01-c04 M1 at S2; d01-d03 M4 at S2; d04 M4 at S3; e01-e05 P4 at S3. (c05, b10, e06, h01 gone.)
  EMIS 2566 for S1 only: P1 boys 11, girls 10; P6 boys 0, girls 5 (it wins over S1's roster that year).
  Population 2566: district 9501 2 persons per sex for each age 6-11 and 1 per sex for ages 12-17;
  district 9502 10 girls aged 8; a Bangkok row (ignored). No population for 2567.
  Satun 2566: S4 (9101) P2 boys f01-f03 (age 7), no 2567 roster.
  Sukhothai 2566: three social-protection cases (p01 closed; p02 open and in progress), no other delivery.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dbt_project.scripts import make_indicator_docs
from pipelines.resources.warehouse import Warehouse
from pipelines.settings import DUCKDB_MEMORY_LIMIT_ENV
from tests.dbt_fixtures import (
    DbtBuild,
    fixture_duckdb_build,
    fixture_rows,
    read_duckdb_schema,
    run_dbt_build,
)

PCT = pytest.approx  # values are rounded to 4 decimals in the marts
TOL = 1e-4


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    return fixture_duckdb_build(tmp_path_factory.mktemp)


@pytest.fixture(scope="module")
def con(build: DbtBuild) -> Iterator[duckdb.DuckDBPyConnection]:
    assert build.warehouse is not None
    with duckdb.connect(str(build.warehouse), read_only=True) as connection:
        yield connection


def one(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> dict[str, Any]:
    rows = con.execute(sql, list(params)).fetchall()
    assert len(rows) == 1, f"expected one row, got {len(rows)}: {sql} {params}"
    return dict(zip([d[0] for d in con.description], rows[0], strict=True))


def province(con: duckdb.DuckDBPyConnection, year: int, indicator: str, breakdown: str = "total",
             value: str = "all", area: str = "yala") -> dict[str, Any]:
    return one(con, "select * from marts.fct_province_indicators where province = ? and academic_year = ? "
                    "and indicator_id = ? and breakdown_type = ? and breakdown_value = ?",
               area, year, indicator, breakdown, value)


def district(con: duckdb.DuckDBPyConnection, code: str, year: int, indicator: str, breakdown: str = "total",
             value: str = "all") -> dict[str, Any]:
    return one(con, "select * from marts.fct_district_indicators where district_code = ? "
                    "and academic_year = ? "
                    "and indicator_id = ? and breakdown_type = ? and breakdown_value = ?",
               code, year, indicator, breakdown, value)


def school(con: duckdb.DuckDBPyConnection, school_id: str, year: int = 2566) -> dict[str, Any]:
    return one(con, "select * from marts.fct_school_monitor where school_id = ? and academic_year = ?",
               school_id, year)


def yearly(con: duckdb.DuckDBPyConnection, year: int, area: str = "yala") -> dict[str, Any]:
    return one(con, "select * from marts.mart_province_yearly where province = ? and academic_year = ?",
               area, year)


def assert_rate(row: dict[str, Any], numerator: float, denominator: float, scale: float = 100) -> None:
    """Published (not suppressed) with these components and value = scale * numerator / denominator."""
    assert row["suppressed_reason"] is None
    assert (row["numerator"], row["denominator"]) == (PCT(numerator, abs=TOL), PCT(denominator, abs=TOL))
    assert row["value"] == PCT(scale * numerator / denominator, abs=TOL)


def assert_suppressed(row: dict[str, Any], numerator: float, denominator: float) -> None:
    assert row["value"] is None
    assert (row["numerator"], row["denominator"]) == (PCT(numerator, abs=TOL), PCT(denominator, abs=TOL))
    assert row["suppressed_reason"] == f"denominator {denominator:g} < 10"


# --- the build itself ---------------------------------------------------------------------------------------


INDICATOR_MODELS = {"int_enrolment_components_aggregated", "int_population_components_aggregated",
                    "int_flow_components_aggregated", "int_teacher_components_aggregated",
                    "int_learning_components_aggregated", "int_protection_components_aggregated",
                    "int_student_flows_traced",
                    "int_school_years_sized", "int_enrolments_reconciled", "int_students_joined_to_schools",
                    "int_teachers_joined_to_training", "fct_province_indicators", "fct_district_indicators",
                    "fct_school_monitor", "fct_student_flows", "mart_province_yearly", "mart_district_yearly"}


def test_build_runs_every_test_and_unit_test_without_error(build: DbtBuild) -> None:
    results = build.run_results()["results"]
    failed = [r["unique_id"] for r in results if r["status"] in ("error", "fail", "skipped")]
    assert failed == []
    unit_tests = [r for r in results if r["unique_id"].startswith("unit_test.")]
    data_tests = [r for r in results if r["unique_id"].startswith("test.")]
    nodes = build.manifest()["nodes"]
    declared = [key for key in nodes if key.startswith("test.")]
    assert len(unit_tests) >= len(INDICATOR_MODELS) and len(data_tests) == len(declared)
    # every staging model and mart has data tests of its own (a not-null list at least)
    tested = {nodes[key].get("attached_node") for key in declared}
    published = {key for key, node in nodes.items()
                 if node["resource_type"] == "model" and node["fqn"][1] in ("staging", "marts")}
    assert published and published <= tested, sorted(published - tested)
    # The only warnings are plausibility checks: the fixture's tiny population makes NER exceed 100 %.
    warned = {r["unique_id"] for r in results if r["status"] == "warn"}
    assert warned and all("ner_" in unique_id for unique_id in warned)


# Folded test → (model, column → (update that breaks it, condition of a broken row)).
BROKEN_COLUMNS: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "not_null_mart_province_yearly": ("mart_province_yearly", {
        "province_code": ("set province_code = null where province = 'yala'", "province_code is null")}),
    "accepted_range_mart_province_yearly": ("mart_province_yearly", {
        "total_enrolment": ("set total_enrolment = -1 where province = 'satun'", "total_enrolment < 0"),
        "dropout_rate": ("set dropout_rate = 100.5 where province = 'yala'", "dropout_rate > 100")}),
    "accepted_values_fct_province_indicators": ("fct_province_indicators", {
        "unit": ("set unit = 'Percent' where indicator_id = 'dropout_rate'", "unit = 'Percent'"),
        "breakdown_type": ("set breakdown_type = 'gender' where breakdown_type = 'sex'",
                           "breakdown_type = 'gender'")}),
}


def test_folded_column_rules_fail_naming_each_column_and_counting_each_value(build: DbtBuild,
                                                                            tmp_path: Path) -> None:
    """A model's not-null columns, range rules and value lists are one dbt test each (macro
    failing_rows_per_column). On a copy of the built warehouse with values broken in some columns, each
    test fails, its stored failures name exactly the broken columns with their counts, and its failure
    count is those counts added up (the number a test per column would have reported in all)."""
    assert build.warehouse is not None
    warehouse = tmp_path / build.warehouse.name  # DuckDB names the catalog after the file
    shutil.copy(build.warehouse, warehouse)
    nodes = build.manifest()["nodes"]
    expected: dict[str, dict[str, int]] = {}
    with duckdb.connect(str(warehouse)) as connection:
        for test, (model, columns) in BROKEN_COLUMNS.items():
            node = nodes[f"model.edusandbox.{model}"]
            table = f"{node['schema']}.{node['name']}"
            for update, _ in columns.values():
                connection.execute(f"update {table} {update}")
            expected[test] = {column: connection.execute(f"select count(*) from {table} where "
                                                         + broken).fetchone()[0]
                              for column, (_, broken) in columns.items()}
    assert all(all(counts.values()) for counts in expected.values()), expected
    env = {"EDUSANDBOX_DBT_TARGET": "duckdb", "EDUSANDBOX_DUCKDB_PATH": str(warehouse)}
    run = run_dbt_build(tmp_path / "dbt", env, "--select", *BROKEN_COLUMNS, "--store-failures",
                        command="test", failing=True)

    results = {r["unique_id"].split(".")[2]: r for r in run.run_results()["results"]
               if r["unique_id"].startswith("test.")}
    assert {name: (r["status"], r["failures"]) for name, r in results.items()} == {
        test: ("fail", sum(counts.values())) for test, counts in expected.items()}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        stored = {name: dict(connection.execute("select column_name, failing_rows from "
                                                 + result["relation_name"]).fetchall())
                  for name, result in results.items()}
    assert stored == expected


def test_dbt_connects_with_the_warehouse_memory_limit(build: DbtBuild, tmp_path: Path) -> None:
    """The limit the warehouse hands dbt (pipelines/settings.py) reaches dbt's DuckDB through profiles.yml."""
    assert build.warehouse is not None
    wh = Warehouse.from_url(f"duckdb:///{build.warehouse}")
    shown = run_dbt_build(tmp_path, {**wh.dbt_env(), DUCKDB_MEMORY_LIMIT_ENV: "1GB"}, "--inline",
                          "select current_setting('memory_limit') as memory_limit", "--output", "json",
                          command="show")
    assert '"memory_limit": "953.6 MiB"' in shown.output


def test_every_model_that_computes_an_indicator_has_unit_tests(build: DbtBuild) -> None:
    manifest = build.manifest()
    tested = {node["model"] for node in manifest["unit_tests"].values()}
    assert tested >= INDICATOR_MODELS


def test_indicator_docs_are_generated_from_the_seed_and_reach_the_model_docs(build: DbtBuild) -> None:
    definitions = make_indicator_docs.read_definitions()
    assert make_indicator_docs.DOCS.read_text(encoding="utf-8") == make_indicator_docs.render(definitions), (
        "models/indicator_docs.md is stale: run .venv/bin/python dbt_project/scripts/make_indicator_docs.py")
    nodes = build.manifest()["nodes"]
    for row in definitions:
        description = nodes[f"model.edusandbox.{row['computed_in']}"]["description"]
        assert f"| {row['indicator_id']} |" in description, row["indicator_id"]
        assert row["formula"] in description, row["indicator_id"]


def test_breakdowns_produced_are_the_ones_documented(con: duckdb.DuckDBPyConnection) -> None:
    produced = con.execute("select distinct indicator_id, breakdown_type "
                           "from intermediate.int_indicator_components_unioned").fetchall()
    documented = {row["indicator_id"]: set(row["breakdowns"].split()) | {"total"}
                  for row in make_indicator_docs.read_definitions()}
    assert all(breakdown in documented[indicator] for indicator, breakdown in produced)


# --- enrolment ----------------------------------------------------------------------------------------------


def test_enrolment_uses_emis_where_it_covers_the_school_year(con: duckdb.DuckDBPyConnection) -> None:
    # 2566: S1 from EMIS 11 + 10 + 0 + 5 = 26, S2 roster 4, S3 roster 7 -> 37.
    # 2567 (rosters only): S1 18 + 1 + 1 + 3 = 23, S2 4 + 3 = 7, S3 1 + 5 = 6 -> 36; change 36 - 37 = -1.
    assert province(con, 2566, "enrolment")["value"] == 37
    row = province(con, 2567, "enrolment")
    assert (row["value"], row["value_prev_year"], row["change"]) == (36, 37, -1)
    # Breakdowns 2566: primary 26 + 7 = 33, lower secondary 4; girls 10 + 5 + 7 = 22, boys 11 + 0 + 4 = 15;
    # OBEC 26 + 4 = 30, OPEC 7. Satun: S4 roster 3.
    assert province(con, 2566, "enrolment", "level", "primary")["value"] == 33
    assert province(con, 2566, "enrolment", "level", "lower_secondary")["value"] == 4
    assert province(con, 2566, "enrolment", "sex", "F")["value"] == 22
    assert province(con, 2566, "enrolment", "sex", "M")["value"] == 15
    assert province(con, 2566, "enrolment", "affiliation", "OPEC")["value"] == 7
    assert province(con, 2566, "enrolment", area="satun")["value"] == 3
    # Districts: 9501 = S1 + S2 = 30 both years (change 0); 9502 = S3: 7 then 6.
    assert district(con, "9501", 2567, "enrolment")["change"] == 0
    assert district(con, "9502", 2567, "enrolment")["change"] == -1


# --- population-based: GER, NER, out of school --------------------------------------------------------------


def test_gross_and_net_enrolment_against_dopa_population(con: duckdb.DuckDBPyConnection) -> None:
    # Population 6-11: 9501 2 x 6 ages x 2 sexes = 24, 9502 10 -> 34 (girls 12 + 10 = 22, boys 12).
    # GER primary = enrolment P1-P6 any age 33 / 34; girls 22/22; boys 11/12.
    assert_rate(province(con, 2566, "ger_primary"), 33, 34)
    assert_rate(province(con, 2566, "ger_primary", "sex", "F"), 22, 22)
    assert_rate(province(con, 2566, "ger_primary", "sex", "M"), 11, 12)
    # Adjusted GPI: girls 100 % > boys 91.67 % -> 2 - (11/12) / (22/22) = 1.0833.
    gpi = province(con, 2566, "ger_primary_parity_index", "sex", "F/M")
    assert gpi["value"] == PCT(2 - (11 / 12) / 1, abs=TOL)
    # NER primary: roster pupils aged 6-11 in P1-P6: a 10 + b01-b09 9 + b10 1 + c 6 + e 6 + h01 1 = 33 / 34.
    assert_rate(province(con, 2566, "ner_primary"), 33, 34)
    # Lower secondary: M3 boys d01-d04 (aged 14) 4 / population 12-14 = 3 ages x 2 sexes x 1 = 6 (< 10).
    assert_suppressed(province(con, 2566, "ger_lower_secondary"), 4, 6)
    # No population delivered for 2567: no population-based rows at all for that year.
    assert con.execute("select count(*) from marts.fct_province_indicators where academic_year = 2567 "
                       "and (indicator_id like 'ger%' or indicator_id like 'ner%' "
                       "or indicator_id like 'out_of_school%')").fetchone() == (0,)


def test_out_of_school_nets_population_and_enrolment_per_area(con: duckdb.DuckDBPyConnection) -> None:
    # Province, ages 6-17: population 24 + 12 + 10 = 46; roster students aged 6-17: 37 -> 9 out of school.
    assert_rate(province(con, 2566, "out_of_school_rate"), 9, 46)
    assert province(con, 2566, "out_of_school_children")["value"] == 9
    # 6-11: population 34, enrolled 33 -> 1 (not 0 + 3 from the districts, see below).
    assert_rate(province(con, 2566, "out_of_school_rate", "age_group", "6-11"), 1, 34)
    # Girls: population 18 + 10 = 28, enrolled 10 + 6 + 7 = 23 -> 5; boys: 18 - (9 + 1 + 4) = 4.
    assert_rate(province(con, 2566, "out_of_school_rate", "sex", "F"), 5, 28)
    assert_rate(province(con, 2566, "out_of_school_rate", "sex", "M"), 4, 18)
    # Adjusted parity: girls 17.86 % < boys 22.22 % -> F/M = (5/28) / (4/18) = 0.8036.
    parity = province(con, 2566, "out_of_school_rate_parity_index", "sex", "F/M")
    assert parity["value"] == PCT((5 / 28) / (4 / 18), abs=TOL)
    # Compulsory ages 6-14: population 34 + 6 = 40, enrolled 33 + 4 = 37 -> 3.
    assert_rate(province(con, 2566, "out_of_school_rate_6_14"), 3, 40)
    # District 9501, ages 6-11: population 24, enrolled 26 -> floored to 0; 9502: 10 - 7 = 3.
    assert_rate(district(con, "9501", 2566, "out_of_school_rate", "age_group", "6-11"), 0, 24)
    assert_rate(district(con, "9502", 2566, "out_of_school_rate", "age_group", "6-11"), 3, 10)
    # Ages 15-17: 6 persons, nobody enrolled -> 6 of 6, a "100 %" withheld.
    assert_suppressed(province(con, 2566, "out_of_school_rate", "age_group", "15-17"), 6, 6)


# --- flows (UIS reconstructed cohort) -----------------------------------------------------------------------


def test_promotion_repetition_and_dropout_add_up_to_one_hundred(con: duckdb.DuckDBPyConnection) -> None:
    # 2566 -> 2567, E = 37. Promoted: a 10 + b 8 + c01-c04 4 + c05 (graduate of P6) 1 + d 4 + e 5 = 32;
    # repeated b09, c06 = 2; dropouts (residual) b10, e06, h01 (left the area) = 3; recorded b10, e06 = 2.
    assert_rate(province(con, 2566, "promotion_rate"), 32, 37)
    assert_rate(province(con, 2566, "repetition_rate"), 2, 37)
    assert_rate(province(con, 2566, "dropout_rate"), 3, 37)
    assert_rate(province(con, 2566, "recorded_dropout_rate"), 2, 37)
    # P1: 20 pupils, 18 promoted, 1 repeated, 1 dropped out.
    assert_rate(province(con, 2566, "promotion_rate", "grade", "P1"), 18, 20)
    assert_rate(province(con, 2566, "dropout_rate", "grade", "P1"), 1, 20)
    # Girls: 23 (a, c, e, h01), dropouts e06 + h01 = 2; boys: 14, dropout b10 = 1.
    # Adjusted parity: 8.70 % > 7.14 % -> 2 - (1/14) / (2/23) = 1.1786.
    parity = province(con, 2566, "dropout_rate_parity_index", "sex", "F/M")
    assert parity["value"] == PCT(2 - (1 / 14) / (2 / 23), abs=TOL)
    assert (parity["numerator"], parity["denominator"]) == (PCT(200 / 23, abs=TOL), PCT(100 / 14, abs=TOL))
    # Affiliation: OPEC has 7 pupils -> the OBEC/other index is withheld.
    assert province(con, 2566, "dropout_rate_parity_index", "affiliation", "OBEC/other")["value"] is None
    # The last year has no following roster and Satun has a single year: no flow rows.
    assert con.execute("select count(*) from marts.fct_province_indicators "
                       "where indicator_id = 'dropout_rate' and (academic_year = 2567 or province = 'satun')"
                       ).fetchone() == (0,)


def test_effective_transition_rates_leave_out_repeaters(con: duckdb.DuckDBPyConnection) -> None:
    # P6 2566: 6 pupils, c06 repeats -> denominator 5; c01-c04 in M1 -> 4/5 = 80 %, withheld (5 < 10).
    assert_suppressed(province(con, 2566, "transition_rate_p6_m1"), 4, 5)
    # M3 2566: 4 boys, all in M4 (d04 at another school) -> 4/4, withheld.
    assert_suppressed(province(con, 2566, "transition_rate_m3_m4"), 4, 4)


def test_district_flows_and_school_flow_table(con: duckdb.DuckDBPyConnection) -> None:
    # District 9501 = S1 + S2: 30 pupils, only b10 neither promoted nor repeating -> 1/30.
    assert_rate(district(con, "9501", 2566, "dropout_rate"), 1, 30)
    # fct_student_flows: S2 receives c01-c04 (P6 in 2566) and S3 receives d04 (M3); S2 sent d04 away.
    s2_p6 = one(con, "select * from marts.fct_student_flows where school_id = '1095010002' and grade = 'P6'")
    assert (s2_p6["students_start"], s2_p6["transferred_in"]) == (0, 4)
    s2_m3 = one(con, "select * from marts.fct_student_flows where school_id = '1095010002' and grade = 'M3'")
    assert (s2_m3["students_start"], s2_m3["promoted"], s2_m3["transferred_out"]) == (4, 4, 1)
    s3 = one(con, "select * from marts.fct_student_flows where school_id = '1195020001' and grade = 'P3'")
    assert (s3["promoted"], s3["dropped_out"], s3["left_area"]) == (5, 1, 1)


# --- teachers -----------------------------------------------------------------------------------------------


def test_training_shares_and_pupil_teacher_ratio(con: duckdb.DuckDBPyConnection) -> None:
    # Teachers t1, t2, t3 (S1), t5, t6 (S2): trained t1, t5 -> 2/5, withheld; the director t4 is trained:
    # 1/1 = "100 %", withheld rather than published.
    assert_suppressed(province(con, 2566, "share_teachers_trained"), 2, 5)
    assert_suppressed(province(con, 2566, "share_directors_trained"), 1, 1)
    # PTR: schools with teachers S1 (26 pupils, 3 teachers) and S2 (4, 2): 30/5 = 6; by level, S1's
    # teachers all go to primary (26 / 3) and S2's to lower secondary (4 / 2). A ratio is not suppressed.
    assert_rate(province(con, 2566, "pupil_teacher_ratio"), 30, 5, scale=1)
    assert_rate(province(con, 2566, "pupil_teacher_ratio", "level", "primary"), 26, 3, scale=1)
    assert_rate(province(con, 2566, "pupil_teacher_ratio", "level", "lower_secondary"), 4, 2, scale=1)


# --- schools, poverty, learning -----------------------------------------------------------------------------


def test_small_schools_by_obec_size_class(con: duckdb.DuckDBPyConnection) -> None:
    # 2566: S1 26 pupils (primary type) small, S2 4 (M3 only -> secondary type) small, S3 7 small: 3/3.
    assert_suppressed(province(con, 2566, "share_small_schools"), 3, 3)
    sizes = dict(con.execute("select school_id, school_type || '/' || size_class from marts.dim_schools"
                             ).fetchall())
    # Latest year 2567: S2 has M1 and M4 pupils and S3 an M4 pupil -> secondary bands.
    assert sizes == {"1095010001": "primary/small", "1095010002": "secondary/small",
                     "1195020001": "secondary/small", "1091010001": "primary/small"}


def test_poverty_shares_over_the_schools_the_screening_covered(con: duckdb.DuckDBPyConnection) -> None:
    # Screened schools S1 (26 roster pupils) and S3 (7): 33. Poor a01-a05, e01 + extremely poor b01 = 7;
    # S2 was not screened and stays out of the denominator.
    assert_rate(province(con, 2566, "share_poor_students"), 7, 33)
    assert_rate(province(con, 2566, "share_extremely_poor_students"), 1, 33)
    # Girls 16 + 7 = 23 with 6 poor; boys 10 with b01: parity 2 - (1/10) / (6/23) = 1.6167.
    parity = province(con, 2566, "share_poor_students_parity_index", "sex", "F/M")
    assert parity["value"] == PCT(2 - (1 / 10) / (6 / 23), abs=TOL)


def test_literacy_and_minimum_proficiency(con: duckdb.DuckDBPyConnection) -> None:
    # Literacy (Yala, P1 girls a01-a10): both skills passed by a01-a08; a09 reading only; a10 neither.
    assert_rate(province(con, 2566, "literacy_pass_rate"), 8, 10)
    assert_rate(province(con, 2566, "literacy_reading_pass_rate"), 9, 10)
    assert_rate(province(con, 2566, "literacy_writing_pass_rate"), 8, 10)
    # NT/O-NET at >= 50: O-NET P6 thai 40 50 60 70 30 -> 3; O-NET M3 math 45 50 20 80 -> 2; NT P3 55 x 6 -> 6.
    assert_rate(province(con, 2566, "minimum_proficiency_share"), 11, 15)
    assert_rate(province(con, 2566, "minimum_proficiency_share", "subject", "thai"), 9, 11)
    assert_suppressed(province(con, 2566, "minimum_proficiency_share", "subject", "math"), 2, 4)


def test_learning_spaces_against_programme_targets(con: duckdb.DuckDBPyConnection) -> None:
    # 2566: 100 + 50 visitors, 30 + 20 applying; 2567: 200 visitors, 50 applying.
    users = province(con, 2567, "learning_space_users")
    assert (users["value"], users["value_prev_year"], users["change"]) == (200, 150, 50)
    share = province(con, 2567, "learning_space_applying_share")
    assert share["value"] == PCT(25.0, abs=TOL)
    assert share["value_prev_year"] == PCT(100 * 50 / 150, abs=TOL)
    assert share["change"] == PCT(25.0 - 100 * 50 / 150, abs=TOL)
    targets = dict(con.execute("select indicator_id, target_value from marts.dim_indicators "
                               "where target_value is not null").fetchall())
    assert targets["learning_space_users"] == 10000 and targets["learning_space_applying_share"] == 30


def test_sukhothai_protection_cases(con: duckdb.DuckDBPyConnection) -> None:
    # Three cases (p02 has two disadvantages), one closed: 1/3 withheld (3 < 10); the school is in no
    # registry, so the cases count for the province only.
    assert province(con, 2566, "protection_cases", area="sukhothai")["value"] == 3
    assert_suppressed(province(con, 2566, "protection_cases_closed_share", area="sukhothai"), 1, 3)
    assert con.execute("select count(*) from marts.fct_district_indicators where province = 'sukhothai'"
                       ).fetchone() == (0,)


# --- school monitor and wide marts --------------------------------------------------------------------------


def test_school_monitor_flags_and_suppression(con: duckdb.DuckDBPyConnection) -> None:
    s1 = school(con, "1095010001")
    # 26 pupils / 3 teachers = 8.67; 26 traced, b10 left -> 3.85 % (<= 5); literacy 80 % (>= 50); small.
    assert s1["pupil_teacher_ratio"] == PCT(26 / 3, abs=TOL)
    assert s1["dropout_rate"] == PCT(100 / 26, abs=TOL) and s1["literacy_pass_rate"] == PCT(80.0, abs=TOL)
    assert (s1["is_small_school"], s1["is_high_dropout"], s1["is_low_literacy"], s1["is_teacher_shortage"],
            s1["risk_flag_count"]) == (True, False, False, False, 1)
    s3 = school(con, "1195020001")
    # 7 pupils traced (e06 and h01 gone = 28.6 %) -> withheld; no teachers reported -> no PTR.
    assert (s3["dropout_rate"], s3["dropout_rate_suppressed_reason"]) == (None, "denominator 7 < 10")
    assert s3["pupil_teacher_ratio"] is None
    assert s3["literacy_pass_rate_suppressed_reason"] == "no literacy screening"
    satun = school(con, "1091010001")
    assert satun["dropout_rate_suppressed_reason"] == "no students traced into the next year"


def test_province_yearly_headlines_with_previous_year(con: duckdb.DuckDBPyConnection) -> None:
    row = yearly(con, 2567)
    assert (row["total_enrolment"], row["total_enrolment_prev"], row["total_enrolment_change"]) \
        == (36, 37, -1)
    assert (row["learning_space_users"], row["learning_space_users_prev"]) == (200, 150)
    assert row["dropout_rate"] is None  # no 2568 roster to trace 2567 into
    row = yearly(con, 2566)
    assert row["dropout_rate"] == PCT(100 * 3 / 37, abs=TOL) and row["share_directors_trained"] is None
    assert row["ger_primary"] == PCT(100 * 33 / 34, abs=TOL) and row["total_enrolment_prev"] is None
    districts = con.execute("select district_code, academic_year, total_enrolment "
                            "from marts.mart_district_yearly order by 1, 2").fetchall()
    assert districts == [("9101", 2566, 3), ("9501", 2566, 30), ("9501", 2567, 30), ("9502", 2566, 7),
                         ("9502", 2567, 6)]


# --- privacy ------------------------------------------------------------------------------------------------


def test_no_student_identifier_reaches_the_marts(build: DbtBuild) -> None:
    assert build.warehouse is not None
    marts = read_duckdb_schema(Path(build.warehouse))
    student_keys = {row["student_key"] for entity in ("students", "literacy", "assessments", "poverty")
                    for row in fixture_rows()[entity]}
    for table, (columns, rows) in marts.items():
        assert not any("student" in c and "key" in c for c in columns), table
        # a key column would come back as uuid.UUID: compared by its 32 hex digits, as the fixture writes keys
        values = {v.hex if isinstance(v, uuid.UUID) else v for row in rows for v in row
                  if isinstance(v, str | uuid.UUID)}
        assert not values & student_keys, table
