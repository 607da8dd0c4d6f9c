"""Write the geography seeds (provinces, districts, subdistricts of the four sandbox provinces) from geothai.

geothai (PyPI, data CC BY 4.0 from DOPA) is the project's one source of administrative codes and names.
The generated CSVs are committed so that `dbt seed` needs neither Python nor geothai at run time; re-run this
script when the geothai pin changes:

    .venv/bin/python dbt_project/scripts/make_geo_seeds.py

The province slugs come from the raw-table contract (assets/contract/entities.py), so a seed row carries both
the DOPA code and the slug the landing folders and marts use.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import geothai

SEEDS_DIR = Path(__file__).resolve().parents[1] / "seeds"
REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(REPO_ROOT))

from assets.contract.entities import PROVINCES  # noqa: E402


def province_rows() -> list[dict[str, str]]:
    rows = []
    for slug, code in sorted(PROVINCES.items(), key=lambda item: item[1]):
        province = geothai.province(code)
        rows.append({"province_code": code, "province": slug,
                     "province_name_th": province.name_th, "province_name_en": province.name_en})
    return rows


def district_rows() -> list[dict[str, str]]:
    rows = []
    for code in sorted(PROVINCES.values()):
        for district in sorted(geothai.districts(code), key=lambda d: d.code):
            rows.append({"district_code": district.code, "province_code": code,
                         "district_name_th": district.name_th, "district_name_en": district.name_en})
    return rows


def subdistrict_rows(districts: list[dict[str, str]]) -> list[dict[str, str]]:
    rows = []
    for district in districts:
        for sub in sorted(geothai.subdistricts(district["district_code"]), key=lambda s: s.code):
            rows.append({"subdistrict_code": sub.code, "district_code": sub.district_code,
                         "province_code": sub.province_code,
                         "subdistrict_name_th": sub.name_th, "subdistrict_name_en": sub.name_en})
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    districts = district_rows()
    write_csv(SEEDS_DIR / "geo_provinces.csv", province_rows())
    write_csv(SEEDS_DIR / "geo_districts.csv", districts)
    write_csv(SEEDS_DIR / "geo_subdistricts.csv", subdistrict_rows(districts))
    print(f"wrote geography seeds to {SEEDS_DIR} (geothai data {geothai.DATA_VERSION})")


if __name__ == "__main__":
    main()
