"""Mae Hong Son: XLSX workbooks. Students and teachers come one sheet per agency (สพป. เขต 1/2, สพม., สกร.,
special education centre) under two header rows: merged group titles, then the field headers, data from
sheet row 3. Numbers and dates are often typed with Thai digits (๒๕๖๖), which the shared cleaning converts.
The agency of each row is its sheet's (landing.MHS_SHEETS); passing `agency` reads only that sheet."""

from __future__ import annotations

from assets.sources.common import ProvinceAdapter


class MaeHongSonAdapter(ProvinceAdapter):
    province = "mae_hong_son"
