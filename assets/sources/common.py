"""The shared step every adapter ends with: delivered fields (text) → typed contract rows plus rejects.

What happens here, vectorised over the whole file, each field's distinct values judged once
(assets/parsing/text.py DistinctValues) and spread over the rows only in the typed rows and rejects:
- text is cleaned (Thai digits → Arabic, whitespace runs collapsed, blanks → missing);
- Thai value labels are mapped (sex, status, position, ...), grades normalised (อ.1 / อบ.1 → K1), yes/no
  parsed, numbers parsed, Buddhist-Era dates converted to Common-Era dates, ranges checked;
- person IDs are classified (citizen ID check digit, G-code) and replaced by their keyed pseudonym
  (`student_key` / `teacher_key`); name fields never get this far (the readers drop them);
- school IDs are checked (10 digits, known affiliation, real province, and the delivering province);
- every row with a problem goes to `rejects` with all its reasons joined by '; ', and its delivered values as
  JSON with the person ID replaced by its pseudonym; a row identical to an earlier row, or repeating an
  earlier valid row's key, is rejected as "duplicate of row N";
- a citizen ID or G-code typed anywhere else (a free-text field, a shifted column, hence a reason or a reject
  record) is replaced by "[person ID removed]": raw identifiers never leave the adapter.

Output typing (`AdapterResult.rows`, columns exactly `ENTITIES[entity].column_names`): text → pandas
"string" (StringDtype, NA for missing; a categorical over such values where a column has few: `text_rows`),
integer → "Int64", double → "Float64", boolean → "boolean",
date → "datetime64[ns]" at midnight. `rejects` columns: source_row (Int64), reason (string), record (string:
JSON object of delivered field → value, control characters shown as U+FFFD; XLSX records also carry
"_sheet"). Reasons do not repeat the row number: `source_row` holds it (e.g. source_row 17, reason
"birth_date: Common-Era year 2012 where Buddhist Era expected").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from assets.contract.entities import AFFILIATIONS, ENTITIES, NATIONAL, PROVINCES, Column, Entity
from assets.contract.landing import (
    FOLLOW_UP_LABELS,
    POSITION_LABELS,
    POVERTY_LABELS,
    SEX_LABELS,
    STATUS_LABELS,
    SourceFile,
)
from assets.parsing.dates import parse_be_dates_series, parse_be_month_series
from assets.parsing.grades import normalise_grade_series
from assets.parsing.ids import (
    classify_normalised_ids,
    is_person_id_like_series,
    is_valid_school_id_series,
    normalise_person_id_series,
    person_id_numbers,
    redact_person_ids_series,
)
from assets.parsing.pseudonym import Pseudonymiser
from assets.parsing.text import SHOWN_CHARACTERS, DistinctValues, clean_text_series, shorten
from assets.parsing.values import map_labels_series, parse_bool_series, parse_float_series, parse_int_series
from assets.sources.base import AdapterResult, DeliveryError
from assets.sources.readers import (
    FIELD_TO_COLUMN,
    PERSON_ID,
    DeliveredTable,
    RawFile,
    read_csv_table,
    read_jsonl_table,
    read_xlsx_table,
)

# Labels the landing contract leaves to the provinces' own spelling; contract values are accepted as well.
SKILL_LABELS: dict[str, str] = {
    "การอ่าน": "reading", "อ่าน": "reading", "การเขียน": "writing", "เขียน": "writing",
}
TEST_LABELS: dict[str, str] = {
    "O-NET": "ONET", "โอเน็ต": "ONET", "NT": "NT", "เอ็นที": "NT",
    "สมรรถนะ": "COMPETENCY", "การประเมินสมรรถนะ": "COMPETENCY", "ประเมินสมรรถนะ": "COMPETENCY",
}
LABELS: dict[str, dict[str, str]] = {
    "sex": SEX_LABELS, "status": STATUS_LABELS, "position": POSITION_LABELS, "poverty_status": POVERTY_LABELS,
    "follow_up_status": FOLLOW_UP_LABELS, "skill": SKILL_LABELS, "test": TEST_LABELS,
}
CODE_PATTERNS: dict[str, tuple[str, str]] = {
    "district_code": (r"\d{4}", "a district code is 4 digits"),
    "subdistrict_code": (r"\d{6}", "a subdistrict code is 6 digits"),
    "affiliation": ("|".join(AFFILIATIONS), "unknown affiliation code"),
}
MONTH_COLUMNS = frozenset({"month"})
_ISO_DAY = r"^\s*(\d{4}-\d{1,2})-\d{1,2}(?: 00:00:00)?\s*$"
PROVINCE_BY_CODE: dict[str, str] = {code: slug for slug, code in PROVINCES.items()}

REJECT_COLUMNS = ("source_row", "agency", "reason", "record")
"""`agency` too: a workbook numbers rows per sheet (one sheet per agency), so row 9 exists once per sheet."""
Converted = tuple[pd.Series, pd.Series]
"""(values, reasons): reasons missing where the value is fine."""


def _no_reasons(index: pd.Index) -> pd.Series:
    return pd.Series(None, index=index, dtype="str")


def _reasons_where(mask: pd.Series | np.ndarray, texts: pd.Series | str, index: pd.Index) -> pd.Series:
    reasons = _no_reasons(index)
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        reasons[mask] = texts[mask] if isinstance(texts, pd.Series) else texts
    return reasons


def _quoted_where(failed: pd.Series | np.ndarray, field: str, what: str, values: pd.Series,
                  clean: bool = False) -> pd.Series:
    """Reasons naming each failing row's value ("grade: unknown grade 'ป.7'"), missing elsewhere. Built for
    the failing rows only: most files have none, and a message per row costs seconds on millions."""
    failed = np.asarray(failed, dtype=bool)
    reasons = _no_reasons(values.index)
    if failed.any():
        shown = clean_text_series(values[failed]) if clean else values[failed]
        reasons[failed] = _quoted(field, what, shown).to_numpy()
    return reasons


def _quoted(field: str, what: str, values: pd.Series) -> pd.Series:
    text = values.astype("str")
    long = (text.str.len() > SHOWN_CHARACTERS).fillna(False).to_numpy(dtype=bool)
    if long.any():  # rare: shorten only those (the record keeps the whole value)
        text = text.copy()
        text[long] = [shorten(v) for v in text[long]]
    return field + ": " + what + " '" + text + "'"


def convert_grade(text: pd.Series, field: str) -> Converted:
    grades = normalise_grade_series(text)
    failed = text.notna() & grades.isna()
    return grades, _quoted_where(failed, field, "unknown grade", text, clean=True)


def convert_school_id(text: pd.Series, field: str, expected_code: pd.Series | None) -> Converted:
    """10-digit school ID; with `expected_code` also the province digits must match the delivery's."""
    ids = clean_text_series(text)
    valid = is_valid_school_id_series(ids).to_numpy()
    invalid = ids.notna().to_numpy() & ~valid
    reasons = _quoted_where(invalid, field, "invalid school ID", ids)
    if expected_code is not None:
        wrong = valid & (ids.str[2:4] != expected_code).fillna(False).to_numpy(dtype=bool)
        if wrong.any():
            message = (field + ": school ID " + ids + " is in province " + ids.str[2:4]
                       + ", not the delivering province " + expected_code)
            reasons = reasons.where(~wrong, message)
    return ids.where(valid), reasons


