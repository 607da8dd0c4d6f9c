"""The GX configuration look-ups replaced in assets/checks/gx_runner.py return what GX's own methods return,
for every expectation the project validates with, and build the configuration fewer times."""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import great_expectations.expectations as gxe
import pandas as pd
import pytest
from great_expectations.expectations.expectation import Expectation

from assets.checks import synthetic
from assets.checks.gx_runner import COUNTS_ONLY, GX_ORIGINALS, WITH_INDICES, run_expectations
from assets.checks.reference import Reference, geography_reference
from assets.checks.suites import EXPECTATIONS_DIR, load_cross_suite, load_suite, province_additions
from assets.checks.validation import validate_delivery
from assets.contract.entities import ENTITIES


def _every_expectation() -> list[Expectation]:
    suites = [load_suite(entity) for entity in ENTITIES]
    suites += [load_suite(entity, province) for entity, province in province_additions()]
    suites += [load_cross_suite(path.stem) for path in sorted((EXPECTATIONS_DIR / "cross").glob("*.json"))]
    return [e for suite in suites for e in suite.expectations]


EXPECTATIONS = _every_expectation()
RUNTIME_CONFIGURATIONS: list[dict[str, Any] | None] = [
    None, {}, {"result_format": COUNTS_ONLY}, {"result_format": WITH_INDICES, "catch_exceptions": False}]


@contextmanager
def _gx_own_methods() -> Iterator[None]:
    """GX's original look-ups in place of the replacements, for as long as the block runs."""
    replacements = {name: getattr(Expectation, name) for name in GX_ORIGINALS}
    for name, method in GX_ORIGINALS.items():
        setattr(Expectation, name, method)
    try:
        yield
    finally:
        for name, method in replacements.items():
            setattr(Expectation, name, method)


def _lookups(expectation: Expectation, runtime: dict[str, Any] | None) -> tuple[dict, dict, dict]:
    return (expectation._get_domain_kwargs(), expectation._get_success_kwargs(),
            expectation._get_runtime_kwargs(runtime))


def test_every_suite_has_expectations_to_compare() -> None:
    assert len(EXPECTATIONS) > 100
    assert len({type(e) for e in EXPECTATIONS}) > 5


@pytest.mark.parametrize("runtime", RUNTIME_CONFIGURATIONS)
def test_replacements_return_what_gx_returns(runtime: dict[str, Any] | None) -> None:
    assert Expectation._get_runtime_kwargs is not GX_ORIGINALS["_get_runtime_kwargs"]
    for expectation in EXPECTATIONS:
        mine = _lookups(expectation, runtime)
        with _gx_own_methods():
            theirs = _lookups(expectation, runtime)
        assert mine == theirs, expectation.expectation_type
        assert [list(d) for d in mine] == [list(d) for d in theirs]  # same keys in the same order


def _builds(monkeypatch: pytest.MonkeyPatch, lookup: Callable[[], object]) -> int:
    builds = 0
    original = Expectation.configuration

    def counted(self: Expectation) -> Any:
        nonlocal builds
        builds += 1
        return original.fget(self)  # type: ignore[attr-defined]

    with monkeypatch.context() as patched:
        patched.setattr(Expectation, "configuration", property(counted))
        lookup()
    return builds


def test_configuration_is_built_twice_per_runtime_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    def keys(e: Expectation) -> int:
        return len(e.runtime_keys) + len(e.success_keys) + len(e.domain_keys)

    expectation = max(EXPECTATIONS, key=keys)
    mine = _builds(monkeypatch, lambda: expectation._get_runtime_kwargs({}))
    with _gx_own_methods():
        by_gx = _builds(monkeypatch, lambda: expectation._get_runtime_kwargs({}))
    assert mine == 2
    assert by_gx == keys(expectation)  # one build per key looked up


def test_gx_keeps_no_validated_frame_once_its_results_are_back() -> None:
    """GX's execution engine caches the last batch it loaded: the run's process would carry one step's rows
    (1.2 GB for 3.3 M students) into the next step."""
    first = synthetic.students(200)
    first.loc[3, "sex"] = None
    kept = weakref.ref(first)
    rule = gxe.ExpectColumnValuesToNotBeNull(column="sex")
    [result] = run_expectations(first, [rule], COUNTS_ONLY)
    assert result.result["unexpected_count"] == 1
    del first, result
    assert kept() is None
    [again] = run_expectations(synthetic.students(50), [rule], COUNTS_ONLY)  # the cleared engine still works
    assert again.success and again.result["element_count"] == 50


def _spoiled_students_and_registry() -> tuple[pd.DataFrame, Reference]:
    """3,000 students, 5 % spoiled, against a registry of 2,000 keys missing two of their schools."""
    spoiled, _ = synthetic.spoil_students(synthetic.students(3000, seed=7), 0.05, seed=3)
    schools = sorted(set(spoiled["school_id"].dropna().astype(str)))
    geography = geography_reference("yala")
    registry = frozenset([*schools[2:], *(f"1096{i:06d}" for i in range(2000 - len(schools) + 2))])
    return spoiled, Reference("yala", geography.district_codes, geography.subdistrict_codes,
                              registries={2566: registry})


def test_a_validation_against_a_reference_set_is_the_same_with_gx_own_dicts() -> None:
    rows, reference = _spoiled_students_and_registry()
    mine = validate_delivery("students", "yala", rows, reference=reference)
    with _gx_own_methods():
        theirs = validate_delivery("students", "yala", rows, reference=reference)
    assert mine.expectation_results == theirs.expectation_results
    assert mine.quarantined.equals(theirs.quarantined)
    assert mine.quarantined["reason"].str.contains("registry").any()  # the reference set was used
    expectations = load_suite("students", "yala").expectations
    parameters = reference.parameters()
    mine_raw = run_expectations(rows, expectations, WITH_INDICES, parameters)
    with _gx_own_methods():
        theirs_raw = run_expectations(rows, expectations, WITH_INDICES, parameters)
    assert [r.to_json_dict() for r in mine_raw] == [r.to_json_dict() for r in theirs_raw]


def test_each_expectation_becomes_a_dict_once_per_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    builds: Counter[int] = Counter()
    pydantic_dict = GX_ORIGINALS["dict"]

    def counted(expectation: Expectation, **options: Any) -> dict[str, Any]:
        if options == {"exclude_defaults": True}:
            builds[id(expectation)] += 1
        return pydantic_dict(expectation, **options)

    monkeypatch.setitem(GX_ORIGINALS, "dict", counted)
    rows, reference = _spoiled_students_and_registry()
    rule = gxe.ExpectColumnValuesToBeInSet(column="school_id", value_set={"$PARAMETER": "ids"})
    [result] = run_expectations(rows, [rule], WITH_INDICES, {"ids": sorted(reference.school_ids or [])})
    assert result.result["unexpected_count"] > 0
    assert builds and max(builds.values()) == 1


def test_outside_a_validation_an_expectation_changed_since_is_not_seen_stale() -> None:
    rule = gxe.ExpectColumnValuesToNotBeNull(column="sex")
    run_expectations(synthetic.students(20), [rule], COUNTS_ONLY)
    assert rule.dict(exclude_defaults=True)["column"] == "sex"
    rule.column = "grade"
    assert rule.configuration.kwargs["column"] == "grade"
    assert rule.dict(exclude_defaults=True)["column"] == "grade"
