"""Delivered text is untrusted: escape it for HTML, and defuse spreadsheet formulas in XLSX/CSV exports."""

from __future__ import annotations

import html

import pandas as pd

# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def esc(value: object) -> str:
    """Text for HTML bodies and attribute values (quotes escaped too)."""
    return html.escape("" if value is None else str(value), quote=True)


def neutralise_text(value: str) -> str:
    """Prefix formula-like text with a single quote so spreadsheets show it as text."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every formula-like text cell neutralised; numeric columns (e.g. -5) are left as numbers."""
    result = frame.copy()
    for column in result.columns:
        series = result[column]
        if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(series.dtype):
            hits = series.str.startswith(FORMULA_TRIGGERS).fillna(False).astype(bool)
            if hits.any():
                result[column] = series.mask(hits, "'" + series)
        elif pd.api.types.is_object_dtype(series.dtype):
            # Mixed columns: only str cells can carry a formula.
            result[column] = series.map(lambda v: neutralise_text(v) if isinstance(v, str) else v)
    return result