def convert_code(text: pd.Series, field: str) -> Converted:
    codes = clean_text_series(text)
    pattern, problem = CODE_PATTERNS[field]
    ok = codes.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    failed = codes.notna().to_numpy() & ~ok
    return codes.where(ok), _quoted_where(failed, field, problem, codes)


def convert_value(field: str, column: Column, text: pd.Series) -> Converted:
    """One delivered field → its contract column's values and per-row reasons (by column type and name)."""
    if column.name == "grade":
        return convert_grade(text, field)
    if field in LABELS:
        return map_labels_series(text, LABELS[field], field)
    if field in CODE_PATTERNS:
        return convert_code(text, field)
    if column.type == "boolean":
        return parse_bool_series(text, field)
    if column.type == "integer":
        return _not_person_ids(*_in_range(*parse_int_series(text, field), column, field), text, field)
    if column.type == "double":
        return _not_person_ids(*_in_range(*parse_float_series(text, field), column, field), text, field)
    if column.type == "date" and column.name in MONTH_COLUMNS:
        # a month typed into an Excel date cell arrives as a full date (BBBB-mm-dd): its month is meant
        return parse_be_month_series(text.str.replace(_ISO_DAY, r"\1", regex=True), field)
    if column.type == "date":
        return parse_be_dates_series(text, field)
    return redact_person_ids_series(clean_text_series(text)), _no_reasons(text.index)


