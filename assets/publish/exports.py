"""Per-province downloads: one XLSX workbook (a sheet per mart), one CSV per mart, and monitor.json.

Spreadsheet exports neutralise formula-like text; both are byte-identical for the same input and built_at.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import xlsxwriter

from assets.publish.labels import COLUMN_LABELS_TH
from assets.publish.marts import Marts
from assets.publish.safety import neutralise_frame

README_SHEET = "คำอธิบาย"
# Year and code columns must not get thousands separators (2,566 is not a year).
_PLAIN_NUMBER_COLUMNS = ("academic_year", "province_code", "district_code", "school_id")
_FALLBACK_CREATED = datetime(2000, 1, 1)


def province_frames(marts: Marts, province: str) -> dict[str, pd.DataFrame]:
    """Each mart's rows for one province (dim_indicators whole: it is the data dictionary)."""
    frames: dict[str, pd.DataFrame] = {}
    for table, frame in marts.by_table().items():
        if "province" in frame.columns:
            frame = frame[frame["province"] == province]
        frames[table] = frame.reset_index(drop=True)
    return frames


def thai_headers(columns: list[str]) -> list[str]:
    """Thai header per column, unique within the sheet (a clash keeps the column name beside it)."""
    headers: list[str] = []
    for column in columns:
        label = COLUMN_LABELS_TH.get(column, column)
        if label in headers:
            label = f"{label} ({column})"
        headers.append(label)
    return headers


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as exported: formula-like text neutralised, Thai headers."""
    safe = neutralise_frame(frame)
    safe.columns = thai_headers([str(c) for c in frame.columns])
    return safe


def _created(built_at: str) -> datetime:
    """Workbook creation time from built_at (naive UTC), so the file only changes when built_at does."""
    try:
        moment = datetime.fromisoformat(built_at)
    except ValueError:
        return _FALLBACK_CREATED
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _cell_values(series: pd.Series) -> list[object]:
    """Python values for xlsxwriter: None for missing, plain int/float/bool/str otherwise."""
    values = series.astype(object).where(series.notna(), None)
    return [v.item() if hasattr(v, "item") else v for v in values.tolist()]


def write_xlsx(
    frames: dict[str, pd.DataFrame], path: Path, *, province: str, run_id: str, built_at: str
) -> Path:
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
        "comments": f"run_id={run_id}",
        "created": _created(built_at),
    })
    header_format = workbook.add_format({"bold": True, "bg_color": "#DCE6F1", "text_wrap": True,
                                         "valign": "top", "border": 1})
    formats = {
        "plain": workbook.add_format({"num_format": "0"}),
        "integer": workbook.add_format({"num_format": "#,##0"}),
        "float": workbook.add_format({"num_format": "#,##0.00"}),
    }
    _write_readme(workbook, header_format, frames, province=province, run_id=run_id, built_at=built_at)
    for table, frame in frames.items():
        sheet = workbook.add_worksheet(table[:31])
        exported = export_frame(frame)
        for col, (column, header) in enumerate(zip(frame.columns, exported.columns, strict=True)):
            sheet.write_string(0, col, header, header_format)
            series = frame[column]
            cell_format = None  # text and booleans need no number format
            if pd.api.types.is_bool_dtype(series.dtype):
                pass
            elif column in _PLAIN_NUMBER_COLUMNS and pd.api.types.is_numeric_dtype(series.dtype):
                cell_format = formats["plain"]
            elif pd.api.types.is_integer_dtype(series.dtype):
                cell_format = formats["integer"]
            elif pd.api.types.is_float_dtype(series.dtype):
                cell_format = formats["float"]
            sheet.write_column(1, col, _cell_values(exported.iloc[:, col]), cell_format)
            sheet.set_column(col, col, max(12, min(40, len(header) + 4)))
        sheet.freeze_panes(1, 0)
        if len(frame.columns):
            sheet.autofilter(0, 0, max(len(frame), 1), len(frame.columns) - 1)
    workbook.close()
    return path


def _write_readme(workbook: xlsxwriter.Workbook, header_format: object, frames: dict[str, pd.DataFrame], *,
                  province: str, run_id: str, built_at: str) -> None:
    """First sheet: what this workbook is, when it was built, and the Thai header ↔ column mapping."""
    sheet = workbook.add_worksheet(README_SHEET)
    sheet.write_row(0, 0, ["หัวข้อ / item", "ค่า / value", "คอลัมน์ / column"], header_format)
    rows: list[tuple[str, str, str]] = [
        ("จังหวัด / province", province, ""),
        ("สร้างเมื่อ / built at", built_at, ""),
        ("รหัสรอบการประมวลผล / run id", run_id, ""),
    ]
    for table, frame in frames.items():
        for column, header in zip(frame.columns, thai_headers([str(c) for c in frame.columns]), strict=True):
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
    for table, frame in frames.items():
        path = folder / f"{province}_{table}.csv"
        export_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
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
