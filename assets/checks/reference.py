"""Reference sets a delivery is checked against at validation time: the school registry and DOPA geography.

The suites name these sets as GX suite parameters (`{"$PARAMETER": "registry_school_ids"}`); a `Reference`
supplies their values:

    reference = reference_from_warehouse(warehouse, "yala", 2566)   # before validating Yala's 2566 files
    validate_delivery("students", "yala", rows, reference=reference)

- `registry_school_ids`: "<academic year>|<school ID>" keys of `raw.schools` for the delivering province and
  academic year(s) (`combine` merges the references of several years; the
  schools asset is materialised before the province's other assets); national files get the four
  provinces' registries. When the year has no registry, the nearest earlier year's is used (else the nearest
  later one), and `notes` says so. When there is no registry at all (first run, empty warehouse), the set is
  missing and the school-in-registry rules are not evaluated: the validation report lists them as skipped.
  For a national file, one province without any registry skips the rule for the whole file rather than
  quarantining every row of that province.
- `dopa_district_codes`, `dopa_subdistrict_codes`: the official codes of the delivering province (national:
  the four sandbox provinces) from the `geothai` package. Always available.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import geothai
import pandas as pd

from assets.checks.derived import REGISTRY_KEY_SEPARATOR
from assets.contract.entities import NATIONAL, PROVINCES
from pipelines.resources.warehouse import Warehouse

SCHOOL_IDS = "registry_school_ids"
DISTRICT_CODES = "dopa_district_codes"
SUBDISTRICT_CODES = "dopa_subdistrict_codes"
REGISTRY_TABLE = "raw.schools"


@dataclass(frozen=True)
class Reference:
    """What a delivery of `province` (a landing folder) is checked against."""

    province: str
    district_codes: frozenset[str]
    subdistrict_codes: frozenset[str]
    registries: dict[int, frozenset[str]] | None = None
    """Academic year → school IDs of the registry for that year's deliveries. None: no registry known, the
    school-in-registry rules are skipped (not failed)."""
    registry_years: dict[str, int] = field(default_factory=dict)
    """Province → academic year of the registry used (for a single academic year)."""
    notes: tuple[str, ...] = ()

    @property
    def school_ids(self) -> frozenset[str] | None:
        """Every school ID in the registries used (None when no registry is known)."""
        if self.registries is None:
            return None
        return frozenset().union(*self.registries.values())

    def parameters(self) -> dict[str, list[str]]:
        """GX suite parameters: name → value set (only the sets that are known). The registry set holds
        "<academic year>|<school ID>" keys, compared with the derived column of the same form, so deliveries
        of several academic years are checked against each year's own registry in one validation."""
        values = {DISTRICT_CODES: sorted(self.district_codes),
                  SUBDISTRICT_CODES: sorted(self.subdistrict_codes)}
        if self.registries is not None:
            values[SCHOOL_IDS] = sorted(registry_key(year, school) for year, ids in self.registries.items()
                                        for school in ids)
        return values

    def missing_reason(self, parameter: str) -> str:
        """Why a parameter is not available (for the report's 'not evaluated' list)."""
        if parameter == SCHOOL_IDS:
            return next((n for n in self.notes if "registry" in n), f"no school registry for {self.province}")
        return f"no reference set {parameter!r}"


def registry_key(academic_year: int, school_id: str) -> str:
    """The registry's side of derived.registry_key (a delivered row's side): the two must match."""
    return f"{academic_year}{REGISTRY_KEY_SEPARATOR}{school_id}"


def combine(references: list[Reference]) -> Reference:
    """One reference for deliveries of several academic years of the same landing folder."""
    first = references[0]
    if any(r.province != first.province for r in references):
        raise ValueError("references of different landing folders cannot be combined")
    registries: dict[int, frozenset[str]] | None = {}
    for reference in references:
        if reference.registries is None or registries is None:
            registries = None
        else:
            registries.update(reference.registries)
    notes = tuple(dict.fromkeys(n for r in references for n in r.notes))
    return Reference(first.province, first.district_codes, first.subdistrict_codes, registries=registries,
                     registry_years=references[-1].registry_years, notes=notes)