def _in_range(values: pd.Series, reasons: pd.Series, column: Column, field: str) -> Converted:
    low = -np.inf if column.min_value is None else column.min_value
    high = np.inf if column.max_value is None else column.max_value
    outside = ((values < low) | (values > high)).fillna(False).to_numpy(dtype=bool)
    if outside.any():
        bounds = f"{column.min_value:g}" if column.max_value is None else (
            f"{column.min_value:g}–{column.max_value:g}")
        message = field + ": " + values.astype("str") + f" outside {bounds}"
        reasons = reasons.where(~outside, message)
        values = values.mask(outside)
    return values, reasons


def _not_person_ids(values: pd.Series, reasons: pd.Series, text: pd.Series, field: str) -> Converted:
    """A citizen ID pasted into a count or an amount parses as a (huge) number: reject it, never load it."""
    pasted = is_person_id_like_series(text).to_numpy()
    if not pasted.any():
        return values, reasons
    reason = f"{field}: a citizen ID or G-code where a number belongs"
    return values.mask(pasted), reasons.where(~pasted, reason)


def combine_reasons(reasons: list[pd.Series], index: pd.Index) -> pd.Series:
    """Per row, every present reason joined by '; ' (missing when the row has none)."""
    combined = _no_reasons(index)
    for r in reasons:
        add_reasons(combined, r)
    return combined


def add_reasons(combined: pd.Series, r: pd.Series) -> None:
    """`r`'s present reasons joined to `combined`'s (in place), after those already there."""
    has = r.notna().to_numpy()
    if not has.any():
        return
    first = has & combined.isna().to_numpy()
    more = has & ~first
    combined[first] = r[first]
    if more.any():
        combined[more] = combined[more] + "; " + r[more]


def first_position_of_group(keys: pd.DataFrame, candidates: np.ndarray) -> np.ndarray:
    """For candidate rows, the position of the first candidate with the same values; -1 elsewhere."""
    first = np.full(len(keys), -1, dtype=np.int64)
    if not candidates.any():
        return first
    hashes = pd.util.hash_pandas_object(keys[candidates], index=False).to_numpy()
    positions = pd.Series(np.flatnonzero(candidates))
    first[candidates] = positions.groupby(hashes, sort=False).transform("first").to_numpy()
    return first


@dataclass(frozen=True)
class Context:
    """What the adapter knows about the delivery besides its content."""

    source: SourceFile
    raw: RawFile
    province: str
    academic_year: int
    pseudonymiser: Pseudonymiser
    agency: str | None = None


def to_contract(
    table: DeliveredTable,
    ctx: Context,
    *,
    extra_reasons: pd.Series | None = None,
) -> AdapterResult:
    """Delivered text fields → typed contract rows and rejects, with lineage.

    The lineage column `province` is the landing folder the file came from ('national' for national
    sources), which is also the unit a re-delivery replaces. `extra_reasons`: row problems found by a
    format-specific step (EMIS totals), merged with the rest.

    The table's delivered fields are released once the rejects are made (`DeliveredTable.release_fields`):
    the typed rows are made without the delivered text beside them.
    """
    entity = ENTITIES[ctx.source.entity]
    index = table.fields.index
    # Reasons are joined as each field is judged: one per field kept to the end was 8 bytes a row each.
    row_reasons = _no_reasons(index)
    if extra_reasons is not None:
        add_reasons(row_reasons, extra_reasons.reset_index(drop=True))
    values, person_keys = _judge_fields(table, entity, ctx, row_reasons)

    if table.row_problems is not None:  # a row that could not be read has no field values to judge
        row_reasons = table.row_problems.where(table.row_problems.notna(), row_reasons)
    row_reasons = _mark_duplicates(table, entity, values, row_reasons)
    rejected = row_reasons.notna().to_numpy()

    agency = table.agency if table.agency is not None else pd.Series(ctx.agency, index=index)
    rejected_keys = None if person_keys is None else person_keys.rows(rejected)
    rejects = _rejects(table, agency, rejected_keys, row_reasons, rejected)
    del person_keys, rejected_keys
    table.release_fields()
    rows = _typed_rows(entity, values, table, ctx, ~rejected)
    notes = list(table.notes)
    if rejected.any():
        notes.append(f"{int(rejected.sum())} of {len(table)} rows rejected")
    return AdapterResult(
        entity=entity.name, source_file=ctx.raw.name, source_sha256=ctx.raw.sha256,
        rows=rows, rejects=rejects, rows_read=len(table), notes=notes,
    )


