"""Sukhothai: CSV saved from Excel as UTF-8 with a byte-order mark, Thai headers, including the social
protection network's case list (social_protection_cases.csv). The BOM is read through; a file without it
reads the same."""

from __future__ import annotations

from assets.sources.common import ProvinceAdapter


class SukhothaiAdapter(ProvinceAdapter):
    province = "sukhothai"
