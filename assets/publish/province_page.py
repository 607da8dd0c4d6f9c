"""One province's monitor page: programme targets, headline summary and one block per indicator grouped by
topic (trend, breakdowns, districts, definition and lineage), then the sections of province_sections.py.
Every indicator the marts hold is rendered, known to this module or not.
"""

from __future__ import annotations

from assets.publish import charts
from assets.publish.boundaries import Boundaries
from assets.publish.catalogue import Indicator
from assets.publish.fragments import (
    Downloads,
    change_html,
    chart_id,
    definition_html,
    direction_class,
    status_badge,
    target_status,
    value_html,
    year_label,
)
from assets.publish.labels import (
    BREAKDOWN_LABELS,
    PROGRAMME_TARGETS,
    TOPIC_SECTIONS,
    format_change,
    format_value,
    group_label,
    indicator_of_column,
    is_missing,
    topic_of,
)
from assets.publish.pages import bi, heading, link, notice, page, section, table
from assets.publish.province_sections import (
    district_section,
    downloads_section,
    equity_section,
    schools_section,
    sources_section,
)
from assets.publish.safety import esc
from assets.publish.views import (
    Point,
    ProvinceView,
    breakdowns,
    district_values,
    headline_columns,
    indicators_by_topic,
    latest,
    total_series,
    values_by_year,
)

# ---------------------------------------------------------------------------------------------- targets


def _progress_bar(value: float | None, target: float | None) -> str:
    if value is None or not target:
        return ""
    share = max(0.0, min(100.0, 100.0 * value / target))
    return (f'<div class="bar" role="img" aria-label="{share:.0f}%">'
            f'<span style="width:{share:.1f}%"></span></div>')


def _target_card(view: ProvinceView, indicator_id: str, label_th: str, label_en: str) -> str:
    indicator = view.indicator(indicator_id)
    point = latest(total_series(view, indicator_id))
    target = indicator.target
    value = point.value if point else None
    target_text = format_value(target, indicator.unit) if target is not None else "–"
    more = link(f"#ind-{indicator_id}", "นิยาม แนวโน้ม และที่มาของข้อมูล", "definition, trend and lineage")
    parts = [
        f'<div class="card" id="target-{esc(indicator_id)}">',
        f"<h3>{bi(label_th, label_en)}</h3>",
        value_html(point, indicator),
        f'<p>{bi("เป้าหมาย", "target")}: <strong>{esc(target_text)}</strong> '
        f"{status_badge(target_status(value, target, indicator.higher_is_better))}</p>",
        _progress_bar(value, target),
        f"<p>{change_html(point, indicator)}</p>" if point else "",
        f'<p class="meta">{more}</p>',
        "</div>",
    ]
    return "".join(parts)


def targets_section(view: ProvinceView) -> str:
    cards = "".join(_target_card(view, t.indicator_id, t.label_th, t.label_en) for t in PROGRAMME_TARGETS)
    intro = notice("เป้าหมายของโครงการพื้นที่นวัตกรรมการศึกษา: ผู้ใช้แหล่งเรียนรู้อย่างน้อย 10,000 คน "
                   "ผู้นำความรู้ไปใช้อย่างน้อยร้อยละ 30 และครูและผู้บริหารได้รับการพัฒนา",
                   "Programme targets: learning spaces used by at least 10,000 people, at least 30% "
                   "applying what they learned, teachers and school directors trained", "meta")
    return section("targets", "ตัวชี้วัดตามเป้าหมายโครงการ", "Headline indicators against the programme targets",
                   intro + f'<div class="cards">{cards}</div>')


# ---------------------------------------------------------------------------------------------- summary


def summary_section(view: ProvinceView) -> str:
    """mart_province_yearly's headline columns, latest year vs the year before."""
    yearly = view.yearly
    if yearly.empty:
        return ""
    row = yearly.sort_values("academic_year", kind="mergesort").iloc[-1].to_dict()
    year = int(row["academic_year"])
    with_blocks = set(view.indicator_ids())
    rows, blank = [], 0
    for column in headline_columns(yearly):
        indicator = view.indicator(indicator_of_column(column))
        value, previous = row.get(column), row.get(f"{column}_prev")
        if is_missing(value) and is_missing(previous):
            blank += 1
            continue
        change = row.get(f"{column}_change")
        css = direction_class(None if is_missing(change) else float(change), indicator.higher_is_better)
        name = bi(indicator.name_th, indicator.name_en)
        if indicator.indicator_id in with_blocks:
            name = f'<a href="#ind-{esc(indicator.indicator_id)}">{name}</a>'
        rows.append([
            name,
            esc(format_value(value, indicator.unit)),
            esc(format_value(previous, indicator.unit)),
            f'<span class="{css}">{esc(format_change(change, indicator.unit))}</span>',
        ])
    headers = [bi("ตัวชี้วัด", "indicator"), year_label(year), bi("ปีก่อน", "year before"),
               bi("การเปลี่ยนแปลง", "change")]
    empty = bi(f"อีก {blank} ตัวชี้วัดไม่มีค่าในปีนี้และปีก่อน",
               f"{blank} more indicators have no value this year or the year before")
    note = f'<p class="nodata">{empty}</p>' if blank else ""
    return section("summary", "สรุปตัวชี้วัดหลัก", "Headline summary",
                   table(headers, rows, numeric=[False, True, True, True]) + note)