def provinces_of(folder: str) -> list[str]:
    """Province slugs whose data a landing folder delivers: itself, or the four for national files."""
    if folder == NATIONAL:
        return list(PROVINCES)
    if folder not in PROVINCES:
        raise ValueError(f"unknown landing folder {folder!r}; known: {', '.join([*PROVINCES, NATIONAL])}")
    return [folder]


@cache
def _dopa_codes(province_code: str) -> tuple[frozenset[str], frozenset[str]]:
    districts = frozenset(d.code for d in geothai.districts(province_code))
    subdistricts = frozenset(s.code for d in districts for s in geothai.subdistricts(d))
    return districts, subdistricts


def geography_reference(folder: str, notes: tuple[str, ...] = ()) -> Reference:
    """DOPA district and subdistrict codes of the folder's province(s), no school registry."""
    districts: set[str] = set()
    subdistricts: set[str] = set()
    for slug in provinces_of(folder):
        own_districts, own_subdistricts = _dopa_codes(PROVINCES[slug])
        districts |= own_districts
        subdistricts |= own_subdistricts
    return Reference(folder, frozenset(districts), frozenset(subdistricts), notes=notes)


def _registry_rows(warehouse: Warehouse, provinces: list[str]) -> pd.DataFrame:
    if not warehouse.table_exists(REGISTRY_TABLE):
        return pd.DataFrame({"province": [], "academic_year": [], "school_id": []})
    markers = ", ".join("?" for _ in provinces)
    rows = warehouse.read_frame(
        f"select distinct province, academic_year, school_id from {REGISTRY_TABLE} "
        f"where province in ({markers}) and school_id is not null", tuple(provinces))
    return rows.astype({"province": "str", "academic_year": "int64", "school_id": "str"})


def registry_year(available: list[int], wanted: int) -> int | None:
    """The registry year to use: the wanted one, else the nearest earlier, else the nearest later."""
    if wanted in available:
        return wanted
    earlier = [y for y in available if y < wanted]
    if earlier:
        return max(earlier)
    return min(available) if available else None


def reference_from_warehouse(warehouse: Warehouse, folder: str, academic_year: int) -> Reference:
    """The reference for validating `folder`'s deliveries of `academic_year`, read from the warehouse.

    Works on an empty warehouse (no file, no raw schema): the registry is then missing, noted, and the
    school-in-registry rules are skipped; geography always comes from geothai.
    """
    return _reference_from_rows(folder, academic_year, _registry_rows(warehouse, provinces_of(folder)))


def reference_for_years(warehouse: Warehouse, folder: str, academic_years: list[int]) -> Reference:
    """One reference for validating `folder`'s deliveries of several academic years together; the registry is
    read from the warehouse once for all of them."""
    rows = _registry_rows(warehouse, provinces_of(folder))
    return combine([_reference_from_rows(folder, year, rows) for year in academic_years])


def _reference_from_rows(folder: str, academic_year: int, rows: pd.DataFrame) -> Reference:
    provinces = provinces_of(folder)
    ids: set[str] = set()
    years: dict[str, int] = {}
    notes: list[str] = []
    for slug in provinces:
        own = rows[rows["province"] == slug]
        year = registry_year(sorted(set(own["academic_year"].tolist())), academic_year)
        if year is None:
            notes.append(f"no school registry for {slug} in {REGISTRY_TABLE} (no year): "
                         "school-in-registry rules not evaluated")
            continue
        if year != academic_year:
            notes.append(f"no school registry for {slug} {academic_year}: using the {year} registry")
        years[slug] = year
        ids |= set(own.loc[own["academic_year"] == year, "school_id"])
    complete = len(years) == len(provinces)
    geography = geography_reference(folder)
    return Reference(folder, geography.district_codes, geography.subdistrict_codes,
                     registries={academic_year: frozenset(ids)} if complete else None, registry_years=years,
                     notes=tuple(notes))
