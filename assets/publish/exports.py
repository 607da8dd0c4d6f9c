"""Per-province downloads: one XLSX workbook (a sheet per mart), one CSV per mart, and monitor.json.

Spreadsheet exports neutralise formula-like text. Exports are a function of the published data alone (the
marts and which delivered files they came from): not of when or in which run they were built, so re-running
the same deliveries gives byte-identical downloads a provincial office can compare by checksum. Build time and
run id are on the pages and in build.json.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import xlsxwriter

from assets.publish.labels import COLUMN_LABELS_TH, HEADLINE_SUFFIXES, indicator_of_column
from assets.publish.marts import Marts
from assets.publish.safety import neutralise_frame

README_SHEET = "คำอธิบาย"
# Year and code columns must not get thousands separators (2,566 is not a year).
_PLAIN_NUMBER_COLUMNS = ("academic_year", "province_code", "district_code", "school_id")
# xlsxwriter would stamp the workbook with the current time; a fixed stamp keeps the file reproducible.
WORKBOOK_CREATED = datetime(2000, 1, 1)


def mask_suppressed(frame: pd.DataFrame) -> pd.DataFrame:
    """Suppressed rows lose the counts behind them, not just the value: a numerator of 1 over a denominator
    of 7 says as much as the rate would. Parity rows (unit index) hold two group rates, so both go."""
    if not {"suppressed_reason", "numerator"} <= set(frame.columns):
        return frame
    suppressed = frame["suppressed_reason"].notna()
    if not suppressed.any():
        return frame
    masked = frame.copy()
    masked.loc[suppressed, "numerator"] = None
    if {"unit", "denominator"} <= set(frame.columns):
        masked.loc[suppressed & (frame["unit"] == "index"), "denominator"] = None
    return masked


def province_frames(marts: Marts, province: str) -> dict[str, pd.DataFrame]:
    """Each mart's publishable rows for one province (dim_indicators whole: it is the data dictionary)."""
    frames: dict[str, pd.DataFrame] = {}
    for table, frame in marts.by_table().items():
        if "province" in frame.columns:
            frame = frame[frame["province"] == province]
        frames[table] = mask_suppressed(frame.reset_index(drop=True))
    return frames


def _indicator_header(column: str, indicator_names: dict[str, str]) -> str | None:
    """Thai header of a wide-mart indicator column (`share_small_schools_prev` → '<name> ปีก่อน')."""
    for suffix, wording in HEADLINE_SUFFIXES.items():
        base = column.removesuffix(suffix)
        if base != column and indicator_of_column(base) in indicator_names:
            return f"{indicator_names[indicator_of_column(base)]} {wording}"
    return indicator_names.get(indicator_of_column(column))


def thai_headers(columns: list[str], indicator_names: dict[str, str] | None = None) -> list[str]:
    """Thai header per column, unique within the sheet (a clash keeps the column name beside it)."""
    names = indicator_names or {}
    headers: list[str] = []
    for column in columns:
        label = COLUMN_LABELS_TH.get(column) or _indicator_header(column, names) or column
        if label in headers:
            label = f"{label} ({column})"
        headers.append(label)
    return headers


def export_frame(frame: pd.DataFrame, indicator_names: dict[str, str] | None = None) -> pd.DataFrame:
    """The frame as exported: formula-like text neutralised, Thai headers."""
    safe = neutralise_frame(frame)
    safe.columns = thai_headers([str(c) for c in frame.columns], indicator_names)
    return safe


def indicator_names_th(frames: dict[str, pd.DataFrame]) -> dict[str, str]:
    """indicator_id → Thai name, from the dim_indicators frame when present."""
    dim = frames.get("dim_indicators")
    if dim is None or not {"indicator_id", "name_th"} <= set(dim.columns):
        return {}
    return {str(i): str(n) for i, n in zip(dim["indicator_id"], dim["name_th"], strict=True) if pd.notna(n)}


def _cell_values(series: pd.Series) -> list[object]:
    """Python values for xlsxwriter: None for missing, plain int/float/bool/str otherwise."""
    values = series.astype(object).where(series.notna(), None)
    return [v.item() if hasattr(v, "item") else v for v in values.tolist()]


