"""National sources delivered once for all provinces: DOPA population by district, NT/O-NET results
(cp874, like the national upload templates) and EEF poverty screening.

Rows are attributed to a sandbox province by their codes (dbt derives the province the same way; the lineage
column `province` stays 'national', the folder the file was delivered in): the school ID's province digits
(positions 3-4), or for population the district code's first two digits. Rows of other provinces, and rows
whose code is blank so that no province can be told, are out of scope: they are neither read nor rejected
(rows_read == rows + rejects still holds) and their count is given in the notes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.contract.entities import NATIONAL
from assets.parsing.text import clean_text_series, per_distinct
from assets.sources.base import AdapterResult
from assets.sources.common import PROVINCE_BY_CODE, Context, ProvinceAdapter, to_contract
from assets.sources.readers import DeliveredTable


def province_code_field(entity: str) -> tuple[str, slice]:
    """Which delivered field carries the province code, and where."""
    return ("district_code", slice(0, 2)) if entity == "population" else ("school_id", slice(2, 4))


class NationalAdapter(ProvinceAdapter):
    province = NATIONAL

    def finish(self, table: DeliveredTable, ctx: Context) -> AdapterResult:
        field, digits = province_code_field(ctx.source.entity)
        in_scope, blank = _in_scope_and_blank(table.fields[field], digits)
        other = int((~in_scope & ~blank).sum())
        table.keep_only(in_scope)  # in place: a national file is millions of rows, nearly all in scope
        table.notes = [*table.notes, f"{other} rows of other provinces out of scope (not counted as read)"]
        if blank.any():
            table.notes.append(f"{int(blank.sum())} rows with a blank {field}: province unknown, not read")
        return to_contract(table, ctx)


def _in_scope_and_blank(delivered: pd.Series, digits: slice) -> tuple[np.ndarray, np.ndarray]:
    """Per row, whether its code's province digits are a sandbox province's, and whether the code is blank.
    Only the province digits decide: a malformed ID of a sandbox province stays in scope and is rejected with
    its reason rather than vanishing. Judged once per distinct code (`per_distinct`): cleaning and slicing
    each of the 6.6 M school IDs of an NT/O-NET file (a few thousand schools) took 2-3 s."""

    def judge(codes: pd.Series) -> tuple[pd.Series, pd.Series]:
        cleaned = clean_text_series(codes)
        return cleaned.str[digits].map(PROVINCE_BY_CODE).notna(), cleaned.isna()

    in_scope, blank = per_distinct(delivered, judge)
    # a missing code: out of scope, blank
    return in_scope.fillna(False).to_numpy(dtype=bool), blank.fillna(True).to_numpy(dtype=bool)
