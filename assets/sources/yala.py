"""Yala: the province's linked education information system exports JSON Lines, one file per entity and, for
students and teachers, one per agency (students_obec.jsonl, ...). English-ish keys, Thai value labels,
Buddhist-Era ISO dates (2555-06-14). The agency comes from the file name."""

from __future__ import annotations

from pathlib import Path

from assets.contract.landing import SourceFile
from assets.sources.common import ProvinceAdapter


def agency_from_file_name(source: SourceFile, path: Path) -> str | None:
    """'students_opec.jsonl' against 'students_{agency}.jsonl' → 'opec'; None when the name has no agency.

    Only the contract's agencies count: a file renamed to carry anything else ('students_x'; drop…') must
    not put that text into every row's agency column.
    """
    if "{agency}" not in source.file_name:
        return None
    prefix, suffix = source.file_name.split("{agency}")
    name = path.name
    if name.startswith(prefix) and name.endswith(suffix) and len(name) > len(prefix) + len(suffix):
        agency = name[len(prefix):len(name) - len(suffix)]
        return agency if agency in source.agencies else None
    return None


class YalaAdapter(ProvinceAdapter):
    province = "yala"

    def agency_for(self, source: SourceFile, path: Path, agency: str | None) -> str | None:
        return agency or agency_from_file_name(source, path)
