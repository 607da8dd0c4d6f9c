"""OBEC EMIS per-school enrolment (all four provinces): grade rows by ชาย/หญิง/รวม/ห้องเรียน with subtotals.

The export mixes subtotal rows (รวม อบ., รวมประถม, รวมมัธยมต้น, รวมมัธยมปลายและเทียบเท่า, รวมทั้งหมด) in
with the grade rows. Each subtotal is checked against the sum of the grade rows it covers for the same school
(`assets.parsing.grades.SUBTOTAL_LABELS`), on every measure, and then dropped. A mismatch means the school's
export cannot be trusted, so all of that school's grade rows go to rejects with a reason such as
"subtotal รวมประถม male 24 ≠ sum of rows 23". Each grade row must also have male + female = total.

Counting: subtotal rows are checks, not records. `rows_read` counts grade rows (and rows with unknown labels),
so rows_read == len(rows) + len(rejects) still holds; the notes say how many subtotal rows were checked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.parsing.grades import SUBTOTAL_LABELS, normalise_grade_series, subtotal_label
from assets.parsing.text import clean_text_series
from assets.parsing.values import parse_int_series
from assets.sources.base import AdapterResult
from assets.sources.common import Context, combine_reasons, to_contract
from assets.sources.readers import read_emis_table

MEASURES = ("male", "female", "total", "classrooms")


def read_enrolment(ctx: Context) -> AdapterResult:
    table = read_emis_table(ctx.raw, ctx.source)
    labels = clean_text_series(table.fields["grade_or_subtotal"])
    lookup = {label: subtotal_label(label) for label in labels.dropna().unique()}
    subtotal = labels.map(lookup).astype("str")
    is_subtotal = subtotal.notna().to_numpy()

    schools = clean_text_series(table.fields["school_id"])
    numbers = {m: parse_int_series(table.fields[m], m) for m in MEASURES}
    counts = pd.DataFrame({m: values for m, (values, _) in numbers.items()})
    school_problems = _check_subtotals(schools, labels, subtotal, counts, numbers, is_subtotal)

    row_reasons = combine_reasons([_sum_mismatch(counts), schools.map(school_problems).astype("str")],
                                  table.fields.index)
    grade_rows = ~is_subtotal
    notes = [f"{int(is_subtotal.sum())} subtotal rows checked against their grade rows and dropped"]
    if school_problems:
        notes.append(f"{len(school_problems)} schools with subtotals that do not add up: rows rejected")
    graded = table.subset(grade_rows)
    graded.notes = [*table.notes, *notes]
    return to_contract(graded, ctx, extra_reasons=row_reasons[grade_rows].reset_index(drop=True))


def _sum_mismatch(counts: pd.DataFrame) -> pd.Series:
    """'male 6 + female 3 ≠ total 10' where all three parsed and do not add up."""
    wrong = (counts["male"] + counts["female"] != counts["total"]).fillna(False).to_numpy(dtype=bool)
    reasons = pd.Series(None, index=counts.index, dtype="str")
    if wrong.any():
        c = counts[wrong].astype("str")
        reasons[wrong] = "male " + c["male"] + " + female " + c["female"] + " ≠ total " + c["total"]
    return reasons


def _check_subtotals(
    schools: pd.Series, labels: pd.Series, subtotal: pd.Series, counts: pd.DataFrame,
    numbers: dict[str, tuple[pd.Series, pd.Series]], is_subtotal: np.ndarray,
) -> dict[str, str]:
    """School ID → why its subtotals fail (every failing subtotal and measure, joined by '; ')."""
    grades = normalise_grade_series(labels)
    problems: dict[str, list[str]] = {}
    for canonical, covered in SUBTOTAL_LABELS.items():
        checks = is_subtotal & (subtotal == canonical).to_numpy()
        if not checks.any():
            continue
        covered_rows = (~is_subtotal) & grades.isin(covered).to_numpy()
        sums = counts[covered_rows].groupby(schools[covered_rows].to_numpy()).sum()
        stated = counts[checks]
        expected = sums.reindex(schools[checks].to_numpy()).fillna(0).astype("Int64")
        expected.index = stated.index
        for measure in MEASURES:
            unparsed = numbers[measure][1][checks].notna().to_numpy()
            differ = (stated[measure] != expected[measure]).fillna(False).to_numpy(dtype=bool) & ~unparsed
            for position in np.flatnonzero(differ | unparsed):
                row = stated.index[position]
                school, label = schools[row], labels[row]
                if unparsed[position]:
                    text = f"subtotal {label}: {numbers[measure][1][row]}"
                else:
                    text = (f"subtotal {label} {measure} {stated.at[row, measure]} ≠ "
                            f"sum of rows {expected.at[row, measure]}")
                problems.setdefault(school, []).append(text)
    return {school: "; ".join(texts) for school, texts in problems.items()}
