"""Writes the baseline expectation suites `expectations/<entity>.json` from the contract.

    python -m assets.checks.make_suites           # (re)write the files
    python -m assets.checks.make_suites --check   # exit 1 if a committed file differs from what it writes

The files are GX 1.x suite JSON, committed, so a change of rules shows up in review as a diff; a test asserts
they equal what this script writes, so the contract and the suites cannot drift apart silently. Province
additions (`<entity>.<province>.json`) are hand-written and never touched here.

Every expectation carries `meta.severity`: "blocking" (structural: empty file, columns missing or out of
order, wrong dtype: the file cannot be loaded) or "row" (a row-level rule: failing rows are quarantined,
the rest load). `meta.rule` says in words why the expectation is there.

What the baseline covers, per entity: required columns and their order, contract types, required values,
allowed values (grades, sexes, statuses, affiliations, ...), ranges (counts >= 0, scores 0-100, age for the
grade), ID formats (pseudonym keys, school IDs with a known affiliation and the delivering province's digits,
district and subdistrict codes of that province), key uniqueness (compound keys with a multicolumn
expectation), rules over several columns (male + female = total, subdistrict inside its district, people
applying <= visitors) and reference rules (school in the registry, district and subdistrict known to geothai),
whose value sets are `{"$PARAMETER": ...}` filled in at validation time from assets.checks.reference.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column as ConditionColumn

from assets.checks.derived import (
    AGE_MINUS_OFFICIAL_AGE,
    AGE_TOLERANCE,
    DERIVED_COLUMNS,
    MALE_PLUS_FEMALE,
    REGISTRY_KEY,
    SUBDISTRICT_DISTRICT,
)
from assets.checks.reference import DISTRICT_CODES, SCHOOL_IDS, SUBDISTRICT_CODES
from assets.checks.suites import BLOCKING, ROW
from assets.contract.entities import (
    AFFILIATIONS,
    ENTITIES,
    NATIONAL,
    PROVINCE_NAMES,
    PROVINCES,
    Column,
    Entity,
)
from pipelines.settings import EXPECTATIONS_DIR

# Contract column type → dtype names GX's pandas type check accepts for it (class names match pandas'
# nullable extension dtypes; dates may come in any datetime64 resolution, pandas 3 picks one per source).
TYPE_LISTS: dict[str, list[str]] = {
    "text": ["StringDtype"],
    "integer": ["Int64Dtype"],
    "double": ["Float64Dtype"],
    "boolean": ["BooleanDtype"],
    "date": ["datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"],
}

HEX_KEY = r"^[0-9a-f]{32}$"
SHA256 = r"^[0-9a-f]{64}$"


def _alternatives(codes: Iterable[str]) -> str:
    """A non-capturing regex alternative ('(?:10|11)'): capturing groups make pandas warn on every match."""
    return "(?:" + "|".join(sorted(codes)) + ")"


def id_patterns() -> dict[str, tuple[str, str]]:
    """Column → (regex, rule) for the identifiers whose format does not depend on the province."""
    return {
        "student_key": (HEX_KEY, "pseudonym: 32 lower-case hex characters (truncated HMAC-SHA256)"),
        "teacher_key": (HEX_KEY, "pseudonym: 32 lower-case hex characters (truncated HMAC-SHA256)"),
        "source_sha256": (SHA256, "SHA-256 of the delivered file: 64 lower-case hex characters"),
    }


PROVINCE_CODED = ("school_id", "district_code", "subdistrict_code")
"""Identifiers that carry the DOPA province code in digits 3-4 (school ID) or 1-2 (district, subdistrict)."""


def province_code_patterns(codes: list[str]) -> dict[str, tuple[str, str]]:
    """Column → (regex, rule) for identifiers carrying a province code, for one delivering folder whose rows
    must belong to one of the provinces `codes` (DOPA codes)."""
    province = _alternatives(codes)
    names = " or ".join(sorted(codes))
    return {
        "school_id": (f"^{_alternatives(AFFILIATIONS)}{province}[0-9]{{6}}$",
                      f"10 digits: known affiliation (2) + province {names} (2) + sequence (6)"),
        "district_code": (f"^{province}[0-9]{{2}}$", f"4 digits starting with province code {names}"),
        "subdistrict_code": (f"^{province}[0-9]{{4}}$", f"6 digits starting with province code {names}"),
    }


def delivering_folders() -> dict[str, list[str]]:
    """Landing folder (the `province` lineage value) → the province codes its rows may carry: a province's
    own code, and for national files the four sandbox provinces (the only ones the platform serves)."""
    folders = {slug: [code] for slug, code in PROVINCES.items()}
    folders[NATIONAL] = sorted(PROVINCES.values())
    return folders


def _folder_name(folder: str) -> str:
    return PROVINCE_NAMES[folder][1] if folder in PROVINCE_NAMES else "national files"


def province_id_expectations(column: Column) -> list[gxe.Expectation]:
    """One regex per landing folder, applied to that folder's rows only (row condition on `province`), so a
    Yala file carrying a Satun school ID fails here even though both IDs are well-formed."""
    if column.name not in PROVINCE_CODED:
        return []
    return [
        gxe.ExpectColumnValuesToMatchRegex(
            column=column.name, regex=regex, row_condition=ConditionColumn("province") == folder,
            meta=_meta(ROW, f"{rule}; rows delivered in the {_folder_name(folder)} folder"),
        )
        for folder, codes in delivering_folders().items()
        for regex, rule in [province_code_patterns(codes)[column.name]]
    ]


def _meta(severity: str, rule: str) -> dict[str, str]:
    return {"severity": severity, "rule": rule}


def structural_expectations(entity: Entity) -> list[gxe.Expectation]:
    expectations: list[gxe.Expectation] = [
        gxe.ExpectTableRowCountToBeBetween(
            min_value=1, meta=_meta(BLOCKING, "an empty file is not a delivery"),
        ),
        gxe.ExpectTableColumnsToMatchOrderedList(
            column_list=entity.column_names,
            meta=_meta(BLOCKING, "exactly the contract's columns, in the contract's order"),
        ),
    ]
    expectations += [
        gxe.ExpectColumnValuesToBeInTypeList(
            column=c.name, type_list=TYPE_LISTS[c.type], meta=_meta(BLOCKING, f"contract type {c.type}"),
        )
        for c in entity.all_columns
    ]
    return expectations


def column_expectations(column: Column, patterns: dict[str, tuple[str, str]]) -> list[gxe.Expectation]:
    """Row-level rules the contract states for one column: required, allowed values, range, ID format."""
    expectations: list[gxe.Expectation] = []
    name = column.name
    if not column.nullable:
        expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=name, meta=_meta(ROW, "required value")))
    if column.allowed is not None:
        expectations.append(gxe.ExpectColumnValuesToBeInSet(
            column=name, value_set=list(column.allowed), meta=_meta(ROW, "contract's allowed values"),
        ))
    if column.min_value is not None or column.max_value is not None:
        expectations.append(gxe.ExpectColumnValuesToBeBetween(
            column=name, min_value=column.min_value, max_value=column.max_value,
            meta=_meta(ROW, "contract's range"),
        ))
    if name in patterns:
        regex, rule = patterns[name]
        expectations.append(gxe.ExpectColumnValuesToMatchRegex(
            column=name, regex=regex, meta=_meta(ROW, rule),
        ))
    expectations += province_id_expectations(column)
    return expectations


def key_expectation(entity: Entity) -> gxe.Expectation:
    rule = ("key unique within the partition: the landing folder's deliveries of one academic year, across "
            "its files (every row sharing a key is quarantined: which one is right is unknown)")
    # Deliveries of several academic years are validated together, and a student is in every year's roster:
    # the key is unique per academic year (the validated rows all come from one landing folder).
    return gxe.ExpectCompoundColumnsToBeUnique(column_list=["academic_year", *entity.key],
                                               meta=_meta(ROW, rule))


def derived_expectations(entity: Entity) -> list[gxe.Expectation]:
    """Rules over several columns, checked on the helper columns of assets.checks.derived."""
    helpers = DERIVED_COLUMNS.get(entity.name, {})
    expectations: list[gxe.Expectation] = []
    if AGE_MINUS_OFFICIAL_AGE in helpers:
        low, high = AGE_TOLERANCE
        expectations.append(gxe.ExpectColumnValuesToBeBetween(
            column=AGE_MINUS_OFFICIAL_AGE, min_value=low, max_value=high,
            meta=_meta(ROW, f"birth_date plausible for grade: age on 16 May of the academic year between "
                            f"the grade's official age {low:+d} and {high:+d} (P1 = 6, M1 = 12, K1 = 3, "
                            "V1 = 15)"),
        ))
    if MALE_PLUS_FEMALE in helpers:
        expectations.append(gxe.ExpectColumnPairValuesToBeEqual(
            column_A="total", column_B=MALE_PLUS_FEMALE, ignore_row_if="either_value_is_missing",
            meta=_meta(ROW, "total = male + female"),
        ))
    if SUBDISTRICT_DISTRICT in helpers:
        expectations.append(gxe.ExpectColumnPairValuesToBeEqual(
            column_A="district_code", column_B=SUBDISTRICT_DISTRICT, ignore_row_if="either_value_is_missing",
            meta=_meta(ROW, "the subdistrict lies in the school's district (its first 4 digits are the "
                            "district code)"),
        ))
    return expectations


def pair_expectations(entity: Entity) -> list[gxe.Expectation]:
    """Rules comparing two contract columns directly."""
    if entity.name == "learning_spaces":
        return [gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="visitors", column_B="visitors_applying", or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=_meta(ROW, "people applying what they learned are among the month's visitors "
                            "(visitors_applying <= visitors)"),
        )]
    return []


REFERENCE_RULES: dict[str, tuple[str, str]] = {
    "school_id": (SCHOOL_IDS, "school exists in the school registry (raw.schools) of the delivering province "
                              "and academic year; national files: the four provinces' registries"),
    "district_code": (DISTRICT_CODES, "a DOPA district code geothai knows, in the delivering province "
                                      "(national files: the four sandbox provinces)"),
    "subdistrict_code": (SUBDISTRICT_CODES, "a DOPA subdistrict code geothai knows, in the delivering "
                                            "province (national files: the four sandbox provinces)"),
}
"""Column → (reference parameter, rule): membership in a set known only at validation time."""


def reference_expectations(entity: Entity) -> list[gxe.Expectation]:
    """Referential integrity against the reference sets of assets.checks.reference. The registry is not
    checked against itself: the schools entity *is* the registry."""
    expectations: list[gxe.Expectation] = []
    for column in entity.columns:
        if column.name not in REFERENCE_RULES or (entity.name == "schools" and column.name == "school_id"):
            continue
        parameter, rule = REFERENCE_RULES[column.name]
        # The registry differs by academic year: the school ID is looked up with its row's year.
        checked = REGISTRY_KEY if column.name == "school_id" else column.name
        expectations.append(gxe.ExpectColumnValuesToBeInSet(
            column=checked, value_set={"$PARAMETER": parameter},
            meta={**_meta(ROW, rule), "reference": parameter},
        ))
    return expectations


def baseline_suite(entity_name: str) -> gx.ExpectationSuite:
    entity = ENTITIES[entity_name]
    patterns = id_patterns()
    expectations = structural_expectations(entity)
    for column in entity.all_columns:
        expectations += column_expectations(column, patterns)
    expectations.append(key_expectation(entity))
    expectations += derived_expectations(entity)
    expectations += pair_expectations(entity)
    expectations += reference_expectations(entity)
    return gx.ExpectationSuite(
        name=entity_name,
        expectations=expectations,
        meta={"generated_by": "assets/checks/make_suites.py", "entity": entity_name},
        notes=f"Generated from assets/contract/entities.py ({entity.table}); do not edit by hand: run "
              "`python -m assets.checks.make_suites`. Province additions go in "
              f"{entity_name}.<province>.json.",
    )


def suite_to_json(suite: gx.ExpectationSuite) -> str:
    """GX 1.x suite JSON, without the random ids GX assigns (they would change on every run)."""
    data: dict[str, Any] = suite.to_json_dict()
    data.pop("id", None)
    for expectation in data["expectations"]:  # type: ignore[union-attr]
        expectation.pop("id", None)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def generated_files() -> dict[str, str]:
    """File name → content, one baseline suite per contract entity."""
    return {f"{name}.json": suite_to_json(baseline_suite(name)) for name in ENTITIES}


def write_suites(directory: Path = EXPECTATIONS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, text in generated_files().items():
        path = directory / file_name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale_files(directory: Path = EXPECTATIONS_DIR) -> list[str]:
    """Baseline files that are missing or differ from what `write_suites` would write."""
    return [
        name for name, text in generated_files().items()
        if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when files are stale")
    parser.add_argument("--dir", type=Path, default=EXPECTATIONS_DIR)
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.dir)
        for name in stale:
            print(f"stale: {args.dir / name}", file=sys.stderr)
        return 1 if stale else 0
    for path in write_suites(args.dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
