"""Delivered text is untrusted: escape it for HTML, defuse spreadsheet formulas in XLSX/CSV exports, and
refuse to publish anything that looks person-level (the marts are aggregates; a person's identifier on a page
is a pipeline bug, not something to render)."""

from __future__ import annotations

import html
import re

import pandas as pd

from assets.parsing.ids import is_valid_citizen_id, is_valid_g_code

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


# Columns that would carry person-level data. The marts are aggregates; these must never reach a page.
PERSON_LEVEL_COLUMNS: frozenset[str] = frozenset({
    "student_key", "student_id", "teacher_key", "citizen_id", "g_code", "person_id", "id_kind",
    "student_name", "first_name", "last_name", "birth_date",
})
# Candidates for a citizen ID or G-code standing alone in delivered text (checked with the shared validators).
_PERSON_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(?:[1-9][0-9]{12}|G[0-9]{12})(?![0-9A-Za-z])")


def _person_ids_in(text: str) -> bool:
    return any(is_valid_citizen_id(m) or is_valid_g_code(m) for m in _PERSON_ID_CANDIDATE.findall(text))


def redact_person_ids(text: str) -> str:
    """Text with any valid citizen ID or G-code replaced: delivered file names are shown on the pages, and a
    file named after a student must not publish that student's ID."""
    def redacted(match: re.Match[str]) -> str:
        found = match.group(0)
        return "[redacted]" if is_valid_citizen_id(found) or is_valid_g_code(found) else found

    return _PERSON_ID_CANDIDATE.sub(redacted, text)


def privacy_problems(frames: dict[str, pd.DataFrame]) -> list[str]:
    """Why these frames must not be published: person-level columns, or text holding a person's ID."""
    problems: list[str] = []
    for table, frame in frames.items():
        leaked = sorted(PERSON_LEVEL_COLUMNS & {str(c).lower() for c in frame.columns})
        if leaked:
            problems.append(f"{table}: person-level column(s) {', '.join(leaked)}")
        for column in frame.columns:
            series = frame[column]
            if not (pd.api.types.is_string_dtype(series.dtype) or pd.api.types.is_object_dtype(series.dtype)):
                continue
            texts = series.dropna().astype(str)
            if texts.str.contains(_PERSON_ID_CANDIDATE).any() and any(_person_ids_in(t) for t in texts):
                problems.append(f"{table}.{column}: text holding a citizen ID or G-code")
    return problems
