"""The later sections of a province page: equity (parity indices), district comparisons and maps, schools
at risk, downloads and data sources."""

from __future__ import annotations

from assets.publish import charts
from assets.publish.boundaries import Boundaries, district_key
from assets.publish.fragments import Downloads, chart_id, definition_html
from assets.publish.labels import (
    BREAKDOWN_LABELS,
    EQUITY_BREAKDOWNS,
    MAP_INDICATORS,
    MAX_MAPS,
    RISK_FLAGS,
    SIZE_CLASS_LABELS,
    format_value,
    group_label,
    is_missing,
    parity_base,
)
from assets.publish.pages import bi, link, notice, section, table
from assets.publish.safety import esc
from assets.publish.views import (
    Point,
    ProvinceView,
    district_values,
    latest_school_year,
    parity_rows,
    schools_at_risk,
)

# ---------------------------------------------------------------------------------------------- equity


def _parity_cell(point: Point | None) -> str:
    if point is None:
        return "–"
    if point.value is None:
        return (f'<span class="suppressed" title="{esc(point.suppressed_reason)}">{bi("ปกปิด", "suppressed")}'
                "</span>")
    return f"{esc(format_value(point.value, 'index'))} <span class=meta>({point.academic_year})</span>"


def equity_section(view: ProvinceView) -> str:
    """dbt's adjusted parity indices (1 = parity) by sex, poverty and affiliation, latest year each."""
    rows_by_id = parity_rows(view)
    if not rows_by_id:
        return ""
    kinds = [b for b in EQUITY_BREAKDOWNS if any(b in r for r in rows_by_id.values())]
    rows, names, series = [], [], {b: [] for b in kinds}
    for parity_id, points in rows_by_id.items():
        base = view.indicator(parity_base(parity_id))
        rows.append([f'<a href="#ind-{esc(base.indicator_id)}">{bi(base.name_th, base.name_en)}</a>']
                    + [_parity_cell(points.get(b)) for b in kinds])
        names.append(base.name_th)
        for b in kinds:
            series[b].append(points[b].value if b in points else None)
    headers = [bi("ตัวชี้วัด", "indicator")] + [bi(*BREAKDOWN_LABELS.get(b, (b, b))) for b in kinds]
    chart_series = {f"{BREAKDOWN_LABELS.get(b, (b, b))[0]} / {b}": v for b, v in series.items()
                    if any(x is not None for x in v)}
    chart = charts.grouped_bars(names, chart_series, title="ดัชนีความเท่าเทียม (1 = เท่าเทียม) / parity index",
                                div_id="parity", reference=1.0) if chart_series else ""
    first = view.indicator(next(iter(rows_by_id)))
    explain = notice("ดัชนีความเท่าเทียมแบบปรับ: 1 คือเท่าเทียม ต่ำกว่า 1 กลุ่มแรก (หญิง ยากจน สพฐ.) มีอัตราต่ำกว่า",
                     "Adjusted parity index: 1 = parity; below 1 the first group (female, poor, OBEC) "
                     "has the lower rate", "meta")
    return section("equity", "ความเท่าเทียม", "Equity: parity indices",
                   explain + table(headers, rows, numeric=[False] + [True] * len(kinds)) + chart
                   + definition_html(view, first))


# ---------------------------------------------------------------------------------------------- districts


def map_off(boundaries: Boundaries, view: ProvinceView) -> tuple[str, str] | None:
    """(Thai, English) reason why the province's district maps are off, or None when they can be drawn."""
    if not boundaries.available:
        return boundaries.off_reason_th, boundaries.off_reason_en
    if not boundaries.for_province(view.code)["features"]:
        return (f"ไฟล์ {boundaries.source_name} ไม่มีขอบเขตอำเภอของจังหวัดนี้",
                f"{boundaries.source_name} has no districts of this province")
    return None


def map_indicators(view: ProvinceView) -> list[str]:
    """The first MAX_MAPS preferred indicators with a district value, then any other, in page order."""
    preferred = [i for i in MAP_INDICATORS if i in view.indicator_ids()]
    others = [i for i in view.indicator_ids() if i not in preferred]
    chosen = [i for i in preferred + others
              if any(d.point.value is not None for d in district_values(view, i))]
    return chosen[:MAX_MAPS]


def _district_map(view: ProvinceView, boundaries: Boundaries, indicator_id: str) -> str:
    indicator = view.indicator(indicator_id)
    geojson = boundaries.for_province(view.code)
    keys = {f["properties"]["adm2_pcode"] for f in geojson["features"]}
    valued = [d for d in district_values(view, indicator_id)
              if d.point.value is not None and district_key(d.district_code) in keys]
    if not valued:
        return ""
    year = valued[0].point.academic_year
    return charts.district_map(geojson, [district_key(d.district_code) for d in valued],
                               [d.point.value for d in valued], [d.name_th for d in valued],
                               title=f"{indicator.name_th} ({year}) / {indicator.name_en}",
                               unit=indicator.unit, div_id=chart_id("map", indicator_id))


def district_section(view: ProvinceView, boundaries: Boundaries) -> str:
    chosen = map_indicators(view)
    if not chosen:
        return ""
    off = map_off(boundaries, view)
    if off is not None:
        maps = notice(f"แผนที่ปิดอยู่: {off[0]}", f"The map is off: {off[1]}", "notice map-off")
    else:
        maps = "".join(_district_map(view, boundaries, i) for i in chosen)
    return section("districts", "เปรียบเทียบรายอำเภอ", "District comparisons", maps + _district_table(view))


