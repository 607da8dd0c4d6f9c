"""Builds the whole static site into one folder: shared assets, the index, and per province its page, XLSX,
CSVs and monitor.json, plus build.json (every file with its sha256).

Layout (all links relative, so the folder works from disk and can be zipped and forwarded):

    index.html                      the four provinces compared
    assets/                         site.css, plotly.min.js, fonts/NotoSansThai.ttf, licenses/
    <province>/index.html           the province's monitor
    <province>/monitor.json         machine-readable monitor
    <province>/downloads/<province>_monitor.xlsx, downloads/csv/<province>_<mart>.csv
    build.json                      run id, build time, map status, files and their sha256

Output depends only on (marts, built_at, run_id, boundaries, lineage): the same inputs give byte-identical
files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from assets.contract.entities import PROVINCES
from assets.publish.boundaries import Boundaries, load_boundaries
from assets.publish.checks import BUILD_MANIFEST, file_hashes
from assets.publish.exports import records, write_csvs, write_json, write_xlsx
from assets.publish.fragments import Downloads, target_status
from assets.publish.index_page import render_index_page
from assets.publish.labels import PROGRAMME_TARGETS, province_order
from assets.publish.lineage import Lineage, for_entities
from assets.publish.marts import Marts
from assets.publish.province_page import render_province_page
from assets.publish.province_sections import map_indicators, map_off
from assets.publish.safety import privacy_problems
from assets.publish.views import ProvinceView, latest, province_view, total_series

T = TypeVar("T")
RunAll = Callable[[Callable[..., Any], list[tuple[Any, ...]]], list[Any]]
"""Runs `function(*args)` for each `args` of a list and returns the results in order."""

MONITOR_JSON = "monitor.json"
MONITOR_FORMAT = "edusandbox-monitor/1"


class SiteBuildError(RuntimeError):
    """The marts cannot be published as they are (the message says why)."""


@dataclass(frozen=True)
class BuiltSite:
    root: Path
    pages: dict[str, Path]  # "index" and each province slug → its page
    files: dict[str, str]  # path relative to root → sha256
    maps: dict[str, str]  # province slug → "on" or why the map is off


def _downloads(slug: str, tables: list[str]) -> Downloads:
    return Downloads(xlsx=f"downloads/{slug}_monitor.xlsx",
                     csvs=tuple(f"downloads/csv/{slug}_{t}.csv" for t in tables), json=MONITOR_JSON)


def _map_status(view: ProvinceView, boundaries: Boundaries) -> str:
    if not map_indicators(view):
        return "no district values to map"
    off = map_off(boundaries, view)
    return off[1] if off else "on"


def _targets_payload(view: ProvinceView) -> list[dict[str, object]]:
    payload = []
    for target in PROGRAMME_TARGETS:
        indicator = view.indicator(target.indicator_id)
        point = latest(total_series(view, target.indicator_id))
        value = point.value if point else None
        payload.append({
            "indicator_id": target.indicator_id, "target": indicator.target,
            "academic_year": point.academic_year if point else None, "value": value,
            "value_prev_year": point.value_prev_year if point else None,
            "change": point.change if point else None,
            "suppressed_reason": (point.suppressed_reason or None) if point else None,
            "status": target_status(value, indicator.target, indicator.higher_is_better),
        })
    return payload


def _indicators_payload(view: ProvinceView) -> dict[str, dict[str, object]]:
    """Definition and lineage of every indicator with data for the province."""
    payload: dict[str, dict[str, object]] = {}
    for indicator_id in view.indicator_ids():
        indicator = view.indicator(indicator_id)
        payload[indicator_id] = {
            "name_th": indicator.name_th, "name_en": indicator.name_en, "unit": indicator.unit,
            "definition": indicator.definition, "formula": indicator.formula, "source": indicator.source,
            "target": indicator.target, "higher_is_better": indicator.higher_is_better,
            "described_in_dim_indicators": indicator.described,
            "deliveries": [d.to_json() for d in for_entities(view.deliveries, indicator.source_entities)],
        }
    return payload


def monitor_payload(view: ProvinceView, *, map_status: str, downloads: Downloads) -> dict[str, object]:
    """The province's monitor as data. Like every export it leaves out build time and run id (see exports.py);
    the page and build.json carry them."""
    return {
        "format": MONITOR_FORMAT,
        "province": {"slug": view.slug, "code": view.code, "name_th": view.name_th, "name_en": view.name_en},
        "academic_years": view.years(),
        "programme_targets": _targets_payload(view),
        "indicators": _indicators_payload(view),
        "map": map_status,
        "downloads": {"xlsx": downloads.xlsx, "csv": list(downloads.csvs)},
        "deliveries": [d.to_json() for d in view.deliveries],
        "tables": {table: records(frame) for table, frame in view.frames.items()},
    }


def _write_province(view: ProvinceView, folder: Path, boundaries: Boundaries, built_at: str,
                    run_id: str) -> tuple[Downloads, str]:
    downloads = _downloads(view.slug, list(view.frames))
    write_xlsx(view.frames, folder / downloads.xlsx, province=view.slug)
    write_csvs(view.frames, folder / "downloads" / "csv", view.slug)
    map_status = _map_status(view, boundaries)
    write_json(monitor_payload(view, map_status=map_status, downloads=downloads), folder / downloads.json)
    html = render_province_page(view, boundaries=boundaries, downloads=downloads, built_at=built_at,
                                run_id=run_id)
    (folder / "index.html").write_text(html, encoding="utf-8")
    return downloads, map_status


def _one_by_one(function: Callable[..., T], calls: list[tuple[Any, ...]]) -> list[T]:
    return [function(*args) for args in calls]


def build_site(marts: Marts, out_dir: Path, *, run_id: str, built_at: str, boundaries: Path | None = None,
               lineage: Lineage | None = None, run_all: RunAll | None = None) -> BuiltSite:
    """Write the complete site into `out_dir` (created if needed); raises SiteBuildError if it must not be
    published (person-level data in the marts). `run_all(function, calls)` may write the provinces side by
    side (worker processes: assets.read_ahead.ReadAhead.run_all); by default they are written one by one."""
    problems = privacy_problems(marts.by_table())
    if problems:
        raise SiteBuildError("refusing to publish person-level data: " + "; ".join(problems))
    from assets.publish.static import write_static_assets  # reads installed packages; imported when building

    out_dir.mkdir(parents=True, exist_ok=True)
    write_static_assets(out_dir)
    geo = load_boundaries(boundaries)
    views = [province_view(marts, slug, lineage) for slug in province_order([*PROVINCES, *marts.provinces()])]
    written = (run_all or _one_by_one)(
        _write_province, [(view, out_dir / view.slug, geo, built_at, run_id) for view in views])
    downloads = {view.slug: files for view, (files, _) in zip(views, written, strict=True)}
    maps = {view.slug: status for view, (_, status) in zip(views, written, strict=True)}
    index = render_index_page(views, downloads, built_at=built_at, run_id=run_id)
    (out_dir / "index.html").write_text(index, encoding="utf-8")
    files = file_hashes(out_dir)
    pages = {"index": out_dir / "index.html", **{v.slug: out_dir / v.slug / "index.html" for v in views}}
    manifest = {"format": "edusandbox-site/1", "run_id": run_id, "built_at": built_at,
                "provinces": [v.slug for v in views], "maps": maps, "files": files}
    write_json(manifest, out_dir / BUILD_MANIFEST)
    return BuiltSite(out_dir, pages, files, maps)
