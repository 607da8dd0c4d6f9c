"""Satun: the self-management system exports CSV in TIS-620 (cp874) with Thai headers and dd/mm/BBBB
dates. The contract's encoding is tried first; a file re-saved as UTF-8 is still read (noted)."""

from __future__ import annotations

from assets.sources.common import ProvinceAdapter


class SatunAdapter(ProvinceAdapter):
    province = "satun"