def _judge_fields(
    table: DeliveredTable, entity: Entity, ctx: Context, row_reasons: pd.Series
) -> tuple[dict[str, DistinctValues], DistinctValues | None]:
    """(each contract column's values, the keys of every delivered person ID or None), every field judged
    once per distinct delivered value (DistinctValues); each field's reasons joined to `row_reasons`."""
    expected_code = PROVINCES[ctx.province] if ctx.province != NATIONAL else None
    values: dict[str, DistinctValues] = {}
    person_keys: DistinctValues | None = None
    for field in table.fields.columns:
        delivered = DistinctValues.of(table.fields[field])
        if field == PERSON_ID:
            person_keys, kind, reason, same_person = _pseudonymise(delivered, entity, ctx.pseudonymiser)
            valid_keys = person_keys.values.where(kind.values.notna())
            # equal keys are equal valid IDs (missing where invalid): compared as numbers, not hex strings
            values[_person_column(entity)] = delivered.with_values(valid_keys, same_person.values.to_numpy())
            if "id_kind" in entity.column_names:
                values["id_kind"] = kind
        else:
            column = entity.column(FIELD_TO_COLUMN.get(field, field))
            converted, judged = _convert_distinct(field, column, delivered.values, expected_code)
            values[column.name] = delivered.with_values(converted)
            reason = delivered.with_values(judged)
        _add_row_reasons(row_reasons, reason)
    return values, person_keys


def _convert_distinct(field: str, column: Column, text: pd.Series, expected_code: str | None) -> Converted:
    """One delivered field's distinct values → contract values and reasons (a required value missing too)."""
    if column.name == "school_id":
        converted, reason = convert_school_id(text, field, expected_code)
    else:
        converted, reason = convert_value(field, column, text)
    if not column.nullable:
        missing = (converted.isna() & reason.isna()).to_numpy()
        reason = reason.where(~missing, f"{field}: required value missing")
    return converted, reason


def _add_row_reasons(row_reasons: pd.Series, reasons: DistinctValues) -> None:
    """`add_reasons` for reasons judged per distinct value: spread over the rows only when there are any."""
    if reasons.values.notna().any():
        add_reasons(row_reasons, reasons.rows())


def _person_column(entity: Entity) -> str:
    return entity.pseudonymised[0]


def _pseudonymise(
    delivered: DistinctValues, entity: Entity, pseudonymiser: Pseudonymiser
) -> tuple[DistinctValues, ...]:
    """(keys of every delivered ID, valid or not; id_kind; reasons; the valid IDs as numbers, -1 for the
    others: `person_id_numbers`). Raw IDs go no further than here.

    Each distinct delivered ID is judged and hashed once: a test file holds each student in several rows
    (NT/O-NET: 6.6 M rows, 1.9 M students), and hashing every row had been a quarter of reading it."""
    judged = _pseudonymise_each(delivered.values, entity, pseudonymiser)
    return tuple(delivered.with_values(result) for result in judged)


def _pseudonymise_each(ids: pd.Series, entity: Entity, pseudonymiser: Pseudonymiser) -> tuple[pd.Series, ...]:
    normalised = normalise_person_id_series(ids)
    kind, reasons = classify_normalised_ids(normalised)
    if _person_column(entity) == "teacher_key":  # teachers and trainees: staff hold citizen IDs
        g_code = (kind == "g_code").to_numpy()
        reasons = reasons.where(~g_code, "person_id: G-code where a staff citizen ID is expected")
        kind = kind.mask(g_code)
    # The numbers before the keys: reading them off the IDs' bytes briefly takes ~150 MiB for 4.3 M IDs, on
    # top of the 4.3 M hex keys (~400 MiB) if they were made first (the peak of reading EEF's national file).
    numbers = pd.Series(person_id_numbers(normalised, kind))
    keys = pseudonymiser.keys_for_normalised(normalised, distinct=True)
    return keys, kind, reasons, numbers


