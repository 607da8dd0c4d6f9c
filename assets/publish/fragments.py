"""Small HTML pieces shared by the index and the province pages: ids, year labels, values against targets
and the year before, and the definition-and-lineage note every indicator carries."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assets.publish.catalogue import Indicator
from assets.publish.labels import UNIT_LABELS, format_change, format_value
from assets.publish.lineage import Delivery, for_entities
from assets.publish.pages import bi, definition_list
from assets.publish.safety import esc
from assets.publish.views import Point, ProvinceView


@dataclass(frozen=True)
class Downloads:
    """Paths of a province's exports, relative to its page."""

    xlsx: str
    csvs: tuple[str, ...]
    json: str


def chart_id(prefix: str, indicator_id: str) -> str:
    """A stable, attribute-safe element id."""
    return f"{prefix}-" + re.sub(r"[^a-z0-9_-]+", "-", indicator_id.lower())


def year_label(year: int) -> str:
    return bi(f"ปีการศึกษา {year}", f"academic year {year}")


def unit_label(unit: str) -> str:
    """Ratios and indices say what they are; counts and percentages speak for themselves."""
    if unit in {"count", "percent"}:
        return ""
    thai, english = UNIT_LABELS.get(unit, (unit, unit))
    return bi(thai, english) + " · "


def direction_class(change: float | None, higher_is_better: bool | None) -> str:
    """good / bad / neutral colouring of a year-on-year change."""
    if change is None or change == 0 or higher_is_better is None:
        return "neutral"
    return "good" if (change > 0) == higher_is_better else "bad"


def change_html(point: Point, indicator: Indicator) -> str:
    """'+50 vs the year before (150)' with good/bad colouring, or why there is no comparison."""
    if point.value_prev_year is None:
        return f'<span class="neutral">{bi("ไม่มีค่าปีก่อนให้เปรียบเทียบ", "no previous year to compare")}</span>'
    css = direction_class(point.change, indicator.higher_is_better)
    previous = format_value(point.value_prev_year, indicator.unit)
    return (f'<span class="{css}">{esc(format_change(point.change, indicator.unit))}</span> '
            f'{bi(f"เทียบกับปีก่อน ({previous})", f"vs the year before ({previous})")}')


def target_status(value: float | None, target: float | None, higher_is_better: bool | None) -> str | None:
    """'met' / 'not-met', or None when there is nothing to compare."""
    if value is None or target is None:
        return None
    lower_is_better = higher_is_better is False
    return "met" if (value <= target if lower_is_better else value >= target) else "not-met"


def status_badge(status: str | None) -> str:
    labels = {"met": ("บรรลุเป้าหมาย", "target met"), "not-met": ("ยังไม่บรรลุเป้าหมาย", "target not met")}
    if status is None:
        return f'<span class="status unknown">{bi("ประเมินไม่ได้", "cannot be assessed")}</span>'
    return f'<span class="status {status}">{bi(*labels[status])}</span>'


def value_html(point: Point | None, indicator: Indicator) -> str:
    """The latest value, large, with its year; or why it is not shown."""
    if point is None:
        return f'<p class="nodata">{bi("ยังไม่มีข้อมูล", "no data yet")}</p>'
    if point.value is None:
        reason = point.suppressed_reason or "–"
        return (f'<p class="suppressed">{bi("ปกปิดค่า", "suppressed")}: {esc(reason)} · '
                f'{year_label(point.academic_year)}</p>')
    return (f'<p><span class="big">{esc(format_value(point.value, indicator.unit))}</span> '
            f"{unit_label(indicator.unit)}{year_label(point.academic_year)}</p>")


# ---------------------------------------------------------------------------------------------- indicators


def lineage_html(deliveries: list[Delivery]) -> str:
    if not deliveries:
        return esc("–") + " " + bi("ไม่มีบันทึกการส่งข้อมูลในรอบนี้", "no delivery records in this build")
    items = "".join(
        f"<li>{year_label(int(d.academic_year)) if d.academic_year.isdigit() else esc(d.academic_year)}: "
        f"<code>{esc(d.entity)}</code> · {esc(d.source_file)} · "
        f'<code class="hash" title="sha256 {esc(d.source_sha256)}">{esc(d.source_sha256[:12])}</code> · '
        f'{bi("ตรวจสอบและนำเข้าเมื่อ", "validated and loaded")} <time>{esc(d.ingested_at)}</time></li>'
        for d in deliveries
    )
    return f"<ul>{items}</ul>"


def definition_html(view: ProvinceView, indicator: Indicator) -> str:
    """Definition, formula, sources and the deliveries behind the indicator, folded away under <details>."""
    lineage = for_entities(view.deliveries, indicator.source_entities)
    definition = indicator.definition or ("ตัวชี้วัดนี้ยังไม่มีนิยามใน dim_indicators / "
                                          "this indicator has no definition in dim_indicators yet")
    items = [
        ("นิยาม", "definition", esc(definition)),
        ("สูตร", "formula", f"<code>{esc(indicator.formula)}</code>" if indicator.formula else ""),
        ("ตัวตั้ง", "numerator", esc(indicator.numerator_definition)),
        ("ตัวหาร", "denominator", esc(indicator.denominator_definition)),
        ("แหล่งข้อมูล", "source", esc(indicator.source)),
        ("อ้างอิง", "reference", esc(indicator.reference)),
        ("ข้อมูลที่ใช้ (การส่งข้อมูล)", "data lineage (deliveries)", lineage_html(lineage)),
    ]
    return (f'<details class="lineage"><summary>{bi("นิยามและที่มาของข้อมูล", "definition and data lineage")}'
            f"</summary>{definition_list(items)}</details>")