def _district_table(view: ProvinceView) -> str:
    """Districts × the mapped-or-preferred indicators of their latest year."""
    columns = [i for i in MAP_INDICATORS if i in view.indicator_ids() and district_values(view, i)]
    if not columns:
        return ""
    values = {i: {d.district_code: d for d in district_values(view, i)} for i in columns}
    codes = sorted({code for by_code in values.values() for code in by_code})
    names = {code: d for by_code in values.values() for code, d in by_code.items()}
    rows = []
    for code in codes:
        cells = [bi(names[code].name_th, names[code].name_en)]
        for i in columns:
            d = values[i].get(code)
            cells.append(esc(format_value(d.point.value if d else None, view.indicator(i).unit)))
        rows.append(cells)
    headers = [bi("อำเภอ", "district")] + [
        bi(view.indicator(i).name_th, view.indicator(i).name_en) for i in columns]
    return table(headers, rows, numeric=[False] + [True] * len(columns))


# ---------------------------------------------------------------------------------------------- schools


def _flags_html(row: dict[str, object]) -> str:
    return "".join(f'<span class="flag">{bi(th, en)}</span>'
                   for column, th, en in RISK_FLAGS if row.get(column))


def _school_rate(row: dict[str, object], column: str) -> str:
    """A school's rate, or 'suppressed' with dbt's reason (e.g. too few students) when it is withheld."""
    if not is_missing(row.get(column)):
        return esc(format_value(row[column], "percent"))
    reason = row.get(f"{column}_suppressed_reason")
    if is_missing(reason):
        return "–"
    return f'<span class="suppressed" title="{esc(reason)}">{bi("ปกปิด", "suppressed")}</span>'


def schools_section(view: ProvinceView) -> str:
    flagged, total = schools_at_risk(view)
    year = latest_school_year(view)
    if year is None:
        return ""
    district_names = {d.district_code: d.name_th
                      for i in view.indicator_ids() for d in district_values(view, i)}
    rows = []
    for r in flagged.to_dict(orient="records"):
        size = SIZE_CLASS_LABELS.get(str(r.get("size_class")), (str(r.get("size_class")), ""))[0]
        rows.append([
            esc(r["school_name"]), f"<code>{esc(r['school_id'])}</code>",
            esc(district_names.get(str(r.get("district_code")), r.get("district_code"))),
            esc(group_label(str(r.get("affiliation")))[0]), esc(size),
            esc(format_value(r.get("students"), "count")), esc(format_value(r.get("teachers"), "count")),
            esc(format_value(r.get("pupil_teacher_ratio"), "ratio")),
            _school_rate(r, "dropout_rate"), _school_rate(r, "literacy_pass_rate"), _flags_html(r),
        ])
    headers = [bi("โรงเรียน", "school"), bi("รหัส", "school ID"), bi("อำเภอ", "district"),
               bi("สังกัด", "affiliation"), bi("ขนาด", "size"), bi("นักเรียน", "students"),
               bi("ครู", "teachers"), bi("นักเรียนต่อครู", "pupils per teacher"),
               bi("ออกกลางคัน", "dropout"), bi("อ่านออกเขียนได้", "literacy"), bi("สัญญาณความเสี่ยง", "risk flags")]
    summary = notice(f"ปีการศึกษา {year}: โรงเรียน {len(flagged):,} แห่งจาก {total:,} แห่ง"
                     "มีสัญญาณความเสี่ยงอย่างน้อยหนึ่งข้อ "
                     "(ไม่มีข้อมูลรายบุคคลของนักเรียน อัตราที่คำนวณจากนักเรียนน้อยกว่าเกณฑ์ถูกปกปิด)",
                     f"Academic year {year}: {len(flagged):,} of {total:,} schools carry at least one risk "
                     "flag (no student-level data; rates from too few students are suppressed)", "meta")
    body = table(headers, rows, numeric=[False] * 5 + [True] * 5 + [False]) if rows else ""
    return section("schools", "โรงเรียนที่มีความเสี่ยง", "Schools at risk", summary + body)


# ---------------------------------------------------------------------------------------------- downloads


def downloads_section(downloads: Downloads) -> str:
    items = [f"<li>{link(downloads.xlsx, 'สมุดงาน Excel (ทุกตาราง)', 'Excel workbook (every table)')}</li>"]
    items += [f'<li><a href="{esc(path)}">{esc(path.rsplit("/", 1)[-1])}</a> (CSV, UTF-8)</li>'
              for path in downloads.csvs]
    json_link = link(downloads.json, "ข้อมูลสำหรับโปรแกรม (monitor.json)", "machine-readable monitor.json")
    items.append(f"<li>{json_link}</li>")
    return section("downloads", "ดาวน์โหลด", "Downloads", f'<ul class="downloads">{"".join(items)}</ul>')


def sources_section(view: ProvinceView) -> str:
    if not view.deliveries:
        body = notice("ไม่มีบันทึกการส่งข้อมูลในรอบการสร้างนี้", "No delivery records were passed to this build")
    else:
        rows = [[esc(d.academic_year), f"<code>{esc(d.entity)}</code>", esc(d.delivered_by),
                 esc(d.source_file),
                 f'<code class="hash" title="{esc(d.source_sha256)}">{esc(d.source_sha256[:12])}</code>',
                 f"<time>{esc(d.ingested_at)}</time>"] for d in view.deliveries]
        headers = [bi("ปีการศึกษา", "academic year"), bi("ชุดข้อมูล", "entity"), bi("ผู้ส่ง", "delivered by"),
                   bi("ไฟล์", "file"), "sha256", bi("ตรวจสอบและนำเข้าเมื่อ", "validated and loaded")]
        body = table(headers, rows)
    return section("sources", "ที่มาของข้อมูล", "Data sources (deliveries)", body)