def _mark_duplicates(
    table: DeliveredTable, entity: Entity, values: dict[str, DistinctValues], reasons: pd.Series
) -> pd.Series:
    """Identical delivered rows, then repeated keys among otherwise valid rows: 'duplicate of row N'.

    Identical rows have identical keys (a key is converted from the row's own fields, a missing one is alike
    too), so whole rows are compared only where a key repeats: a few columns to hash instead of all of them.
    Keys are compared as integers, one per distinct key value (`equality_codes`).
    """
    key_columns = [values[c] for c in entity.key if c in values]
    keys = pd.DataFrame(index=table.fields.index)
    if key_columns:
        keys["key"] = _one_code_per_key(key_columns)
    same_key = _repeated(keys["key"].to_numpy()) if key_columns else np.ones(len(table), dtype=bool)
    same_content = np.zeros(len(table), dtype=bool)
    if same_key.any():
        same_content[same_key] = table.fields[same_key].duplicated(keep=False).to_numpy()
    if table.row_problems is not None:  # unreadable lines are all-missing: alike, but not duplicates
        same_content &= table.row_problems.isna().to_numpy()
    reasons = _reject_later(table, table.fields, same_content, reasons)
    return _reject_later(table, keys, reasons.isna().to_numpy() & same_key, reasons)


def _one_code_per_key(columns: list[DistinctValues]) -> np.ndarray:
    """One integer per row, equal between two rows exactly when each of `columns` is: integers to compare
    instead of a row's key values (`DistinctValues.equality_codes`)."""
    combined = columns[0].equality_codes().astype(np.int64)
    for column in columns[1:]:
        codes = column.equality_codes()
        size = int(codes.max(initial=0)) + 1
        if int(combined.max(initial=0)) >= np.iinfo(np.int64).max // size:  # renumbered 0..n-1 first
            combined = pd.factorize(combined)[0].astype(np.int64)
        combined = combined * size + codes
    return combined


def _repeated(codes: np.ndarray) -> np.ndarray:
    """Per row, whether another row has the same code (pandas' duplicated(keep=False)), found by sorting:
    pandas' hash table of the 6.6 M keys of an NT/O-NET file held 250 MiB more than the codes."""
    order = np.argsort(codes)
    ordered = codes[order]
    same_as_next = ordered[1:] == ordered[:-1]
    del ordered
    repeated_in_order = np.zeros(len(codes), dtype=bool)
    repeated_in_order[1:] = same_as_next
    repeated_in_order[:-1] |= same_as_next
    repeated = np.empty(len(codes), dtype=bool)
    repeated[order] = repeated_in_order
    return repeated


def _reject_later(
    table: DeliveredTable, keys: pd.DataFrame, candidates: np.ndarray, reasons: pd.Series
) -> pd.Series:
    """Among candidate rows sharing `keys`, all but the first get 'duplicate of row N' as their reason."""
    if not candidates.any():
        return reasons
    first = first_position_of_group(keys, candidates)
    later = candidates & (first != np.arange(len(first)))
    if not later.any():
        return reasons
    text = "duplicate of row " + pd.Series(table.source_row[first[later]]).astype("str")
    if table.sheet is not None and table.sheet.nunique() > 1:
        sheets = pd.Series(table.sheet.to_numpy(dtype=object)[first[later]]).astype("str")
        text = text + " (sheet " + sheets + ")"
    reasons = reasons.copy()
    reasons[later] = text.to_numpy()  # a later duplicate's own problems were already reported on the first
    return reasons


CONTRACT_DTYPES: dict[str, str] = {
    "text": "string", "integer": "Int64", "double": "Float64", "boolean": "boolean", "date": "datetime64[ns]",
}
"""Contract column type → the pandas dtype of its values. Text columns of the typed rows may be categorical
over these values (`text_rows`)."""
CATEGORICAL_MAX_VALUES = 1 << 16
"""Text with more distinct values than this stays "string" (`text_rows`): codes of at most four bytes a row,
and an ENUM that DuckDB builds in about a tenth of a second."""


