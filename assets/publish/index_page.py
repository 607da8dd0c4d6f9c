"""The index page: the four sandbox provinces side by side on the programme targets and key indicators,
with links to each province's page and downloads."""

from __future__ import annotations

from assets.publish import charts
from assets.publish.catalogue import Indicator
from assets.publish.fragments import Downloads, chart_id, target_status, year_label
from assets.publish.labels import INDEX_INDICATORS, PROGRAMME_TARGETS, format_change, format_value
from assets.publish.pages import bi, link, notice, page, section, table
from assets.publish.safety import esc
from assets.publish.views import Point, ProvinceView, latest, total_series, values_by_year


def compared_indicators(views: list[ProvinceView]) -> list[str]:
    """Programme targets first, then the index indicators, each only if some province has rows for it."""
    wanted = [t.indicator_id for t in PROGRAMME_TARGETS] + [i for i in INDEX_INDICATORS]
    present = {i for v in views for i in v.indicator_ids()}
    return [i for i in dict.fromkeys(wanted) if i in present]


def _cell(point: Point | None, indicator: Indicator) -> str:
    if point is None:
        return f'<span class="nodata">{bi("ไม่มีข้อมูล", "no data")}</span>'
    if point.value is None:
        return f'<span class="suppressed">{bi("ปกปิด", "suppressed")}</span> ({point.academic_year})'
    status = target_status(point.value, indicator.target, indicator.higher_is_better)
    mark = {"met": " ✓", "not-met": " ✗"}.get(status or "", "")
    change = ("" if point.change is None
              else f'<br><span class="meta">{esc(format_change(point.change, indicator.unit))}</span>')
    return f"{esc(format_value(point.value, indicator.unit))}{mark} ({point.academic_year}){change}"


def comparison_table(views: list[ProvinceView], indicator_ids: list[str]) -> str:
    """Indicators × provinces, each cell the province's latest value, its year and the change."""
    catalogue = views[0].catalogue
    rows = []
    for indicator_id in indicator_ids:
        indicator = catalogue.get(indicator_id)
        target = "" if indicator.target is None else f" · {bi('เป้าหมาย', 'target')} " \
                                                      f"{esc(format_value(indicator.target, indicator.unit))}"
        rows.append([f"{bi(indicator.name_th, indicator.name_en)}{target}"]
                    + [_cell(latest(total_series(v, indicator_id)), indicator) for v in views])
    headers = [bi("ตัวชี้วัด", "indicator")] + [
        f'<a href="{esc(v.slug)}/index.html">{bi(v.name_th, v.name_en)}</a>' for v in views]
    return table(headers, rows, numeric=[False] + [True] * len(views))


def comparison_chart(views: list[ProvinceView], indicator_id: str) -> str:
    """Grouped bars: provinces on the axis, one bar per academic year."""
    indicator = views[0].catalogue.get(indicator_id)
    years = sorted({y for v in views for y in v.years()})
    series: dict[str, list[float | None]] = {}
    totals = [total_series(v, indicator_id) for v in views]
    for year in years:
        values = [values_by_year(points, [year])[0] for points in totals]
        if any(x is not None for x in values):
            series[str(year)] = values
    if not series:
        return ""
    return charts.comparison_bars([v.name_th for v in views], series, unit=indicator.unit,
                                  title=f"{indicator.name_th} / {indicator.name_en}",
                                  div_id=chart_id("compare", indicator_id))


def _province_card(view: ProvinceView, downloads: Downloads) -> str:
    years = view.years()
    facts = (f"<p>{year_label(years[-1])} · {bi('ตัวชี้วัด', 'indicators')}: {len(view.indicator_ids())}</p>"
             if years else f'<p class="nodata">{bi("ยังไม่มีข้อมูล", "no data yet")}</p>')
    prefix = f"{view.slug}/"
    return (f'<div class="card" id="province-{esc(view.slug)}"><h3>'
            f'<a href="{esc(prefix)}index.html">{bi(view.name_th, view.name_en)}</a></h3>{facts}'
            f"<p>{link(prefix + downloads.xlsx, 'Excel', 'XLSX')} · "
            f"{link(prefix + downloads.json, 'monitor.json', 'JSON')}</p></div>")


def render_index_page(views: list[ProvinceView], downloads: dict[str, Downloads], *, built_at: str,
                      run_id: str) -> str:
    cards = "".join(_province_card(v, downloads[v.slug]) for v in views)
    indicator_ids = compared_indicators(views)
    intro = notice("หน้านี้เปรียบเทียบสี่จังหวัดพื้นที่นวัตกรรมการศึกษา เปิดได้โดยไม่ต้องใช้อินเทอร์เน็ต",
                   "The four education-sandbox provinces side by side; works offline, from disk", "meta")
    body = section("provinces", "จังหวัด", "Provinces",
                   intro + f'<div class="cards province-cards">{cards}</div>')
    if indicator_ids:
        charts_html = "".join(f"<div>{comparison_chart(views, i)}</div>" for i in indicator_ids)
        grid = f'<div class="chart-grid">{charts_html}</div>'
        body += section("compare", "เปรียบเทียบตัวชี้วัด", "Indicators compared",
                        comparison_table(views, indicator_ids) + grid)
    nav = [("#provinces", "จังหวัด", "provinces")] + (
        [("#compare", "เปรียบเทียบ", "compare")] if indicator_ids else []
    ) + [(f"{v.slug}/index.html", v.name_th, v.name_en) for v in views]
    return page(title_th="สถานการณ์การศึกษาพื้นที่นวัตกรรมการศึกษา", title_en="Education-sandbox monitors",
                body=body, asset_prefix="", built_at=built_at, run_id=run_id, nav=nav, home_link=None)