def _number_format(column: str, series: pd.Series) -> str | None:
    """Which number format a column gets; text, booleans and all-empty columns get none."""
    if series.isna().all() or pd.api.types.is_bool_dtype(series.dtype):
        return None  # an all-empty column's dtype depends on the warehouse driver: keep the file independent
    if column in _PLAIN_NUMBER_COLUMNS and pd.api.types.is_numeric_dtype(series.dtype):
        return "plain"
    if pd.api.types.is_integer_dtype(series.dtype):
        return "integer"
    if pd.api.types.is_float_dtype(series.dtype):
        return "float"
    return None


def _write_values(sheet: object, col: int, values: list[object], cell_format: object) -> None:
    """Cells from row 2 down; missing values stay truly empty (no formatted blank cells)."""
    for row, value in enumerate(values, start=1):
        if value is not None:
            sheet.write(row, col, value, cell_format)  # type: ignore[attr-defined]


def write_xlsx(frames: dict[str, pd.DataFrame], path: Path, *, province: str) -> Path:
    """One sheet per mart with Thai headers, a frozen header row, number formats and an autofilter."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    workbook.set_properties({
        "title": f"Education situation monitor: {province}",
        "author": "edusandbox",
        "company": "edusandbox",
        "comments": "Thai column headers; the first sheet maps them to the mart columns",
        "created": WORKBOOK_CREATED,
    })
    header_format = workbook.add_format({"bold": True, "bg_color": "#DCE6F1", "text_wrap": True,
                                         "valign": "top", "border": 1})
    formats = {
        "plain": workbook.add_format({"num_format": "0"}),
        "integer": workbook.add_format({"num_format": "#,##0"}),
        "float": workbook.add_format({"num_format": "#,##0.00"}),
    }
    names = indicator_names_th(frames)
    _write_readme(workbook, header_format, frames, names, province=province)
    for table, frame in frames.items():
        sheet = workbook.add_worksheet(table[:31])
        exported = export_frame(frame, names)
        for col, (column, header) in enumerate(zip(frame.columns, exported.columns, strict=True)):
            sheet.write_string(0, col, header, header_format)
            _write_values(sheet, col, _cell_values(exported.iloc[:, col]),
                          formats.get(_number_format(str(column), frame[column])))
            sheet.set_column(col, col, max(12, min(40, len(header) + 4)))
        sheet.freeze_panes(1, 0)
        if len(frame.columns):
            sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
    workbook.close()
    return path


def _write_readme(workbook: xlsxwriter.Workbook, header_format: object, frames: dict[str, pd.DataFrame],
                  names: dict[str, str], *, province: str) -> None:
    """First sheet: what this workbook is, how suppression shows, and the Thai header ↔ column mapping."""
    sheet = workbook.add_worksheet(README_SHEET)
    sheet.write_row(0, 0, ["หัวข้อ / item", "ค่า / value", "คอลัมน์ / column"], header_format)
    rows: list[tuple[str, str, str]] = [
        ("จังหวัด / province", province, ""),
        ("ค่าที่ปกปิด / suppressed values", "ค่าที่คำนวณจากกลุ่มเล็กเกินไปถูกปกปิด พร้อมตัวตั้ง "
         "(suppressed: too few cases; the value and its numerator are left blank, "
         "suppressed_reason says why)", "suppressed_reason"),
    ]
    for table, frame in frames.items():
        for column, header in zip(frame.columns, thai_headers([str(c) for c in frame.columns], names),
                                  strict=True):
            rows.append((table, header, str(column)))
    for row, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            sheet.write_string(row, col, value)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 2, 40)
    sheet.freeze_panes(1, 0)


def write_csvs(frames: dict[str, pd.DataFrame], folder: Path, province: str) -> list[Path]:
    """One CSV per mart, UTF-8 with BOM (Excel opens Thai correctly), Thai headers, neutralised text."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    names = indicator_names_th(frames)
    for table, frame in frames.items():
        path = folder / f"{province}_{table}.csv"
        export_frame(frame, names).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
        written.append(path)
    return written


def to_jsonable(value: object) -> object:
    """numpy/pandas scalars → plain JSON values; NaN/NA → null."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, str):
        return value
    if pd.isna(value):  # type: ignore[arg-type]
        return None
    return value.item() if hasattr(value, "item") else value  # type: ignore[union-attr]


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as JSON-ready dicts (missing values → null)."""
    return [to_jsonable(r) for r in frame.to_dict(orient="records")]  # type: ignore[misc]


def write_json(payload: dict[str, object], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(to_jsonable(payload), ensure_ascii=False, indent=1, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path