def text_rows(values: pd.Series, codes: np.ndarray) -> pd.Series:
    """Text rows: `values` (a column's distinct values as delivered, or what was made of each: duplicates
    and missing allowed) taken at `codes`, as a categorical over their distinct "string" values when there are
    at most CATEGORICAL_MAX_VALUES of them, else as "string".

    A national file repeats a few thousand schools, labels, one file name and one hash over millions of rows:
    as "string" each row held an 8-byte pointer per column (53 MB a column of the 6.6 M NT/O-NET rows, the
    frame 0.8 GB) and pickling it between processes took seconds. Person keys stay "string": DuckDB loads a
    categorical as an ENUM built value by value (2 µs each), which for millions of keys costs seconds."""
    values = values.astype(CONTRACT_DTYPES["text"])
    if len(values) > CATEGORICAL_MAX_VALUES:  # (then nearly always as many distinct ones: not factorised)
        return pd.Series(values.array.take(codes))
    value_codes, categories = pd.factorize(values, use_na_sentinel=True)
    # narrowed before spreading: a code per row in the categorical's own (smallest signed) type, -1 missing
    row_codes = value_codes.astype(np.min_scalar_type(-len(categories) - 1)).take(codes)
    dtype = pd.CategoricalDtype(pd.Index(categories, dtype=CONTRACT_DTYPES["text"]))
    return pd.Series(pd.Categorical.from_codes(row_codes, dtype=dtype))


def _typed_rows(
    entity: Entity, values: dict[str, DistinctValues], table: DeliveredTable, ctx: Context, keep: np.ndarray,
) -> pd.DataFrame:
    n = int(keep.sum())
    kept_rows = None if keep.all() else keep

    def kept(rows: Any) -> Any:
        return rows if kept_rows is None else rows[kept_rows]

    # Lineage, made when its turn comes: text is one value for the whole file (a workbook's agency: one a
    # sheet), so its rows are codes of a few values (`text_rows`), not a whole file's column of them.
    one_value = np.zeros(n, dtype=np.int8)
    lineage_text: dict[str, Callable[[], DistinctValues]] = {
        "province": lambda: DistinctValues(pd.Series([ctx.province]), one_value),
        "source_sha256": lambda: DistinctValues(pd.Series([ctx.raw.sha256]), one_value),
        "source_file": lambda: DistinctValues(pd.Series([ctx.raw.name]), one_value),
        "agency": lambda: (DistinctValues(pd.Series([ctx.agency]), one_value) if table.agency is None
                           else DistinctValues.of(kept(table.agency))),
    }
    lineage_numbers: dict[str, Callable[[], pd.Series]] = {
        "academic_year": lambda: pd.Series(np.full(n, ctx.academic_year)),
        "source_row": lambda: pd.Series(kept(table.source_row)),
    }
    columns = {}
    for column in entity.all_columns:
        # popped: each converted column is freed once its typed rows are made, not after the last one's
        converted = values.pop(column.name, None)
        if converted is not None:  # typed once per distinct value, then spread over the kept rows
            typed = _typed(converted.values, column)
            codes = kept(converted.codes)
            columns[column.name] = (text_rows(typed, codes) if column.type == "text"
                                    else pd.Series(typed.array.take(codes)))
        elif column.name in lineage_text:
            lineage = lineage_text[column.name]()
            columns[column.name] = text_rows(lineage.values, lineage.codes)
        elif column.name in lineage_numbers:
            columns[column.name] = _typed(lineage_numbers[column.name](), column)
        else:  # an optional column the province does not deliver at all
            columns[column.name] = (text_rows(pd.Series([None]), one_value) if column.type == "text"
                                    else pd.Series(pd.array([None] * n, dtype=CONTRACT_DTYPES[column.type])))
    # copy=False: a DataFrame built from a dict copies every column by default, the whole file's rows again
    return pd.DataFrame(columns, columns=entity.column_names, copy=False)