def _breakdown_table(view: ProvinceView, indicator: Indicator, year: int) -> str:
    groups = breakdowns(view, indicator.indicator_id, year)
    if not groups:
        return ""
    rows = []
    for g in groups:
        kind = BREAKDOWN_LABELS.get(g.breakdown_type, (g.breakdown_type, g.breakdown_type))
        shown = (esc(format_value(g.point.value, indicator.unit)) if g.point.value is not None
                 else f'<span class="suppressed" title="{esc(g.point.suppressed_reason)}">'
                      f'{bi("ปกปิด", "suppressed")}</span>')
        rows.append([bi(*kind), bi(*group_label(g.breakdown_value)), shown])
    headers = [bi("มิติ", "breakdown"), bi("กลุ่ม", "group"), year_label(year)]
    return table(headers, rows, numeric=[False, False, True])


def _trend_chart(view: ProvinceView, indicator: Indicator, points: list[Point]) -> str:
    years = view.years()
    values = values_by_year(points, years)
    if all(v is None for v in values):
        return f'<p class="nodata">{bi("ไม่มีค่าที่เผยแพร่ได้สำหรับแนวโน้ม", "no publishable values to chart")}</p>'
    return charts.trend_line([str(y) for y in years], values, name=indicator.name_th, unit=indicator.unit,
                             target=indicator.target, div_id=chart_id("trend", indicator.indicator_id))


def _district_chart(view: ProvinceView, indicator: Indicator) -> str:
    found = district_values(view, indicator.indicator_id)
    valued = [d for d in found if d.point.value is not None]
    if not valued:
        return ""
    year = valued[0].point.academic_year
    return charts.district_bars([d.name_th for d in valued], [d.point.value for d in valued],
                                title=f"รายอำเภอ ปีการศึกษา {year} / by district, {year}", unit=indicator.unit,
                                div_id=chart_id("districts", indicator.indicator_id))


def indicator_block(view: ProvinceView, indicator_id: str) -> str:
    indicator = view.indicator(indicator_id)
    points = total_series(view, indicator_id)
    point = latest(points)
    target = ""
    if indicator.target is not None:
        status = target_status(point.value if point else None, indicator.target, indicator.higher_is_better)
        target = (f'<p>{bi("เป้าหมาย", "target")}: {esc(format_value(indicator.target, indicator.unit))} '
                  f"{status_badge(status)}</p>")
    facts = [value_html(point, indicator), target]
    if point is not None:
        facts.append(f"<p>{change_html(point, indicator)}</p>")
        facts.append(_breakdown_table(view, indicator, point.academic_year))
    return (f'<article class="indicator" id="ind-{esc(indicator_id)}" data-indicator="{esc(indicator_id)}">'
            f"{heading(3, indicator.name_th, indicator.name_en)}"
            f'<div class="indicator-grid"><div>{"".join(facts)}</div>'
            f"<div>{_trend_chart(view, indicator, points)}{_district_chart(view, indicator)}</div></div>"
            f"{definition_html(view, indicator)}</article>")


def topic_section(view: ProvinceView, anchor: str, indicator_ids: list[str]) -> str:
    _anchor, thai, english, _fragments = next(t for t in TOPIC_SECTIONS if t[0] == anchor)
    blocks = "".join(indicator_block(view, i) for i in indicator_ids)
    missing = [view.indicator(i) for i in view.missing_indicator_ids() if topic_of(i) == anchor]
    absent = ""
    if missing:
        names = ", ".join(bi(m.name_th, m.name_en) for m in missing)
        absent = f'<p class="nodata">{bi("ยังไม่มีข้อมูลของจังหวัดนี้", "no data for this province yet")}: {names}</p>'
    return section(anchor, thai, english, blocks + absent)


# ---------------------------------------------------------------------------------------------- page


def _nav(sections: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str]]:
    return [(f"#{anchor}", th, en) for anchor, th, en, html in sections if html]


def province_sections(view: ProvinceView, boundaries: Boundaries,
                      downloads: Downloads) -> list[tuple[str, str, str, str]]:
    """(anchor, Thai, English, html) per section, in page order; empty html = section not shown."""
    sections: list[tuple[str, str, str, str]] = []
    if view.has_data:
        sections.append(("targets", "เป้าหมาย", "targets", targets_section(view)))
        sections.append(("summary", "สรุป", "summary", summary_section(view)))
        for anchor, ids in indicators_by_topic(view).items():
            _a, thai, english, _f = next(t for t in TOPIC_SECTIONS if t[0] == anchor)
            sections.append((anchor, thai, english, topic_section(view, anchor, ids)))
        sections.append(("equity", "ความเท่าเทียม", "equity", equity_section(view)))
        sections.append(("districts", "รายอำเภอ", "districts", district_section(view, boundaries)))
        sections.append(("schools", "โรงเรียนที่มีความเสี่ยง", "schools at risk", schools_section(view)))
    sections.append(("downloads", "ดาวน์โหลด", "downloads", downloads_section(downloads)))
    sections.append(("sources", "ที่มาของข้อมูล", "sources", sources_section(view)))
    return sections


def render_province_page(view: ProvinceView, *, boundaries: Boundaries, downloads: Downloads, built_at: str,
                         run_id: str) -> str:
    sections = province_sections(view, boundaries, downloads)
    intro = "" if view.has_data else notice("ยังไม่มีข้อมูลของจังหวัดนี้ในคลังข้อมูล",
                                            "No data for this province in the warehouse yet")
    body = intro + "".join(html for *_rest, html in sections)
    return page(title_th=f"สถานการณ์การศึกษาจังหวัด{view.name_th}",
                title_en=f"Education situation monitor: {view.name_en}", body=body, asset_prefix="../",
                built_at=built_at, run_id=run_id, nav=_nav(sections), home_link="../index.html")