def concat_contract_rows(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Typed rows of several files as one frame, text kept as text: pandas concatenates categoricals of
    different categories (or a categorical and "string") as objects, so such a column is united first, as a
    categorical over the union of the categories, or as "string" where one file's is."""
    if len(frames) < 2:
        return pd.concat(frames, ignore_index=True)
    united = {}
    for column, dtype in frames[0].dtypes.items():
        parts = [f[column] for f in frames]
        text = isinstance(dtype, pd.CategoricalDtype | pd.StringDtype)
        if not text or all(p.dtype == dtype for p in parts):
            continue
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            united[column] = pd.Series(union_categoricals([p.array for p in parts]))
        else:
            united[column] = pd.concat([p.astype(CONTRACT_DTYPES["text"]) for p in parts], ignore_index=True)
    whole = pd.concat([f.drop(columns=list(united)) for f in frames], ignore_index=True)
    return whole.assign(**united)[frames[0].columns]


def _typed(series: pd.Series, column: Column) -> pd.Series:
    """`series` in its contract column's pandas dtype (CONTRACT_DTYPES); dates at midnight."""
    if column.type == "date":
        return pd.to_datetime(series).astype("datetime64[ns]").dt.normalize()
    if column.type == "boolean":
        return series.astype("boolean")
    if column.type == "integer":
        return pd.to_numeric(series).astype("Int64")
    return series.astype(CONTRACT_DTYPES[column.type])


_JSON_ESCAPED_CONTROLS = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


def _shown_in_json(values: pd.Series) -> pd.Series:
    """Control characters as U+FFFD: JSON would write them as \\u00XX, digits that run into the value's own
    digits and read like an identifier to anyone (or any audit) scanning the quarantine."""
    if not values.str.contains(_JSON_ESCAPED_CONTROLS, regex=True).fillna(False).any():
        return values
    return values.str.replace(_JSON_ESCAPED_CONTROLS, "\ufffd", regex=True)


def _rejects(
    table: DeliveredTable, agency: pd.Series, rejected_keys: pd.Series | None, reasons: pd.Series,
    rejected: np.ndarray,
) -> pd.DataFrame:
    """Rejected rows: delivered values as JSON with the raw person ID replaced by its pseudonym
    (`rejected_keys`, one per rejected row)."""
    records = table.fields[rejected].copy()
    if table.sheet is not None:
        records["_sheet"] = table.sheet[rejected]
    for column in records.columns:  # before the keys go in: a hex key may hold 13 digits in a row by chance
        records[column] = _shown_in_json(redact_person_ids_series(records[column]))
    if rejected_keys is not None:
        records[PERSON_ID] = rejected_keys.to_numpy()
    as_objects = records.astype(object).where(records.notna(), None)
    payload = [json.dumps(r, ensure_ascii=False) for r in as_objects.to_dict("records")]
    reason = redact_person_ids_series(reasons[rejected])
    return pd.DataFrame({
        "source_row": pd.array(table.source_row[rejected], dtype="Int64"),
        "agency": pd.array(agency[rejected].to_numpy(dtype=object), dtype="string"),
        "reason": pd.array(reason.to_numpy(dtype=object), dtype="string"),
        "record": pd.array(payload, dtype="string"),
    }, columns=list(REJECT_COLUMNS))


TableReader = Callable[[RawFile, SourceFile, "str | None"], DeliveredTable]


class ProvinceAdapter:
    """Reads one province's deliveries: picks the reader for the file's format, then the shared step.

    Province modules subclass it to declare their quirks (agency from the file name, out-of-scope rows).
    """

    province: str = ""

    def read(
        self, source: SourceFile, path: Path, *, academic_year: int, pseudonymiser: Pseudonymiser,
        agency: str | None = None,
    ) -> AdapterResult:
        if source.province != self.province:
            problem = f"{source.file_name} is a {source.province} source, not {self.province}"
            raise DeliveryError(path, problem)
        raw = RawFile.read(path)  # bytes hashed and parsed from memory (JSON Lines: read again in blocks)
        agency = self.agency_for(source, path, agency)
        if source.format == "emis_csv":
            from assets.sources.emis import read_enrolment  # emis builds on this module

            return read_enrolment(Context(source, raw, self.province, academic_year, pseudonymiser, agency))
        table = self.read_table(raw, source, agency)
        # The bytes are not needed past the reader: freed before the conversion, the adapter's busiest step.
        ctx = Context(source, raw.without_bytes(), self.province, academic_year, pseudonymiser, agency)
        del raw
        return self.finish(table, ctx)

    def agency_for(self, source: SourceFile, path: Path, agency: str | None) -> str | None:
        """The agency all rows of this file carry (None when the file names none)."""
        return agency

    def read_table(self, raw: RawFile, source: SourceFile, agency: str | None) -> DeliveredTable:
        readers: dict[str, Callable[..., DeliveredTable]] = {
            "jsonl": read_jsonl_table, "csv": read_csv_table,
        }
        if source.format == "xlsx":
            return read_xlsx_table(raw, source, agency)
        if source.format not in readers:
            raise DeliveryError(raw.path, f"unsupported format {source.format}")
        return readers[source.format](raw, source)

    def finish(self, table: DeliveredTable, ctx: Context) -> AdapterResult:
        return to_contract(table, ctx)
